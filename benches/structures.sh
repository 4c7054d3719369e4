#!/usr/bin/env bash
# structures.sh - big-structure operations, FlashDB vs redis-server, same run.
#
# Usage: benches/structures.sh [ROUNDS]        (make bench-structures)
#
# Loads a 1,000,000-member sorted set and a 1,000,000-element list into
# FlashDB (no WAL) and redis-server (no persistence), then runs with
# redis-benchmark (50 clients), interleaved ROUNDS times (default 3):
#   zadd_1m    ZADD bigz <rand> m:<rand>     (score updates in a 1M-member zset;
#              redis-benchmark writes <rand> as 12 digits, so do the members)
#   zrank_1m   ZRANK bigz m:<rand>
#   zrange_1m  ZRANGE bigz 500000 500009     (by index: must not walk the set)
#   lrange_100 LRANGE biglist 0 99
# and prints median requests/s per server and the ratio FlashDB / Redis.
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
FLASHDB=${FLASHDB:-$HERE/target/release/flashdb}
N=${N:-100000}
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
  python3 - <<'PY' | redis-cli -p "${PORT[$n]}" --pipe >/dev/null
import sys
out = sys.stdout.buffer
def cmd(*a):
    out.write(b"*%d\r\n" % len(a))
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.write(b"$%d\r\n%s\r\n" % (len(x), x))
for i in range(0, 1000000, 1000):
    args = ["ZADD", "bigz"]
    for j in range(i, i + 1000):
        args += [j, "m:%012d" % j]
    cmd(*args)
    cmd("RPUSH", "biglist", *["e%d" % j for j in range(i, i + 1000)])
PY
done
for r in $(seq "$ROUNDS"); do
  for n in flashdb redis; do
    p=${PORT[$n]}
    run() { redis-benchmark -p "$p" -c 50 -n "$N" -r 1000000 --csv "$@" 2>/dev/null | tail -1 | cut -d'"' -f4; }
    echo "server=$n case=zadd_1m rps=$(run zadd bigz __rand_int__ m:__rand_int__)"
    echo "server=$n case=zrank_1m rps=$(run zrank bigz m:__rand_int__)"
    echo "server=$n case=zrange_1m rps=$(run zrange bigz 500000 500009)"
    echo "server=$n case=lrange_100 rps=$(run lrange biglist 0 99)"
  done
done >"$WORK/results"
python3 - "$WORK/results" <<'PY'
import sys, statistics, collections
rps = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    try: rps[(f["case"], f["server"])].append(float(f["rps"]))
    except ValueError: pass
for case in ["zadd_1m", "zrank_1m", "zrange_1m", "lrange_100"]:
    a, b = statistics.median(rps[(case, "flashdb")]), statistics.median(rps[(case, "redis")])
    print(f"case={case} flashdb_rps={a:.0f} redis_rps={b:.0f} ratio={a/b:.2f}")
PY
