# FlashDB — the two commands a fresh machine needs: `make run` and `make test`.
CARGO ?= cargo
ARGS ?=

.PHONY: all build release run test test-browser lint fmt docs fuzz bench bench-compare bench-agree bench-persistence bench-structures bench-pubsub bench-tls bench-http clean

all: release

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# Builds (release) and starts the server: RESP on 127.0.0.1:6379, data in ./data.
# Extra flags: make run ARGS="--port 7000 --loglevel verbose"
run: release
	./target/release/flashdb flashdb.conf $(ARGS)

# Every test: unit tests, integration tests against the real binary
# (redis crate, raw bytes, redis-cli), the dashboard in a real browser,
# and lint.
test:
	$(CARGO) test --all-targets -- --test-threads=4
	# The network-facing suites again under the other I/O driver.
	FLASHDB_TEST_ARGS="--io-model threads" $(CARGO) test --test io --test protocol --test connection --test tx --test durability --test crash --test blocking --test streams --test pubsub --test tls --test exposure --test observability --test hostile --test rdb --test tracking -- --test-threads=4
	# The dashboard end to end in headless Chromium against the debug binary
	# (tests/browser/, docs/DASHBOARD.md): needs chromium, node and npm.
	$(CARGO) build
	cd tests/browser && npm ci --silent --no-audit --no-fund && node run.mjs
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings
	# The plaintext-only build (no rustls): still compiles, still lint-clean.
	$(CARGO) clippy --all-targets --no-default-features -- -D warnings

# Only the browser suite (a debug build first); `make test-browser T=console`
# runs the files whose name contains "console".
test-browser:
	$(CARGO) build
	cd tests/browser && npm ci --silent --no-audit --no-fund && node run.mjs $(T)

fmt:
	$(CARGO) fmt

# Mutation fuzzing on the stable toolchain (docs/TESTING.md): each target
# (parser, wal, snapshot, rdb) for FUZZ_SECS seconds; FUZZ_TARGETS picks some,
# FUZZ_SEED repeats a run. Failing inputs are saved in fuzz/crashes/.
FUZZ_SECS ?= 60
fuzz:
	$(CARGO) run --profile fuzz --example fuzz -- --secs $(FUZZ_SECS) $(FUZZ_TARGETS)

# Regenerates docs/COMMANDS.md and docs/CONFIG.md from the tables.
docs:
	UPDATE_DOCS=1 $(CARGO) test --lib reference

# In-process micro-benchmarks (benches/core.rs): parser, reply encoding,
# store GET/SET from 1 and 2 threads, ACL check, WAL appends per fsync
# policy, snapshot write/load of 1M keys. BENCH_GROUPS="wal snapshot" picks.
bench:
	$(CARGO) bench --bench core -- $(BENCH_GROUPS)

# FlashDB vs redis-server with redis-benchmark, interleaved, as ratios; then
# both servers measured by flashdb-benchmark and redis-benchmark side by
# side (benches/compare.sh).
bench-compare: release
	../shared/tools/bench-vs-redis.sh target/release/flashdb
	benches/compare.sh

# Do flashdb-benchmark and redis-benchmark agree? Both against redis-server
# and FlashDB: two server-bound cases (a Lua loop, an LPOS scan) and
# SET/GET/INCR/LPUSH, -c 50, -P 1 and 16, 3 rounds, a verdict per case;
# fails on a disagreement that redis-benchmark's own limit does not explain.
bench-agree: release
	benches/agree.sh

# What durability costs: FlashDB with no WAL, everysec and always, and
# redis-server --appendfsync always, interleaved, as ratios.
bench-persistence: release
	benches/persistence.sh

# Big structures (1M-member sorted set, 1M-element list), FlashDB vs Redis.
bench-structures: release
	benches/structures.sh

# PUBLISH with live subscribers, FlashDB vs redis-server.
bench-pubsub: release
	benches/pubsub.sh

# What TLS costs, FlashDB and redis-server, plaintext vs TLS.
bench-tls: release
	benches/tls.sh

# The web plane: wrk against GET /api/v1/key/:key and POST /api/v1/execute,
# and RESP throughput with the HTTP plane off vs on-and-idle vs redis-server.
bench-http: release
	benches/http.sh

clean:
	$(CARGO) clean
