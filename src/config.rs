//! Server configuration: the directive table, loading `flashdb.conf` and
//! `--flags`, and the CONFIG GET / SET / REWRITE logic.
//!
//! One static table ([`specs`]) describes every directive: its name (and
//! Redis alias), how its value is parsed and rendered ([`Kind`]), its
//! default, whether CONFIG SET may change it, and whether it is a
//! compatibility directive (accepted, stored, no effect). Loading, CONFIG
//! GET, CONFIG SET, CONFIG REWRITE and the shipped `flashdb.conf` test all
//! read that table; adding a directive is one row (plus a field if the server
//! reads it).
//!
//! Directives the server acts on are plain `pub` fields of [`Config`];
//! compatibility ones live as rendered strings in [`Config::compat`].
//!
//! What does not live here: acting on a changed value (the server wraps the
//! `Config` in a lock and reads fields), logging, and the argument handling
//! of the `CONFIG` command itself (arity, `ERR ` prefixes, replies).

use crate::glob::glob_match;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------
// The directive table
// ---------------------------------------------------------------------------

/// How a directive's arguments are parsed, checked and rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `yes` / `no`, case-insensitive; rendered `yes` / `no`.
    Bool,
    /// A boolean of which only `no` is supported; the text says why `yes` is refused.
    OnlyNo(&'static str),
    /// A decimal integer (Redis `string2ll` rules) within `min..=max`.
    Int(i64, i64),
    /// A byte count with an optional unit (`1k` = 1000, `1kb` = 1024, `m`,
    /// `mb`, `g`, `gb`, like Redis `memtoull`) within `min..=max`; rendered as
    /// plain bytes.
    Size(i64, i64),
    /// An integer in `0..=i32::MAX`, then clamped to `min..=max` (Redis `hz`).
    Clamped(i64, i64),
    /// An octal integer within `min..=max`, rendered in octal (`unixsocketperm`).
    Octal(i64, i64),
    /// A power of two within `min..=max`.
    PowerOfTwo(i64, i64),
    /// One of a fixed set of words, case-insensitive, rendered as listed.
    Enum(&'static [&'static str]),
    /// Any single string; empty allowed.
    Str,
    /// Between `min` and `max` words (`bind 127.0.0.1 ::1`).
    List(usize, usize),
    /// Snapshot rules, `seconds changes` pairs; `""` means none. Several
    /// `save` lines in one file accumulate, as in Redis.
    Save,
    /// Keyspace notification classes (`KEA`, `Ex`, ...), rendered canonically.
    Events,
    /// `client-output-buffer-limit` groups of `class hard soft seconds`,
    /// merged into the current value class by class.
    OutputBufferLimits,
    /// Numbers between 0 and 100 (`latency-tracking-info-percentiles`).
    Percentiles,
    /// Exactly `n` integers, each within `min..=max` (`oom-score-adj-values`).
    IntList(usize, i64, i64),
}

impl Kind {
    /// Returns whether the directive takes a variable number of arguments.
    fn multi_arg(self) -> bool {
        matches!(
            self,
            Kind::List(..)
                | Kind::Save
                | Kind::OutputBufferLimits
                | Kind::Percentiles
                | Kind::IntList(..)
        )
    }
}

/// One row of the directive table.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The directive's name, lowercase (`maxclients`).
    pub name: &'static str,
    /// The older Redis name also accepted (`hash-max-ziplist-entries`).
    pub alias: Option<&'static str>,
    /// How the value is parsed and rendered.
    pub kind: Kind,
    /// The default, written as it would appear in the config file.
    pub default: &'static str,
    /// Whether CONFIG SET may change it at runtime.
    pub mutable: bool,
    /// Accepted for compatibility with redis.conf; stored, no effect.
    pub compat: bool,
    /// The section of `flashdb.conf` it is documented in.
    pub group: &'static str,
}

/// The sections of `flashdb.conf`, in order.
pub const GROUPS: &[&str] = &[
    "NETWORK",
    "TLS",
    "GENERAL",
    "LIMITS",
    "PERSISTENCE",
    "MEMORY",
    "HTTP",
    "COMPATIBILITY",
];

const MUT: bool = true;
const FIXED: bool = false;
const I32: i64 = i32::MAX as i64;
const U32: i64 = u32::MAX as i64;
const I64: i64 = i64::MAX;
const KB: i64 = 1024;
const MB: i64 = 1024 * KB;
const GB: i64 = 1024 * MB;

const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning", "nothing"];
const FSYNC_POLICIES: &[&str] = &["always", "everysec", "no"];
const EVICTION_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const NO_YES_LOCAL: &[&str] = &["no", "yes", "local"];
/// `tls-auth-clients`: client certificates required, not asked for, or checked when given.
const TLS_AUTH_CLIENTS: &[&str] = &["no", "yes", "optional"];

