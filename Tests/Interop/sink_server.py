#!/usr/bin/env python3
"""Listens on ADDRESS PORT, accepts one connection, reads until the peer's FIN, then closes and
prints one JSON object: bytes received and their SHA-256. Part of TCPKit's interop tests."""
import hashlib, json, socket, sys, time

address, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
ls = socket.socket(family, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((address, port))
ls.listen(1)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(120)
h, n = hashlib.sha256(), 0
start = time.monotonic()
while True:
    chunk = c.recv(1 << 16)
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
seconds = time.monotonic() - start
c.close()
print(json.dumps({"received": n, "sha256": h.hexdigest(), "seconds": round(seconds, 3), "peer": peer[0]}), flush=True)
