# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_COLLECTOR: the federation collector (`aifactory collector` and `report`): an HTTPS
# server and an embedded store. Optional: a site that builds only the plugins needs neither.
# --enable-collector makes them required; --disable-collector leaves them out.
AC_DEFUN([AIF_CHECK_COLLECTOR], [
  AC_ARG_ENABLE([collector], AS_HELP_STRING([--enable-collector], [build the federation collector (default: when libmicrohttpd and SQLite are found)]),
    [], [enable_collector=auto])
  have_collector=no
  AS_IF([test "x$enable_collector" != xno], [
    PKG_CHECK_MODULES([MHD], [libmicrohttpd >= 0.9.71], [have_mhd=yes], [have_mhd=no])
    PKG_CHECK_MODULES([SQLITE], [sqlite3 >= 3.24], [have_sqlite=yes], [have_sqlite=no])
    AS_IF([test "$have_mhd$have_sqlite" = yesyes], [have_collector=yes],
      [test "x$enable_collector" = xyes],
      [AIF_MISSING([libmicrohttpd and SQLite (collector)], [libmicrohttpd-dev libsqlite3-dev], [libmicrohttpd-devel sqlite-devel])],
      [AC_MSG_NOTICE([the collector is not built (needs libmicrohttpd-dev and libsqlite3-dev)])])])
  AM_CONDITIONAL([ENABLE_COLLECTOR], [test "x$have_collector" = xyes])
])