/// Generates [`Config`] with one `pub` field per typed directive, the table
/// rows for them, and the two accessors that map a directive name to its
/// field, so a typed directive is written down exactly once.
macro_rules! typed_directives {
    ($(
        $(#[$doc:meta])*
        $field:ident: $ty:ty = $name:literal, $kind:expr, $default:literal, $mutable:expr, $group:literal;
    )*) => {
        /// The server's configuration. Typed fields are the directives the
        /// server acts on; [`Config::compat`] holds the accepted-but-inert ones.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Config {
            $( $(#[$doc])* pub $field: $ty, )*
            /// Compatibility directives (no effect), by primary name, each
            /// holding its value as CONFIG GET renders it. Every one is present.
            pub compat: BTreeMap<String, String>,
            /// Compatibility directives set by the config file or the flags.
            pub compat_seen: BTreeSet<String>,
            /// The config file the server was started with, made absolute;
            /// CONFIG REWRITE writes it. `None` when started without one.
            pub config_file: Option<PathBuf>,
            /// `user <name> <rules...>` lines (the words after `user`), in
            /// order: ACL users defined in the configuration. CONFIG
            /// REWRITE writes these in place of the file's user lines.
            pub users: Vec<Vec<String>>,
        }

        static TYPED: &[Spec] = &[$(
            Spec {
                name: $name,
                alias: None,
                kind: $kind,
                default: $default,
                mutable: $mutable,
                compat: false,
                group: $group,
            },
        )*];

        impl Config {
            /// Returns a config with every field zero/empty (defaults are applied on top).
            fn zeroed() -> Config {
                Config {
                    $( $field: Default::default(), )*
                    compat: BTreeMap::new(),
                    compat_seen: BTreeSet::new(),
                    config_file: None,
                    users: Vec::new(),
                }
            }

            /// Returns the typed field behind directive `name`, if it has one.
            fn typed_value(&self, name: &str) -> Option<Value> {
                match name {
                    $( $name => Some(Field::value(&self.$field)), )*
                    _ => None,
                }
            }

            /// Stores a parsed value into the typed field behind directive `name`.
            fn store_typed(&mut self, name: &str, value: Value) {
                match name {
                    $( $name => Field::store(&mut self.$field, value), )*
                    _ => {}
                }
            }
        }
    };
}

/// The I/O drivers `io-model` selects.
const IO_MODELS: &[&str] = &["epoll", "threads"];

typed_directives! {
    // NETWORK
    /// `bind`: addresses the RESP listener binds. FlashDB defaults to
    /// loopback only (Redis 7: `* -::*`).
    bind: Vec<String> = "bind", Kind::List(1, 16), "127.0.0.1", FIXED, "NETWORK";
    /// `port`: RESP port; 0 turns the RESP listener off.
    port: u16 = "port", Kind::Int(0, 65535), "6379", FIXED, "NETWORK";
    /// `protected-mode`: refuse non-loopback clients while no password is set.
    protected_mode: bool = "protected-mode", Kind::Bool, "yes", MUT, "NETWORK";
    /// `requirepass`: password for AUTH; empty = none. It is the `default`
    /// ACL user's password (CONFIG SET changes that user).
    requirepass: String = "requirepass", Kind::Str, "", MUT, "NETWORK";
    /// `aclfile`: the ACL users file (loaded at start, ACL LOAD / ACL
    /// SAVE); relative to `dir`. Empty = users come from `user` lines.
    aclfile: String = "aclfile", Kind::Str, "", FIXED, "NETWORK";
    /// `acllog-max-len`: entries kept in the ACL LOG.
    acllog_max_len: u64 = "acllog-max-len", Kind::Int(0, I64), "128", MUT, "NETWORK";
    /// `acl-pubsub-default`: the channels a new ACL user may use.
    acl_pubsub_default: String = "acl-pubsub-default", Kind::Enum(&["allchannels", "resetchannels"]), "resetchannels", MUT, "NETWORK";
    /// `timeout`: close a client idle this many seconds; 0 = never.
    timeout: u64 = "timeout", Kind::Int(0, I32), "0", MUT, "NETWORK";
    /// `tcp-keepalive`: TCP keepalive period in seconds; 0 = off.
    tcp_keepalive: u64 = "tcp-keepalive", Kind::Int(0, I32), "300", MUT, "NETWORK";
    /// `io-model`: `epoll` = a few event-loop workers each serve many
    /// connections (Linux); `threads` = one pool worker per connection
    /// (every platform; the fallback where epoll does not exist).
    io_model: String = "io-model", Kind::Enum(IO_MODELS), "epoll", FIXED, "NETWORK";
    /// `worker-threads`: event-loop workers for `io-model epoll`; 0 = half
    /// the CPU cores, at least one.
    worker_threads: usize = "worker-threads", Kind::Int(0, 1024), "0", FIXED, "NETWORK";

    // TLS (src/net/tls.rs; needs the `tls` cargo feature, on by default)
    /// `tls-port`: RESP-over-TLS port; 0 = no TLS listener.
    tls_port: u16 = "tls-port", Kind::Int(0, 65535), "0", FIXED, "TLS";
    /// `tls-cert-file`: the server's certificate chain (PEM).
    tls_cert_file: String = "tls-cert-file", Kind::Str, "", FIXED, "TLS";
    /// `tls-key-file`: the server's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    tls_key_file: String = "tls-key-file", Kind::Str, "", FIXED, "TLS";
    /// `tls-key-file-pass`: passphrase of an encrypted key; not supported
    /// (start-up fails with a clear message when set).
    tls_key_file_pass: String = "tls-key-file-pass", Kind::Str, "", FIXED, "TLS";
    /// `tls-ca-cert-file`: CA certificates (PEM) client certificates are checked against.
    tls_ca_cert_file: String = "tls-ca-cert-file", Kind::Str, "", FIXED, "TLS";
    /// `tls-ca-cert-dir`: a directory whose PEM files add CA certificates.
    tls_ca_cert_dir: String = "tls-ca-cert-dir", Kind::Str, "", FIXED, "TLS";
    /// `tls-auth-clients`: `yes` = clients must present a certificate the CA
    /// signed, `optional` = checked when presented, `no` = not asked for.
    tls_auth_clients: String = "tls-auth-clients", Kind::Enum(TLS_AUTH_CLIENTS), "yes", FIXED, "TLS";
    /// `tls-protocols`: e.g. `"TLSv1.2 TLSv1.3"`; empty = both.
    tls_protocols: String = "tls-protocols", Kind::Str, "", FIXED, "TLS";
    /// `tls-ciphersuites`: TLS 1.3 suites, colon-separated; empty = all.
    tls_ciphersuites: String = "tls-ciphersuites", Kind::Str, "", FIXED, "TLS";
    /// `tls-ciphers`: TLS 1.2 suites by OpenSSL name, colon-separated; empty = all.
    tls_ciphers: String = "tls-ciphers", Kind::Str, "", FIXED, "TLS";
    /// `tls-prefer-server-ciphers`: pick the suite by the server's order.
    tls_prefer_server_ciphers: bool = "tls-prefer-server-ciphers", Kind::Bool, "no", FIXED, "TLS";
    /// `tls-session-caching`: let clients resume TLS sessions.
    tls_session_caching: bool = "tls-session-caching", Kind::Bool, "yes", FIXED, "TLS";
    /// `tls-session-cache-size`: sessions kept for resumption.
    tls_session_cache_size: usize = "tls-session-cache-size", Kind::Int(0, I32), "20480", FIXED, "TLS";

    // GENERAL
    /// `daemonize`: only `no` is supported (run under a service manager).
    daemonize: bool = "daemonize",
        Kind::OnlyNo("daemonize yes is not supported by FlashDB; run it under a service manager instead"),
        "no", FIXED, "GENERAL";
    /// `pidfile`: write the process id here; empty = no pid file.
    pidfile: String = "pidfile", Kind::Str, "", FIXED, "GENERAL";
    /// `loglevel`: debug, verbose, notice, warning or nothing.
    loglevel: String = "loglevel", Kind::Enum(LOGLEVELS), "notice", MUT, "GENERAL";
    /// `audit-log`: JSON-lines audit log of failed AUTH, admin commands, FLUSHDB/FLUSHALL/SWAPDB and refused connections; empty = off. Fixed at start-up, so CONFIG SET cannot switch auditing off.
    audit_log: String = "audit-log", Kind::Str, "", FIXED, "GENERAL";
    /// `logfile`: log file path; empty = standard output.
    logfile: String = "logfile", Kind::Str, "", FIXED, "GENERAL";
    /// `databases`: number of logical databases (SELECT 0..n-1).
    databases: usize = "databases", Kind::Int(1, I32), "16", FIXED, "GENERAL";
    /// `stripes`: lock stripes per database (a power of two).
    stripes: usize = "stripes", Kind::PowerOfTwo(1, 65536), "256", FIXED, "GENERAL";
    /// `hz`: background task frequency, clamped to 1..=500 like Redis.
    hz: u32 = "hz", Kind::Clamped(1, 500), "10", MUT, "GENERAL";
    /// `notify-keyspace-events`: keyspace notification classes, canonical form.
    notify_keyspace_events: String = "notify-keyspace-events", Kind::Events, "", MUT, "GENERAL";
    /// `slowlog-log-slower-than`: microseconds; -1 disables, 0 logs everything.
    slowlog_log_slower_than: i64 = "slowlog-log-slower-than", Kind::Int(-1, I64), "10000", MUT, "GENERAL";
    /// `slowlog-max-len`: entries kept in the slow log.
    slowlog_max_len: u64 = "slowlog-max-len", Kind::Int(0, I64), "128", MUT, "GENERAL";
    /// `latency-monitor-threshold`: milliseconds; 0 = latency monitor off.
    latency_monitor_threshold: u64 = "latency-monitor-threshold", Kind::Int(0, I64), "0", MUT, "GENERAL";
    /// `latency-tracking`: per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats).
    latency_tracking: bool = "latency-tracking", Kind::Bool, "yes", MUT, "GENERAL";
    /// `latency-tracking-info-percentiles`: the percentiles INFO latencystats reports.
    latency_tracking_info_percentiles: Vec<String> = "latency-tracking-info-percentiles", Kind::Percentiles, "50 99 99.9", MUT, "GENERAL";

    // LIMITS
    /// `maxclients`: connected clients allowed at once.
    maxclients: usize = "maxclients", Kind::Int(1, U32), "10000", MUT, "LIMITS";
    /// `rate-limit`: `<ops/s> <burst>` token bucket per connection; `0 0` = off, burst 0 = one second's worth.
    rate_limit: Vec<String> = "rate-limit", Kind::IntList(2, 0, I32), "0 0", MUT, "LIMITS";
    /// `rate-limit-user`: `<ops/s> <burst>` token bucket per ACL user, shared by its connections; `0 0` = off.
    rate_limit_user: Vec<String> = "rate-limit-user", Kind::IntList(2, 0, I32), "0 0", MUT, "LIMITS";
    /// `rate-limit-exempt-loopback`: never rate-limit clients connecting from a loopback address.
    rate_limit_exempt_loopback: bool = "rate-limit-exempt-loopback", Kind::Bool, "no", MUT, "LIMITS";
    /// `proto-max-bulk-len`: largest bulk string a client may send, bytes.
    proto_max_bulk_len: u64 = "proto-max-bulk-len", Kind::Size(MB, I64), "512mb", MUT, "LIMITS";
    /// `client-query-buffer-limit`: largest query buffer per client, bytes.
    client_query_buffer_limit: u64 = "client-query-buffer-limit", Kind::Size(MB, I64), "1gb", MUT, "LIMITS";
    /// `client-output-buffer-limit`: `class hard soft seconds` for the
    /// `normal` and `pubsub` classes (`replica` is accepted, unused): a
    /// client whose unsent replies reach `hard`, or stay above `soft` for
    /// longer than `seconds`, is disconnected; 0 = no limit.
    client_output_buffer_limit: String = "client-output-buffer-limit", Kind::OutputBufferLimits,
        "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60", MUT, "LIMITS";

    // PERSISTENCE
    /// `dir`: data directory (WAL segments and snapshots live under it).
    dir: PathBuf = "dir", Kind::Str, "./data", FIXED, "PERSISTENCE";
    /// `appendonly`: write-ahead log on (FlashDB default) or off.
    appendonly: bool = "appendonly", Kind::Bool, "yes", FIXED, "PERSISTENCE";
    /// `appendfsync`: always, everysec or no.
    appendfsync: String = "appendfsync", Kind::Enum(FSYNC_POLICIES), "everysec", MUT, "PERSISTENCE";
    /// `save`: snapshot rules as (seconds, changes); empty = no automatic snapshots.
    save: Vec<(u64, u64)> = "save", Kind::Save, "3600 1 300 100 60 10000", MUT, "PERSISTENCE";
    /// `wal-segment-size`: bytes per WAL segment file.
    wal_segment_size: u64 = "wal-segment-size", Kind::Size(MB, GB), "64mb", FIXED, "PERSISTENCE";
    /// `snapshot-retain`: how many snapshots to keep.
    snapshot_retain: usize = "snapshot-retain", Kind::Int(1, 1000), "2", MUT, "PERSISTENCE";
    /// `wal-max-size`: take a snapshot (and drop the WAL it covers) once the WAL has grown this much since the last one; 0 = only by `save` rules and commands.
    wal_max_size: u64 = "wal-max-size", Kind::Size(0, I64), "256mb", MUT, "PERSISTENCE";
    /// `wal-repair`: at start-up, keep the valid records before a damaged WAL record and set the rest aside instead of refusing to start (`--wal-repair`).
    wal_repair: bool = "wal-repair", Kind::Bool, "no", FIXED, "PERSISTENCE";
    /// `import-rdb`: at start-up, load this Redis dump.rdb (RDB versions 1 to 11) into an empty data dir, take a snapshot, then serve (`--import-rdb path`); refused if the data dir already holds data.
    import_rdb: String = "import-rdb", Kind::Str, "", FIXED, "PERSISTENCE";

    // MEMORY
    /// `maxmemory`: memory limit in bytes; 0 = none.
    maxmemory: u64 = "maxmemory", Kind::Size(0, I64), "0", MUT, "MEMORY";
    /// `maxmemory-policy`: what to do at the limit.
    maxmemory_policy: String = "maxmemory-policy", Kind::Enum(EVICTION_POLICIES), "noeviction", MUT, "MEMORY";
    /// `maxmemory-samples`: keys sampled per eviction.
    maxmemory_samples: u32 = "maxmemory-samples", Kind::Int(1, 64), "5", MUT, "MEMORY";

    // HTTP
    /// `http-port`: port of the HTTP API and dashboard; 0 = off.
    http_port: u16 = "http-port", Kind::Int(0, 65535), "8080", FIXED, "HTTP";
    /// `http-bind`: address of the HTTP listener; empty = the same as `bind`.
    http_bind: String = "http-bind", Kind::Str, "", FIXED, "HTTP";
    /// `http-token`: bearer token the HTTP API and WebSocket require; empty = none (with `requirepass` set, the password is accepted as the token too).
    http_token: String = "http-token", Kind::Str, "", MUT, "HTTP";
    /// `http-cors-origins`: browser origins allowed to call the HTTP API, space-separated (`*` = any origin, never with credentials); empty = no CORS headers.
    http_cors_origins: String = "http-cors-origins", Kind::Str, "", MUT, "HTTP";
    /// `http-max-body`: largest HTTP request body, bytes (413 beyond it).
    http_max_body: u64 = "http-max-body", Kind::Size(KB, GB), "16mb", MUT, "HTTP";
}

const fn compat(name: &'static str, kind: Kind, default: &'static str, mutable: bool) -> Spec {
    Spec {
        name,
        alias: None,
        kind,
        default,
        mutable,
        compat: true,
        group: "COMPATIBILITY",
    }
}

const fn compat_alias(
    name: &'static str,
    alias: &'static str,
    kind: Kind,
    default: &'static str,
) -> Spec {
    Spec {
        alias: Some(alias),
        ..compat(name, kind, default, MUT)
    }
}

/// The compatibility directives FlashDB does act on, and what they do
/// (docs/CONFIG.md prints it; the startup "no effect" line leaves them out).
pub const COMPAT_WITH_EFFECT: &[(&str, &str)] = &[
    (
        "hash-max-listpack-entries",
        "acted on: past it a hash reports (OBJECT ENCODING) and scans (HSCAN) as a hashtable, as Redis converts it; storage is the same",
    ),
    (
        "hash-max-listpack-value",
        "acted on: a longer field or value makes a hash a hashtable (see above)",
    ),
    (
        "set-max-intset-entries",
        "acted on: past it an all-integer set stops being an intset (OBJECT ENCODING, and the intset's ascending order in SMEMBERS, SSCAN, SINTER ... replies)",
    ),
    (
        "zset-max-listpack-entries",
        "acted on: past it a sorted set reports (OBJECT ENCODING) and scans (ZSCAN) as a skiplist",
    ),
    (
        "zset-max-listpack-value",
        "acted on: a longer member makes a sorted set a skiplist (see above)",
    ),
    (
        "hll-sparse-max-bytes",
        "acted on: the size past which a HyperLogLog switches from the sparse to the dense representation",
    ),
    (
        "lazyfree-lazy-eviction",
        "acted on: big evicted values are freed on the lazy-free thread",
    ),
    (
        "maxmemory-eviction-tenacity",
        "acted on: how long one eviction run may take (10 = 500 µs, 100 = no limit)",
    ),
    (
        "lfu-log-factor",
        "acted on: how slowly the LFU counter grows",
    ),
    (
        "lfu-decay-time",
        "acted on: minutes per LFU counter decrement (0 = never)",
    ),
    (
        "stream-node-max-bytes",
        "acted on: a stream's new entry starts a new listpack node once the tail node's bytes plus the entry's would reach it (0: only the 1 GiB listpack cap); this moves `~` trims and XINFO's radix-tree-keys as in Redis; later appends only",
    ),
    (
        "stream-node-max-entries",
        "acted on: entries (live or deleted) per stream listpack node (0 = no limit); `~` trims without LIMIT remove at most 100 times this (10000 when 0, at most 1000000); node splits apply to later appends only",
    ),
    (
        "tracking-table-max-keys",
        "acted on: keys the client-side caching table remembers; past it, keys are dropped with an invalidation (0 = no limit)",
    ),
];

/// Redis 7 directives FlashDB accepts and reports but (except those in
/// `COMPAT_WITH_EFFECT`) does not act on, with Redis's defaults and
/// mutability. One row per directive.
#[rustfmt::skip]
static COMPAT: &[Spec] = &[
    // Encodings.
    compat_alias("hash-max-listpack-entries", "hash-max-ziplist-entries", Kind::Int(0, I64), "512"),
    compat_alias("hash-max-listpack-value", "hash-max-ziplist-value", Kind::Int(0, I64), "64"),
    compat_alias("list-max-listpack-size", "list-max-ziplist-size", Kind::Int(i32::MIN as i64, I32), "-2"),
    compat("list-max-ziplist-entries", Kind::Int(0, I64), "512", MUT),
    compat("list-max-ziplist-value", Kind::Int(0, I64), "64", MUT),
    compat("list-compress-depth", Kind::Int(0, I32), "0", MUT),
    compat("set-max-intset-entries", Kind::Int(0, I64), "512", MUT),
    compat("set-max-listpack-entries", Kind::Int(0, I64), "128", MUT),
    compat("set-max-listpack-value", Kind::Int(0, I64), "64", MUT),
    compat_alias("zset-max-listpack-entries", "zset-max-ziplist-entries", Kind::Int(0, I64), "128"),
    compat_alias("zset-max-listpack-value", "zset-max-ziplist-value", Kind::Int(0, I64), "64"),
    compat("hll-sparse-max-bytes", Kind::Size(0, I64), "3000", MUT),
    compat("stream-node-max-bytes", Kind::Size(0, I64), "4096", MUT),
    compat("stream-node-max-entries", Kind::Int(0, I64), "100", MUT),
    compat("activerehashing", Kind::Bool, "yes", MUT),
    // Lazy freeing and threads.
    compat("lazyfree-lazy-eviction", Kind::Bool, "no", MUT),
    compat("lazyfree-lazy-expire", Kind::Bool, "no", MUT),
    compat("lazyfree-lazy-server-del", Kind::Bool, "no", MUT),
    compat("lazyfree-lazy-user-del", Kind::Bool, "no", MUT),
    compat("lazyfree-lazy-user-flush", Kind::Bool, "no", MUT),
    compat("io-threads", Kind::Int(1, 128), "1", FIXED),
    compat("io-threads-do-reads", Kind::Bool, "no", FIXED),
    // Network and process.
    compat("tcp-backlog", Kind::Int(0, I32), "511", FIXED),
    compat("unixsocket", Kind::Str, "", FIXED),
    compat("unixsocketperm", Kind::Octal(0, 0o777), "0", FIXED),
    compat("supervised", Kind::Enum(&["upstart", "systemd", "auto", "no"]), "no", FIXED),
    compat("always-show-logo", Kind::Bool, "no", FIXED),
    compat("set-proc-title", Kind::Bool, "yes", FIXED),
    compat("proc-title-template", Kind::Str, "{title} {listen-addr} {server-mode}", MUT),
    compat("syslog-enabled", Kind::Bool, "no", FIXED),
    compat("syslog-ident", Kind::Str, "redis", FIXED),
    compat("syslog-facility", Kind::Enum(&["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]), "local0", FIXED),
    compat("crash-log-enabled", Kind::Bool, "yes", MUT),
    compat("crash-memcheck-enabled", Kind::Bool, "yes", MUT),
    compat("enable-protected-configs", Kind::Enum(NO_YES_LOCAL), "no", FIXED),
    compat("enable-debug-command", Kind::Enum(NO_YES_LOCAL), "no", FIXED),
    compat("enable-module-command", Kind::Enum(NO_YES_LOCAL), "no", FIXED),
    compat("locale-collate", Kind::Str, "", MUT),
    compat("shutdown-timeout", Kind::Int(0, I32), "10", MUT),
    compat("cluster-enabled", Kind::OnlyNo("cluster mode is not supported by FlashDB"), "no", FIXED),
    // Cluster tuning: meaningless without cluster mode, which stays off.
    compat("cluster-config-file", Kind::Str, "nodes.conf", FIXED),
    compat("cluster-port", Kind::Int(0, 65535), "0", FIXED),
    compat("cluster-node-timeout", Kind::Int(0, I64), "15000", MUT),
    compat("cluster-migration-barrier", Kind::Int(0, I32), "1", MUT),
    compat("cluster-allow-replica-migration", Kind::Bool, "yes", MUT),
    compat_alias("cluster-replica-validity-factor", "cluster-slave-validity-factor", Kind::Int(0, I32), "10"),
    compat_alias("cluster-replica-no-failover", "cluster-slave-no-failover", Kind::Bool, "no"),
    compat("cluster-require-full-coverage", Kind::Bool, "yes", MUT),
    compat("cluster-allow-reads-when-down", Kind::Bool, "no", MUT),
    compat("cluster-allow-pubsubshard-when-down", Kind::Bool, "yes", MUT),
    compat("cluster-announce-ip", Kind::Str, "", MUT),
    compat("cluster-announce-hostname", Kind::Str, "", MUT),
    compat("cluster-announce-port", Kind::Int(0, 65535), "0", MUT),
    compat("cluster-announce-bus-port", Kind::Int(0, 65535), "0", MUT),
    compat("cluster-announce-tls-port", Kind::Int(0, 65535), "0", MUT),
    // TLS for replication and the cluster bus (neither exists here), and
    // knobs rustls has no counterpart for.
    compat("tls-cluster", Kind::Bool, "no", MUT),
    compat("tls-replication", Kind::Bool, "no", MUT),
    compat("tls-client-cert-file", Kind::Str, "", MUT),
    compat("tls-client-key-file", Kind::Str, "", MUT),
    compat("tls-client-key-file-pass", Kind::Str, "", MUT),
    compat("tls-dh-params-file", Kind::Str, "", MUT),
    compat("tls-session-cache-timeout", Kind::Int(0, I32), "300", MUT),
    compat("cluster-preferred-endpoint-type", Kind::Enum(&["ip", "hostname", "unknown-endpoint"]), "ip", MUT),
    compat("cluster-link-sendbuf-limit", Kind::Size(0, I64), "0", MUT),
    // Process placement and miscellany with no meaning here.
    compat("server_cpulist", Kind::Str, "", FIXED),
    compat("bio_cpulist", Kind::Str, "", FIXED),
    compat("aof_rewrite_cpulist", Kind::Str, "", FIXED),
    compat("bgsave_cpulist", Kind::Str, "", FIXED),
    compat("bind-source-addr", Kind::Str, "", MUT),
    compat("socket-mark-id", Kind::Int(0, U32), "0", MUT),
    compat("ignore-warnings", Kind::Str, "", MUT),
    compat("propagation-error-behavior", Kind::Enum(&["ignore", "panic", "panic-on-replicas"]), "ignore", MUT),
    compat("aof-disable-auto-gc", Kind::Bool, "no", MUT),
    compat("replica-ignore-disk-write-errors", Kind::Bool, "no", MUT),
    compat_alias("replica-announce-ip", "slave-announce-ip", Kind::Str, ""),
    compat_alias("replica-announce-port", "slave-announce-port", Kind::Int(0, 65535), "0"),
    // RDB snapshots (FlashDB has its own snapshot format).
    compat("stop-writes-on-bgsave-error", Kind::Bool, "yes", MUT),
    compat("rdbcompression", Kind::Bool, "yes", MUT),
    compat("rdbchecksum", Kind::Bool, "yes", FIXED),
    compat("rdb-del-sync-files", Kind::Bool, "no", MUT),
    compat("rdb-save-incremental-fsync", Kind::Bool, "yes", MUT),
    compat("dbfilename", Kind::Str, "dump.rdb", MUT),
    // Replication.
    compat_alias("replica-serve-stale-data", "slave-serve-stale-data", Kind::Bool, "yes"),
    compat_alias("replica-read-only", "slave-read-only", Kind::Bool, "yes"),
    compat("repl-diskless-sync", Kind::Bool, "yes", MUT),
    compat("repl-diskless-sync-delay", Kind::Int(0, I32), "5", MUT),
    compat("repl-diskless-sync-max-replicas", Kind::Int(0, I32), "0", MUT),
    compat("repl-diskless-load", Kind::Enum(&["disabled", "on-empty-db", "swapdb"]), "disabled", MUT),
    compat("repl-disable-tcp-nodelay", Kind::Bool, "no", MUT),
    compat_alias("repl-ping-replica-period", "repl-ping-slave-period", Kind::Int(1, I32), "10"),
    compat("repl-timeout", Kind::Int(1, I32), "60", MUT),
    compat("repl-backlog-size", Kind::Size(1, I64), "1mb", MUT),
    compat("repl-backlog-ttl", Kind::Int(0, I32), "3600", MUT),
    compat_alias("replica-priority", "slave-priority", Kind::Int(0, I32), "100"),
    compat("replica-announced", Kind::Bool, "yes", MUT),
    compat_alias("replica-lazy-flush", "slave-lazy-flush", Kind::Bool, "no"),
    compat_alias("replica-ignore-maxmemory", "slave-ignore-maxmemory", Kind::Bool, "yes"),
    compat_alias("min-replicas-to-write", "min-slaves-to-write", Kind::Int(0, I32), "0"),
    compat_alias("min-replicas-max-lag", "min-slaves-max-lag", Kind::Int(0, I32), "10"),
    // Append only file (FlashDB's WAL replaces it).
    compat("appendfilename", Kind::Str, "appendonly.aof", FIXED),
    compat("appenddirname", Kind::Str, "appendonlydir", FIXED),
    compat("no-appendfsync-on-rewrite", Kind::Bool, "no", MUT),
    compat("auto-aof-rewrite-percentage", Kind::Int(0, I32), "100", MUT),
    compat("auto-aof-rewrite-min-size", Kind::Size(0, I64), "64mb", MUT),
    compat("aof-load-truncated", Kind::Bool, "yes", MUT),
    compat("aof-use-rdb-preamble", Kind::Bool, "yes", MUT),
    compat("aof-timestamp-enabled", Kind::Bool, "no", MUT),
    compat("aof-rewrite-incremental-fsync", Kind::Bool, "yes", MUT),
    // Scripting.
    compat_alias("busy-reply-threshold", "lua-time-limit", Kind::Int(0, I64), "5000"),
    compat("lua-replicate-commands", Kind::Bool, "yes", MUT),
    // Active defragmentation and the allocator.
    compat("activedefrag", Kind::Bool, "no", MUT),
    compat("active-defrag-ignore-bytes", Kind::Size(1, I64), "100mb", MUT),
    compat("active-defrag-threshold-lower", Kind::Int(0, 1000), "10", MUT),
    compat("active-defrag-threshold-upper", Kind::Int(0, 1000), "100", MUT),
    compat("active-defrag-cycle-min", Kind::Int(1, 99), "1", MUT),
    compat("active-defrag-cycle-max", Kind::Int(1, 99), "25", MUT),
    compat("active-defrag-max-scan-fields", Kind::Int(1, I64), "1000", MUT),
    compat("jemalloc-bg-thread", Kind::Bool, "yes", MUT),
    // Kernel and process tuning.
    compat("oom-score-adj", Kind::Enum(&["no", "yes", "relative", "absolute"]), "no", MUT),
    compat("oom-score-adj-values", Kind::IntList(3, -2000, 2000), "0 200 800", MUT),
    compat("disable-thp", Kind::Bool, "yes", FIXED),
    compat("dynamic-hz", Kind::Bool, "yes", MUT),
    compat("active-expire-effort", Kind::Int(1, 10), "1", MUT),
    // Clients, eviction tuning, tracking, ACL.
    compat("maxmemory-clients", Kind::Size(0, I64), "0", MUT),
    compat("maxmemory-eviction-tenacity", Kind::Int(0, 100), "10", MUT),
    compat("lfu-log-factor", Kind::Int(0, I32), "10", MUT),
    compat("lfu-decay-time", Kind::Int(0, I32), "1", MUT),
    compat("tracking-table-max-keys", Kind::Int(0, I64), "1000000", MUT),
    compat("sanitize-dump-payload", Kind::Enum(&["no", "yes", "clients"]), "no", MUT),
];

/// Returns every directive, typed ones first, in table order.
pub fn specs() -> impl Iterator<Item = &'static Spec> {
    TYPED.iter().chain(COMPAT.iter())
}

/// Returns the directive called `name` (or aliased so), case-insensitively.
pub fn lookup(name: &str) -> Option<&'static Spec> {
    specs().find(|s| {
        s.name.eq_ignore_ascii_case(name) || s.alias.is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

// ---------------------------------------------------------------------------
// Values and the fields that hold them
// ---------------------------------------------------------------------------

/// A parsed directive value, before it lands in a field or in `compat`.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Int(i64),
    Bool(bool),
    Str(String),
    List(Vec<String>),
    Save(Vec<(u64, u64)>),
}

/// A Rust type that can hold a directive's value.
trait Field {
    fn value(&self) -> Value;
    fn store(&mut self, value: Value);
}

macro_rules! unsigned_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn value(&self) -> Value {
                Value::Int(i64::try_from(*self).unwrap_or(i64::MAX))
            }
            fn store(&mut self, value: Value) {
                // The table's ranges keep every value within the field's type.
                if let Value::Int(n) = value {
                    if let Ok(n) = <$t>::try_from(n) {
                        *self = n;
                    }
                }
            }
        }
    )*};
}
unsigned_field!(u16, u32, u64, usize);

impl Field for i64 {
    fn value(&self) -> Value {
        Value::Int(*self)
    }
    fn store(&mut self, value: Value) {
        if let Value::Int(n) = value {
            *self = n;
        }
    }
}

impl Field for bool {
    fn value(&self) -> Value {
        Value::Bool(*self)
    }
    fn store(&mut self, value: Value) {
        if let Value::Bool(b) = value {
            *self = b;
        }
    }
}

impl Field for String {
    fn value(&self) -> Value {
        Value::Str(self.clone())
    }
    fn store(&mut self, value: Value) {
        if let Value::Str(s) = value {
            *self = s;
        }
    }
}

impl Field for PathBuf {
    fn value(&self) -> Value {
        Value::Str(self.to_string_lossy().into_owned())
    }
    fn store(&mut self, value: Value) {
        if let Value::Str(s) = value {
            *self = PathBuf::from(s);
        }
    }
}

impl Field for Vec<String> {
    fn value(&self) -> Value {
        Value::List(self.clone())
    }
    fn store(&mut self, value: Value) {
        if let Value::List(l) = value {
            *self = l;
        }
    }
}

impl Field for Vec<(u64, u64)> {
    fn value(&self) -> Value {
        Value::Save(self.clone())
    }
    fn store(&mut self, value: Value) {
        if let Value::Save(rules) = value {
            *self = rules;
        }
    }
}

// ---------------------------------------------------------------------------
// Parsing and rendering values
// ---------------------------------------------------------------------------

/// Parses a byte count like Redis `memtoull`: digits, then an optional unit
/// `b`, `k` (1000), `kb` (1024), `m`, `mb`, `g`, `gb`, case-insensitive.
/// Returns `None` for anything else or on overflow.
pub fn parse_size(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.is_empty() {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mul)
}

/// Parses `yes` / `no` (case-insensitive) like Redis `yesnotoi`.
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("yes") {
        Some(true)
    } else if s.eq_ignore_ascii_case("no") {
        Some(false)
    } else {
        None
    }
}

