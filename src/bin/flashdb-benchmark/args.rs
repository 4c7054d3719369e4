//! Command-line flags, spelled like redis-benchmark's (`-h -p -a -c -n -d
//! -r -P -t -q --csv --threads --precision --user --dbnum`) plus
//! `--duration`, `--rate`, `--mix` and `--json`. Anything after the flags
//! is a command to benchmark instead of the standard tests.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub password: Option<String>,
    pub user: Option<String>,
    pub dbnum: u32,
    pub clients: usize,
    pub requests: u64,
    pub data_size: usize,
    /// `-r`: `__rand_int__` becomes a 12-digit number below this.
    pub keyspace: Option<u64>,
    pub pipeline: usize,
    /// `-t`: lower-case test names; empty = the default set.
    pub tests: Vec<String>,
    pub quiet: bool,
    pub csv: bool,
    pub json: bool,
    pub threads: usize,
    pub precision: usize,
    /// Run each test for this long instead of `-n` requests.
    pub duration: Option<Duration>,
    /// Target requests per second over all clients (open loop).
    pub rate: Option<f64>,
    /// `--mix get:80,set:20`: (test name, weight).
    pub mix: Vec<(String, u32)>,
    /// A command from the command line (replaces the tests).
    pub command: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: "127.0.0.1".into(),
            port: 6379,
            password: None,
            user: None,
            dbnum: 0,
            clients: 50,
            requests: 100_000,
            data_size: 3,
            keyspace: None,
            pipeline: 1,
            tests: Vec::new(),
            quiet: false,
            csv: false,
            json: false,
            threads: 1,
            precision: 3,
            duration: None,
            rate: None,
            mix: Vec::new(),
            command: Vec::new(),
        }
    }
}

pub const USAGE: &str = "\
Usage: flashdb-benchmark [OPTIONS] [COMMAND ARGS...]

Options (as redis-benchmark):
 -h <hostname>      Server hostname (default 127.0.0.1)
 -p <port>          Server port (default 6379)
 -a <password>      Password for AUTH
 --user <username>  ACL user for AUTH (needs -a)
 --dbnum <db>       SELECT this database first (default 0)
 -c <clients>       Parallel connections (default 50)
 -n <requests>      Total requests per test (default 100000)
 -d <size>          Value size of SET/GET & co in bytes (default 3)
 -r <keyspacelen>   Replace __rand_int__ in arguments with a 12-digit random
                    number in 0..keyspacelen-1 (a new one per request)
 -P <numreq>        Pipeline <numreq> requests per client (default 1)
 -t <tests>         Comma-separated tests to run (default: all of them):
                    ping_inline ping_mbulk (or ping) set get incr lpush rpush
                    lpop rpop sadd hset spop zadd zpopmin lrange (or
                    lrange_100 lrange_300 lrange_500 lrange_600) mset
 -q                 Quiet: one line per test
 --csv              CSV output
 --threads <n>      Event-loop threads for the clients (default 1)
 --precision <n>    Decimal places of latencies in ms (default 3)
Beyond redis-benchmark:
 --duration <secs>  Run each test for this long instead of -n requests
 --rate <ops/s>     Open loop: send at this total rate; latency counts from
                    each request's scheduled time (coordinated omission)
 --mix <t:w,...>    One mixed test, e.g. --mix get:80,set:20 (weights)
 --json             One JSON document with every test (adds p99.9)
 --help             This help

A command after the options is benchmarked instead of the tests, e.g.
  flashdb-benchmark -r 10000 -n 10000 lpush mylist __rand_int__
";

fn value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("option '{flag}' needs a value"))
}

fn number<T: std::str::FromStr>(s: &str, flag: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("option '{flag}': '{s}' is not a valid number"))
}

fn positive(v: u64, flag: &str) -> Result<u64, String> {
    if v == 0 {
        Err(format!("option '{flag}' must be at least 1"))
    } else {
        Ok(v)
    }
}

