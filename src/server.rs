//! Shared server state (`Server`), per-connection state (`Client`), the
//! client registry behind CLIENT LIST/KILL, and `Ctx`, what a command
//! handler gets: the server, its client, and the selected DB.

use crate::config::Config;
use crate::stats::Stats;
use crate::store::evict::Policy;
use crate::store::{Db, Store};
use std::collections::BTreeMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Everything the threads share.
pub struct Server {
    pub store: Store,
    pub config: RwLock<Config>,
    pub stats: Stats,
    pub clients: Clients,
    pub pause: Pause,
    /// Set once shutdown has begun; listeners and workers wind down.
    pub shutting_down: AtomicBool,
    shutdown_cv: (Mutex<bool>, Condvar),
    pub started: Instant,
    pub start_unix: u64,
    pub run_id: String,
    /// Ports actually bound (RESP), for INFO and tests.
    pub tcp_port: AtomicUsize,
    pub executable: String,
    pub config_file: String,
    /// Cached copies of hot config values (read on every request).
    pub hot: HotConfig,
    /// MULTI/EXEC atomicity and WATCH bookkeeping (src/tx.rs).
    pub gate: crate::tx::Gate,
    pub watches: crate::tx::Watches,
    /// Persistence status: loading, last save, snapshot in progress.
    pub persist: crate::persist::State,
    /// Clients blocked in BLPOP & co. (src/blocking.rs).
    pub blocking: crate::blocking::Registry,
    /// `rate-limit-user` buckets, by ACL user (src/ratelimit.rs).
    pub user_buckets: crate::ratelimit::UserBuckets,
    /// `maxmemory` eviction state (src/evict.rs).
    pub evict: crate::evict::Evictor,
    /// ACL users and the ACL LOG (src/acl).
    pub acl: crate::acl::Acl,
    /// MIGRATE's cached connections (src/command/migrate.rs).
    pub migrate: crate::command::migrate::Sockets,
}

/// Config values the request path reads, mirrored into atomics on every
/// CONFIG SET so the hot path never touches the config lock.
pub struct HotConfig {
    pub proto_max_bulk_len: AtomicU64,
    pub client_query_buffer_limit: AtomicU64,
    pub timeout: AtomicU64,
    pub maxclients: AtomicUsize,
    /// `rate-limit`: tokens per second (0 = off) and burst.
    pub rate_limit: AtomicU64,
    pub rate_burst: AtomicU64,
    pub rate_exempt_loopback: AtomicBool,
    /// `rate-limit-user`: tokens per second (0 = off) and burst.
    pub user_rate_limit: AtomicU64,
    pub user_rate_burst: AtomicU64,
    pub protected_mode: AtomicBool,
    /// `client-output-buffer-limit normal`: hard bytes, soft bytes, soft seconds.
    pub obuf_normal: [AtomicU64; 3],
    /// Encoding thresholds the collection families read on every write
    /// (Redis's compatibility directives of the same names).
    pub hash_max_listpack_entries: AtomicUsize,
    pub hash_max_listpack_value: AtomicUsize,
    pub set_max_intset_entries: AtomicUsize,
    pub zset_max_listpack_entries: AtomicUsize,
    pub zset_max_listpack_value: AtomicUsize,
    pub hll_sparse_max_bytes: AtomicUsize,
    pub stream_node_max_entries: AtomicUsize,
    pub stream_node_max_bytes: AtomicUsize,
    /// `maxmemory` (0 = no limit: the one load the request path pays).
    pub maxmemory: AtomicU64,
    /// `maxmemory-policy`, as an index into `Policy::ALL`.
    maxmemory_policy: AtomicUsize,
    pub maxmemory_samples: AtomicUsize,
    pub eviction_tenacity: AtomicU32,
    pub lazyfree_lazy_eviction: AtomicBool,
}

/// A numeric compatibility directive's value (negative counts as 0).
fn compat_num(c: &Config, name: &str, default: usize) -> usize {
    c.compat
        .get(name)
        .and_then(|v| v.parse::<i64>().ok())
        .map(|v| v.max(0) as usize)
        .unwrap_or(default)
}

