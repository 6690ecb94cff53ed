# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_ZLIB: CRC-32 of outbox record files (lib/acct/outbox.cpp framing).
AC_DEFUN([AIF_CHECK_ZLIB],
  [PKG_CHECK_MODULES([ZLIB], [zlib >= 1.2], [], [AIF_MISSING([zlib], [zlib1g-dev], [zlib-devel])])])
