#!/usr/bin/env bash
# TCPKit against the Linux kernel's TCP and against lwIP, side by side, in one run (issue 15 §1).
#
#   sudo Benchmarks/compare-kernel.sh [--runs N] [--seconds S] [--quick] [--tcpkit PATH]
#                                     [--baseline PATH] [--engine PATH] [--out FILE] [--settle S]
#                                     [--only REGEX] [--keep]
#
# Measures, in network namespaces it creates and removes (names tkb<PID>-<n>, addresses from
# 198.18.0.0/15 only), with small C programs it compiles (Benchmarks/compare/*.c):
#   - bulk throughput, kernel sending: kernel -> kernel over a veth pair with offloads off and on,
#     kernel -> lwIP over TUN (lwIP's raw API, Debian's liblwip-dev), kernel -> TCPKit over TUN
#     (`tcpkit tun serve --mode discard`), with 1 and 4 parallel streams;
#   - bulk throughput, the user-space stack sending: kernel clients reading from lwIP's and
#     TCPKit's source servers (`tcpkit tun serve --mode source`) over TUN, with 1 and 4 streams;
#     and TCPKit as the client: `tcpkit tun connect` fed from a pipe, to a kernel sink;
#   - 1-byte ping-pong (TCP_NODELAY) and connect + 1-byte request/response + close rates:
#     kernel <-> kernel over veth, kernel <-> lwIP and kernel <-> TCPKit (`--mode echo`) over TUN;
#   - the kernel over lo (MTU 1500, offloads off) with iperf3, beside TCPKit's two engines alone
#     in one thread (`engine-throughput`, Benchmarks package): Gbit/s per CPU second, both ends'
#     CPU (row per_cpu);
#   - CPU per GB (or per round trip, per connection) of the user-space stack's process
#     (/proc/PID/stat utime + stime) and of the kernel (the kernel-mode time of the kernel-side
#     tools plus the kernel's softirq threads), and the other processes' load while measuring.
# Every figure is the median of N runs (each run measures every cell once, interleaved). Prints one
# markdown table with the command line at its top; --out FILE also writes it to FILE and every
# run's raw figures to FILE.runs.tsv. docs/measurements.md ("Against the kernel and lwIP") says
# what each row measures.
#
# --quick: 1 run of 2 s per cell, no settling (to check the script). --settle S (default 20):
# before each run, wait up to S seconds for the machine to be quiet (under half a core busy).
# --only REGEX: measure only the cells whose "row|side" matches (rows: bulk_in_1_off, bulk_in_4_on,
# bulk_out_4_off, client_1_off, pingpong, crr, lo, ...; sides: kernel, lwip, tcpkit, baseline). --keep: keep
# the temporary directory (compiled programs, logs).
# --tcpkit PATH: the tcpkit binary (default: `swift build -c release --product tcpkit` in this
# repository, then .build/release/tcpkit). --baseline PATH: a second tcpkit binary measured in the
# same run as an extra column. --engine PATH: the engine-throughput binary (default: `swift build
# -c release --product engine-throughput` in Benchmarks/, when the per_cpu row is measured). If the binary's `tun serve --help` offers --no-offload, the
# "no offloads" rows run it with --no-offload and the "offloads on" rows without; otherwise it has
# no TUN offloads and appears in the "no offloads" rows only.
# Needs root. Installs what it lacks (gcc, ethtool, iperf3, liblwip-dev, iputils-ping) with apt-get.
# Every process is bounded with timeout(1); the namespaces go away on exit, whatever the exit.
set -uo pipefail

cmdline="$(printf '%q ' "$0" "$@")"
cmdline="${cmdline% }"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

runs=3
seconds=6
tcpkit=""
baseline=""
engine=""
out=""
only=""
keep=0
settle=20
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:?--runs N}"; shift 2 ;;
    --seconds) seconds="${2:?--seconds S}"; shift 2 ;;
    --quick) runs=1; seconds=2; settle=0; shift ;;
    --settle) settle="${2:?--settle S}"; shift 2 ;;
    --tcpkit) tcpkit="${2:?--tcpkit PATH}"; shift 2 ;;
    --baseline) baseline="${2:?--baseline PATH}"; shift 2 ;;
    --engine) engine="${2:?--engine PATH}"; shift 2 ;;
    --out) out="${2:?--out FILE}"; shift 2 ;;
    --only) only="${2:?--only REGEX}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare-kernel.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "compare-kernel.sh: --runs wants a positive integer" >&2; exit 2 ;; esac
case "$seconds" in ''|*[!0-9]*|0) echo "compare-kernel.sh: --seconds wants a positive whole number" >&2; exit 2 ;; esac

if [ "$(id -u)" != 0 ]; then
  echo "compare-kernel.sh: needs root (network namespaces, TUN devices, ethtool); run it with sudo" >&2
  exit 2
