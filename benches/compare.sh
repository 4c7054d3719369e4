#!/usr/bin/env bash
# compare.sh - FlashDB vs redis-server, measured with flashdb-benchmark AND
# redis-benchmark in the same run (interleaved), as ratios.
#
# Usage: benches/compare.sh [ROUNDS]   (make bench-compare; needs a release build)
#
# Cases: SET GET INCR LPUSH LPOP SADD HSET ZADD MSET, -c 50 -r 100000,
# without pipelining and with -P 16. Prints per server and case both tools'
# median rps, then per case the ratio FlashDB/redis-server as each tool saw
# it. Environment: TESTS=set,get,... PIPELINES=1,16 to narrow it.
set -eu -o pipefail
cd "$(dirname "$0")/.."
exec python3 benches/resp_matrix.py \
  --tests "${TESTS:-set,get,incr,lpush,lpop,sadd,hset,zadd,mset}" \
  --pipelines "${PIPELINES:-1,16}" --rounds "${1:-3}" --servers redis,flashdb "${@:2}"
