# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_UUID: record ids (UUIDv5 through uuid_generate_sha1; uuid_parse_range needs 2.36).
AC_DEFUN([AIF_CHECK_UUID],
  [PKG_CHECK_MODULES([UUID], [uuid >= 2.36], [], [AIF_MISSING([libuuid], [uuid-dev], [libuuid-devel])])])