fi
[ -c /dev/net/tun ] || { echo "compare-kernel.sh: /dev/net/tun is missing" >&2; exit 2; }

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- what it needs ---------------------------------------------------------------------------
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v ethtool >/dev/null || need+=(ethtool)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ping >/dev/null || need+=(iputils-ping)
command -v ip >/dev/null || need+=(iproute2)
command -v python3 >/dev/null || need+=(python3)
[ -f /usr/include/lwip/lwip/tcp.h ] || need+=(liblwip-dev)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } >&2; then
    echo "compare-kernel.sh: could not install ${need[*]}" >&2
    exit 2
  fi
fi

if [ -z "$tcpkit" ]; then
  log "building tcpkit (release) in $repo"
  (cd "$repo" && timeout 3600 swift build -c release --product tcpkit >&2) || { echo "compare-kernel.sh: swift build failed" >&2; exit 2; }
  tcpkit="$repo/.build/release/tcpkit"
fi
if [ -z "$engine" ] && { [ -z "$only" ] || [[ "per_cpu|tcpkit" =~ $only ]]; }; then
  log "building engine-throughput (release) in $repo/Benchmarks"
  build_engine() { (cd "$repo/Benchmarks" && timeout 3600 swift build -c release --product engine-throughput >&2); }
  # SwiftPM keeps the Benchmarks package's build plan (.build/release.yaml, release/description.json)
  # between builds; after new source files appear in TCPKit (its path dependency) that plan can still
  # list the old files, and the build fails with "cannot find ... in scope". A fresh plan fixes it.
  build_engine || { log "building again with a fresh build plan"
                    rm -f "$repo/Benchmarks/.build/release.yaml" "$repo/Benchmarks/.build/release/description.json"
                    build_engine; } || { echo "compare-kernel.sh: swift build of engine-throughput failed" >&2; exit 2; }
  engine="$repo/Benchmarks/.build/release/engine-throughput"
fi
for b in "$tcpkit" ${baseline:+"$baseline"} ${engine:+"$engine"}; do
  [ -x "$b" ] || { echo "compare-kernel.sh: $b is not an executable" >&2; exit 2; }
done
tcpkit="$(readlink -f "$tcpkit")"
[ -n "$baseline" ] && baseline="$(readlink -f "$baseline")"