impl HotConfig {
    pub fn load(&self, c: &Config) {
        self.proto_max_bulk_len
            .store(c.proto_max_bulk_len, Ordering::Relaxed);
        self.client_query_buffer_limit
            .store(c.client_query_buffer_limit, Ordering::Relaxed);
        self.timeout.store(c.timeout, Ordering::Relaxed);
        self.maxclients.store(c.maxclients, Ordering::Relaxed);
        let rate = |i: usize| {
            c.rate_limit
                .get(i)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        self.rate_limit.store(rate(0), Ordering::Relaxed);
        self.rate_burst.store(rate(1), Ordering::Relaxed);
        let user_rate = |i: usize| {
            c.rate_limit_user
                .get(i)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        self.user_rate_limit.store(user_rate(0), Ordering::Relaxed);
        self.user_rate_burst.store(user_rate(1), Ordering::Relaxed);
        self.rate_exempt_loopback
            .store(c.rate_limit_exempt_loopback, Ordering::Relaxed);
        self.protected_mode
            .store(c.protected_mode, Ordering::Relaxed);
        let obuf = crate::config::output_buffer_limits(&c.client_output_buffer_limit);
        for (slot, v) in self.obuf_normal.iter().zip(obuf[0]) {
            slot.store(v, Ordering::Relaxed);
        }
        for (slot, name, default) in [
            (
                &self.hash_max_listpack_entries,
                "hash-max-listpack-entries",
                512,
            ),
            (&self.hash_max_listpack_value, "hash-max-listpack-value", 64),
            (&self.set_max_intset_entries, "set-max-intset-entries", 512),
            (
                &self.zset_max_listpack_entries,
                "zset-max-listpack-entries",
                128,
            ),
            (&self.zset_max_listpack_value, "zset-max-listpack-value", 64),
            (&self.hll_sparse_max_bytes, "hll-sparse-max-bytes", 3000),
            (
                &self.stream_node_max_entries,
                "stream-node-max-entries",
                100,
            ),
            (&self.stream_node_max_bytes, "stream-node-max-bytes", 4096),
        ] {
            slot.store(compat_num(c, name, default), Ordering::Relaxed);
        }
        let policy = Policy::parse(&c.maxmemory_policy);
        let index = Policy::ALL.iter().position(|p| *p == policy).unwrap_or(0);
        self.maxmemory_policy.store(index, Ordering::Relaxed);
        self.maxmemory_samples
            .store(c.maxmemory_samples as usize, Ordering::Relaxed);
        self.eviction_tenacity.store(
            compat_num(c, "maxmemory-eviction-tenacity", 10) as u32,
            Ordering::Relaxed,
        );
        self.lazyfree_lazy_eviction.store(
            c.compat
                .get("lazyfree-lazy-eviction")
                .is_some_and(|v| v == "yes"),
            Ordering::Relaxed,
        );
        // Entries record accesses for the policy (LRU clock or LFU counter).
        crate::store::value::set_access_mode(
            policy.lfu(),
            compat_num(c, "lfu-log-factor", 10) as u32,
            compat_num(c, "lfu-decay-time", 1) as u32,
        );
        self.maxmemory.store(c.maxmemory, Ordering::Relaxed);
    }

    /// `maxmemory-policy`.
    pub fn policy(&self) -> Policy {
        Policy::ALL[self.maxmemory_policy.load(Ordering::Relaxed) % Policy::ALL.len()]
    }
}

impl Server {
    pub fn new(config: Config) -> Server {
        let store = Store::new(config.databases, config.stripes);
        Server::with_store(config, store)
    }

    /// A server over `store` (recovery builds it with the snapshot's hasher).
    pub fn with_store(config: Config, store: Store) -> Server {
        let hot = HotConfig {
            proto_max_bulk_len: AtomicU64::new(0),
            client_query_buffer_limit: AtomicU64::new(0),
            timeout: AtomicU64::new(0),
            maxclients: AtomicUsize::new(0),
            rate_limit: AtomicU64::new(0),
            rate_burst: AtomicU64::new(0),
            rate_exempt_loopback: AtomicBool::new(false),
            user_rate_limit: AtomicU64::new(0),
            user_rate_burst: AtomicU64::new(0),
            protected_mode: AtomicBool::new(false),
            obuf_normal: Default::default(),
            hash_max_listpack_entries: AtomicUsize::new(0),
            hash_max_listpack_value: AtomicUsize::new(0),
            set_max_intset_entries: AtomicUsize::new(0),
            zset_max_listpack_entries: AtomicUsize::new(0),
            zset_max_listpack_value: AtomicUsize::new(0),
            hll_sparse_max_bytes: AtomicUsize::new(0),
            stream_node_max_entries: AtomicUsize::new(0),
            stream_node_max_bytes: AtomicUsize::new(0),
            maxmemory: AtomicU64::new(0),
            maxmemory_policy: AtomicUsize::new(0),
            maxmemory_samples: AtomicUsize::new(5),
            eviction_tenacity: AtomicU32::new(10),
            lazyfree_lazy_eviction: AtomicBool::new(false),
        };
        hot.load(&config);
        let config_file = config
            .config_file
            .as_ref()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let acl = crate::acl::Acl::new(&config);
        Server {
            store,
            config: RwLock::new(config),
            stats: Stats::new(crate::command::table::table().len()),
            clients: Clients::default(),
            pause: Pause::default(),
            shutting_down: AtomicBool::new(false),
            shutdown_cv: (Mutex::new(false), Condvar::new()),
            started: Instant::now(),
            start_unix: crate::store::now_ms() / 1000,
            run_id: random_hex(40),
            tcp_port: AtomicUsize::new(0),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file,
            hot,
            gate: crate::tx::Gate::default(),
            watches: crate::tx::Watches::default(),
            persist: crate::persist::State::default(),
            blocking: crate::blocking::Registry::default(),
            user_buckets: crate::ratelimit::UserBuckets::default(),
            evict: crate::evict::Evictor::default(),
            acl,
            migrate: Default::default(),
        }
    }

    /// Read access to the configuration.
    pub fn config(&self) -> std::sync::RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the configuration (CONFIG SET); call `config_changed` after.
    pub fn config_mut(&self) -> std::sync::RwLockWriteGuard<'_, Config> {
        self.config.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn config_changed(&self) {
        let c = self.config();
        self.hot.load(&c);
        crate::log::set_level(&c.loglevel);
        self.acl.configure(&c);
        if let Some(w) = crate::persist::wal() {
            w.set_fsync(crate::persist::recovery::fsync_policy(&c.appendfsync));
        }
        let obuf = crate::config::output_buffer_limits(&c.client_output_buffer_limit);
        crate::pubsub::hub().configure(&c.notify_keyspace_events, obuf[2]);
        crate::tracking::configure(
            compat_num(&c, "tracking-table-max-keys", 1_000_000) as u64,
            obuf[0],
        );
        crate::obs::configure(&c);
    }

    /// Starts a graceful shutdown (signal or SHUTDOWN): idempotent.
    pub fn request_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let (m, cv) = &self.shutdown_cv;
        *m.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::Relaxed)
    }