/// Parses the arguments (without the program name). Ok(None) for --help.
pub fn parse(args: &[String]) -> Result<Option<Config>, String> {
    let mut c = Config::default();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if !a.starts_with('-') || a == "-" {
            c.command = args[i..].to_vec();
            break;
        }
        match a {
            "--help" => return Ok(None),
            "-h" => c.host = value(args, &mut i, a)?.to_string(),
            "-p" => c.port = number(value(args, &mut i, a)?, a)?,
            "-a" => c.password = Some(value(args, &mut i, a)?.to_string()),
            "--user" => c.user = Some(value(args, &mut i, a)?.to_string()),
            "--dbnum" => c.dbnum = number(value(args, &mut i, a)?, a)?,
            "-c" => c.clients = positive(number(value(args, &mut i, a)?, a)?, a)? as usize,
            "-n" => c.requests = positive(number(value(args, &mut i, a)?, a)?, a)?,
            "-d" => c.data_size = number(value(args, &mut i, a)?, a)?,
            "-r" => c.keyspace = Some(positive(number(value(args, &mut i, a)?, a)?, a)?),
            "-P" => c.pipeline = positive(number(value(args, &mut i, a)?, a)?, a)? as usize,
            "-t" => {
                c.tests = value(args, &mut i, a)?
                    .split(',')
                    .map(|t| t.trim().to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
                if c.tests.is_empty() {
                    return Err("option '-t' needs at least one test name".into());
                }
            }
            "-q" => c.quiet = true,
            "--csv" => c.csv = true,
            "--json" => c.json = true,
            "--threads" => {
                c.threads = positive(number(value(args, &mut i, a)?, a)?, a)? as usize;
            }
            "--precision" => {
                let p: usize = number(value(args, &mut i, a)?, a)?;
                if p > 6 {
                    return Err("option '--precision' must be 0..6".into());
                }
                c.precision = p;
            }
            "--duration" => {
                let s: f64 = number(value(args, &mut i, a)?, a)?;
                if !(s > 0.0 && s < 1e7) {
                    return Err("option '--duration' must be a positive number of seconds".into());
                }
                c.duration = Some(Duration::from_secs_f64(s));
            }
            "--rate" => {
                let r: f64 = number(value(args, &mut i, a)?, a)?;
                if !(r > 0.0 && r.is_finite()) {
                    return Err("option '--rate' must be a positive number of requests/s".into());
                }
                c.rate = Some(r);
            }
            "--mix" => c.mix = parse_mix(value(args, &mut i, a)?)?,
            _ => return Err(format!("unknown option '{a}' (see --help)")),
        }
        i += 1;
    }
    if c.user.is_some() && c.password.is_none() {
        return Err("option '--user' needs '-a <password>'".into());
    }
    if c.csv && c.json {
        return Err("choose one of '--csv' and '--json'".into());
    }
    if !c.mix.is_empty() && !c.command.is_empty() {
        return Err("'--mix' and a command on the command line exclude each other".into());
    }
    if c.threads > c.clients {
        c.threads = c.clients;
    }
    Ok(Some(c))
}

/// `get:80,set:20` → [("get", 80), ("set", 20)]; names are checked later
/// against the test table.
fn parse_mix(s: &str) -> Result<Vec<(String, u32)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, w) = part
            .split_once(':')
            .ok_or_else(|| format!("--mix: '{part}' is not <test>:<weight>"))?;
        let w: u32 = w
            .trim()
            .parse()
            .map_err(|_| format!("--mix: weight '{w}' is not a whole number"))?;
        if w == 0 {
            return Err(format!("--mix: weight of '{name}' must be at least 1"));
        }
        out.push((name.trim().to_ascii_lowercase(), w));
    }
    if out.is_empty() {
        return Err("--mix needs at least one <test>:<weight>".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Option<Config>, String> {
        let v: Vec<String> = s.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    #[test]
    fn flags() {
        let c = p("-h 10.0.0.1 -p 7000 -c 8 -n 500 -d 16 -r 1000 -P 4 -t SET,get -q --threads 2")
            .unwrap()
            .unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.clients, c.requests),
            ("10.0.0.1", 7000, 8, 500)
        );
        assert_eq!(
            (c.data_size, c.keyspace, c.pipeline, c.threads),
            (16, Some(1000), 4, 2)
        );
        assert_eq!(c.tests, vec!["set", "get"]);
        assert!(c.quiet && c.command.is_empty());
        let c = p("-n 10 lpush mylist __rand_int__").unwrap().unwrap();
        assert_eq!(c.command, vec!["lpush", "mylist", "__rand_int__"]);
        let c = p("--mix get:80,set:20 --rate 1000 --duration 0.5")
            .unwrap()
            .unwrap();
        assert_eq!(c.mix, vec![("get".into(), 80), ("set".into(), 20)]);
        assert_eq!(c.rate, Some(1000.0));
        assert!(p("--help").unwrap().is_none());
    }

    #[test]
    fn errors() {
        for (args, want) in [
            ("-c", "needs a value"),
            ("-c 0", "at least 1"),
            ("-n abc", "not a valid number"),
            ("--bogus", "unknown option"),
            ("--user u", "needs '-a"),
            ("--mix get", "<test>:<weight>"),
            ("--mix get:x", "whole number"),
            ("--rate -5", "positive"),
            ("--csv --json", "one of"),
            ("--precision 9", "0..6"),
        ] {
            let e = p(args).unwrap_err();
            assert!(e.contains(want), "{args}: {e}");
        }
    }
}