# ---- temp dir, C programs, cleanup -----------------------------------------------------------
tmp="$(mktemp -d /tmp/compare-kernel.XXXXXX)"
prefix="tkb$$"
nscount=0
bgpids=()
cleanup() {
  local p n
  for p in "${bgpids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.2
  for p in "${bgpids[@]}"; do kill -9 "$p" 2>/dev/null; done
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$prefix-"); do
    # processes still inside (none normally): kill them by their namespace, then the namespace
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
  if [ "$keep" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
# namespaces left by an earlier run that was killed outright (its PID gone)
for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^tkb[0-9]+-[0-9]+$'); do
  p="${n#tkb}"; p="${p%%-*}"
  [ -d "/proc/$p" ] || { log "removing stale namespace $n"; ip netns del "$n" 2>/dev/null; }
done
trap 'log "interrupted"; exit 130' INT TERM

log "compiling the C programs into $tmp"
for p in send recv sink echo pingpong crr; do
  gcc -O2 -Wall -pthread -o "$tmp/$p" "$here/compare/$p.c" || { echo "compare-kernel.sh: gcc failed on $p.c" >&2; exit 2; }
done
# shellcheck disable=SC2046
gcc -O2 -Wall -pthread $(pkg-config --cflags lwip 2>/dev/null || echo -I/usr/include/lwip) -o "$tmp/lwip_server" \
  "$here/compare/lwip_server.c" $(pkg-config --libs lwip 2>/dev/null || echo -llwip) \
  || { echo "compare-kernel.sh: gcc failed on lwip_server.c" >&2; exit 2; }

offload_flag() {  # the binary's "no offloads" flag, if it has TUN offloads at all
  if timeout 10 "$1" tun serve --help 2>/dev/null | grep -q -- '--no-offload'; then echo "--no-offload"; fi
}
tk_off="$(offload_flag "$tcpkit")"
bl_off=""; [ -n "$baseline" ] && bl_off="$(offload_flag "$baseline")"
# A baseline older than `tun serve --mode source` sits out the rows of the stack sending.
bl_source=""
[ -n "$baseline" ] && timeout 10 "$baseline" tun serve --help 2>/dev/null | grep -q 'source' && bl_source=1

# ---- namespaces ------------------------------------------------------------------------------
new_ns() {  # creates a namespace; its name in $NS
  nscount=$((nscount + 1))
  local n="$prefix-$nscount"
  NS="$n"
  ip netns add "$n" || return 1
  ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv4.tcp_tw_reuse=1 "net.ipv4.ip_local_port_range=1024 65535" \
    net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
}
del_ns() {
  local p
  for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  ip netns del "$1" 2>/dev/null
}

# The kernel's softirq threads: their time is the kernel's, whoever's packets they carry.
kthreads_file() {
  pgrep -x 'ksoftirqd/[0-9]+' > "$1" 2>/dev/null
  pgrep '^napi/' >> "$1" 2>/dev/null
  return 0
}

# Start a background process in a namespace, bounded by timeout, its PID (after exec) in $pidfile.
#   bg_start NS PIDFILE LOGFILE BOUND CMD...
bg_start() {
  local ns="$1" pidfile="$2" logf="$3" bound="$4"; shift 4
  rm -f "$pidfile"
  ip netns exec "$ns" timeout -k 3 "$bound" bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" >"$logf" 2>&1 &
  bgpids+=($!)
  BG=$!
}
bg_stop() {  # SIGTERM (timeout passes it on), then wait; SIGKILL after 12 s
  local pid="$1" i
  kill "$pid" 2>/dev/null
  for i in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
wait_for() {  # wait_for SECONDS CMD...: true once CMD succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.05
  done
}
# crr rotates over 64 local addresses (see crr.c: one address's ports fill with TIME-WAIT)
add_sources() {  # add_sources NS DEV PREFIX (e.g. 198.18.0.): PREFIX100 .. PREFIX163 /24
  local i
  for i in $(seq 100 163); do echo "addr add $3$i/24 dev $2"; done | ip -n "$1" -batch - >/dev/null
}
has_addr() { ip -n "$1" -4 addr show dev "$2" 2>/dev/null | grep -q "inet $3/" && ip -n "$1" link show dev "$2" 2>/dev/null | grep -q 'state \(UP\|UNKNOWN\)'; }

features_line() {  # the offload states of a device, one line
  ethtool -k "$1" 2>/dev/null | awk -F': ' '
    /^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-checksumming|rx-checksumming|scatter-gather|large-receive-offload):/ {
      printf "%s%s %s", sep, $1, $2; sep=", " }'
}
# set_offloads NS DEV on|off: set and verify; false (with the states) when any stayed otherwise.
set_offloads() {
  local ns="$1" dev="$2" want="$3" f bad=""
  ip netns exec "$ns" ethtool -K "$dev" tso "$want" gso "$want" gro "$want" tx "$want" rx "$want" sg "$want" >/dev/null 2>&1
  if [ "$want" = off ]; then
    ip netns exec "$ns" ethtool -K "$dev" lro off >/dev/null 2>&1
    for f in tcp-segmentation-offload generic-segmentation-offload generic-receive-offload tx-checksumming rx-checksumming scatter-gather large-receive-offload; do
      ip netns exec "$ns" ethtool -k "$dev" | grep -q "^$f: off" || bad="$bad $f"
    done
  else
    for f in tcp-segmentation-offload generic-segmentation-offload generic-receive-offload tx-checksumming rx-checksumming scatter-gather; do
      ip netns exec "$ns" ethtool -k "$dev" | grep -q "^$f: on" || bad="$bad $f"
    done
  fi
  if [ -n "$bad" ]; then
    log "offloads on $dev not all $want:$bad ($(ip netns exec "$ns" bash -c "$(declare -f features_line); features_line $dev"))"
    return 1
  fi
  return 0
}

# ---- results ---------------------------------------------------------------------------------
# Every measurement appends one line to $tmp/runs.tsv:
#   row side run value cpu_stack cpu_stack_user cpu_kernel others_cores note
# value: Gbit/s or operations/s; cpu_*: seconds per GB (bulk) or µs per operation (cpu_stack:
# utime + stime of the stack's process, cpu_stack_user: its utime alone); others: the other
# processes' CPU while measuring, in cores.
echo -e "row\tside\trun\tvalue\tcpu_stack\tcpu_stack_user\tcpu_kernel\tothers_cores\tnote" > "$tmp/runs.tsv"
run=0
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$run" "$3" "$4" "$5" "$6" "$7" "$(printf '%s' "${8:-}" | tr '\n\t' '  ')" >> "$tmp/runs.tsv"; }
fail() { log "FAILED: $1 $2: $3"; record "$1" "$2" NA NA NA NA NA "failed: $3"; }

# Turns a result line of the C programs into "value cpu_stack cpu_stack_user cpu_kernel others".
#   derive bulk|ops RESULTLINE
derive() {
  python3 - "$@" <<'PY'
import sys
kind, line = sys.argv[1], sys.argv[2]
r = {k: float(v) for k, v in (f.split("=") for f in line.split())}
hz, secs = r["hz"], r["secs"]
stack = (r["stack_user"] + r["stack_sys"]) / hz
stack_user = r["stack_user"] / hz
kernel = (r["self_sys"] + r["peer_sys"]) / hz
ours = (r["self_user"] + r["self_sys"] + r["stack_user"] + r["stack_sys"] + r["peer_user"] + r["peer_sys"]) / hz
others = max(0.0, r["busy"] / hz - ours) / secs
if kind == "bulk":
    gb = r["bytes"] / 1e9
    print(f'{r["bytes"] * 8 / secs / 1e9:.4f} {stack / gb:.4f} {stack_user / gb:.4f} {kernel / gb:.4f} {others:.3f}')
else:
    ops = r["ops"]
    print(f'{ops / secs:.1f} {stack / ops * 1e6:.3f} {stack_user / ops * 1e6:.3f} {kernel / ops * 1e6:.3f} {others:.3f}')
PY
}
want() { [ -z "$only" ] || [[ "$1|$2" =~ $only ]]; }
# The per-stream bytes and Jain's index that send.c and recv.c print on standard error (streams.h).
shares() { grep -o 'streams=[0-9]* bytes=[0-9,]* jain=[0-9.]*' "$1" 2>/dev/null | tail -1; }

# ---- measurements ----------------------------------------------------------------------------
S="$seconds"
CB=$((S + 30))   # bound of a client
SB=$((S + 45))   # bound of a server

# kernel <-> kernel over veth. veth_measure ROW on|off CLIENT...  (CLIENT: send N | pingpong | crr)
veth_measure() {
  local row="$1" offl="$2" client="$3" streams="${4:-1}"
  want "$row" kernel || return 0
  local a b line res server
  new_ns && a="$NS" && new_ns && b="$NS" || { fail "$row" kernel "netns"; return; }
  ip link add va netns "$a" type veth peer name vb netns "$b" || { fail "$row" kernel "veth"; del_ns "$a"; del_ns "$b"; return; }
  local da=va db=vb
  ip -n "$a" addr add 198.18.1.1/24 dev "$da"; ip -n "$b" addr add 198.18.1.2/24 dev "$db"
  ip -n "$a" link set "$da" up; ip -n "$b" link set "$db" up
  if ! set_offloads "$a" "$da" "$offl" || ! set_offloads "$b" "$db" "$offl"; then
    fail "$row" kernel "offloads could not all be turned $offl"; del_ns "$a"; del_ns "$b"; return
  fi
  [ "$row" = bulk_in_1_off ] && [ $run = 1 ] && veth_off_features="$(ip netns exec "$a" bash -c "$(declare -f features_line); features_line $da")"
  [ "$row" = bulk_in_1_on ] && [ $run = 1 ] && veth_on_features="$(ip netns exec "$a" bash -c "$(declare -f features_line); features_line $da")"
  case "$client" in
    send) bg_start "$b" "$tmp/server.pid" "$tmp/server.log" "$SB" "$tmp/sink" 5001 "$streams" ;;
    *) bg_start "$b" "$tmp/server.pid" "$tmp/server.log" "$SB" "$tmp/echo" 5001 ;;
  esac
  server=$BG
  wait_for 5 test -s "$tmp/server.pid"
  kthreads_file "$tmp/peers"; cat "$tmp/server.pid" >> "$tmp/peers"
  case "$client" in
    send) line="$(ip netns exec "$a" timeout -k 3 "$CB" "$tmp/send" 198.18.1.2 5001 "$S" "$streams" - "$tmp/peers" 2>"$tmp/client.log")" ;;
    crr) add_sources "$a" "$da" 198.18.1.
         line="$(ip netns exec "$a" timeout -k 3 "$CB" "$tmp/crr" 198.18.1.2 5001 "$S" - "$tmp/peers" 198.18.1.100 64 2>"$tmp/client.log")" ;;
    *) line="$(ip netns exec "$a" timeout -k 3 "$CB" "$tmp/$client" 198.18.1.2 5001 "$S" - "$tmp/peers" 2>"$tmp/client.log")" ;;
  esac
  bg_stop "$server"
  if [[ "$line" == bytes=* ]] && [[ "$line" == *" errors=0 "* ]] && res="$(derive "$([ "$client" = send ] && echo bulk || echo ops)" "$line")"; then
    # shellcheck disable=SC2086
    set -- $res; record "$row" kernel "$1" NA NA "$4" "$5" "$(shares "$tmp/client.log")"
  else
    fail "$row" kernel "$(head -c 200 "$tmp/client.log")"
  fi
  del_ns "$a"; del_ns "$b"
}

