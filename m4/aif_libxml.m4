# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_LIBXML: a topology file is checked well-formed with libxml2 before hwloc's built-in
# reader sees it (that reader crashes on truncated XML; docs/security.md).
AC_DEFUN([AIF_CHECK_LIBXML],
  [PKG_CHECK_MODULES([LIBXML], [libxml-2.0 >= 2.9], [], [AIF_MISSING([libxml2], [libxml2-dev], [libxml2-devel])])])
