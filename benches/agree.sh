#!/usr/bin/env bash
# agree.sh - does flashdb-benchmark report what redis-benchmark reports?
#
# Usage: benches/agree.sh [ROUNDS] [resp_matrix.py flags]   (make bench-agree)
#
# Starts redis-server and FlashDB (no persistence) on free loopback ports and
# runs both load generators alternately against each: SET, GET, INCR, LPUSH
# with -c 50 -r 100000, without pipelining (-n 100000) and with -P 16
# (-n 400000), ROUNDS rounds (default 3). Prints per server and case the
# median rps of each tool, their ratio, and each tool's client CPU time per
# request; last `max_tool_deviation=N%`. docs/BENCHMARK.md has figures.
# TESTS=set,get,... picks tests (eval_busy: a server-bound Lua loop, against
# redis-server only); SERVER_CPU=0 CLIENT_CPU=1 pin (taskset).
set -eu -o pipefail
cd "$(dirname "$0")/.."
exec python3 benches/resp_matrix.py --tests "${TESTS:-set,get,incr,lpush}" --pipelines 1,16 \
  --rounds "${1:-3}" --servers redis,flashdb "${@:2}"