# kernel client -> user-space stack on a TUN device in the same namespace.
#   tun_measure ROW SIDE SERVERKIND(lwip|PATH-to-tcpkit) MODE(discard|echo) CLIENT [STREAMS] [FLAG]
tun_measure() {
  local row="$1" side="$2" kind="$3" mode="$4" client="$5" streams="${6:-1}" flag="${7:-}"
  want "$row" "$side" || return 0
  local n line res server dev
  new_ns && n="$NS" || { fail "$row" "$side" "netns"; return; }
  if [ "$kind" = lwip ]; then
    dev=lwip0
    bg_start "$n" "$tmp/stack.pid" "$tmp/server.log" "$SB" "$tmp/lwip_server" "$dev" 198.18.0.2 5001 "$mode"
    server=$BG
    if wait_for 10 ip -n "$n" link show dev "$dev"; then
      ip -n "$n" addr add 198.18.0.1/24 dev "$dev"; ip -n "$n" link set "$dev" up
    fi
  else
    dev=tcpkit0
    # shellcheck disable=SC2086
    bg_start "$n" "$tmp/stack.pid" "$tmp/server.log" "$SB" "$kind" tun serve --mode "$mode" --port 5001 \
      --device "$dev" --kernel-address 198.18.0.1/24 --address 198.18.0.2 --kernel-address6 none --address6 none \
      --duration "$((SB - 5))s" $flag
    server=$BG
  fi
  if ! wait_for 15 has_addr "$n" "$dev" 198.18.0.1 || ! wait_for 10 ip netns exec "$n" ping -c 1 -W 1 198.18.0.2; then
    bg_stop "$server"; fail "$row" "$side" "server not up: $(head -c 300 "$tmp/server.log")"; del_ns "$n"; return
  fi
  kthreads_file "$tmp/peers"
  case "$client" in
    send|recv) line="$(ip netns exec "$n" timeout -k 3 "$CB" "$tmp/$client" 198.18.0.2 5001 "$S" "$streams" "$tmp/stack.pid" "$tmp/peers" 2>"$tmp/client.log")" ;;
    crr) add_sources "$n" "$dev" 198.18.0.
         line="$(ip netns exec "$n" timeout -k 3 "$CB" "$tmp/crr" 198.18.0.2 5001 "$S" "$tmp/stack.pid" "$tmp/peers" 198.18.0.100 64 2>"$tmp/client.log")" ;;
    *) line="$(ip netns exec "$n" timeout -k 3 "$CB" "$tmp/$client" 198.18.0.2 5001 "$S" "$tmp/stack.pid" "$tmp/peers" 2>"$tmp/client.log")" ;;
  esac
  bg_stop "$server"
  if [[ "$line" == bytes=* ]] && [[ "$line" == *" errors=0 "* ]] && res="$(derive "$([ "$client" = send ] || [ "$client" = recv ] && echo bulk || echo ops)" "$line")"; then
    # shellcheck disable=SC2086
    set -- $res; record "$row" "$side" "$1" "$2" "$3" "$4" "$5" "$(shares "$tmp/client.log")"
  else
    fail "$row" "$side" "$(head -c 300 "$tmp/client.log") $(tail -c 300 "$tmp/server.log")"
  fi
  del_ns "$n"
}

