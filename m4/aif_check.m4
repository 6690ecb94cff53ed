# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_CHECK: the Check unit-test framework. Optional: without it `make check` runs the
# integration tests only. --enable-unit-tests makes it required.
AC_DEFUN([AIF_CHECK_CHECK], [
  AC_ARG_ENABLE([unit-tests], AS_HELP_STRING([--enable-unit-tests], [build the Check unit tests (default: when Check is found)]),
    [], [enable_unit_tests=auto])
  have_check=no
  AS_IF([test "x$enable_unit_tests" != xno],
    [PKG_CHECK_MODULES([CHECK], [check >= 0.11], [have_check=yes],
      [AS_IF([test "x$enable_unit_tests" = xyes], [AIF_MISSING([Check (unit test framework)], [check], [check-devel])])])])
  AM_CONDITIONAL([HAVE_CHECK], [test "x$have_check" = xyes])
])
