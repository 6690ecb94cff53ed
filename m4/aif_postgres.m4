# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_POSTGRES: the collector's PostgreSQL store (libpq). Optional; needs the collector.
# --with-postgresql makes it required.
AC_DEFUN([AIF_CHECK_POSTGRES], [
  AC_ARG_WITH([postgresql], AS_HELP_STRING([--with-postgresql], [PostgreSQL store for the collector (default: when libpq is found)]),
    [], [with_postgresql=auto])
  have_postgres=no
  AS_IF([test "x$have_collector" = xyes && test "x$with_postgresql" != xno],
    [PKG_CHECK_MODULES([PQ], [libpq >= 10], [have_postgres=yes],
      [AS_IF([test "x$with_postgresql" = xyes], [AIF_MISSING([libpq (PostgreSQL client)], [libpq-dev], [libpq-devel])])])],
    [AS_IF([test "x$with_postgresql" = xyes], [AC_MSG_ERROR([--with-postgresql needs the collector (--enable-collector)])])])
  AM_CONDITIONAL([HAVE_POSTGRES], [test "x$have_postgres" = xyes])
])