# TCPKit sending: `tcpkit tun connect` fed from a pipe (cat /dev/zero for S seconds) to the
# kernel sink, which measures from its accept to the end of the stream.
#   connect_measure ROW SIDE PATH [FLAG]
connect_measure() {
  local row="$1" side="$2" bin="$3" flag="${4:-}"
  want "$row" "$side" || return 0
  local n line res sink client
  new_ns && n="$NS" || { fail "$row" "$side" "netns"; return; }
  rm -f "$tmp/stack.pid"
  kthreads_file "$tmp/peers"
  ip netns exec "$n" timeout -k 3 "$SB" "$tmp/sink" 5001 1 "$tmp/stack.pid" "$tmp/peers" >"$tmp/sink.out" 2>"$tmp/sink.log" &
  sink=$!; bgpids+=("$sink")
  # shellcheck disable=SC2016,SC2086
  ip netns exec "$n" timeout -k 3 "$CB" bash -c 'echo $$ > "$0"; s="$1"; shift; exec "$@" < <(exec timeout "$s" cat /dev/zero) > /dev/null' \
    "$tmp/stack.pid" "$S" "$bin" tun connect 198.18.0.1 5001 --device tcpkit0 --kernel-address 198.18.0.1/24 \
    --address 198.18.0.2 --kernel-address6 none --address6 none --duration "$((CB - 5))s" $flag 2>"$tmp/client.log" &
  client=$!; bgpids+=("$client")
  local i
  for i in $(seq 1 $((SB * 10))); do kill -0 "$sink" 2>/dev/null || break; sleep 0.1; done
  wait "$sink" 2>/dev/null
  bg_stop "$client"
  line="$(cat "$tmp/sink.out")"
  if [[ "$line" == bytes=* ]] && res="$(derive bulk "$line")"; then
    # shellcheck disable=SC2086
    set -- $res; record "$row" "$side" "$1" "$2" "$3" "$4" "$5"
  else
    fail "$row" "$side" "$(head -c 300 "$tmp/client.log") $(head -c 200 "$tmp/sink.log")"
  fi
  del_ns "$n"
}

