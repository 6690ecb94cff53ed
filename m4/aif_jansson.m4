# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_JANSSON: JSON for catalogues, Hugging Face configs and records (every library).
AC_DEFUN([AIF_CHECK_JANSSON],
  [PKG_CHECK_MODULES([JANSSON], [jansson >= 2.10], [], [AIF_MISSING([jansson], [libjansson-dev], [jansson-devel])])])
