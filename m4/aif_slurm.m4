# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_SLURM: Slurm's headers and where its plugins go.
#   --with-slurm=DIR           a Slurm prefix: an installed Slurm (headers in DIR/include) or a
#                              package unpacked into DIR (dpkg-deb -x, rpm2cpio: DIR/usr/include)
#   --with-slurm-plugindir=DIR where slurmctld/slurmd load plugins (scontrol show config | grep PluginDir)
# Slurm ships no pkg-config file by default, so nothing is guessed from the host. Without
# --with-slurm-plugindir, plugins install next to DIR's libslurmfull.so (Slurm keeps it in its
# PluginDir: lib/slurm, lib64/slurm, Debian's lib/<triplet>/slurm-wlm), else DIR/lib/slurm, else
# ${libdir}/slurm.
AC_DEFUN([AIF_CHECK_SLURM], [
  AC_ARG_WITH([slurm], AS_HELP_STRING([--with-slurm=DIR], [Slurm prefix (headers in DIR/include or DIR/usr/include)]),
    [aif_slurm_prefix=$withval], [aif_slurm_prefix=])
  SLURM_CPPFLAGS=""
  aif_slurm_root=$aif_slurm_prefix
  AS_IF([test -n "$aif_slurm_prefix"], [
    AS_IF([test ! -f "$aif_slurm_prefix/include/slurm/slurm.h" && test -f "$aif_slurm_prefix/usr/include/slurm/slurm.h"],
      [aif_slurm_root=$aif_slurm_prefix/usr])
    SLURM_CPPFLAGS="-I$aif_slurm_root/include"])
  aif_save_CPPFLAGS=$CPPFLAGS
  CPPFLAGS="$CPPFLAGS $SLURM_CPPFLAGS"
  AC_CHECK_HEADERS([slurm/slurm.h slurm/spank.h], [],
    [AIF_MISSING([Slurm development headers], [libslurm-dev], [slurm-devel])])
  AC_MSG_CHECKING([Slurm version])
  AC_COMPUTE_INT([SLURM_VERSION_NUM_DETECTED], [SLURM_VERSION_NUMBER], [#include <slurm/slurm_version.h>],
    [AC_MSG_ERROR([cannot read SLURM_VERSION_NUMBER from slurm/slurm_version.h])])
  SLURM_VERSION_TEXT="$(( SLURM_VERSION_NUM_DETECTED >> 16 )).$(( (SLURM_VERSION_NUM_DETECTED >> 8) & 255 )).$(( SLURM_VERSION_NUM_DETECTED & 255 ))"
  AC_MSG_RESULT([$SLURM_VERSION_TEXT])
  CPPFLAGS=$aif_save_CPPFLAGS
  AC_SUBST([SLURM_CPPFLAGS])

  AC_ARG_WITH([slurm-plugindir], AS_HELP_STRING([--with-slurm-plugindir=DIR], [where Slurm loads plugins from]),
    [slurmplugindir=$withval],
    [slurmplugindir='${libdir}/slurm'
     AS_IF([test -n "$aif_slurm_prefix"], [
       slurmplugindir=$aif_slurm_root/lib/slurm
       for aif_full in "$aif_slurm_root"/lib/slurm/libslurmfull.so "$aif_slurm_root"/lib64/slurm/libslurmfull.so \
                       "$aif_slurm_root"/lib/*/slurm-wlm/libslurmfull.so "$aif_slurm_root"/lib/*/slurm/libslurmfull.so; do
         AS_IF([test -f "$aif_full"], [slurmplugindir=`dirname "$aif_full"`; break])
       done])
     AC_MSG_NOTICE([plugins install to $slurmplugindir; set --with-slurm-plugindir to Slurm's PluginDir])])
  AC_SUBST([slurmplugindir])
])