# The kernel over lo with MTU 1500 and offloads off, iperf3 (its own CPU figures: getrusage of
# client and server; the kernel's CPU is their system time plus the softirq threads).
lo_measure() {
  local row=lo
  want "$row" kernel || return 0
  local n server json res
  new_ns && n="$NS" || { fail "$row" kernel "netns"; return; }
  ip -n "$n" link set lo mtu 1500
  set_offloads "$n" lo off 2>/dev/null || true   # lo's checksum and scatter-gather are fixed on; the table says so
  lo_features="$(ip netns exec "$n" bash -c "$(declare -f features_line); features_line lo")"
  bg_start "$n" "$tmp/server.pid" "$tmp/server.log" "$SB" iperf3 -s -1 -B 127.0.0.1 -p 5201
  server=$BG
  wait_for 5 ip netns exec "$n" bash -c 'ss -ltn | grep -q 127.0.0.1:5201'
  kthreads_file "$tmp/peers"
  local k0 k1 b0 b1
  k0=$(ticks_of "$tmp/peers")
  b0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  json="$(ip netns exec "$n" timeout -k 3 "$CB" iperf3 -c 127.0.0.1 -p 5201 -t "$S" -J 2>"$tmp/client.log")"
  b1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  k1=$(ticks_of "$tmp/peers")
  bg_stop "$server"
  if res="$(python3 -c '
import json, sys
j = json.loads(sys.argv[1]); e = j["end"]; c = e["cpu_utilization_percent"]
secs = e["sum_received"]["seconds"]; gb = e["sum_received"]["bytes"] / 1e9
hz = 100.0
kernel = (c["host_system"] + c["remote_system"]) / 100 * secs + (int(sys.argv[2]) - int(sys.argv[3])) / hz
ours = (c["host_total"] + c["remote_total"]) / 100 * secs + (int(sys.argv[2]) - int(sys.argv[3])) / hz
others = max(0.0, (int(sys.argv[4]) - int(sys.argv[5])) / hz - ours) / secs
bps = e["sum_received"]["bits_per_second"]
print(f"{bps / 1e9:.4f} NA NA {kernel / gb:.4f} {others:.3f} {8 / (ours / gb):.4f} {ours / gb:.4f}")
' "$json" "$k1" "$k0" "$b1" "$b0" 2>"$tmp/py.log")"; then
    # shellcheck disable=SC2086
    set -- $res; record "$row" kernel "$1" NA NA "$4" "$5"
    record per_cpu kernel "$6" NA NA "$7" "$5"
  else
    fail "$row" kernel "$(head -c 300 "$tmp/client.log") $(head -c 300 "$tmp/py.log")"
  fi
  del_ns "$n"
}

# TCPKit's two engines alone in one thread, no driver (engine-throughput): payload Gbit per CPU
# second of the thread (user + system), set beside the kernel's over lo (both ends' CPU).
engine_measure() {
  want per_cpu tcpkit || return 0
  local line b0 b1 secs
  b0=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat); secs=$SECONDS
  line="$(timeout -k 3 "$CB" "$engine" --mib 512 2>"$tmp/engine.log")"
  b1=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  local res
  if [[ "$line" == bytes=* ]] && res="$(python3 -c '
import sys
r = {k: float(v) for k, v in (f.split("=") for f in sys.argv[1].split())}
gb = r["bytes"] / 1e9
others = max(0.0, (float(sys.argv[2]) / 100 - r["cpu_seconds"]) / max(r["wall_seconds"], 1e-3))
rate, cpu, user = r["gbit_per_cpu_second"], r["cpu_seconds"] / gb, r["user_seconds"] / gb
print(f"{rate:.4f} {cpu:.4f} {user:.4f} {others:.3f}")
' "$line" "$((b1 - b0))" 2>"$tmp/py.log")"; then
    # shellcheck disable=SC2086
    set -- $res; record per_cpu tcpkit "$1" "$2" "$3" NA "$4"
  else
    fail per_cpu tcpkit "$(head -c 300 "$tmp/engine.log") $(head -c 300 "$tmp/py.log")"
  fi
}

ticks_of() {  # utime + stime of the PIDs listed in a file, in clock ticks
  local p t=0 rest
  while read -r p; do
    [ -r "/proc/$p/stat" ] || continue
    rest="$(cat "/proc/$p/stat" 2>/dev/null)"; rest="${rest##*) }"
    # shellcheck disable=SC2086
    set -- $rest
    t=$((t + ${12} + ${13}))
  done < "$1"
  echo "$t"
}
busy_cores() {  # the machine's busy cores over one second
  local a b
  a=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat); sleep 1; b=$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)
  echo "scale=2; ($b - $a) / 100" | bc 2>/dev/null || echo "?"
}

