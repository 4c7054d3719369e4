#!/usr/bin/env bash
# agree.sh - does flashdb-benchmark report what redis-benchmark reports?
#
# Usage: benches/agree.sh [ROUNDS] [resp_matrix.py flags]   (make bench-agree)
#
# Starts redis-server and FlashDB (no persistence) on free loopback ports and
# runs both load generators alternately against each, ROUNDS rounds (default
# 3), with -c 50 -r 100000, without pipelining and with -P 16:
#   eval_busy  a Lua loop of ~0.1 ms a call (redis-server only)   server-bound
#   lpos_scan  LPOS scanning a 5,000-element list                  server-bound
#   set, get, incr, lpush                                          cheap
# Prints per server and case the median rps of each tool, their ratio, each
# tool's client CPU time per request, the requests it kept at the server
# (in_flight, of -c x -P) and a verdict: `agree` (paired ratio within 10%),
# `redis-benchmark-bound` / `flashdb-benchmark-bound` (the tool reporting
# less kept < 90% of its requests at the server, so it measured its own
# event loop) or `DISAGREE`; exits 1 on any DISAGREE.
# `agree-busy`: both kept >= 90% of their requests at the server, and the
# server's own clock (INFO commandstats usec) says it was busy with the
# command for the same share of each tool's runs; the rps differ because
# the server ran faster in one tool's runs (a shared machine).
# TESTS=set,get,... picks tests. With 2+ CPUs the servers run on CPU 0 and
# the load generators on CPU 1 (taskset), so neither takes the other's
# cycles; SERVER_CPU / CLIENT_CPU override, empty values do not pin.
# docs/BENCHMARK.md has figures.
set -eu -o pipefail
cd "$(dirname "$0")/.."
if [ "$(nproc)" -ge 2 ]; then
  export SERVER_CPU="${SERVER_CPU-0}" CLIENT_CPU="${CLIENT_CPU-1}"
fi
exec python3 benches/resp_matrix.py --tests "${TESTS:-eval_busy,lpos_scan,set,get,incr,lpush}" \
  --pipelines 1,16 --rounds "${1:-3}" --servers redis,flashdb --check "${@:2}"
