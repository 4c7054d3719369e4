#!/usr/bin/env bash
# pubsub.sh - PUBLISH throughput with live subscribers, FlashDB vs
# redis-server, same run.
#
# Usage: benches/pubsub.sh [ROUNDS]             (make bench-pubsub)
#
# Starts FlashDB (no WAL) and redis-server (no persistence), attaches SUBS
# subscribers (default 10; raw sockets that read and discard) to channel
# `ch` and one pattern subscriber to `c*` on each, then runs redis-benchmark
# (50 clients, N requests) interleaved ROUNDS times (default 3):
#   publish_fanout   PUBLISH ch <16 bytes>   (each message to SUBS+1 clients)
#   publish_nobody   PUBLISH other <16 bytes> (pattern check only)
# and prints median requests/s per server and the ratio FlashDB / Redis.
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
FLASHDB=${FLASHDB:-$HERE/target/release/flashdb}
N=${N:-200000}
SUBS=${SUBS:-10}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done; exit 1; }
declare -A PORT
start() { local name=$1; shift; local port; port=$(free_port); mkdir -p "$WORK/$name"
  "$@" --port "$port" --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 & PIDS+=($!); PORT[$name]=$port; wait_up "$port"; }
start flashdb "$FLASHDB" --http-port 0 --save "" --appendonly no
start redis redis-server --bind 127.0.0.1 --save "" --appendonly no
for n in flashdb redis; do
  python3 - "${PORT[$n]}" "$SUBS" <<'PY' &
import socket, sys, selectors
port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
for i in range(n + 1):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$2\r\nch\r\n" if i < n else b"*2\r\n$10\r\nPSUBSCRIBE\r\n$2\r\nc*\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        try:
            if not key.fileobj.recv(1 << 20):
                sys.exit(0)
        except BlockingIOError:
            pass
PY
  PIDS+=($!)
done
sleep 1
for r in $(seq "$ROUNDS"); do
  for n in flashdb redis; do
    p=${PORT[$n]}
    run() { redis-benchmark -p "$p" -c 50 -n "$N" --csv "$@" 2>/dev/null | tail -1 | cut -d'"' -f4; }
    echo "server=$n case=publish_fanout rps=$(run publish ch 0123456789abcdef)"
    echo "server=$n case=publish_nobody rps=$(run publish other 0123456789abcdef)"
  done
done >"$WORK/results"
python3 - "$WORK/results" <<'PY'
import sys, statistics, collections
rps = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    try: rps[(f["case"], f["server"])].append(float(f["rps"]))
    except ValueError: pass
for case in ["publish_fanout", "publish_nobody"]:
    a, b = statistics.median(rps[(case, "flashdb")]), statistics.median(rps[(case, "redis")])
    print(f"case={case} flashdb_rps={a:.0f} redis_rps={b:.0f} ratio={a/b:.2f}")
PY