# ---- the runs --------------------------------------------------------------------------------
veth_off_features=""; veth_on_features=""; lo_features=""
started=$(date +%s)
for run in $(seq 1 "$runs"); do
  b="$(busy_cores)"; waited=0
  while [ "$waited" -lt "$settle" ] && [ "$(echo "$b >= 0.5" | bc)" = 1 ]; do b="$(busy_cores)"; waited=$((waited + 1)); done
  log "run $run of $runs (machine busy before it: $b cores, after waiting ${waited} s)"
  echo "$b" >> "$tmp/busy_before"
  for streams in 1 4; do
    veth_measure "bulk_in_${streams}_off" off send "$streams"
    tun_measure "bulk_in_${streams}_off" lwip lwip discard send "$streams"
    tun_measure "bulk_in_${streams}_off" tcpkit "$tcpkit" discard send "$streams" "$tk_off"
    [ -n "$baseline" ] && tun_measure "bulk_in_${streams}_off" baseline "$baseline" discard send "$streams" "$bl_off"
    veth_measure "bulk_in_${streams}_on" on send "$streams"
    [ -n "$tk_off" ] && tun_measure "bulk_in_${streams}_on" tcpkit "$tcpkit" discard send "$streams"
    [ -n "$baseline" ] && [ -n "$bl_off" ] && tun_measure "bulk_in_${streams}_on" baseline "$baseline" discard send "$streams"
  done
  for streams in 1 4; do
    tun_measure "bulk_out_${streams}_off" lwip lwip source recv "$streams"
    tun_measure "bulk_out_${streams}_off" tcpkit "$tcpkit" source recv "$streams" "$tk_off"
    [ -n "$bl_source" ] && tun_measure "bulk_out_${streams}_off" baseline "$baseline" source recv "$streams" "$bl_off"
    [ -n "$tk_off" ] && tun_measure "bulk_out_${streams}_on" tcpkit "$tcpkit" source recv "$streams"
    [ -n "$bl_source" ] && [ -n "$bl_off" ] && tun_measure "bulk_out_${streams}_on" baseline "$baseline" source recv "$streams"
  done
  connect_measure client_1_off tcpkit "$tcpkit" "$tk_off"
  [ -n "$baseline" ] && connect_measure client_1_off baseline "$baseline" "$bl_off"
  [ -n "$tk_off" ] && connect_measure client_1_on tcpkit "$tcpkit"
  [ -n "$baseline" ] && [ -n "$bl_off" ] && connect_measure client_1_on baseline "$baseline"
  for w in pingpong crr; do
    veth_measure "$w" on "$w"
    tun_measure "$w" lwip lwip echo "$w"
    tun_measure "$w" tcpkit "$tcpkit" echo "$w"
    [ -n "$baseline" ] && tun_measure "$w" baseline "$baseline" echo "$w"
  done
  lo_measure
  engine_measure
done
elapsed=$(( $(date +%s) - started ))

# ---- the table -------------------------------------------------------------------------------
sha() { sha256sum "$1" | cut -c1-12; }
python3 - "$tmp/runs.tsv" "$cmdline" "$runs" "$seconds" "$tcpkit" "$(sha "$tcpkit")" "$tk_off" \
  "$baseline" "$([ -n "$baseline" ] && sha "$baseline")" "$bl_off" "$veth_off_features" "$veth_on_features" \
  "$lo_features" "$elapsed" "$(uname -r)" "$(nproc)" > "$tmp/table.md" <<'PY'
import sys, statistics, datetime
(tsv, cmdline, runs, seconds, tk, tksha, tkoff, bl, blsha, bloff, vethoff, vethon, lofeat, elapsed,
 kernel, ncpu) = sys.argv[1:17]
rows = {}
failures = []
for line in open(tsv).read().splitlines()[1:]:
    row, side, run, value, cs, cu, ck, others, note = (line.split("\t") + [""] * 9)[:9]
    if value == "NA":
        failures.append(f"{row} / {side} (run {run}): {note.strip()[:160]}")
        continue
    f = lambda x: None if x == "NA" else float(x)
    rows.setdefault(row, {}).setdefault(side, []).append((float(value), f(cs), f(ck), float(others), f(cu)))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

bulk = lambda r: r.startswith("bulk") or r.startswith("client") or r in ("lo", "per_cpu")
def fmt_value(r, v):
    if v is None: return "–"
    return f"{v:.2f}" if bulk(r) else (f"{v/1000:.2f}k" if v >= 1000 else f"{v:.0f}")
def fmt_cpu(r, x):
    if x is None: return None
    return f"{x:.2f}" if bulk(r) else f"{x:.0f}"

def cell(r, side):
    xs = rows.get(r, {}).get(side)
    if not xs: return "–", None
    vals = [x[0] for x in xs]
    m = med(vals)
    s = fmt_value(r, m)
    if len(vals) > 1:
        s += f" ({fmt_value(r, min(vals))}–{fmt_value(r, max(vals))})"
    cs, ck = fmt_cpu(r, med([x[1] for x in xs])), fmt_cpu(r, med([x[2] for x in xs]))
    cu = fmt_cpu(r, med([x[4] for x in xs]))
    unit = "s/GB" if bulk(r) else "µs"
    if cs is not None and ck is not None: s += f"<br>CPU {cs} (user {cu}) + {ck} {unit}"
    elif ck is not None: s += f"<br>CPU {ck} {unit}"
    return s, m

def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b not in (None, 0) else "–"

