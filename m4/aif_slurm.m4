# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_SLURM: Slurm's headers and where its plugins go.
#   --with-slurm=DIR           a Slurm prefix: headers in DIR/include (an installed Slurm, or a
#                              libslurm-dev package unpacked into DIR)
#   --with-slurm-plugindir=DIR where slurmctld/slurmd load plugins (scontrol show config | grep PluginDir)
# Slurm ships no pkg-config file by default, so nothing is guessed from the host: without
# --with-slurm-plugindir, plugins install under DIR/lib/slurm (DIR: --with-slurm, else ${libdir}).
AC_DEFUN([AIF_CHECK_SLURM], [
  AC_ARG_WITH([slurm], AS_HELP_STRING([--with-slurm=DIR], [Slurm prefix (headers in DIR/include)]),
    [SLURM_CPPFLAGS="-I$withval/include"; aif_slurm_prefix=$withval], [SLURM_CPPFLAGS=""; aif_slurm_prefix=])
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
    [AS_IF([test -n "$aif_slurm_prefix"], [slurmplugindir=$aif_slurm_prefix/lib/slurm], [slurmplugindir='${libdir}/slurm'])
     AC_MSG_NOTICE([plugins install to $slurmplugindir; set --with-slurm-plugindir to Slurm's PluginDir])])
  AC_SUBST([slurmplugindir])
])
