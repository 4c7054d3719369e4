//! Command-line flags, spelled as redis-cli spells them. Options come
//! first; the first argument that is not an option starts the command.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// `-s`: a Unix socket instead of TCP.
    pub socket: Option<String>,
    pub user: Option<String>,
    pub pass: Option<String>,
    pub db: i64,
    pub tls: bool,
    pub sni: Option<String>,
    pub cacert: Option<String>,
    pub cacertdir: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub insecure: bool,
    /// `-r`: how many times to run the command (-1: forever).
    pub repeat: i64,
    /// `-i`: the pause between repeats (and the period of --stat).
    pub interval: Option<Duration>,
    /// `--raw` (Some(true)) / `--no-raw` (Some(false)); None: raw when
    /// stdout is not a terminal.
    pub raw: Option<bool>,
    /// `-x`: the last argument is read from stdin.
    pub stdin_last: bool,
    pub resp3: bool,
    /// `-e`: an error reply makes the exit status 1.
    pub errcode: bool,
    pub no_auth_warning: bool,
    /// A password came from `-a`/`--pass`/`-u` (redis-cli warns then).
    pub auth_on_cmdline: bool,
    pub scan: bool,
    pub pattern: Option<String>,
    pub count: Option<u64>,
    pub scan_type: Option<String>,
    pub pipe: bool,
    pub pipe_timeout: u64,
    pub stat: bool,
    pub latency: bool,
    pub latency_history: bool,
    pub bigkeys: bool,
    pub memkeys: bool,
    pub memkeys_samples: Option<u64>,
    /// The command to run; empty: interactive mode.
    pub command: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 6379,
            socket: None,
            user: None,
            pass: None,
            db: 0,
            tls: false,
            sni: None,
            cacert: None,
            cacertdir: None,
            cert: None,
            key: None,
            insecure: false,
            repeat: 1,
            interval: None,
            raw: None,
            stdin_last: false,
            resp3: false,
            errcode: false,
            no_auth_warning: false,
            auth_on_cmdline: false,
            scan: false,
            pattern: None,
            count: None,
            scan_type: None,
            pipe: false,
            pipe_timeout: 30,
            stat: false,
            latency: false,
            latency_history: false,
            bigkeys: false,
            memkeys: false,
            memkeys_samples: None,
            command: Vec::new(),
        }
    }
}

/// What the command line asks for.
pub enum Parsed {
    Run(Box<Config>),
    Help,
    Version,
}

fn bad(opt: &str) -> String {
    format!("Unrecognized option or bad number of args for: '{}'", opt)
}

fn number<T: std::str::FromStr>(opt: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("Invalid value for '{}': '{}'", opt, v))
}

