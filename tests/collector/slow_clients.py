#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Slow clients for tests/integration/collector_hostile.sh: COUNT connections from 127.0.0.1 to
PORT, each sending one byte of a TLS ClientHello every 0.5 s (so an idle timeout never fires),
for SECONDS. Writes READY_FILE once all are opened, then a JSON summary to stdout:
  held     connections still open 1 s after opening (the others were refused at once)
  closed   seconds after opening at which the server closed each held connection (null: never)
"""
import json
import os
import socket
import ssl
import sys
import time


def client_hello():
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="collector")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


port, count, seconds, ready = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
hello = client_hello()  # a real one, so the server waits for the rest instead of failing the handshake
conns = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    conns.append({"sock": s, "opened": time.time(), "closed": None, "sent": 0})
with open(ready + ".tmp", "w") as f:
    f.write("%d\n" % count)
os.rename(ready + ".tmp", ready)
end = time.time() + seconds
while time.time() < end:
    now = time.time()
    for c in conns:
        if c["closed"] is not None:
            continue
        try:
            if c["sock"].recv(1, socket.MSG_PEEK) == b"":
                c["closed"] = now - c["opened"]
                continue
        except BlockingIOError:
            pass
        except OSError:
            c["closed"] = now - c["opened"]
            continue
        try:
            c["sent"] += c["sock"].send(hello[c["sent"]:c["sent"] + 1])
        except BlockingIOError:
            pass
        except OSError:
            c["closed"] = now - c["opened"]
    time.sleep(0.5)
held = [c for c in conns if c["closed"] is None or c["closed"] > 1.0]
print(json.dumps({"held": len(held), "closed": [c["closed"] for c in held]}))