    /// Blocks until shutdown has been requested.
    pub fn wait_for_shutdown(&self) {
        let (m, cv) = &self.shutdown_cv;
        let mut g = m.lock().unwrap_or_else(|e| e.into_inner());
        while !*g {
            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Whether the default user may run commands without a password
    /// (the ACL default user is on and nopass). Authentication, the tight
    /// pre-authentication protocol limits and protected mode all ask this
    /// one question.
    pub fn default_user_nopass(&self) -> bool {
        self.acl.default_open()
    }

    /// Whether protected mode turns away clients that do not connect from
    /// loopback: `protected-mode yes` and no password for the default user.
    /// Like Redis 7, an explicit `bind` does not switch it off.
    pub fn protected_mode_applies(&self) -> bool {
        self.hot.protected_mode.load(Ordering::Relaxed) && self.default_user_nopass()
    }
}

/// Whether protected mode counts `ip` as local: Redis 7.0 accepts exactly
/// 127.0.0.1 and ::1 (other 127.x.y.z sources are refused). An IPv4-mapped
/// 127.0.0.1 (a dual-stack `::` listener) is the same client.
pub fn is_loopback_client(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4 == std::net::Ipv4Addr::LOCALHOST,
        std::net::IpAddr::V6(v6) => {
            v6 == std::net::Ipv6Addr::LOCALHOST
                || v6.to_ipv4_mapped() == Some(std::net::Ipv4Addr::LOCALHOST)
        }
    }
}

/// Redis 7's protected-mode refusal, naming FlashDB.
pub const PROTECTED_MODE_DENIED: &str = "-DENIED FlashDB is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to FlashDB you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to FlashDB from the same host the server is running, however MAKE SURE FlashDB is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the FlashDB configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// A random lower-case hex string (run_id), from the std keyed hasher.
pub fn random_hex(n: usize) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        s.push_str(&format!("{:016x}", crate::store::rand_u64()));
    }
    s.truncate(n);
    s
}