/// Parses `argv` without the program name.
pub fn parse(argv: &[String]) -> Result<Parsed, String> {
    let mut c = Config::default();
    let mut i = 0;
    while i < argv.len() {
        let opt = argv[i].as_str();
        if !opt.starts_with('-') || opt == "-" {
            break;
        }
        // The value of an option that takes one.
        let mut val = || -> Result<String, String> {
            i += 1;
            argv.get(i).cloned().ok_or_else(|| bad(opt))
        };
        match opt {
            "-h" => c.host = val()?,
            "-p" => c.port = number(opt, &val()?)?,
            "-s" => c.socket = Some(val()?),
            "-a" | "--pass" => c.pass = Some(val()?),
            "--user" => c.user = Some(val()?),
            "--askpass" => {
                return Err("--askpass is not supported; use -a or FLASHDB_CLI_AUTH".into())
            }
            "-n" => c.db = number(opt, &val()?)?,
            "-u" => parse_uri(&val()?, &mut c)?,
            "-r" => c.repeat = number(opt, &val()?)?,
            "-i" => {
                let secs: f64 = number(opt, &val()?)?;
                if !secs.is_finite() || secs < 0.0 {
                    return Err(format!("Invalid value for '-i': '{}'", secs));
                }
                c.interval = Some(Duration::from_secs_f64(secs));
            }
            "-x" => c.stdin_last = true,
            "-e" => c.errcode = true,
            "-2" => c.resp3 = false,
            "-3" => c.resp3 = true,
            "--raw" => c.raw = Some(true),
            "--no-raw" => c.raw = Some(false),
            "--no-auth-warning" => c.no_auth_warning = true,
            "--tls" => c.tls = true,
            "--sni" => c.sni = Some(val()?),
            "--cacert" => c.cacert = Some(val()?),
            "--cacertdir" => c.cacertdir = Some(val()?),
            "--cert" => c.cert = Some(val()?),
            "--key" => c.key = Some(val()?),
            "--insecure" => c.insecure = true,
            "--scan" => c.scan = true,
            "--pattern" => c.pattern = Some(val()?),
            "--count" => c.count = Some(number(opt, &val()?)?),
            "--type" => c.scan_type = Some(val()?),
            "--pipe" => c.pipe = true,
            "--pipe-timeout" => c.pipe_timeout = number(opt, &val()?)?,
            "--stat" => c.stat = true,
            "--latency" => c.latency = true,
            "--latency-history" => {
                c.latency = true;
                c.latency_history = true;
            }
            "--bigkeys" => c.bigkeys = true,
            "--memkeys" => c.memkeys = true,
            "--memkeys-samples" => {
                c.memkeys = true;
                c.memkeys_samples = Some(number(opt, &val()?)?);
            }
            "--help" => return Ok(Parsed::Help),
            "-v" | "--version" => return Ok(Parsed::Version),
            _ => return Err(bad(opt)),
        }
        i += 1;
    }
    c.command = argv[i..].to_vec();
    c.auth_on_cmdline = c.pass.is_some();
    if c.pass.is_none() {
        c.pass = std::env::var("FLASHDB_CLI_AUTH")
            .or_else(|_| std::env::var("REDISCLI_AUTH"))
            .ok();
    }
    if c.cert.is_some() != c.key.is_some() {
        return Err("--cert and --key must be given together".into());
    }
    Ok(Parsed::Run(Box::new(c)))
}

/// `redis://[[user]:password@]host[:port][/db]`; `rediss://` turns TLS on.
fn parse_uri(uri: &str, c: &mut Config) -> Result<(), String> {
    let rest = if let Some(r) = uri.strip_prefix("redis://") {
        r
    } else if let Some(r) = uri.strip_prefix("rediss://") {
        c.tls = true;
        r
    } else {
        return Err(format!("Invalid URI scheme: {}", uri));
    };
    let (hostport, path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p + 1..]),
        None => (rest, ""),
    };
    let hostport = match hostport.rfind('@') {
        Some(at) => {
            let cred = &hostport[..at];
            match cred.find(':') {
                Some(colon) => {
                    if colon > 0 {
                        c.user = Some(percent_decode(&cred[..colon])?);
                    }
                    c.pass = Some(percent_decode(&cred[colon + 1..])?);
                }
                // `redis://password@host` (no colon): a password alone.
                None => c.pass = Some(percent_decode(cred)?),
            }
            &hostport[at + 1..]
        }
        None => hostport,
    };
    let (host, port) = if let Some(h) = hostport.strip_prefix('[') {
        // [::1]:6379
        let end = h.find(']').ok_or_else(|| format!("Invalid URI: {}", uri))?;
        (&h[..end], h[end + 1..].strip_prefix(':'))
    } else {
        match hostport.rfind(':') {
            Some(p) => (&hostport[..p], Some(&hostport[p + 1..])),
            None => (hostport, None),
        }
    };
    if !host.is_empty() {
        c.host = host.to_string();
    }
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        c.port = number("-u", p)?;
    }
    let db = path.split(['?', '#']).next().unwrap_or("");
    if !db.is_empty() {
        c.db = number("-u", db)?;
    }
    Ok(())
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("Invalid percent-encoding in URI: {}", s))?;
            out.push(h);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("Invalid URI credentials: {}", s))
}

