# SPDX-License-Identifier: GPL-2.0-or-later
# AIF_CHECK_NETTLE: SHA-1 (UUIDv5), SHA-256, HMAC-SHA256 and a constant-time compare for lib/acct.
# Nettle rather than OpenSSL's libcrypto: small, and already on every GnuTLS system.
AC_DEFUN([AIF_CHECK_NETTLE],
  [PKG_CHECK_MODULES([NETTLE], [nettle >= 3.4], [], [AIF_MISSING([nettle], [nettle-dev], [nettle-devel])])])