/// What CLIENT LIST / CLIENT KILL need to see of a connection from another
/// thread. The connection's own thread owns `Client`; this part is shared.
pub struct ClientInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub laddr: SocketAddr,
    pub created: Instant,
    pub name: Mutex<Vec<u8>>,
    pub db: AtomicUsize,
    pub resp: AtomicUsize,
    /// Unix ms of the last command (for `idle=` and `timeout`).
    pub last_interaction: AtomicU64,
    /// Table id + 1 of the last command run (0 = none yet).
    pub last_cmd: AtomicUsize,
    pub killed: AtomicBool,
    /// Bytes waiting in the query buffer (qbuf=).
    pub qbuf: AtomicUsize,
    /// The socket's descriptor number (CLIENT LIST `fd=`), -1 where the
    /// platform has none.
    pub fd: i64,
    /// None for the internal client recovery replays the WAL with.
    pub stream: Option<TcpStream>,
    /// Pub/Sub messages (and MONITOR lines) on their way to this client
    /// (src/pubsub.rs).
    pub mail: crate::pubsub::Mailbox,
    /// The name of the ACL user the connection runs as (CLIENT LIST
    /// `user=`, CLIENT KILL USER, ACL DELUSER).
    pub user: Mutex<Vec<u8>>,
    /// Commands queued since MULTI, -1 outside a transaction (CLIENT LIST).
    pub multi: std::sync::atomic::AtomicI64,
    /// Client-side caching state (src/tracking.rs).
    pub tracking: crate::tracking::ClientState,
    /// The connection has closed (a tracking redirect to it is broken).
    pub closed: AtomicBool,
}

impl ClientInfo {
    /// A client with no connection (WAL replay, handler tests).
    pub fn internal(id: u64) -> ClientInfo {
        let unspecified = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
        ClientInfo {
            id,
            addr: unspecified,
            laddr: unspecified,
            created: Instant::now(),
            name: Mutex::new(Vec::new()),
            db: AtomicUsize::new(0),
            resp: AtomicUsize::new(2),
            last_interaction: AtomicU64::new(0),
            last_cmd: AtomicUsize::new(0),
            killed: AtomicBool::new(false),
            qbuf: AtomicUsize::new(0),
            fd: -1,
            stream: None,
            mail: crate::pubsub::Mailbox::default(),
            user: Mutex::new(b"default".to_vec()),
            multi: std::sync::atomic::AtomicI64::new(-1),
            tracking: crate::tracking::ClientState::default(),
            closed: AtomicBool::new(false),
        }
    }

