#!/usr/bin/env bash
# tls.sh - what TLS costs: FlashDB and redis-server, each over plaintext and
# TLS, same run, redis-benchmark (50 clients), interleaved.
#
# Usage: benches/tls.sh [ROUNDS]                (make bench-tls)
#
# Makes a throwaway CA and server certificate with openssl, starts FlashDB
# (no WAL) and redis-server (no persistence) each with a plaintext port and
# a TLS port (tls-auth-clients no), and runs SET and GET (-c 50, and -P 16)
# against all four. Prints the median requests/s per server and transport,
# each server's TLS/plaintext ratio, and FlashDB/Redis over TLS.
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
cd "$WORK"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=bench-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext 2>/dev/null
TLS=(--tls-cert-file "$WORK/srv.crt" --tls-key-file "$WORK/srv.key" --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no)
declare -A PORT TPORT
start() { local name=$1; shift; local p t; p=$(free_port); t=$(free_port); mkdir -p "$WORK/$name"
  "$@" --port "$p" --tls-port "$t" "${TLS[@]}" --dir "$WORK/$name" >"$WORK/$name.log" 2>&1 & PIDS+=($!)
  PORT[$name]=$p; TPORT[$name]=$t; wait_up "$p"; }
start flashdb "$FLASHDB" --http-port 0 --save "" --appendonly no
start redis redis-server --bind 127.0.0.1 --save "" --appendonly no
for r in $(seq "$ROUNDS"); do
  for n in flashdb redis; do
    for tr in plain tls; do
      if [ $tr = tls ]; then args=(-p "${TPORT[$n]}" --tls --cacert "$WORK/ca.crt"); else args=(-p "${PORT[$n]}"); fi
      for c in set get; do
        rps=$(redis-benchmark "${args[@]}" -c 50 -n "$N" -t $c --csv 2>/dev/null | tail -1 | cut -d'"' -f4)
        echo "server=$n tr=$tr case=${c}_50c rps=$rps"
        rps=$(redis-benchmark "${args[@]}" -c 50 -P 16 -n $((N * 4)) -t $c --csv 2>/dev/null | tail -1 | cut -d'"' -f4)
        echo "server=$n tr=$tr case=${c}_50c_p16 rps=$rps"
      done
    done
  done
done >"$WORK/results"
python3 - "$WORK/results" <<'PY'
import sys, statistics, collections
rps = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    try: rps[(f["case"], f["server"], f["tr"])].append(float(f["rps"]))
    except ValueError: pass
med = {k: statistics.median(v) for k, v in rps.items()}
for case in ["set_50c", "get_50c", "set_50c_p16", "get_50c_p16"]:
    fp, ft = med[(case, "flashdb", "plain")], med[(case, "flashdb", "tls")]
    rp, rt = med[(case, "redis", "plain")], med[(case, "redis", "tls")]
    print(f"case={case} flashdb_plain={fp:.0f} flashdb_tls={ft:.0f} flashdb_tls/plain={ft/fp:.2f} "
          f"redis_plain={rp:.0f} redis_tls={rt:.0f} redis_tls/plain={rt/rp:.2f} tls_flashdb/redis={ft/rt:.2f}")
PY
