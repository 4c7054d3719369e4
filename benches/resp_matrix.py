#!/usr/bin/env python3
"""Runs flashdb-benchmark and redis-benchmark side by side against
redis-server and FlashDB (both started here on free loopback ports, no
persistence), interleaved in one run, and prints medians and ratios.

Used by benches/agree.sh (do the two load generators agree?) and
benches/compare.sh (FlashDB vs redis-server, measured by both tools).

  resp_matrix.py [--tests set,get] [--pipelines 1,16] [--rounds 3]
                 [--servers redis,flashdb] [--flashdb BIN] [--bench BIN]
                 [--clients 50] [--n1 100000] [--n16 400000] [--check]

With --check (benches/agree.sh) every row gets a verdict, and the exit
status is 1 unless each row either agrees (paired ratio within 10 %), or
agrees on the server's busy share (both tools kept >= 90 % of their
requests at the server and the server's own INFO commandstats time per
run matches within 10 %: the server, not the tool, changed speed), or
the tool that reported less kept fewer than 90 % of its requests at the
server (it measured itself, not the server).

Environment: SERVER_CPU / CLIENT_CPU pin the servers / the load generators
with `taskset -c` (e.g. SERVER_CPU=0 CLIENT_CPU=1), so a client's CPU cost
cannot take cycles from the server.

Every cell is run ROUNDS times; within a round the servers, cases and tools
alternate order, so drift on a shared machine hits both sides alike.
`ratio` compares the medians; `paired_ratio` is the median over rounds of
the ratio of the two back-to-back runs. For
each run the client's CPU time (user + sys, from getrusage of the child)
is divided by its requests: a load generator that needs more CPU per
request steals more of the cores the server shares with it. `in_flight`
is rps x mean latency (Little's law): how many of the -c x -P requests
were, on average, at the server; a client that is itself the bottleneck
leaves the rest waiting in its own event loop.
"""
import argparse, os, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_ping(port, proc, what):
    for _ in range(400):
        if proc.poll() is not None:
            sys.exit(f"{what} exited early")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"PING\r\n")
                if c.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


# Server-bound cases: the server spends far longer on each request than
# either load generator, so the client's own CPU cost cannot limit the rate.
#   eval_busy  a Lua loop of ~0.1 ms per call (redis-server only: no Lua in FlashDB)
#   lpos_scan  LPOS for an absent element of a 5,000-element list: a scan that
#              compares every element (same length as the needle), tiny reply
SERVER_BOUND = {
    "eval_busy": ["eval", "for i=1,20000 do end return 1", "0"],
    "lpos_scan": ["lpos", "agree:biglist", "element:999999"],
}
# Their runs are shorter: they go at 5-20 thousand requests a second.
SERVER_BOUND_N = {1: 10000, 16: 20000}
BIGLIST = 5000


def preload_biglist(port):
    """RPUSH agree:biglist element:000000 ... element:004999 (fresh)."""
    def cmd(*args):
        return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)
    buf = cmd(b"DEL", b"agree:biglist")
    for i in range(0, BIGLIST, 500):
        buf += cmd(b"RPUSH", b"agree:biglist", *[b"element:%06d" % j for j in range(i, i + 500)])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(buf)
        want, got = b":%d\r\n" % BIGLIST, b""
        while not got.endswith(want):
            chunk = c.recv(65536)
            if not chunk:
                sys.exit(f"preloading agree:biglist on port {port} failed: {got[-80:]!r}")
            got += chunk


# A row "agrees" when the paired ratio is within this of 1.
AGREE = 0.10
# A tool that keeps fewer than this share of its -c x -P requests at the
# server is its own bottleneck: it reports its own rate, not the server's.
SATURATED = 0.90


def pin(var):
    cpu = os.environ.get(var)
    return ["taskset", "-c", cpu] if cpu else []


# The command whose INFO commandstats entry each test drives.
STAT_NAME = {"eval_busy": "eval", "lpos_scan": "lpos"}


