#!/usr/bin/env bash
# persistence.sh - what durability costs, measured side by side in one run.
#
# Usage: benches/persistence.sh [ROUNDS] [quick|full]     (make bench-persistence)
#
# Starts, on free loopback ports with fresh data dirs:
#   flashdb-none      --appendonly no
#   flashdb-everysec  --appendonly yes --appendfsync everysec
#   flashdb-always    --appendonly yes --appendfsync always
#   redis-everysec    redis-server --appendonly yes --appendfsync everysec
#   redis-always      redis-server --appendonly yes --appendfsync always
# and runs resp-bench.sh (redis-benchmark) against each in turn, ROUNDS times
# (default 3), interleaved, so machine noise hits all of them alike. Prints
# the median requests/s per server and case and the ratios the durability
# work is held to:
#   everysec/none  (target >= 0.95)   always/none (>= 0.9)   always/redis-always (>= 1.2)
# and, for context, everysec/redis-everysec.
# Environment: CASES (default set_50c,set_50c_p16), RESP_BENCH (path to
# resp-bench.sh, default ../shared/tools/resp-bench.sh), FLASHDB (binary).
set -euo pipefail
ROUNDS=${1:-3}
MODE=${2:-quick}
HERE=$(cd "$(dirname "$0")/.." && pwd)
FLASHDB=${FLASHDB:-$HERE/target/release/flashdb}
RESP_BENCH=${RESP_BENCH:-$HERE/../shared/tools/resp-bench.sh}
export CASES=${CASES:-set_50c,set_50c_p16}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; exit 1; }

declare -A PORT
start() { # name cmd...
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "$WORK/$name"
  "$@" --port "$port" --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  PORT[$name]=$port
  wait_up "$port"
}
start flashdb-none "$FLASHDB" --http-port 0 --save "" --appendonly no
start flashdb-everysec "$FLASHDB" --http-port 0 --save "" --appendonly yes --appendfsync everysec
start flashdb-always "$FLASHDB" --http-port 0 --save "" --appendonly yes --appendfsync always
start redis-everysec redis-server --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec
start redis-always redis-server --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always

NAMES=(flashdb-none flashdb-everysec flashdb-always redis-everysec redis-always)
for r in $(seq "$ROUNDS"); do
  for n in "${NAMES[@]}"; do
    "$RESP_BENCH" "${PORT[$n]}" "$MODE" 2>/dev/null | sed "s/^/server=$n round=$r /" >>"$WORK/results"
  done
done

python3 - "$WORK/results" <<'PY'
import sys, statistics, collections
rps = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    if f.get("rps", "NA") != "NA":
        rps[(f["case"], f["server"])].append(float(f["rps"]))
med = {k: statistics.median(v) for k, v in rps.items()}
for case in sorted({c for c, _ in med}):
    m = lambda s: med.get((case, s), float("nan"))
    print(f"case={case} " + " ".join(f"{s}={m(s):.0f}" for s in
          ["flashdb-none", "flashdb-everysec", "flashdb-always", "redis-everysec", "redis-always"]))
    print(f"case={case} everysec/none={m('flashdb-everysec')/m('flashdb-none'):.2f} "
          f"always/none={m('flashdb-always')/m('flashdb-none'):.2f} "
          f"always/redis-always={m('flashdb-always')/m('redis-always'):.2f} "
          f"everysec/redis-everysec={m('flashdb-everysec')/m('redis-everysec'):.2f}")
PY
