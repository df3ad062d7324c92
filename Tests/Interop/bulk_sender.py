#!/usr/bin/env python3
"""Sends zeros to HOST PORT for SECONDS seconds, then closes, and prints the bytes sent and the
rate as JSON. The stand-in for an iperf3 client against a plain sink. Part of TCPKit's interop tests."""
import json, socket, sys, time

host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
s.settimeout(30)
block = bytes(1 << 16)
sent = 0
start = time.monotonic()
while time.monotonic() - start < seconds:
    sent += s.send(block)
s.shutdown(socket.SHUT_WR)
s.recv(1)
elapsed = time.monotonic() - start
s.close()
print(json.dumps({"sent": sent, "seconds": round(elapsed, 3), "mbit_per_s": round(sent * 8 / elapsed / 1e6, 2)}))