    /// The name of the connection's ACL user.
    pub fn user_name(&self) -> Vec<u8> {
        self.user.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set_user_name(&self, name: &[u8]) {
        let mut u = self.user.lock().unwrap_or_else(|e| e.into_inner());
        if u.as_slice() != name {
            *u = name.to_vec();
        }
    }

    /// Disconnects the client: its thread sees EOF and closes.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
        if let Some(s) = &self.stream {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Redis's client type (CLIENT LIST/KILL TYPE): `pubsub` while
    /// subscribed to anything, else `normal`.
    pub fn client_type(&self) -> &'static str {
        if self.mail.subscribed() {
            "pubsub"
        } else {
            "normal"
        }
    }

    /// CLIENT LIST's `flags=`, in Redis's order: `O` monitor, `P`
    /// subscribed, `x` in MULTI, `b` blocked, `t` tracking, `R` tracking
    /// redirect broken, `B` broadcast tracking; `N` for none.
    fn flags(&self, blocked: bool) -> String {
        let mut f = String::new();
        let t = self.tracking.flags.load(Ordering::Relaxed);
        for (on, c) in [
            (self.mail.monitor.load(Ordering::Relaxed), 'O'),
            (self.mail.subscribed(), 'P'),
            (self.multi.load(Ordering::Relaxed) >= 0, 'x'),
            (blocked, 'b'),
            (t & crate::tracking::ON != 0, 't'),
            (t & crate::tracking::BROKEN_REDIR != 0, 'R'),
            (t & crate::tracking::BCAST != 0, 'B'),
        ] {
            if on {
                f.push(c);
            }
        }
        if f.is_empty() {
            f.push('N');
        }
        f
    }

    /// One CLIENT LIST line (without the trailing newline); `blocked` = it
    /// waits in a blocking command.
    pub fn describe(&self, blocked: bool) -> String {
        let now = crate::store::now_ms();
        let idle = now.saturating_sub(self.last_interaction.load(Ordering::Relaxed)) / 1000;
        let name = String::from_utf8_lossy(&self.name.lock().unwrap_or_else(|e| e.into_inner()))
            .into_owned();
        let cmd = match self.last_cmd.load(Ordering::Relaxed) {
            0 => "NULL".to_string(),
            id => crate::command::table::table().full_name(id - 1),
        };
        let qbuf = self.qbuf.load(Ordering::Relaxed);
        let omem = self.mail.pending_bytes();
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem={} tot-mem={} events=r cmd={} user={} redir={} resp={}",
            self.id,
            self.addr,
            self.laddr,
            self.fd,
            name,
            self.created.elapsed().as_secs(),
            idle,
            self.flags(blocked),
            self.db.load(Ordering::Relaxed),
            self.mail.channels.load(Ordering::Relaxed),
            self.mail.patterns.load(Ordering::Relaxed),
            self.mail.shard.load(Ordering::Relaxed),
            self.multi.load(Ordering::Relaxed),
            qbuf,
            omem,
            16384 + qbuf + omem,
            cmd,
            String::from_utf8_lossy(&self.user_name()),
            self.tracking.redir(),
            self.resp.load(Ordering::Relaxed),
        )
    }
}

/// The registry of connected clients.
#[derive(Default)]
pub struct Clients {
    map: Mutex<BTreeMap<u64, Arc<ClientInfo>>>,
    next_id: AtomicU64,
    /// Connections accepted and not yet closed (counted from the moment the
    /// listener admits them, so a burst cannot overshoot `maxclients`).
    admitted: AtomicUsize,
}

