#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Makes the test PKI in DIR: a CA, a good server certificate for 127.0.0.1/localhost signed by it,
# one for the wrong host name, and a self-signed one. Used by tests/integration/acct_*.sh.
set -eu
d=$1
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1 || { echo "make-certs: failed: $*" >&2; exit 1; }; }
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=aif test CA" -keyout ca.key -out ca.pem \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
sign() {  # name SAN
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" > "$1.ext"
    q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$1.pem" -extfile "$1.ext"
}
sign good "IP:127.0.0.1,DNS:localhost"
sign wronghost "DNS:acct.example.org"
q openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" -keyout selfsigned.key \
    -out selfsigned.pem -addext "subjectAltName=IP:127.0.0.1"
