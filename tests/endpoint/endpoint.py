#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Scriptable accounting endpoint for the fault-injection tests (HTTPS on 127.0.0.1).

It accepts POST {"records":[...]} with "Authorization: Bearer <token>" and records every record
id it accepts. Its behaviour is read from STATE/mode.json before each request, so a test
switches faults by rewriting that file:
  {"mode": "ok"}                                   accept (200); a known id is a harmless duplicate
  {"mode": "ok", "delay": 0.3}                     accept, then wait before answering
  {"mode": "status", "status": 503, "retry_after": "2"}   answer with that status
  {"mode": "poison", "ids": [...], "status": 422}  refuse any batch holding one of these ids
  {"mode": "hang"}                                 read the request, never answer
  {"mode": "trickle", "interval": 1.0}             answer one byte per interval
  {"mode": "stall_tls"}                            accept TCP, never finish the TLS handshake
  {"mode": "redirect", "location": "https://..."}  answer 307 to another place
Files written in STATE/: port, requests.log ("<epoch> <status> <records> <auth|noauth> <client port>"),
accepted.log (one id per accepted record, duplicates included), unique.log (first deliveries).
"""
import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
SEEN = set()


def read_mode(state):
    try:
        with open(os.path.join(state, "mode.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "ok"}


def append(state, name, text):
    with LOCK, open(os.path.join(state, name), "a") as f:
        f.write(text)
        f.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "aif-test-endpoint"

    def setup(self):
        mode = read_mode(self.server.state)
        if self.server.tls:
            if mode.get("mode") == "stall_tls":
                time.sleep(float(mode.get("seconds", 3600)))
            try:
                self.request.do_handshake()
            except (ssl.SSLError, OSError) as e:
                append(self.server.state, "tls.log", "%d handshake failed: %s\n" % (time.time(), e))
                raise
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length) if length else b""
        mode = read_mode(state)
        kind = mode.get("mode", "ok")
        try:
            with open(self.server.token_file) as f:
                token = f.read().strip()
        except OSError:
            token = None
        auth = self.headers.get("Authorization")
        auth_ok = token is not None and auth == "Bearer " + token
        try:
            ids = [r["record_id"] for r in json.loads(body)["records"]]
        except (ValueError, KeyError, TypeError):
            ids = None

        def log(status):
            append(state, "requests.log", "%.3f %d %d %s %d\n" % (time.time(), status, len(ids or []),
                                                                  "auth" if auth else "noauth",
                                                                  self.client_address[1]))

        if kind == "hang":
            log(0)
            time.sleep(float(mode.get("seconds", 3600)))
            return
        if kind == "redirect":
            log(307)
            return self.reply(307, b"", {"Location": mode["location"]})
        if not auth_ok:
            log(401)
            return self.reply(401, b'{"error":"bad token"}')
        if kind == "status":
            status = int(mode.get("status", 500))
            log(status)
            headers = {"Retry-After": str(mode["retry_after"])} if "retry_after" in mode else {}
            return self.reply(status, b'{"error":"injected"}', headers)
        if ids is None:
            log(400)
            return self.reply(400, b'{"error":"body is not {\\"records\\":[...]}"}')
        if kind == "poison":
            bad = [i for i in ids if i in set(mode.get("ids", []))]
            if bad:
                status = int(mode.get("status", 422))
                log(status)
                return self.reply(status, json.dumps({"error": "record %s violates the schema" % bad[0]}).encode())
        fresh = []
        with LOCK:
            for i in ids:
                if i not in SEEN:
                    SEEN.add(i)
                    fresh.append(i)
        append(state, "accepted.log", "".join(i + "\n" for i in ids))
        append(state, "unique.log", "".join(i + "\n" for i in fresh))
        log(200)
        if "delay" in mode:  # committed, not yet acknowledged: the window a crash can hit
            time.sleep(float(mode["delay"]))
        out = json.dumps({"accepted": len(ids), "duplicates": len(ids) - len(fresh)}).encode()
        if kind == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.flush()
            for b in out:
                time.sleep(float(mode.get("interval", 1.0)))
                self.wfile.write(bytes([b]))
                self.wfile.flush()
            return
        self.reply(200, out)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        sock, addr = self.socket.accept()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            sock = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state", required=True, help="directory for mode.json and the logs")
    ap.add_argument("--cert", help="server certificate (PEM); without it: plain HTTP")
    ap.add_argument("--key", help="server key (PEM)")
    ap.add_argument("--token-file", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state, srv.token_file, srv.tls = a.state, a.token_file, bool(a.cert)
    if srv.tls:
        srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.ctx.load_cert_chain(a.cert, a.key)
    # Restarting on the same port (endpoint "comes back"): write the port only once bound.
    with open(os.path.join(a.state, "port.tmp"), "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(os.path.join(a.state, "port.tmp"), os.path.join(a.state, "port"))
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