impl Clients {
    /// Admits one more connection unless `max` are already open.
    pub fn try_admit(&self, max: usize) -> bool {
        self.admitted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }
    /// A connection admitted by `try_admit` has closed.
    pub fn release(&self) {
        self.admitted.fetch_sub(1, Ordering::SeqCst);
    }
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }
    pub fn add(&self, c: Arc<ClientInfo>) {
        self.lock().insert(c.id, c);
    }
    pub fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }
    pub fn len(&self) -> usize {
        self.lock().len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn get(&self, id: u64) -> Option<Arc<ClientInfo>> {
        self.lock().get(&id).cloned()
    }
    /// A snapshot of every client, in id order.
    pub fn all(&self) -> Vec<Arc<ClientInfo>> {
        self.lock().values().cloned().collect()
    }
    /// Like `all`, without clients already killed whose threads have not
    /// yet unregistered them (Redis frees a killed client at once, so it
    /// must not show up in CLIENT LIST or match a second CLIENT KILL).
    pub fn live(&self) -> Vec<Arc<ClientInfo>> {
        self.lock()
            .values()
            .filter(|c| !c.killed.load(Ordering::SeqCst))
            .cloned()
            .collect()
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<ClientInfo>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// CLIENT PAUSE state: commands of the paused kind wait until `until`.
#[derive(Default)]
pub struct Pause {
    state: Mutex<Option<(Instant, bool)>>,
    cv: Condvar,
    /// Fast path: false whenever no pause is set, so the request path reads
    /// one atomic instead of taking the mutex.
    active: AtomicBool,
}

impl Pause {
    /// Pauses clients until `until`; `all` = every command, else only writes.
    /// A later pause can extend, never shorten, a running one (like Redis).
    pub fn pause(&self, until: Instant, all: bool) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let new = match *g {
            Some((t, a)) => (t.max(until), a || all),
            None => (until, all),
        };
        *g = Some(new);
        self.active.store(true, Ordering::SeqCst);
    }
    pub fn unpause(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.active.store(false, Ordering::SeqCst);
        self.cv.notify_all();
    }
    pub fn is_paused(&self) -> bool {
        if !self.active.load(Ordering::Relaxed) {
            return false;
        }
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *g {
            Some((t, _)) if t > Instant::now() => true,
            _ => {
                *g = None;
                self.active.store(false, Ordering::SeqCst);
                false
            }
        }
    }
    /// Whether a pause applies now to a command (`write` = it writes).
    pub fn applies(&self, write: bool) -> bool {
        if !self.is_paused() {
            return false;
        }
        match *self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((until, all)) => (all || write) && Instant::now() < until,
            None => false,
        }
    }

    /// Waits while a pause applies to a command (`write` = it writes).
    pub fn wait(&self, write: bool, srv_shutdown: &AtomicBool) {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match *g {
                Some((until, all)) if (all || write) && Instant::now() < until => {
                    if srv_shutdown.load(Ordering::Relaxed) {
                        return;
                    }
                    let wait = (until - Instant::now()).min(Duration::from_millis(100));
                    g = self
                        .cv
                        .wait_timeout(g, wait)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
                Some((until, _)) if Instant::now() >= until => {
                    *g = None;
                    self.active.store(false, Ordering::SeqCst);
                    return;
                }
                _ => return,
            }
        }
    }
}

