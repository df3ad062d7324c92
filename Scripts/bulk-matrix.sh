#!/usr/bin/env bash
# The full bulk-transfer matrix of issue 4: 64 MiB in each direction at once between two engines
# over a 100 Mbit/s link (20 ms one way, 1000-packet drop-tail queue) with 1% duplication, 1%
# reordering and 1% corruption, under 0%, 1%, 5% and 20% random loss, for NewReno and CUBIC.
# Every run must be byte-exact (SHA-256 of what was sent equals that of what was read), end with
# both sides CLOSED and both stacks empty; the script exits 1 otherwise.
#
# It uses the release build of `tcpkit simulate` and prints the figures; `swift test` runs the
# same matrix in-process (SimulationTests.bulk64MiB, ~70 s of CPU for all eight in a debug build).
# Bound: each run is killed after ${TCPKIT_MATRIX_TIMEOUT:-300} s of wall-clock time and counts
# as failed.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product tcpkit >/dev/null
tool=.build/release/tcpkit
timeout_s=${TCPKIT_MATRIX_TIMEOUT:-300}
bytes=${TCPKIT_MATRIX_BYTES:-64MiB}
status=0
printf '%-8s %-5s %-6s %-8s %-14s %-10s %-12s %s\n' cc loss intact closed goodput/dir retx simulated wall
for cc in newreno cubic; do
  for loss in 0 1% 5% 20%; do
    start=$(date +%s.%N)
    if ! json=$(timeout "$timeout_s" "$tool" simulate --bytes "$bytes" --both --delay 20ms --bandwidth 100M --queue 1000 \
        --loss "$loss" --duplicate 1% --reorder 1% --corrupt 1% --cc "$cc" --seed 1 --liveness 100000 --format json); then
      echo "$cc loss $loss: FAILED or timed out (replay: $tool simulate --bytes $bytes --both --delay 20ms --bandwidth 100M --queue 1000 --loss $loss --duplicate 1% --reorder 1% --corrupt 1% --cc $cc --seed 1 --liveness 100000)"
      status=1
      continue
    fi
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    python3 - "$cc" "$loss" "$wall" <<PY || status=1
import json, sys
j = json.loads('''$json''')
cc, loss, wall = sys.argv[1], sys.argv[2], float(sys.argv[3])
closed = all(j['final'][h]['state'] == 'CLOSED' and j['final'][h]['connectionsLeft'] == 0 for h in ('client', 'server'))
per = [d['goodputBitsPerSecond'] / 1e6 for d in j['directions']]
print(f"{cc:8} {loss:5} {str(j['intact']):6} {str(closed):8} {'/'.join(f'{x:.2f}' for x in per):14} {j['retransmittedSegments']:<10} {j['simulatedSeconds']:<12.1f} {wall:.1f} s")
if not (j['passed'] and j['intact'] and closed):
    print('  FAILED:', j['failures'], '\n  replay:', j['replay'])
    sys.exit(1)
PY
  done
done
exit $status
