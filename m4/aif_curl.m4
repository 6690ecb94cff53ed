# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_CURL: HTTPS for the accounting sender and `aifactory report --collector` only.
AC_DEFUN([AIF_CHECK_CURL],
  [PKG_CHECK_MODULES([CURL], [libcurl >= 7.68], [], [AIF_MISSING([libcurl], [libcurl4-openssl-dev], [libcurl-devel])])])