/// Parses a decimal integer like Redis `string2ll`: no `+`, no leading
/// zeros, no spaces, within `i64`.
fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let well_formed = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" && digits.len() == s.len() || !digits.starts_with('0'));
    if well_formed {
        s.parse().ok()
    } else {
        None
    }
}

/// Splits a config line into arguments like Redis `sdssplitargs` (the
/// same splitter inline commands use): blanks separate arguments; `"..."`
/// understands `\n \r \t \b \a \\ \"` and `\xHH`; `'...'` understands only
/// `\'`. Returns `Err` on unbalanced quotes.
pub fn split_args(line: &str) -> Result<Vec<String>, String> {
    crate::resp::parser::split_args(line.as_bytes())
        .map(|v| {
            v.into_iter()
                .map(|a| String::from_utf8_lossy(&a).into_owned())
                .collect()
        })
        .ok_or_else(|| "unbalanced quotes".to_string())
}

/// Returns `s` as one config-file argument: bare when that reads back the
/// same, otherwise double-quoted with escapes (the inverse of [`split_args`]).
fn quote_arg(s: &str) -> String {
    let bare = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\'));
    if bare {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Formats a byte count the way Redis writes it back to a config file
/// (`rewriteConfigFormatMemory`): `Ngb`, `Nmb`, `Nkb` when exact, else bytes.
fn human_size(bytes: &str) -> String {
    let Ok(n) = bytes.parse::<i64>() else {
        return bytes.to_string();
    };
    match n {
        0 => "0".to_string(),
        n if n % GB == 0 => format!("{}gb", n / GB),
        n if n % MB == 0 => format!("{}mb", n / MB),
        n if n % KB == 0 => format!("{}kb", n / KB),
        n => n.to_string(),
    }
}

fn check_range(n: i64, min: i64, max: i64) -> Result<i64, String> {
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "argument must be between {min} and {max} inclusive"
        ))
    }
}

