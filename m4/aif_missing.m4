# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_MISSING(WHAT, DEBIAN-PACKAGE, RHEL-PACKAGE): stop configure naming the package to install.
AC_DEFUN([AIF_MISSING],
  [AC_MSG_ERROR([$1 not found. Install it: Debian/Ubuntu: apt-get install $2; RHEL/Rocky: dnf install $3])])
