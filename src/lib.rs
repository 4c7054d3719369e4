//! # FlashDB
//!
//! A Redis-compatible in-memory data server: RESP2/RESP3 on TCP, a striped
//! in-memory store, a group-commit write-ahead log and forkless snapshots,
//! and (in a later layer) a web plane.
//!
//! # Layout
//!
//! A request travels `net/conn.rs → exec.rs → command/<family>.rs →
//! store/db.rs → persist/wal.rs` and back:
//!
//! - `main.rs` (the `flashdb` binary): config → lock the data dir → server
//!   state → threads → recovery → serve.
//! - [`config`]: directives from `flashdb.conf` and `--flags`; CONFIG GET/SET/REWRITE.
//! - [`resp`]: the incremental request parser with its limits, and reply
//!   encoding for RESP2 and RESP3 (`Reply`).
//! - [`net`]: the blocking accept loop, the bounded worker pool, the
//!   per-connection read → execute → write loop over a plain or TLS
//!   transport (rustls, `tls` feature), signal handling.
//! - [`exec`]: dispatch in a fixed order (lookup → rate limit → arity → auth →
//!   ACL → maxmemory → pause → run → stats).
//! - [`command`]: the one command table (`CommandSpec` rows) and a file per
//!   family: `connection`, `string`, `keys`, `server`, `hash`, `set`, `list`, `bitmap`, `hll`, `zset`, `geo`, `stream` (XADD ... XREAD), `xgroup` (consumer groups, XINFO), `sort`, `tx`, `persist`, `pubsub`, `acl`, `obs`, `dump` (DUMP/RESTORE).
//! - [`persist`]: how a write is logged (under its stripe lock), the WAL
//!   record bytes, the group-commit writer and its segments, snapshots
//!   (stripe by stripe, with per-stripe LSNs), recovery and SAVE/BGSAVE;
//!   `persist::rdb`: Redis's RDB value format (DUMP/RESTORE, `import-rdb`).
//! - [`store`]: databases → stripes (`RwLock`) → `Dict` (chained hash table
//!   with Redis's SCAN cursor) → `Entry`/`Value` (streams: `store::stream`); TTLs and active expiry;
//!   the keyed SipHash that places keys in stripes; eviction's sampling and
//!   candidate pool.
//! - [`evict`]: `maxmemory`: when to evict and how much, the `-OOM` rule.
//! - [`server`]: shared state (`Server`), per-connection `Client`, the client
//!   registry, CLIENT PAUSE, and `Ctx` handed to every handler.
//! - [`stats`]: counters behind INFO.
//! - [`tx`]: MULTI/EXEC atomicity (a gate every command shares and EXEC
//!   takes alone) and the WATCH registry.
//! - [`pubsub`]: channels, patterns and shard channels, delivery into each
//!   subscriber's mailbox (never blocking the publisher), the Pub/Sub output
//!   buffer limit, keyspace notifications.
//! - [`acl`]: ACL users, their permission check (exec.rs runs it), the
//!   ACL LOG and the ACL file.
//! - [`glob`]: Redis's glob matching (KEYS, SCAN MATCH, CONFIG GET).
//! - [`log`]: Redis-format log lines.
//! - [`ratelimit`]: the per-connection token bucket of `rate-limit`.
//! - [`http`]: the web plane on `http-port`: REST API v1 (routes, JSON
//!   envelope, auth, CORS), Prometheus metrics, the WebSocket event stream;
//!   every data route runs commands through `exec` like a connection.
//! - [`audit`]: the audit log (JSON lines: failed AUTH, admin commands,
//!   FLUSH*, refused connections; never argument values).
//! - [`obs`]: observability: the slow log, MONITOR (lines delivered through
//!   the Pub/Sub mailboxes), the latency monitor and per-command latency
//!   histograms.

pub mod acl;
pub mod audit;
pub mod blocking;
pub mod command;
pub mod config;
pub mod cron;
pub mod evict;
pub mod exec;
pub mod glob;
pub mod http;
pub mod log;
pub mod net;
pub mod obs;
pub mod persist;
pub mod pubsub;
pub mod ratelimit;
pub mod reference;
pub mod resp;
pub mod server;
pub mod stats;
pub mod store;
pub mod tracking;
pub mod tx;
