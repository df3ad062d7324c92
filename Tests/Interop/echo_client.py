#!/usr/bin/env python3
"""Sends BYTES pseudo-random bytes (from SEED) to an echo server, reads everything back while
sending, half-closes when done, and compares the SHA-256 of what it sent and what came back.
Prints one JSON object; exits 0 only when the echo is intact. Part of TCPKit's interop tests."""
import hashlib, json, random, socket, sys, threading, time

host, port, total, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 120.0
rng = random.Random(seed)
start = time.monotonic()
s = socket.create_connection((host, port), timeout=10)
s.settimeout(timeout)
sent_hash, recv_hash = hashlib.sha256(), hashlib.sha256()
received = 0
error = None

def reader():
    global received, error
    try:
        while True:
            chunk = s.recv(1 << 16)
            if not chunk:
                return
            recv_hash.update(chunk)
            received += len(chunk)
    except OSError as e:
        error = "recv: %r" % e

t = threading.Thread(target=reader)
t.start()
sent = 0
try:
    while sent < total:
        n = min(1 << 16, total - sent)
        block = rng.randbytes(n)
        sent_hash.update(block)
        s.sendall(block)
        sent += n
    s.shutdown(socket.SHUT_WR)
except OSError as e:
    error = "send: %r" % e
t.join(timeout)
s.close()
seconds = time.monotonic() - start
ok = error is None and received == total and sent_hash.hexdigest() == recv_hash.hexdigest()
print(json.dumps({"sent": sent, "received": received, "sha256_sent": sent_hash.hexdigest(),
                  "sha256_received": recv_hash.hexdigest(), "seconds": round(seconds, 3),
                  "mbit_per_s": round(total * 8 / seconds / 1e6, 2), "error": error, "intact": ok}))
sys.exit(0 if ok else 1)