def cmd_usec(port, name):
    """Microseconds the server has spent executing `name` (INFO commandstats),
    or None if it does not say."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(b"INFO commandstats\r\n")
        got = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            got += chunk
            head, _, body = got.partition(b"\r\n")
            if head.startswith(b"$") and len(body) >= int(head[1:]) + 2:
                break
    for line in got.decode(errors="replace").splitlines():
        if line.startswith(f"cmdstat_{name}:"):
            fields = dict(kv.split("=", 1) for kv in line.split(":", 1)[1].split(","))
            return int(fields["usec"])
    return 0 if got.startswith(b"$") else None


def run_tool(tool, port, test, p, n, clients):
    """One run: (rps, client cpu seconds, mean latency ms, server usec per
    request or None) from the CSV row and the server's INFO commandstats."""
    args = pin("CLIENT_CPU") + [tool, "-p", str(port), "-c", str(clients), "-n", str(n), "-P", str(p),
            "-r", "100000", "--csv"]
    args += SERVER_BOUND[test] if test in SERVER_BOUND else ["-t", test]
    stat = STAT_NAME.get(test, test)
    usec0 = cmd_usec(port, stat)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(args, capture_output=True, text=True, timeout=600)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    usec1 = cmd_usec(port, stat)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rows = [l for l in out.stdout.splitlines() if l.startswith('"') and not l.startswith('"test"')]
    if out.returncode != 0 or not rows:
        sys.exit(f"{' '.join(args)} failed: {out.stderr.strip()}")
    f = rows[-1].split('","')
    per_call = (usec1 - usec0) / n if usec0 is not None and usec1 is not None else None
    return float(f[1]), cpu, float(f[2]), per_call


