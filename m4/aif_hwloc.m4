# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_HWLOC: node topology for lib/topo (the bind plugin and `aifactory bind`).
# 2.0: memory objects as children (NUMA nodes), which lib/topo walks.
AC_DEFUN([AIF_CHECK_HWLOC],
  [PKG_CHECK_MODULES([HWLOC], [hwloc >= 2.0], [], [AIF_MISSING([hwloc], [libhwloc-dev], [hwloc-devel])])])