pub const USAGE: &str = "\
Usage: flashdb-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6379).
  -s <socket>        Server socket (overrides hostname and port).
  -a <password>      Password to use when connecting to the server.
                     You can also use the FLASHDB_CLI_AUTH (or REDISCLI_AUTH)
                     environment variable to pass this password more safely.
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a for consistency with the new --user option.
  --no-auth-warning  Don't show warning message when using password on command
                     line interface.
  -u <uri>           Server URI: redis://[[user]:password@]host[:port][/db],
                     rediss:// for TLS.
  -r <repeat>        Execute specified command N times (-1: forever).
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     It is possible to specify sub-second times like -i 0.1.
                     Also the period of --stat and --latency-history.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode (the default).
  -3                 Start session in RESP3 protocol mode.
  -x                 Read last argument from STDIN.
  -e                 Return exit error code when command execution fails.
  --raw              Use raw formatting for replies (default when STDOUT is
                     not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --tls              Establish a secure TLS connection.
  --sni <host>       Server name indication for TLS.
  --cacert <file>    CA Certificate file to verify with.
  --cacertdir <dir>  Directory where trusted CA certificates are stored.
  --insecure         Allow insecure TLS connection by skipping cert validation.
  --cert <file>      Client certificate to authenticate with.
  --key <file>       Private key file to authenticate with.
  --stat             Print rolling stats about server: mem, clients, ...
  --latency          Enter a special mode continuously sampling latency.
  --latency-history  Like --latency but tracking latency changes over time.
                     Default time interval is 15 sec. Change it using -i.
  --pipe             Transfer raw Redis protocol from stdin to server.
  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data.
                     no reply is received within <n> seconds.
                     Default timeout: 30. Use 0 to wait forever.
  --bigkeys          Sample keys looking for keys with many elements (complexity).
  --memkeys          Sample keys looking for keys consuming a lot of memory.
  --memkeys-samples <n> Sample keys looking for keys consuming a lot of memory.
                     And define number of key elements to sample
  --scan             List all keys using the SCAN command.
  --pattern <pat>    Keys pattern when using the --scan, --bigkeys or --memkeys
                     options (default: *).
  --count <count>    Count option when using the --scan, --bigkeys or --memkeys
                     (default: 10).
  --type <type>      Only keys of this type with --scan.
  --help             Output this help and exit.
  -v, --version      Output version and exit.

Examples:
  flashdb-cli -n 1 incr a
  flashdb-cli -u redis://user:pass@127.0.0.1:6379/0 ping
  cat /etc/passwd | flashdb-cli -x set mypasswd
  flashdb-cli -r 100 lpush mylist x
  flashdb-cli -r 100 -i 1 info | grep used_memory_human:
  flashdb-cli --scan --pattern '*:12345*'

When no command is given, flashdb-cli starts in interactive mode.
Type \"help\" in interactive mode for information on available commands.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Config {
        let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match parse(&v).unwrap() {
            Parsed::Run(c) => *c,
            _ => panic!("not a run"),
        }
    }

    #[test]
    fn options_then_command() {
        let c = run(&[
            "-h", "example", "-p", "7000", "-n", "2", "--raw", "set", "-p", "x",
        ]);
        assert_eq!((c.host.as_str(), c.port, c.db), ("example", 7000, 2));
        assert_eq!(c.raw, Some(true));
        assert_eq!(c.command, ["set", "-p", "x"]);
    }

    #[test]
    fn uris() {
        let c = run(&["-u", "rediss://al%40ce:p%3Ass@db.local:6380/3"]);
        assert!(c.tls);
        assert_eq!(c.user.as_deref(), Some("al@ce"));
        assert_eq!(c.pass.as_deref(), Some("p:ss"));
        assert_eq!((c.host.as_str(), c.port, c.db), ("db.local", 6380, 3));
        let c = run(&["-u", "redis://[::1]:7000"]);
        assert_eq!((c.host.as_str(), c.port, c.db), ("::1", 7000, 0));
        let c = run(&["-u", "redis://:secret@h"]);
        assert_eq!((c.user, c.pass.as_deref()), (None, Some("secret")));
        assert!(parse(&["-u".into(), "http://x".into()]).is_err());
    }

    #[test]
    fn bad_flags_are_errors() {
        for bad in [
            &["-p"][..],
            &["-p", "x"],
            &["--nope"],
            &["-i", "-1"],
            &["--cert", "a"],
        ] {
            let v: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(parse(&v).is_err(), "{bad:?}");
        }
    }
}