/// A connection's own state, owned by the thread serving it.
pub struct Client {
    pub id: u64,
    pub db: usize,
    /// 2 or 3 (HELLO).
    pub resp: u8,
    pub info: Arc<ClientInfo>,
    /// Close the connection once the pending replies are written (QUIT).
    pub close_after_reply: bool,
    /// CLIENT REPLY OFF|SKIP state.
    pub reply_off: bool,
    pub reply_skip: bool,
    /// Set by CLIENT REPLY SKIP: skip this reply and the next command's.
    pub skip_next: bool,
    /// Command stats of the current batch, (table id, calls, usec, failed),
    /// added to the shared counters once per batch (exec::flush_stats).
    pub pending_stats: Vec<(usize, u64, u64, u64)>,
    /// Commands queued since MULTI (None = not in a transaction).
    pub multi: Option<Vec<Vec<Vec<u8>>>>,
    /// A command failed to queue: EXEC answers EXECABORT.
    pub multi_error: bool,
    /// Keys this client WATCHes, and the flag a write to any of them sets.
    pub watched: Vec<(usize, Vec<u8>)>,
    /// The watched keys that had a TTL and were live when watched: if one
    /// has expired by EXEC time, the transaction fails (Redis 7).
    pub watched_volatile: Vec<(usize, Vec<u8>)>,
    pub watch_dirty: Arc<AtomicBool>,
    /// False until AUTH/HELLO AUTH succeeds, or until the first command
    /// finds the default user needs no password.
    pub authenticated: bool,
    /// The ACL user commands are checked against (the default user until
    /// AUTH), and the ACL version it was read at (src/acl).
    pub user: Arc<crate::acl::User>,
    pub acl_version: u64,
    /// How a blocking command is woken (src/blocking.rs).
    pub waiter: Arc<crate::blocking::Waiter>,
    /// Set while a blocking command waits (registered keys, deadline).
    pub blocked: Option<crate::blocking::Blocked>,
    /// The IDs a blocked XREAD waits beyond (`$` resolved when it blocked).
    pub xread_ids: Vec<crate::store::stream::StreamId>,
    /// Set by a blocking handler that found nothing: the command is held.
    pub just_blocked: bool,
    /// The command `exec::execute` handed back waits for data (not for
    /// CLIENT PAUSE).
    pub held_blocked: bool,
    /// EXEC is running this client's queue (blocking commands don't block).
    pub in_exec: bool,
    /// This client's Pub/Sub subscriptions (src/pubsub.rs).
    pub subs: crate::pubsub::Subscriptions,
    /// Its `rate-limit` token bucket (src/ratelimit.rs).
    pub bucket: crate::ratelimit::Bucket,
    /// Its histogram records and MONITOR state (src/obs).
    pub obs: crate::obs::ClientObs,
}

impl Client {
    pub fn new(info: Arc<ClientInfo>) -> Client {
        let waiter = Arc::new(crate::blocking::Waiter::new(info.id));
        Client {
            id: info.id,
            db: 0,
            resp: 2,
            info,
            close_after_reply: false,
            reply_off: false,
            reply_skip: false,
            skip_next: false,
            pending_stats: Vec::new(),
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            watched_volatile: Vec::new(),
            watch_dirty: Arc::new(AtomicBool::new(false)),
            authenticated: false,
            // Re-read from the registry before the first command runs.
            user: crate::acl::placeholder(),
            acl_version: 0,
            waiter,
            blocked: None,
            xread_ids: Vec::new(),
            just_blocked: false,
            held_blocked: false,
            in_exec: false,
            subs: crate::pubsub::Subscriptions::default(),
            bucket: crate::ratelimit::Bucket::default(),
            obs: crate::obs::ClientObs::default(),
        }
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.info.db.store(db, Ordering::Relaxed);
    }
}

/// What a handler gets.
pub struct Ctx<'a> {
    pub srv: &'a Arc<Server>,
    pub client: &'a mut Client,
}

impl Ctx<'_> {
    /// The client's selected database.
    pub fn db(&self) -> &Db {
        &self.srv.store.dbs[self.client.db]
    }
    pub fn store(&self) -> &Store {
        &self.srv.store
    }
    pub fn resp3(&self) -> bool {
        self.client.resp >= 3
    }
    /// Counts a keyspace hit or miss for INFO, without a notification
    /// (OBJECT: Redis's LOOKUP_NONOTIFY).
    pub fn hit(&self, hit: bool) {
        self.srv.stats.hit(hit);
    }
    /// A lookup for reading (Redis's `lookupKeyRead`) found `key` or not:
    /// counts the hit or miss, and a miss fires `keymiss` (class m). Call
    /// it where Redis looks the key up, before the command's own events.
    pub fn lookup(&self, key: &[u8], found: bool) {
        self.srv.stats.hit(found);
        if !found {
            self.notify(crate::pubsub::NOTIFY_KEY_MISS, "keymiss", key);
        }
    }
    /// A keyspace notification (Redis's `notifyKeyspaceEvent`) for `key`
    /// in the client's DB.
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        crate::pubsub::notify(class, event, key, self.client.db);
    }
}
