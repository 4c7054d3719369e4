#!/usr/bin/env bash
# http.sh - the web plane's throughput and what it costs RESP.
#
# Usage: benches/http.sh [ROUNDS]                (make bench-http)
#
# 1. redis-benchmark SET and GET (-c 50, and -P 16) against FlashDB with
#    the web plane off (--http-port 0), FlashDB with it on and idle, and
#    redis-server, interleaved (A B C D, B C D A, ...); median requests/s
#    of each, the ratio http-on/http-off (1.00 = the idle web plane costs
#    nothing), and each FlashDB over Redis. A second FlashDB without HTTP
#    (D) gives the noise floor of the run: `a/a` is D over A, two identical
#    servers, so an on/off ratio is meaningful only well outside |1 - a/a|.
#    This part runs first, on fresh servers.
# 2. wrk (HTTP/1.1; the server closes every connection, so each request is
#    a new one; WRK_THREADS threads, WRK_CONNS connections,
#    WRK_SECS seconds) against FlashDB's REST API: GET /api/v1/key/:key on a
#    100-byte string, and POST /api/v1/execute {"command":["GET",key]}
#    (a wrk Lua script sets method and body). Median requests/s and
#    latency p50/p99 over ROUNDS runs.
# Every server runs without persistence. The machine is shared and noisy:
# compare ratios, not absolute numbers; differences under ~10-15% are noise
# unless they repeat.
set -euo pipefail
ROUNDS=${1:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
FLASHDB=${FLASHDB:-$HERE/target/release/flashdb}
N=${N:-100000}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-32}
WRK_SECS=${WRK_SECS:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
[ -x "$FLASHDB" ] || { echo "no $FLASHDB: cargo build --release" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p "$1" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done; echo "server on $1 did not start" >&2; exit 1; }
wait_http() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/api/v1/healthz" >/dev/null && return 0; sleep 0.05; done; echo "no HTTP on $1" >&2; exit 1; }
declare -A PORT
start() { local name=$1; shift; local p; p=$(free_port); mkdir -p "$WORK/$name"
  "$@" --port "$p" --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 & PIDS+=($!)
  PORT[$name]=$p; wait_up "$p"; }
HP=$(free_port)
start nohttp "$FLASHDB" --http-port 0 --save "" --appendonly no
start nohttp2 "$FLASHDB" --http-port 0 --save "" --appendonly no
start http "$FLASHDB" --http-port "$HP" --save "" --appendonly no
start redis redis-server --bind 127.0.0.1 --save "" --appendonly no
wait_http "$HP"

# ---- 1. RESP with the web plane off / on-and-idle / redis-server
# Each round starts with the next server (A B C D, B C D A, ...), so none
# always runs first or right after another.
SERVERS=(nohttp http redis nohttp2)
for r in $(seq "$ROUNDS"); do
  for i in 0 1 2 3; do
    n=${SERVERS[$(( (r + i) % 4 ))]}
    for c in set get; do
      rps=$(redis-benchmark -p "${PORT[$n]}" -c 50 -n "$N" -t $c --csv 2>/dev/null | tail -1 | cut -d'"' -f4)
      echo "server=$n case=${c}_50c rps=$rps"
      rps=$(redis-benchmark -p "${PORT[$n]}" -c 50 -P 16 -n $((N * 4)) -t $c --csv 2>/dev/null | tail -1 | cut -d'"' -f4)
      echo "server=$n case=${c}_50c_p16 rps=$rps"
    done
  done
done >"$WORK/resp.results"

# ---- 2. the REST API under wrk
KEY=bench:key
redis-cli -p "${PORT[http]}" SET "$KEY" "$(head -c 100 /dev/zero | tr '\0' x)" >/dev/null
cat >"$WORK/execute.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"command":["GET","$KEY"]}'
wrk.headers["Content-Type"] = "application/json"
LUA
# Check both answer 200 with the value before measuring.
curl -sf "http://127.0.0.1:$HP/api/v1/key/$KEY" | grep -q '"value":"xxxx' || { echo "GET key failed" >&2; exit 1; }
curl -sf "http://127.0.0.1:$HP/api/v1/execute" -d "{\"command\":[\"GET\",\"$KEY\"]}" | grep -q '"type":"bulk"' || { echo "execute failed" >&2; exit 1; }
wrk_run() { # case, extra wrk args...
  local c=$1; shift
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"${WRK_SECS}s" --latency "$@" >"$WORK/wrk.out" 2>&1 || true
  python3 - "$c" "$WORK/wrk.out" <<'PY'
import sys, re
c, text = sys.argv[1], open(sys.argv[2]).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v); x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M); p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
sock = re.search(r"Socket errors: (.*)", text)
print(f"wrk case={c} rps={rps.group(1) if rps else 0} p50_ms={ms(p50.group(1)) if p50 else 'nan'} "
      f"p99_ms={ms(p99.group(1)) if p99 else 'nan'} non2xx={errs.group(1) if errs else 0} "
      f"socket_errors={sock.group(1).replace(' ', '') if sock else 'none'}")
PY
}
for r in $(seq "$ROUNDS"); do
  wrk_run get_key "http://127.0.0.1:$HP/api/v1/key/$KEY"
  wrk_run post_execute -s "$WORK/execute.lua" "http://127.0.0.1:$HP/api/v1/execute"
done >"$WORK/wrk.results"

python3 - "$WORK/wrk.results" "$WORK/resp.results" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    runs[f["case"]].append(f)
for case, rs in runs.items():
    med = lambda k: statistics.median(float(r[k]) for r in rs)
    bad = sum(int(r["non2xx"]) for r in rs)
    errs = ",".join(sorted({r["socket_errors"] for r in rs}))
    print(f"http case={case} rps={med('rps'):.0f} p50_ms={med('p50_ms'):.3f} p99_ms={med('p99_ms'):.3f} "
          f"non2xx={bad} socket_errors={errs}")
rps = collections.defaultdict(list)
for line in open(sys.argv[2]):
    f = dict(kv.split("=", 1) for kv in line.split())
    try: rps[(f["case"], f["server"])].append(float(f["rps"]))
    except ValueError: pass
med = {k: statistics.median(v) for k, v in rps.items()}
for case in ["set_50c", "get_50c", "set_50c_p16", "get_50c_p16"]:
    off, on, red = med[(case, "nohttp")], med[(case, "http")], med[(case, "redis")]
    off2 = med[(case, "nohttp2")]
    print(f"resp case={case} flashdb_http_off={off:.0f} flashdb_http_on={on:.0f} on/off={on/off:.2f} "
          f"a/a={off2/off:.2f} redis={red:.0f} off/redis={off/red:.2f} on/redis={on/red:.2f}")
PY