labels = [
    ("bulk_in_1_off", "bulk, kernel sending, 1 stream, no offloads (Gbit/s)", None),
    ("bulk_in_4_off", "bulk, kernel sending, 4 streams, no offloads (Gbit/s)", None),
    ("bulk_in_1_on", "bulk, kernel sending, 1 stream, offloads on (Gbit/s)", None),
    ("bulk_in_4_on", "bulk, kernel sending, 4 streams, offloads on (Gbit/s)", None),
    ("bulk_out_1_off", "bulk, the user-space stack sending (`--mode source`), 1 stream, no offloads (Gbit/s)", "bulk_in_1_off"),
    ("bulk_out_4_off", "bulk, the user-space stack sending (`--mode source`), 4 streams, no offloads (Gbit/s)", "bulk_in_4_off"),
    ("bulk_out_1_on", "bulk, the user-space stack sending (`--mode source`), 1 stream, offloads on (Gbit/s)", "bulk_in_1_on"),
    ("bulk_out_4_on", "bulk, the user-space stack sending (`--mode source`), 4 streams, offloads on (Gbit/s)", "bulk_in_4_on"),
    ("client_1_off", "bulk, TCPKit sending as the client (`tun connect` from a pipe), 1 stream, no offloads (Gbit/s)", "bulk_in_1_off"),
    ("client_1_on", "bulk, TCPKit sending as the client (`tun connect` from a pipe), 1 stream, offloads on (Gbit/s)", "bulk_in_1_on"),
    ("pingpong", "1-byte ping-pong, TCP_NODELAY (round trips/s)", None),
    ("crr", "connect + 1-byte request/response + close, one at a time (connections/s)", None),
    ("lo", "kernel ↔ kernel over lo, MTU 1500, offloads off, iperf3 (Gbit/s)", None),
    ("per_cpu", "one connection's payload per CPU second, no offloads: kernel over lo (iperf3; both ends and softirq) vs TCPKit's two engines alone in one thread (`engine-throughput`) (Gbit per CPU-s)", None),
]
has_bl = bool(bl)
head = ["workload", "kernel ↔ kernel (veth)", "kernel ↔ lwIP (TUN)", "kernel ↔ TCPKit (TUN)"]
if has_bl: head.append("kernel ↔ baseline (TUN)")
head += ["TCPKit ÷ kernel", "TCPKit ÷ lwIP"]
if has_bl: head += ["baseline ÷ kernel", "baseline ÷ lwIP", "TCPKit ÷ baseline"]
head.append("others' load (cores)")
out = []
p = out.append
now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
p(f"Command: `{cmdline}`  ")
p(f"{now}, Linux {kernel}, {ncpu} CPUs; {runs} run(s) of {seconds} s per cell, {elapsed} s in all.  ")
p(f"TCPKit: `{tk}` (sha256 {tksha}; {'TUN offloads, run with ' + tkoff + ' in the no-offload rows' if tkoff else 'no TUN offloads'})  ")
if has_bl:
    p(f"baseline: `{bl}` (sha256 {blsha}; {'TUN offloads, run with ' + bloff + ' in the no-offload rows' if bloff else 'no TUN offloads'})  ")
p("Each cell: median (min–max) of the runs; CPU: the user-space stack's process + the kernel's, "
  "per GB moved (bulk) or per round trip / connection in µs (kernel ↔ kernel: both ends' kernel). "
  "Ratios: medians of the figures. Others' load: the busiest run's CPU used by processes not in "
  "the measurement (other users), in cores.")
p("")
p("| " + " | ".join(head) + " |")
p("|" + "---|" * len(head))
for r, label, kernel_from in labels:
    if r not in rows and (kernel_from is None or "kernel" not in rows.get(kernel_from, {})):
        continue
    kr = kernel_from or r
    kcell, k = cell(kr, "kernel")
    if kernel_from and k is not None: kcell += "<br>(the kernel-sending figure: kernel ↔ kernel is the same both ways)"
    lcell, l = cell(r, "lwip")
    tcell, t = cell(r, "tcpkit")
    line = [label, kcell, lcell, tcell]
    if has_bl:
        bcell, b = cell(r, "baseline")
        line.append(bcell)
    line += [ratio(t, k), ratio(t, l)]
    if has_bl: line += [ratio(b, k), ratio(b, l), ratio(t, b)]
    others = [x[3] for side in rows.get(r, {}).values() for x in side]
    line.append(f"{max(others):.2f}" if others else "–")
    p("| " + " | ".join(line) + " |")
fair = {}
for line in open(tsv).read().splitlines()[1:]:
    row, side, run, value, cs, cu, ck, others, note = (line.split("\t") + [""] * 9)[:9]
    if value != "NA" and "jain=" in note and not note.startswith("streams=1 "):
        fair.setdefault((row, side), []).append(note.strip())
if fair:
    p("")
    p("Fairness of the parallel streams (Jain's index (Σx)²/(n·Σx²) of the bytes per stream, 1 = equal; "
      "median of the runs, with that run's bytes per stream in MB):")
    for (row, side), notes in sorted(fair.items()):
        runs_ = sorted(notes, key=lambda n: float(n.split("jain=")[1]))
        m = runs_[len(runs_) // 2]
        mb = ", ".join(str(int(x) // 1000000) for x in m.split("bytes=")[1].split()[0].split(","))
        p(f"- {row} / {side}: {m.split('jain=')[1]} ({mb}); all runs: " + ", ".join(n.split("jain=")[1] for n in notes))
p("")
p(f"veth, offloads off: {vethoff or '?'}; offloads on: {vethon or '?'}; lo: {lofeat or '?'}.")
if failures:
    p("")
    p("Failed measurements (left out of the medians):")
    for f in failures: p(f"- {f}")
print("\n".join(out))
PY
cat "$tmp/table.md"
if [ -n "$out" ]; then
  cp "$tmp/table.md" "$out" && cp "$tmp/runs.tsv" "$out.runs.tsv" && log "wrote $out and $out.runs.tsv"
fi
