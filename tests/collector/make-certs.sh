#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test PKI for the collector tests in DIR: a CA and a server certificate for 127.0.0.1 and
# localhost signed by it (ca.pem, server.pem, server.key).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
run() { "$@" >/dev/null 2>&1 || { echo "make-certs: failed: $*" >&2; exit 1; }; }
run openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=aifactory collector test CA" \
    -keyout ca.key -out ca.pem -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
run openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > server.ext
run openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out server.pem -extfile server.ext