const NOT_AN_INTEGER: &str = "argument couldn't be parsed into an integer";

/// Parses `args` (the words after the directive name) for `spec`. `current`
/// is the directive's current rendered value (merging kinds build on it).
fn parse_value(spec: &Spec, args: &[String], current: &str) -> Result<Value, String> {
    if !spec.kind.multi_arg() && args.len() != 1 {
        return Err("wrong number of arguments".to_string());
    }
    let one = args.first().map(String::as_str).unwrap_or("");
    let int = || parse_int(one).ok_or_else(|| NOT_AN_INTEGER.to_string());
    // A single empty argument means "none" for list-like kinds (`save ""`).
    let words: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    match spec.kind {
        Kind::Bool => parse_bool(one)
            .map(Value::Bool)
            .ok_or_else(|| "argument must be 'yes' or 'no'".to_string()),
        Kind::OnlyNo(why) => match parse_bool(one) {
            Some(false) => Ok(Value::Bool(false)),
            Some(true) => Err(why.to_string()),
            None => Err("argument must be 'yes' or 'no'".to_string()),
        },
        Kind::Int(min, max) => check_range(int()?, min, max).map(Value::Int),
        Kind::Size(min, max) => {
            let n = parse_size(one)
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| "argument must be a memory value".to_string())?;
            check_range(n, min, max).map(Value::Int)
        }
        Kind::Clamped(min, max) => Ok(Value::Int(check_range(int()?, 0, I32)?.clamp(min, max))),
        Kind::Octal(min, max) => {
            let n = Some(one)
                .filter(|s| !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                .and_then(|s| i64::from_str_radix(s, 8).ok())
                .ok_or_else(|| NOT_AN_INTEGER.to_string())?;
            if (min..=max).contains(&n) {
                Ok(Value::Int(n))
            } else {
                Err(format!(
                    "argument must be between {min:o} and {max:o} inclusive"
                ))
            }
        }
        Kind::PowerOfTwo(min, max) => {
            let n = int()?;
            if (min..=max).contains(&n) && u64::try_from(n).is_ok_and(u64::is_power_of_two) {
                Ok(Value::Int(n))
            } else {
                Err(format!(
                    "argument must be a power of two between {min} and {max} inclusive"
                ))
            }
        }
        Kind::Enum(names) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(one))
            .map(|n| Value::Str((*n).to_string()))
            .ok_or_else(|| {
                format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                )
            }),
        Kind::Str => Ok(Value::Str(one.to_string())),
        Kind::List(min, max) => {
            if words.len() < min {
                Err("wrong number of arguments".to_string())
            } else if words.len() > max {
                Err(format!("Too many {} addresses specified.", spec.name))
            } else {
                Ok(Value::List(words.to_vec()))
            }
        }
        Kind::Save => parse_save(words).map(Value::Save),
        Kind::Events => parse_events(one).map(Value::Str),
        Kind::OutputBufferLimits => parse_output_buffer_limits(args, current).map(Value::Str),
        Kind::Percentiles => words
            .iter()
            .map(|w| {
                let v = w
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("Invalid {} parameters", spec.name))?;
                if (0.0..=100.0).contains(&v) {
                    Ok(v.to_string())
                } else {
                    Err(format!(
                        "{} parameters should sit between [0.0,100.0]",
                        spec.name
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        Kind::IntList(n, min, max) => {
            if args.len() != n {
                return Err("wrong number of arguments".to_string());
            }
            args.iter()
                .map(|a| {
                    parse_int(a)
                        .filter(|v| (min..=max).contains(v))
                        .map(|v| v.to_string())
                        .ok_or_else(|| {
                            format!(
                                "Invalid {}, elements must be between {min} and {max}.",
                                spec.name
                            )
                        })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List)
        }
    }
}

/// Parses `save` rules: pairs of seconds (>= 1) and changes (>= 0).
fn parse_save(words: &[String]) -> Result<Vec<(u64, u64)>, String> {
    let invalid = || "Invalid save parameters".to_string();
    if !words.len().is_multiple_of(2) {
        return Err(invalid());
    }
    words
        .chunks(2)
        .map(|pair| {
            let seconds = pair[0].parse::<u64>().ok().filter(|&s| s >= 1);
            let changes = pair[1].parse::<u64>().ok();
            seconds.zip(changes).ok_or_else(invalid)
        })
        .collect()
}

/// Parses notify-keyspace-events flags and returns their canonical rendering
/// (`keyspaceEventsFlagsToString`: `A` or the classes, then `n`, `K`, `E`, `m`).
fn parse_events(s: &str) -> Result<String, String> {
    crate::pubsub::parse_notify_flags(s)
        .map(crate::pubsub::render_notify_flags)
        .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string())
}

/// Client classes of `client-output-buffer-limit`, as CONFIG GET names them.
const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

/// The `[hard, soft, seconds]` limits of each class (normal, slave,
/// pubsub) in a rendered `client-output-buffer-limit` value.
pub fn output_buffer_limits(rendered: &str) -> [[u64; 3]; 3] {
    let mut limits = [[0u64; 3]; 3];
    let words: Vec<&str> = rendered.split_whitespace().collect();
    for group in words.chunks(4) {
        if let [class, rest @ ..] = group {
            if let Some(k) = OBUF_CLASSES.iter().position(|c| c == class) {
                for (slot, v) in limits[k].iter_mut().zip(rest) {
                    *slot = v.parse().unwrap_or(0);
                }
            }
        }
    }
    limits
}

/// Applies `class hard soft seconds` groups to the `current` rendered
/// limits (classes not named keep their value) and returns the new rendering.
fn parse_output_buffer_limits(args: &[String], current: &str) -> Result<String, String> {
    if args.is_empty() || !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut limits = output_buffer_limits(current);
    for group in args.chunks(4) {
        let class = group[0].to_ascii_lowercase();
        let k = match class.as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_string(),
                )
            }
        };
        let hard = parse_size(&group[1]);
        let soft = parse_size(&group[2]);
        let seconds = group[3].parse::<u64>().ok();
        match (hard, soft, seconds) {
            (Some(h), Some(s), Some(secs)) => limits[k] = [h, s, secs],
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit \
                            configuration."
                        .to_string(),
                )
            }
        }
    }
    Ok(OBUF_CLASSES
        .iter()
        .zip(limits)
        .map(|(class, [h, s, secs])| format!("{class} {h} {s} {secs}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// Renders a value the way CONFIG GET shows it.
fn render(spec: &Spec, value: &Value) -> String {
    match value {
        Value::Int(n) if matches!(spec.kind, Kind::Octal(..)) => format!("{n:o}"),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Str(s) => s.clone(),
        Value::List(words) => words.join(" "),
        Value::Save(rules) => rules
            .iter()
            .map(|(s, c)| format!("{s} {c}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Returns the config-file line(s) that set `spec` to the rendered `value`.
fn file_lines(spec: &Spec, value: &str) -> Vec<String> {
    let name = spec.name;
    let words: Vec<&str> = value.split_whitespace().collect();
    match spec.kind {
        Kind::Save if words.is_empty() => vec![format!("{name} \"\"")],
        Kind::Save => words
            .chunks(2)
            .map(|pair| format!("{name} {}", pair.join(" ")))
            .collect(),
        Kind::OutputBufferLimits => words
            .chunks(4)
            .map(|group| match group {
                [class, hard, soft, secs] => {
                    let class = if *class == "slave" { "replica" } else { class };
                    format!(
                        "{name} {class} {} {} {secs}",
                        human_size(hard),
                        human_size(soft)
                    )
                }
                _ => format!("{name} {}", group.join(" ")),
            })
            .collect(),
        Kind::Size(..) => vec![format!("{name} {}", human_size(value))],
        Kind::List(..) | Kind::Percentiles | Kind::IntList(..) if words.is_empty() => {
            vec![format!("{name} \"\"")]
        }
        Kind::List(..) | Kind::Percentiles | Kind::IntList(..) => {
            let args: Vec<String> = words.iter().map(|w| quote_arg(w)).collect();
            vec![format!("{name} {}", args.join(" "))]
        }
        _ => vec![format!("{name} {}", quote_arg(value))],
    }
}

// ---------------------------------------------------------------------------
// Loading: file + command line
// ---------------------------------------------------------------------------

/// Why the server could not load its configuration. `Display` gives the
/// full message to print on stderr before exiting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The config file could not be read.
    Open { path: PathBuf, reason: String },
    /// A line of the config file was rejected (`line` counts from 1).
    File {
        path: PathBuf,
        line: usize,
        text: String,
        reason: String,
    },
    /// A command-line option was rejected; `position` is its index in argv
    /// (the program name being 0).
    Args {
        position: usize,
        text: String,
        reason: String,
    },
}

const FATAL_HEADER: &str = "*** FATAL CONFIG FILE ERROR (FlashDB) ***";

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Open { path, reason } => write!(
                f,
                "Fatal error, can't open config file '{}': {reason}",
                path.display()
            ),
            ConfigError::File {
                path,
                line,
                text,
                reason,
            } => write!(
                f,
                "{FATAL_HEADER}\nReading the configuration file '{}', at line {line}\n\
                 >>> '{text}'\n{reason}",
                path.display()
            ),
            ConfigError::Args {
                position,
                text,
                reason,
            } => write!(
                f,
                "{FATAL_HEADER}\nReading the command line arguments, at argument {position}\n\
                 >>> '{text}'\n{reason}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Returns an I/O error's text without Rust's " (os error N)" suffix, as
/// `strerror` would print it.
pub fn os_message(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Loads the configuration from the command line (without argv\[0\]):
/// `[path/to/flashdb.conf] [--directive value ...]`. Returns the full fatal
/// message to print on stderr on failure.
pub fn load_from_args(args: &[String]) -> Result<Config, String> {
    Config::load(args).map_err(|e| e.to_string())
}

/// What the lines loaded so far have already done (Redis resets the default
/// `save` rules at the first `save` line, then accumulates).
#[derive(Default)]
struct LoadState {
    save_seen: bool,
}

impl Config {
    /// Loads `flashdb [config-file] [--directive value ...]` (args without
    /// argv\[0\]): defaults, then the file, then the flags, so flags win.
    pub fn load(args: &[String]) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut flags = args;
        if let Some(first) = args.first() {
            if !first.starts_with('-') {
                let path = PathBuf::from(first);
                let text = fs::read(&path).map_err(|e| ConfigError::Open {
                    path: path.clone(),
                    reason: os_message(&e),
                })?;
                cfg.load_file_text(&text, &path)?;
                cfg.config_file = Some(std::path::absolute(&path).unwrap_or(path));
                flags = &args[1..];
            }
        }
        cfg.load_flags(flags, args.len() - flags.len())?;
        Ok(cfg)
    }

    /// Applies the directives of a config file's contents; `path` is for messages.
    fn load_file_text(&mut self, text: &[u8], path: &Path) -> Result<(), ConfigError> {
        let mut state = LoadState::default();
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |reason: String| ConfigError::File {
                path: path.to_path_buf(),
                line: i + 1,
                text: line.to_string(),
                reason,
            };
            let argv = split_args(line)
                .map_err(|_| fail("Unbalanced quotes in configuration line".to_string()))?;
            if let Some((name, values)) = argv.split_first() {
                self.load_directive(name, values, &mut state)
                    .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Applies `--directive value...` options; `offset` is the argv index of
    /// `flags[0]` minus one, for messages.
    fn load_flags(&mut self, flags: &[String], offset: usize) -> Result<(), ConfigError> {
        if let Some(k) = flags.iter().position(|f| f == "-") {
            return Err(ConfigError::Args {
                position: offset + k + 1,
                text: "-".to_string(),
                reason: "reading the configuration from standard input ('-') is not supported"
                    .to_string(),
            });
        }
        let mut state = LoadState::default();
        let mut i = 0;
        while i < flags.len() {
            let flag = &flags[i];
            let position = offset + i + 1;
            let Some(name) = flag.strip_prefix("--").filter(|n| !n.is_empty()) else {
                let reason = if i == 0 && offset == 0 {
                    format!("unknown option '{flag}'")
                } else {
                    format!("unexpected argument '{flag}'; options look like --name value")
                };
                return Err(ConfigError::Args {
                    position,
                    text: flag.clone(),
                    reason,
                });
            };
            let end = flags[i + 1..]
                .iter()
                .position(|a| a.starts_with("--"))
                .map_or(flags.len(), |k| i + 1 + k);
            let mut values = flags[i + 1..end].to_vec();
            if values.is_empty() && name.eq_ignore_ascii_case("save") {
                // Redis: a bare `--save` means `save ""`.
                values.push(String::new());
            }
            if values.is_empty() && name.eq_ignore_ascii_case("wal-repair") {
                // A bare `--wal-repair` switches it on.
                values.push("yes".to_string());
            }
            self.load_directive(name, &values, &mut state)
                .map_err(|reason| ConfigError::Args {
                    position,
                    text: flags[i..end].join(" "),
                    reason,
                })?;
            i = end;
        }
        Ok(())
    }

    /// Applies one directive from the file or the flags.
    fn load_directive(
        &mut self,
        name: &str,
        args: &[String],
        state: &mut LoadState,
    ) -> Result<(), String> {
        if name.eq_ignore_ascii_case("user") && !args.is_empty() {
            return self.load_user(args);
        }
        let spec =
            lookup(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let split;
        let mut args = args;
        if spec.kind.multi_arg() && args.len() == 1 && !args[0].is_empty() {
            // Like Redis: `--save "900 1 300 10"` is split into words.
            split = split_args(&args[0])
                .map_err(|_| "Unbalanced quotes in configuration line".to_string())?;
            args = &split;
        }
        let is_save = matches!(spec.kind, Kind::Save);
        self.apply(spec, args, is_save && state.save_seen)?;
        state.save_seen |= is_save;
        if spec.compat {
            self.compat_seen.insert(spec.name.to_string());
        }
        Ok(())
    }

    /// A `user <name> <rules...>` line: checked like Redis does while
    /// reading (rules are applied when the server starts), kept in `users`.
    fn load_user(&mut self, args: &[String]) -> Result<(), String> {
        crate::acl::validate_user_line(args)
            .map_err(|e| format!("Error in user declaration {e}"))?;
        if self.users.iter().any(|u| u.first() == args.first()) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be defined once in config files",
                args[0]
            ));
        }
        self.users.push(args.to_vec());
        Ok(())
    }

    /// Parses `args` for `spec` and stores the result; with `append`, `save`
    /// rules are added to the current ones instead of replacing them.
    fn apply(&mut self, spec: &Spec, args: &[String], append: bool) -> Result<(), String> {
        let current = self.rendered(spec);
        let mut value = parse_value(spec, args, &current)?;
        if append {
            if let (Value::Save(new), Some(Value::Save(mut old))) =
                (&mut value, self.typed_value(spec.name))
            {
                if !new.is_empty() {
                    old.append(new);
                    *new = old;
                }
            }
        }
        if spec.compat {
            self.compat
                .insert(spec.name.to_string(), render(spec, &value));
        } else {
            self.store_typed(spec.name, value);
        }
        Ok(())
    }

    /// Returns `spec`'s current value as CONFIG GET renders it.
    fn rendered(&self, spec: &Spec) -> String {
        if spec.compat {
            self.compat.get(spec.name).cloned().unwrap_or_default()
        } else {
            self.typed_value(spec.name)
                .map(|v| render(spec, &v))
                .unwrap_or_default()
        }
    }
}

impl Default for Config {
    /// Returns the defaults of the directive table.
    fn default() -> Config {
        let mut cfg = Config::zeroed();
        for spec in specs() {
            let args: Vec<String> = if spec.kind.multi_arg() {
                spec.default.split_whitespace().map(String::from).collect()
            } else {
                vec![spec.default.to_string()]
            };
            // Every default parses (checked by a unit test).
            let _ = cfg.apply(spec, &args, false);
        }
        cfg
    }
}

// ---------------------------------------------------------------------------
// CONFIG GET / SET / REWRITE
// ---------------------------------------------------------------------------

const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";
static TEMP_SEQ: AtomicUsize = AtomicUsize::new(0);

impl Config {
    /// CONFIG GET for one pattern: `(name, value)` pairs of the directives
    /// (and aliases) matching the case-insensitive glob, values rendered as
    /// Redis renders them. A pattern without `*?[` is an exact lookup.
    pub fn get(&self, pattern: &[u8]) -> Vec<(String, String)> {
        if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            let name = String::from_utf8_lossy(pattern).to_ascii_lowercase();
            return match lookup(&name) {
                Some(spec) => vec![(name, self.rendered(spec))],
                None => Vec::new(),
            };
        }
        let mut out = Vec::new();
        for spec in specs() {
            for name in std::iter::once(spec.name).chain(spec.alias) {
                if glob_match(pattern, name.as_bytes(), true) {
                    out.push((name.to_string(), self.rendered(spec)));
                }
            }
        }
        out
    }

    /// Returns the rendered value of directive `name` (or alias), if it exists.
    pub fn value_of(&self, name: &str) -> Option<String> {
        lookup(name).map(|spec| self.rendered(spec))
    }

    /// CONFIG SET for one pair. The error text has no leading `ERR `.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        self.set_many(&[(name.to_string(), value.to_string())])
    }

    /// CONFIG SET for several pairs, all or nothing. Like Redis 7, the first
    /// unknown, immutable or duplicate name fails the whole call before any
    /// value is parsed; then a value that does not parse fails it too.
    pub fn set_many(&mut self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut chosen: Vec<&'static Spec> = Vec::with_capacity(pairs.len());
        for (name, _) in pairs {
            let Some(spec) = lookup(name) else {
                return Err(format!(
                    "Unknown option or number of arguments for CONFIG SET - '{name}'"
                ));
            };
            // Redis 7's protected configs: refused at run time unless
            // `enable-protected-configs` allows it (FlashDB keeps `dir`
            // fixed even then).
            let protected = matches!(spec.name, "dir" | "dbfilename")
                && self
                    .compat
                    .get("enable-protected-configs")
                    .is_none_or(|v| v == "no");
            let problem = if protected {
                Some("can't set protected config")
            } else if !spec.mutable {
                Some("can't set immutable config")
            } else if chosen.iter().any(|s| s.name == spec.name) {
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - {problem}"
                ));
            }
            chosen.push(spec);
        }
        let mut next = self.clone();
        for (spec, (_, value)) in chosen.iter().zip(pairs) {
            let args: Vec<String> = if spec.kind.multi_arg() {
                value.split_whitespace().map(String::from).collect()
            } else {
                vec![value.clone()]
            };
            next.apply(spec, &args, false).map_err(|e| {
                format!(
                    "CONFIG SET failed (possibly related to argument '{}') - {e}",
                    spec.name
                )
            })?;
        }
        *self = next;
        Ok(())
    }

    /// CONFIG REWRITE: rewrites the file the server was started with so it
    /// holds the current values. Comments, unknown lines and directives whose
    /// value did not change stay byte for byte; changed directives are
    /// rewritten in place; changed directives absent from the file are
    /// appended after a `# Generated by CONFIG REWRITE` line. Writes a temp
    /// file in the same directory and renames it over the original.
    pub fn rewrite(&self) -> Result<(), String> {
        let path = self
            .config_file
            .as_deref()
            .ok_or_else(|| "The server is running without a config file".to_string())?;
        // Write through a symlink to its target instead of replacing the link.
        let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let old = match fs::read(&target) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("Rewriting config file: {}", os_message(&e))),
        };
        let new = self.rewrite_text(&old);
        write_replacing(&target, &new)
            .map_err(|e| format!("Rewriting config file: {}", os_message(&e)))
    }

    /// Returns the contents `old` (a config file) should have to hold the
    /// current values; see [`Config::rewrite`].
    fn rewrite_text(&self, old: &[u8]) -> Vec<u8> {
        let mut lines: Vec<&[u8]> = old.split(|&b| b == b'\n').collect();
        let ends_with_newline = old.ends_with(b"\n");
        if ends_with_newline || old.is_empty() {
            lines.pop();
        }

        // Where each known directive appears (aliases count as their primary).
        let mut found: BTreeMap<&'static str, Vec<(usize, Vec<String>)>> = BTreeMap::new();
        let mut user_lines: Vec<(usize, Vec<String>)> = Vec::new();
        let mut has_signature = false;
        for (i, raw) in lines.iter().enumerate() {
            let text = String::from_utf8_lossy(raw);
            let text = text.trim_matches([' ', '\t', '\r', '\n']);
            has_signature |= text == REWRITE_SIGNATURE;
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let Ok(argv) = split_args(text) else { continue };
            if let Some((name, args)) = argv.split_first() {
                if name.eq_ignore_ascii_case("user") && !args.is_empty() {
                    user_lines.push((i, args.to_vec()));
                } else if let Some(spec) = lookup(name) {
                    found.entry(spec.name).or_default().push((i, args.to_vec()));
                }
            }
        }

        let defaults = Config::default();
        let mut replaced: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        let mut appended: Vec<String> = Vec::new();
        for spec in specs() {
            let current = self.rendered(spec);
            match found.get(spec.name) {
                Some(occurrences) => {
                    // What the file's own lines for this directive amount to.
                    let mut from_file = defaults.clone();
                    let mut state = LoadState::default();
                    let parses = occurrences.iter().all(|(_, args)| {
                        from_file
                            .load_directive(spec.name, args, &mut state)
                            .is_ok()
                    });
                    if parses && from_file.rendered(spec) == current {
                        continue;
                    }
                    let mut new_lines = file_lines(spec, &current);
                    for (idx, _) in occurrences {
                        replaced.insert(*idx, std::mem::take(&mut new_lines));
                    }
                }
                None if current != defaults.rendered(spec) => {
                    appended.extend(file_lines(spec, &current));
                }
                None => {}
            }
        }

        // ACL users (Redis's rewriteConfigUserOption): none in the file
        // when an ACL file holds them, otherwise `users`, written where the
        // file's first user line was (or appended).
        let users: &[Vec<String>] = if self.aclfile.is_empty() {
            &self.users
        } else {
            &[]
        };
        let unchanged = user_lines.len() == users.len()
            && user_lines.iter().zip(users).all(|((_, a), b)| a == b);
        if !unchanged {
            let mut new_lines: Vec<String> = users
                .iter()
                .map(|u| {
                    let words: Vec<String> = u.iter().map(|w| quote_arg(w)).collect();
                    format!("user {}", words.join(" "))
                })
                .collect();
            match user_lines.first() {
                None => appended.append(&mut new_lines),
                Some(_) => {
                    for (idx, _) in &user_lines {
                        replaced.insert(*idx, std::mem::take(&mut new_lines));
                    }
                }
            }
        }

        let mut out = Vec::with_capacity(old.len() + 64 * appended.len());
        for (i, raw) in lines.iter().enumerate() {
            match replaced.get(&i) {
                Some(new_lines) => {
                    for line in new_lines {
                        out.extend_from_slice(line.as_bytes());
                        out.push(b'\n');
                    }
                }
                None => {
                    out.extend_from_slice(raw);
                    if i + 1 < lines.len() || ends_with_newline || !appended.is_empty() {
                        out.push(b'\n');
                    }
                }
            }
        }
        if !appended.is_empty() && !has_signature {
            out.extend_from_slice(REWRITE_SIGNATURE.as_bytes());
            out.push(b'\n');
        }
        for line in &appended {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// Returns the compatibility (no-effect) directives the config file or
    /// the flags set, sorted, for a one-time startup log line.
    pub fn compat_directives_in_use(&self) -> Vec<String> {
        self.compat_seen
            .iter()
            .filter(|n| !COMPAT_WITH_EFFECT.iter().any(|(e, _)| e == n))
            .cloned()
            .collect()
    }

    /// Returns every directive's primary name, in table order.
    pub fn names() -> Vec<&'static str> {
        specs().map(|s| s.name).collect()
    }
}

/// Replaces `path` with `bytes` atomically: writes and syncs a temp file in
/// the same directory (keeping the old file's permissions), then renames it.
fn write_replacing(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        "{name}.tmp-{}-{}",
        std::process::id(),
        TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_synced(&tmp, path, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
        return result;
    }
    // Make the rename itself durable; not every platform can sync a directory.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to a new file `tmp` with the permissions of `original`
/// (if it exists) and syncs it.
fn write_synced(tmp: &Path, original: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::File::create(tmp)?;
    f.write_all(bytes)?;
    if let Ok(meta) = fs::metadata(original) {
        f.set_permissions(meta.permissions())?;
    }
    f.sync_all()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    /// A fresh directory under the system temp dir, unique per test.
    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "flashdb-config-{tag}-{}-{}",
            std::process::id(),
            TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write_conf(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("flashdb.conf");
        fs::write(&path, text).unwrap();
        path
    }

    fn load_text(text: &str) -> Result<Config, String> {
        let dir = temp_dir("load");
        let path = write_conf(&dir, text);
        let result = load_from_args(&s(&[path.to_str().unwrap()]));
        let _ = fs::remove_dir_all(&dir);
        result
    }

    fn get1(cfg: &Config, name: &str) -> String {
        cfg.value_of(name).unwrap()
    }

    const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/flashdb.conf");

    // --- the table ---------------------------------------------------------

    #[test]
    fn every_default_parses_and_names_are_unique() {
        let mut seen = BTreeSet::new();
        for spec in specs() {
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert!(seen.insert(spec.name), "duplicate {}", spec.name);
            if let Some(alias) = spec.alias {
                assert!(seen.insert(alias), "duplicate {alias}");
            }
            assert!(GROUPS.contains(&spec.group), "{}", spec.name);
            assert_eq!(spec.compat, spec.group == "COMPATIBILITY", "{}", spec.name);
            let args: Vec<String> = if spec.kind.multi_arg() {
                spec.default.split_whitespace().map(String::from).collect()
            } else {
                vec![spec.default.to_string()]
            };
            parse_value(spec, &args, "").unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            if !spec.compat {
                assert!(Config::default().typed_value(spec.name).is_some());
            }
        }
    }

    #[test]
    fn defaults_are_redis_like() {
        let c = Config::default();
        assert_eq!(c.bind, vec!["127.0.0.1"]);
        assert_eq!(c.port, 6379);
        assert_eq!(c.dir, PathBuf::from("./data"));
        assert_eq!(c.databases, 16);
        assert_eq!(c.maxclients, 10000);
        assert_eq!(c.tcp_keepalive, 300);
        assert_eq!(c.proto_max_bulk_len, 512 * 1024 * 1024);
        assert_eq!(c.client_query_buffer_limit, 1024 * 1024 * 1024);
        assert_eq!(c.hz, 10);
        assert!(c.appendonly);
        assert_eq!(c.appendfsync, "everysec");
        assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert_eq!(c.wal_segment_size, 64 * 1024 * 1024);
        assert_eq!(c.http_port, 8080);
        assert_eq!(c.stripes, 256);
        assert_eq!(c.maxmemory_policy, "noeviction");
        assert_eq!(c.compat["hash-max-listpack-entries"], "512");
        assert_eq!(
            c.client_output_buffer_limit,
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!((c.tls_port, c.tls_auth_clients.as_str()), (0, "yes"));
        assert_eq!(c.compat.len(), COMPAT.len());
        assert!(c.compat_directives_in_use().is_empty());
        assert!(c.config_file.is_none());
    }

    /// Writing any default back as file lines and loading them gives the
    /// same value: file_lines and the parser agree.
    #[test]
    fn file_lines_round_trip_every_directive() {
        let defaults = Config::default();
        let mut text = String::new();
        for spec in specs() {
            for line in file_lines(spec, &defaults.rendered(spec)) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        let mut loaded = load_text(&text).unwrap();
        loaded.config_file = None;
        loaded.compat_seen.clear();
        assert_eq!(loaded, defaults);
    }

    // --- argument splitting and value parsing ------------------------------

    #[test]
    fn split_args_like_sdssplitargs() {
        assert_eq!(split_args("  set  a   b ").unwrap(), s(&["set", "a", "b"]));
        assert_eq!(split_args("").unwrap(), Vec::<String>::new());
        assert_eq!(
            split_args(r#"x "a b" 'c d' """#).unwrap(),
            s(&["x", "a b", "c d", ""])
        );
        assert_eq!(
            split_args(r#""\n\r\t\b\a\\\"\x41\x7a""#).unwrap(),
            s(&["\n\r\t\x08\x07\\\"Az"])
        );
        assert_eq!(split_args(r"'it\'s \n'").unwrap(), s(&["it's \\n"]));
        assert_eq!(split_args(r#""\xZZ""#).unwrap(), s(&["xZZ"]));
        assert_eq!(split_args("a\"b c\"").unwrap(), s(&["ab c"]));
        assert!(split_args(r#""open"#).is_err());
        assert!(split_args("'open").is_err());
        assert!(split_args(r#""a"b"#).is_err());
        assert!(split_args("'a'b").is_err());
    }

    #[test]
    fn quote_arg_round_trips() {
        for v in [
            "plain",
            "",
            "a b",
            "q\"uo'te",
            "back\\slash",
            "tab\tnl\n\x01",
            "ünï",
        ] {
            let line = format!("k {}", quote_arg(v));
            assert_eq!(split_args(&line).unwrap(), s(&["k", v]), "{line}");
        }
        assert_eq!(quote_arg("127.0.0.1"), "127.0.0.1");
        assert_eq!(quote_arg(""), "\"\"");
    }

    #[test]
    fn sizes_like_memtoull() {
        assert_eq!(parse_size("0"), Some(0));
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("100b"), Some(100));
        assert_eq!(parse_size("1k"), Some(1000));
        assert_eq!(parse_size("1kb"), Some(1024));
        assert_eq!(parse_size("1K"), Some(1000));
        assert_eq!(parse_size("1KB"), Some(1024));
        assert_eq!(parse_size("2m"), Some(2_000_000));
        assert_eq!(parse_size("2Mb"), Some(2 * 1024 * 1024));
        assert_eq!(parse_size("3g"), Some(3_000_000_000));
        assert_eq!(parse_size("3gB"), Some(3 * 1024 * 1024 * 1024));
        for bad in [
            "",
            "kb",
            "-1",
            "1.5mb",
            "1 mb",
            "1tb",
            "+1",
            "99999999999999999999gb",
        ] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
        assert_eq!(human_size("536870912"), "512mb");
        assert_eq!(human_size("1073741824"), "1gb");
        assert_eq!(human_size("3072"), "3kb");
        assert_eq!(human_size("3000"), "3000");
        assert_eq!(human_size("0"), "0");
    }

    #[test]
    fn bools_and_integers() {
        assert_eq!(parse_bool("yes"), Some(true));
        assert_eq!(parse_bool("YES"), Some(true));
        assert_eq!(parse_bool("No"), Some(false));
        assert_eq!(parse_bool("1"), None);
        assert_eq!(parse_bool("true"), None);
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("-12"), Some(-12));
        for bad in [
            "",
            "-",
            "+1",
            "01",
            "-0",
            "1 ",
            "1e3",
            "9223372036854775808",
        ] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn keyspace_events_render_canonically() {
        assert_eq!(parse_events("").unwrap(), "");
        assert_eq!(parse_events("KEA").unwrap(), "AKE");
        assert_eq!(parse_events("Ex").unwrap(), "xE");
        assert_eq!(parse_events("g$lshzxetd").unwrap(), "A");
        assert_eq!(parse_events("Kml").unwrap(), "lKm");
        assert_eq!(
            parse_events("Kq").unwrap_err(),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        );
    }

    // --- loading -----------------------------------------------------------

    #[test]
    fn file_with_comments_quotes_and_case() {
        let cfg = load_text(concat!(
            "# a comment\n",
            "\n",
            "   # indented comment\n",
            "PORT 7000\r\n",
            "MaxClients 50\n",
            "requirepass \"p a\\\"ss\"\n",
            "logfile 'fl ash.log'\n",
            "bind 10.0.0.1 ::1\n",
            "maxmemory 2gb\n",
            "proto-max-bulk-len 2MB\n",
            "hash-max-ziplist-entries 256\n",
            "protected-mode NO\n",
            "loglevel WARNING\n",
            "unixsocketperm 700\n",
            "\t hz 1000 \n",
        ))
        .unwrap();
        assert_eq!(cfg.port, 7000);
        assert_eq!(cfg.maxclients, 50);
        assert_eq!(cfg.requirepass, "p a\"ss");
        assert_eq!(cfg.logfile, "fl ash.log");
        assert_eq!(cfg.bind, s(&["10.0.0.1", "::1"]));
        assert_eq!(cfg.maxmemory, 2 * 1024 * 1024 * 1024);
        assert_eq!(cfg.proto_max_bulk_len, 2 * 1024 * 1024);
        assert_eq!(cfg.compat["hash-max-listpack-entries"], "256");
        assert!(!cfg.protected_mode);
        assert_eq!(cfg.loglevel, "warning");
        assert_eq!(get1(&cfg, "unixsocketperm"), "700");
        assert_eq!(cfg.hz, 500);
        assert!(cfg.config_file.as_ref().unwrap().is_absolute());
        assert_eq!(cfg.compat_directives_in_use(), s(&["unixsocketperm"]));
    }

    #[test]
    fn save_lines_accumulate_and_empty_clears() {
        let c = load_text("save 900 1\nsave 300 10\n").unwrap();
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);
        let c = load_text("save 900 1 300 10\nsave 60 10000\n").unwrap();
        assert_eq!(c.save, vec![(900, 1), (300, 10), (60, 10000)]);
        let c = load_text("save \"\"\n").unwrap();
        assert!(c.save.is_empty());
        let c = load_text("save 900 1\nsave \"\"\nsave 5 5\n").unwrap();
        assert_eq!(c.save, vec![(5, 5)]);
        assert_eq!(get1(&c, "save"), "5 5");
        assert!(load_text("save 900\n").is_err());
        assert!(load_text("save 0 1\n").is_err());
    }

    #[test]
    fn flags_override_the_file() {
        let dir = temp_dir("flags");
        let path = write_conf(&dir, "port 7000\nmaxclients 50\nsave 900 1\n");
        let args = s(&[
            path.to_str().unwrap(),
            "--port",
            "7001",
            "--bind",
            "0.0.0.0",
            "::",
            "--save",
            "60 5 30 10",
            "--slowlog-log-slower-than",
            "-1",
            "--LogLevel",
            "debug",
        ]);
        let c = load_from_args(&args).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.maxclients, 50);
        assert_eq!(c.bind, s(&["0.0.0.0", "::"]));
        assert_eq!(c.save, vec![(60, 5), (30, 10)]);
        assert_eq!(c.slowlog_log_slower_than, -1);
        assert_eq!(c.loglevel, "debug");

        // Flags alone; a bare --save means no snapshots.
        let c = load_from_args(&s(&["--save", "--appendonly", "no"])).unwrap();
        assert!(c.save.is_empty());
        assert!(!c.appendonly);
        assert!(c.config_file.is_none());
        assert_eq!(load_from_args(&[]).unwrap(), Config::default());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn file_errors_name_file_line_and_directive() {
        let dir = temp_dir("errors");
        let path = write_conf(&dir, "# ok\nmaxclients abc\n");
        let err = load_from_args(&s(&[path.to_str().unwrap()])).unwrap_err();
        assert_eq!(
            err,
            format!(
                "*** FATAL CONFIG FILE ERROR (FlashDB) ***\n\
                 Reading the configuration file '{}', at line 2\n\
                 >>> 'maxclients abc'\n\
                 argument couldn't be parsed into an integer",
                path.display()
            )
        );
        let cases = [
            (
                "nosuchthing 1",
                "Bad directive or wrong number of arguments",
            ),
            ("port", "wrong number of arguments"),
            ("port 1 2", "wrong number of arguments"),
            (
                "port 70000",
                "argument must be between 0 and 65535 inclusive",
            ),
            (
                "databases 0",
                "argument must be between 1 and 2147483647 inclusive",
            ),
            ("appendonly maybe", "argument must be 'yes' or 'no'"),
            ("maxmemory lots", "argument must be a memory value"),
            (
                "proto-max-bulk-len 1000",
                "argument must be between 1048576 and",
            ),
            (
                "requirepass \"open",
                "Unbalanced quotes in configuration line",
            ),
            (
                "appendfsync sometimes",
                "argument(s) must be one of the following: always, everysec, no",
            ),
            ("stripes 100", "argument must be a power of two"),
            ("daemonize yes", "daemonize yes is not supported"),
            ("cluster-enabled yes", "cluster mode is not supported"),
            (
                "client-output-buffer-limit normal 0 0",
                "Wrong number of arguments",
            ),
            (
                "client-output-buffer-limit master 0 0 0",
                "Invalid client class",
            ),
            (
                "notify-keyspace-events KEq",
                "Invalid event class character",
            ),
            ("oom-score-adj-values 0 200", "wrong number of arguments"),
            (
                "oom-score-adj-values 0 200 9000",
                "elements must be between -2000 and 2000",
            ),
            ("bind", "wrong number of arguments"),
            (
                "unixsocketperm 800",
                "argument couldn't be parsed into an integer",
            ),
        ];
        for (line, reason) in cases {
            let text = format!("port 6380\n\n{line}\n");
            let err = load_text(&text).unwrap_err();
            assert!(err.contains("at line 3"), "{line}: {err}");
            assert!(err.contains(&format!(">>> '{line}'")), "{line}: {err}");
            assert!(err.contains(reason), "{line}: {err}");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn open_and_flag_errors() {
        let dir = temp_dir("open");
        let missing = dir.join("missing.conf");
        let err = load_from_args(&s(&[missing.to_str().unwrap()])).unwrap_err();
        assert_eq!(
            err,
            format!(
                "Fatal error, can't open config file '{}': No such file or directory",
                missing.display()
            )
        );

        let err = load_from_args(&s(&["--port", "6380", "--maxclients", "abc"])).unwrap_err();
        assert!(err.starts_with(FATAL_HEADER), "{err}");
        assert!(err.contains("Reading the command line arguments, at argument 3"));
        assert!(err.contains(">>> '--maxclients abc'"));
        assert!(err.ends_with("argument couldn't be parsed into an integer"));

        let err = load_from_args(&s(&["--nosuch", "1"])).unwrap_err();
        assert!(
            err.contains("Bad directive or wrong number of arguments"),
            "{err}"
        );
        let err = load_from_args(&s(&["--port"])).unwrap_err();
        assert!(err.contains("wrong number of arguments"), "{err}");
        let err = load_from_args(&s(&["-"])).unwrap_err();
        assert!(err.contains("standard input"), "{err}");
        let err = load_from_args(&s(&["--port", "1", "-"])).unwrap_err();
        assert!(err.contains("at argument 3"), "{err}");
        let err = load_from_args(&s(&["-p", "1"])).unwrap_err();
        assert!(err.contains("unknown option '-p'"), "{err}");
        let path = write_conf(&dir, "");
        let err = load_from_args(&s(&[path.to_str().unwrap(), "other.conf"])).unwrap_err();
        assert!(err.contains("unexpected argument 'other.conf'"), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }

    // --- CONFIG GET --------------------------------------------------------

    #[test]
    fn config_get_globs_and_renders_like_redis() {
        let c = Config::default();
        let names: Vec<String> = c.get(b"max*").into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            s(&[
                "maxclients",
                "maxmemory",
                "maxmemory-policy",
                "maxmemory-samples",
                "maxmemory-clients",
                "maxmemory-eviction-tenacity",
            ])
        );
        let all = c.get(b"*");
        let aliases = specs().filter(|s| s.alias.is_some()).count();
        assert_eq!(all.len(), Config::names().len() + aliases);
        assert_eq!(
            c.get(b"MAXCLIENTS"),
            vec![("maxclients".into(), "10000".into())]
        );
        assert_eq!(c.get(b"nosuch"), vec![]);
        assert_eq!(c.get(b"nosuch*"), vec![]);
        assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(get1(&c, "proto-max-bulk-len"), "536870912");
        assert_eq!(get1(&c, "appendonly"), "yes");
        assert_eq!(get1(&c, "protected-mode"), "yes");
        assert_eq!(get1(&c, "bind"), "127.0.0.1");
        assert_eq!(get1(&c, "dir"), "./data");
        assert_eq!(get1(&c, "lua-time-limit"), "5000");
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
        let hash = c.get(b"hash-max-*");
        assert_eq!(hash.len(), 4);
        assert!(hash.contains(&("hash-max-ziplist-entries".into(), "512".into())));
        assert_eq!(c.get(b"p?rt"), vec![("port".into(), "6379".into())]);
    }

    // --- CONFIG SET --------------------------------------------------------

    #[test]
    fn config_set_validates_like_redis_7() {
        let mut c = Config::default();
        c.set("maxclients", "500").unwrap();
        assert_eq!(c.maxclients, 500);
        c.set("MAXMEMORY", "100mb").unwrap();
        assert_eq!(c.maxmemory, 100 * 1024 * 1024);
        assert_eq!(get1(&c, "maxmemory"), "104857600");
        c.set("maxmemory-policy", "ALLKEYS-LRU").unwrap();
        assert_eq!(c.maxmemory_policy, "allkeys-lru");
        c.set("hz", "0").unwrap();
        assert_eq!(c.hz, 1);
        c.set("requirepass", "with space").unwrap();
        assert_eq!(c.requirepass, "with space");
        c.set("notify-keyspace-events", "KEA").unwrap();
        assert_eq!(c.notify_keyspace_events, "AKE");
        c.set("lua-time-limit", "100").unwrap();
        assert_eq!(c.compat["busy-reply-threshold"], "100");

        let before = c.clone();
        let cases = [
            (
                "maxclients",
                "abc",
                "CONFIG SET failed (possibly related to argument 'maxclients') - argument \
                 couldn't be parsed into an integer",
            ),
            (
                "maxclients",
                "0",
                "CONFIG SET failed (possibly related to argument 'maxclients') - argument must \
                 be between 1 and 4294967295 inclusive",
            ),
            (
                "foo",
                "1",
                "Unknown option or number of arguments for CONFIG SET - 'foo'",
            ),
            (
                "port",
                "7000",
                "CONFIG SET failed (possibly related to argument 'port') - can't set immutable \
                 config",
            ),
            (
                "Bind",
                "0.0.0.0",
                "CONFIG SET failed (possibly related to argument 'Bind') - can't set immutable \
                 config",
            ),
            (
                "loglevel",
                "loud",
                "CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must \
                 be one of the following: debug, verbose, notice, warning, nothing",
            ),
            (
                "appendfsync",
                "1",
                "CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) \
                 must be one of the following: always, everysec, no",
            ),
            (
                "save",
                "900",
                "CONFIG SET failed (possibly related to argument 'save') - Invalid save \
                 parameters",
            ),
        ];
        for (name, value, expected) in cases {
            assert_eq!(c.set(name, value).unwrap_err(), expected);
        }
        assert!(c
            .set("dir", "/tmp")
            .unwrap_err()
            .contains("can't set protected config"));
        assert!(c
            .set("dbfilename", "x")
            .unwrap_err()
            .contains("can't set protected config"));
        for immutable in [
            "databases",
            "stripes",
            "daemonize",
            "http-port",
            "io-threads",
        ] {
            assert!(c.set(immutable, "1").unwrap_err().contains("immutable"));
        }
        assert_eq!(c, before);
    }

    #[test]
    fn config_set_save_and_merging_limits() {
        let mut c = Config::default();
        c.set("save", "900 1 300 10").unwrap();
        assert_eq!(c.save, vec![(900, 1), (300, 10)]);
        c.set("save", "").unwrap();
        assert!(c.save.is_empty());
        assert_eq!(get1(&c, "save"), "");
        c.set("client-output-buffer-limit", "pubsub 64mb 16mb 90")
            .unwrap();
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90"
        );
        c.set(
            "client-output-buffer-limit",
            "replica 1kb 1k 1 normal 1 2 3",
        )
        .unwrap();
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 1 2 3 slave 1024 1000 1 pubsub 67108864 16777216 90"
        );
        c.set("no-such-directive", "x").unwrap_err();
    }

    #[test]
    fn config_set_many_is_atomic() {
        let mut c = Config::default();
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        c.set_many(&pairs(&[("maxclients", "7"), ("timeout", "30")]))
            .unwrap();
        assert_eq!((c.maxclients, c.timeout), (7, 30));

        let before = c.clone();
        let err = c
            .set_many(&pairs(&[("maxclients", "8"), ("timeout", "nope")]))
            .unwrap_err();
        assert!(err.contains("'timeout'"), "{err}");
        assert_eq!(c, before);

        let err = c
            .set_many(&pairs(&[("maxclients", "8"), ("maxclients", "9")]))
            .unwrap_err();
        assert_eq!(
            err,
            "CONFIG SET failed (possibly related to argument 'maxclients') - duplicate parameter"
        );
        let err = c
            .set_many(&pairs(&[
                ("zset-max-listpack-value", "8"),
                ("zset-max-ziplist-value", "9"),
            ]))
            .unwrap_err();
        assert!(err.contains("duplicate parameter"), "{err}");
        let err = c
            .set_many(&pairs(&[("maxclients", "8"), ("port", "1")]))
            .unwrap_err();
        assert!(err.contains("immutable"), "{err}");
        let err = c
            .set_many(&pairs(&[("maxclients", "8"), ("bogus", "1")]))
            .unwrap_err();
        assert!(err.starts_with("Unknown option"), "{err}");
        assert_eq!(c, before);
    }

    // --- CONFIG REWRITE ----------------------------------------------------

    #[test]
    fn rewrite_without_a_file_fails() {
        assert_eq!(
            Config::default().rewrite().unwrap_err(),
            "The server is running without a config file"
        );
    }

    #[test]
    fn rewrite_keeps_comments_updates_and_appends() {
        let dir = temp_dir("rewrite");
        let original = concat!(
            "# FlashDB test config\n",
            "\n",
            "MaxClients   10000\n",
            "port 7000\n",
            "# maxmemory 1gb\n",
            "timeout 0\n",
            "hash-max-ziplist-entries 128\n",
            "save 900 1\n",
            "save 300 10\n",
            "  # trailing comment\n",
        );
        let path = write_conf(&dir, original);
        let mut c = load_from_args(&s(&[path.to_str().unwrap()])).unwrap();

        // Nothing changed: the file stays byte for byte.
        c.rewrite().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), original);

        c.set("timeout", "60").unwrap();
        c.set("maxmemory", "1gb").unwrap();
        c.set("hash-max-listpack-entries", "512").unwrap();
        c.set("save", "60 1000").unwrap();
        c.set("requirepass", "s3cret pass").unwrap();
        c.rewrite().unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            concat!(
                "# FlashDB test config\n",
                "\n",
                "MaxClients   10000\n",
                "port 7000\n",
                "# maxmemory 1gb\n",
                "timeout 60\n",
                "hash-max-listpack-entries 512\n",
                "save 60 1000\n",
                "  # trailing comment\n",
                "# Generated by CONFIG REWRITE\n",
                "requirepass \"s3cret pass\"\n",
                "maxmemory 1gb\n",
            )
        );

        // The rewritten file loads back to the same values, and a second
        // rewrite with one more change reuses the signature.
        let mut again = load_from_args(&s(&[path.to_str().unwrap()])).unwrap();
        assert_eq!(again, c);
        again.set("slowlog-max-len", "1024").unwrap();
        again.rewrite().unwrap();
        let text2 = fs::read_to_string(&path).unwrap();
        assert_eq!(text2, format!("{text}slowlog-max-len 1024\n"));
        assert_eq!(text2.matches(REWRITE_SIGNATURE).count(), 1);

        // Setting a value back to its default keeps its line, updated.
        again.set("timeout", "0").unwrap();
        again.rewrite().unwrap();
        assert!(fs::read_to_string(&path).unwrap().contains("\ntimeout 0\n"));

        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn rewrite_persists_flag_overrides_and_handles_no_trailing_newline() {
        let c = Config {
            port: 7001,
            save: vec![],
            ..Config::default()
        };
        let out = c.rewrite_text(b"# hi\nport 7000");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# hi\nport 7001\n# Generated by CONFIG REWRITE\nsave \"\"\n"
        );
        let out = Config::default().rewrite_text(b"");
        assert!(out.is_empty());
        let out = Config::default().rewrite_text(b"# no newline");
        assert_eq!(out, b"# no newline");
    }

    // --- the shipped flashdb.conf -----------------------------------------

    #[test]
    fn shipped_config_loads_to_the_defaults() {
        let mut c = load_from_args(&s(&[SHIPPED])).unwrap();
        assert!(c.config_file.is_some());
        c.config_file = None;
        assert_eq!(c, Config::default());
    }

    /// Every directive appears in `flashdb.conf` (active, or commented out
    /// as `# name value`) within its group's section, and every commented
    /// example, uncommented, loads to the default value.
    #[test]
    fn shipped_config_documents_every_directive() {
        let text = fs::read_to_string(SHIPPED).unwrap();
        let mut section = "";
        let mut where_found: BTreeMap<&str, &str> = BTreeMap::new();
        let mut uncommented = String::new();
        for line in text.lines() {
            if let Some(title) = line.strip_prefix("################################ ") {
                section = GROUPS
                    .iter()
                    .find(|g| title.contains(**g))
                    .copied()
                    .unwrap_or_else(|| panic!("unknown section {title}"));
                continue;
            }
            let body = line.strip_prefix("# ").unwrap_or(line);
            let Some(word) = body.split_whitespace().next() else {
                continue;
            };
            if let Some(spec) = lookup(word) {
                if body.len() > word.len() && spec.name == word {
                    where_found.insert(spec.name, section);
                    uncommented.push_str(body);
                    uncommented.push('\n');
                }
            }
        }
        for spec in specs() {
            assert_eq!(
                where_found.get(spec.name).copied(),
                Some(spec.group),
                "{} missing from its section of flashdb.conf",
                spec.name
            );
        }
        let mut c = load_text(&uncommented).unwrap();
        c.config_file = None;
        c.compat_seen.clear();
        assert_eq!(c, Config::default());
    }
}