def main():
    # SIGTERM / SIGHUP end the run through `finally`: the servers stop too.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", default="set,get,incr,lpush")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--servers", default="redis,flashdb")
    ap.add_argument("--flashdb", default="target/release/flashdb")
    ap.add_argument("--bench", default="target/release/flashdb-benchmark")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--n1", type=int, default=100000, help="requests per run without pipelining")
    ap.add_argument("--n16", type=int, default=400000, help="requests per run with pipelining")
    ap.add_argument("--check", action="store_true", help="verdict per row; exit 1 on an unexplained disagreement")
    a = ap.parse_args()

    tools = {"flashdb-benchmark": a.bench, "redis-benchmark": a.redis_benchmark}
    servers = a.servers.split(",")
    cases = [(t, int(p)) for p in a.pipelines.split(",") for t in a.tests.split(",")]
    # eval_busy runs against redis-server only (FlashDB has no Lua).
    skip = lambda s, t: t == "eval_busy" and s != "redis"
    work = tempfile.mkdtemp(prefix="flashdb-resp-matrix-")
    procs, ports = {}, {}
    verdicts = []  # (row label, verdict), with --check
    try:
        for s in servers:
            port = free_port()
            d = os.path.join(work, s)
            os.makedirs(d)
            if s == "redis":
                cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                       "--save", "", "--appendonly", "no"]
            else:
                cmd = [a.flashdb, "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                       "--appendonly", "no", "--http-port", "0"]
            procs[s] = subprocess.Popen(pin("SERVER_CPU") + cmd, stdout=open(os.path.join(d, "log"), "w"),
                                        stderr=subprocess.STDOUT)
            ports[s] = port
            wait_ping(port, procs[s], s)
            if any(t == "lpos_scan" for t, _ in cases):
                preload_biglist(port)

        res = {}  # (server, test, p, tool) -> [(rps, cpu_us_per_req)]
        total = a.rounds * len(tools) * sum(1 for s in servers for t, _ in cases if not skip(s, t))
        done = 0
        for r in range(a.rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                for i, (t, p) in enumerate(cases):
                    if skip(s, t):
                        continue
                    names = list(tools)
                    if (r + i) % 2:
                        names.reverse()
                    for tool in names:
                        n = a.n1 if p == 1 else a.n16
                        if t in SERVER_BOUND:
                            n = min(n, SERVER_BOUND_N.get(p, n))
                        rps, cpu, avg, per_call = run_tool(tools[tool], ports[s], t, p, n, a.clients)
                        # Little's law: requests in flight = rate x latency.
                        # busy: the share of the run the server spent executing
                        # the command (its own clock, INFO commandstats).
                        busy = rps * per_call / 1e6 if per_call is not None else None
                        res.setdefault((s, t, p, tool), []).append((rps, cpu * 1e6 / n, rps * avg / 1e3, busy))
                        done += 1
                        print(f"# [{done}/{total}] round {r + 1} {s} {t} -P {p} {tool}: {rps:.0f} rps, "
                              f"{cpu * 1e6 / n:.2f} us CPU/request", file=sys.stderr)

        med = lambda v: statistics.median(v)
        worst = 0.0
        pins = " ".join(f"{v}={os.environ[v]}" for v in ("SERVER_CPU", "CLIENT_CPU") if os.environ.get(v))
        print(f"# medians of {a.rounds} rounds, -c {a.clients} -r 100000 -n {a.n1} (-P 1) / {a.n16} (-P 16) "
              f"({'/'.join(str(v) for v in SERVER_BOUND_N.values())} for {', '.join(SERVER_BOUND)}) "
              f"{pins}; ratio = flashdb-benchmark / redis-benchmark rps; "
              f"client CPU us/request and in_flight (rps x mean latency, of -c x -P): "
              f"flashdb-benchmark/redis-benchmark")
        for s in servers:
            for t, p in cases:
                if skip(s, t):
                    continue
                fb = res[(s, t, p, "flashdb-benchmark")]
                rb = res[(s, t, p, "redis-benchmark")]
                f_rps, r_rps = med(x[0] for x in fb), med(x[0] for x in rb)
                ratio = f_rps / r_rps if r_rps else 0.0
                # The two runs of a round are back to back: their ratio is
                # less exposed to load drifting over the whole run.
                pair = med(f[0] / r[0] for f, r in zip(fb, rb) if r[0])
                worst = max(worst, abs(1 - pair))
                f_fl, r_fl = med(x[2] for x in fb), med(x[2] for x in rb)
                offered = a.clients * p
                busy_pair = None
                # Busy time tells only where the command itself is the
                # server's work (the server-bound cases); for cheap commands
                # the I/O around it dominates and per-call times are < 1 us.
                if t in SERVER_BOUND and all(x[3] for x in fb + rb):
                    busy_pair = med(f[3] / r[3] for f, r in zip(fb, rb))
                if abs(1 - pair) <= AGREE:
                    verdict = "agree"
                elif busy_pair is not None and abs(1 - busy_pair) <= AGREE and \
                        min(f_fl, r_fl) >= SATURATED * offered:
                    # Both kept the server saturated, and the server was busy
                    # with the command for the same share of each run: it
                    # ran faster in one tool's runs (its own usec per call
                    # says so), the tools did not differ.
                    verdict = "agree-busy"
                else:
                    # Which tool reported less, and did it keep the server busy?
                    low, low_fl = ("redis-benchmark", r_fl) if pair > 1 else ("flashdb-benchmark", f_fl)
                    if low_fl < SATURATED * offered:
                        verdict = f"{low}-bound"
                    else:
                        verdict = "DISAGREE"
                verdicts.append((f"{s} {t} -P {p}", verdict))
                print(f"server={s} test={t} P={p} flashdb_benchmark_rps={f_rps:.0f} "
                      f"redis_benchmark_rps={r_rps:.0f} ratio={ratio:.3f} paired_ratio={pair:.3f} "
                      f"client_cpu_us_per_req={med(x[1] for x in fb):.2f}/{med(x[1] for x in rb):.2f} "
                      f"in_flight={f_fl:.1f}/{r_fl:.1f}"
                      + (f" server_busy={med(x[3] for x in fb):.2f}/{med(x[3] for x in rb):.2f}"
                         f" busy_paired_ratio={busy_pair:.3f}" if busy_pair is not None else "")
                      + (f" verdict={verdict}" if a.check else ""))
        print(f"max_tool_deviation={worst * 100:.1f}% (paired)")
        if a.check:
            agree = sum(v == "agree" for _, v in verdicts)
            busy = [r for r, v in verdicts if v == "agree-busy"]
            bound = [f"{r} ({v})" for r, v in verdicts if v.endswith("-bound")]
            bad = [r for r, v in verdicts if v == "DISAGREE"]
            print(f"# agreement: {agree} of {len(verdicts)} rows within {AGREE:.0%}; "
                  f"{len(busy)} within {AGREE:.0%} on server busy time per run, the server's speed "
                  f"having varied{': ' + ', '.join(busy) if busy else ''}; "
                  f"{len(bound)} explained by a load generator keeping < {SATURATED:.0%} of its requests "
                  f"at the server{': ' + ', '.join(bound) if bound else ''}; "
                  f"{len(bad)} unexplained{': ' + ', '.join(bad) if bad else ''}")
        if "redis" in servers and "flashdb" in servers:
            print("# FlashDB / redis-server rps, as each tool measured it")
            for t, p in cases:
                if t == "eval_busy":
                    continue
                parts = []
                for tool in tools:
                    f = med(x[0] for x in res[("flashdb", t, p, tool)])
                    rr = med(x[0] for x in res[("redis", t, p, tool)])
                    parts.append(f"{tool.split('-')[0]}_ratio={f / rr if rr else 0:.2f}")
                print(f"test={t} P={p} " + " ".join(parts))
    finally:
        for pr in procs.values():
            pr.terminate()
            try:
                pr.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pr.kill()
        shutil.rmtree(work, ignore_errors=True)
    if a.check and any(v == "DISAGREE" for _, v in verdicts):
        sys.exit(1)


if __name__ == "__main__":
    main()
