//! `maxmemory`: when to evict, how much, and what a client is told when
//! nothing more can go (Redis 7.0's `performEvictions` and the OOM rule of
//! `processCommand`). Which key goes is `store/evict.rs`.
//!
//! Before every command (exec.rs), if `maxmemory` is set and the memory
//! used (INFO's `used_memory`: the keyspace's accounting plus the fixed
//! baseline) is above it, keys are evicted under `maxmemory-policy` until it
//! is not, within a time limit set by `maxmemory-eviction-tenacity` (500 µs
//! by default). Past the limit the command runs anyway and the cron thread
//! carries on (Redis's evictionTimeProc); only when nothing evictable is
//! left (or the policy is `noeviction`) is the command refused, and then
//! only if it is flagged `denyoom`, is queued inside MULTI, or is an EXEC
//! whose transaction holds a `denyoom` command. `CONFIG SET maxmemory` and
//! the cron thread evict too.
//!
//! Evictions are serialized by one mutex (which also keeps the candidate
//! pool between them), so concurrent workers do not all evict for the same
//! shortfall; each deletion takes its stripe's write lock and logs a `DEL`
//! to the WAL under it, like every other delete.

use crate::command::{CommandSpec, DENYOOM};
use crate::resp::Reply;
use crate::server::{Client, Server};
use crate::store::evict::{self as mech, Policy, Pool};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Redis's `shared.oomerr`.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// What an eviction attempt ended with (Redis's EVICT_OK / EVICT_RUNNING /
/// EVICT_FAIL).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Under the limit (or eviction does not apply right now).
    Ok,
    /// Still over after the time limit; eviction goes on in the background.
    Running,
    /// Over, and nothing (more) may be evicted.
    Fail,
}

/// Eviction state shared by every thread.
#[derive(Default)]
pub struct Evictor {
    state: Mutex<State>,
    /// When usage went over the limit without eviction bringing it back,
    /// in µs since the evictor was made, plus 1 (0 = not over).
    exceeded_since: AtomicU64,
    epoch: EpochInstant,
}

struct EpochInstant(Instant);

impl Default for EpochInstant {
    fn default() -> Self {
        EpochInstant(Instant::now())
    }
}

#[derive(Default)]
struct State {
    pool: Pool,
    /// The policy the pool's scores were computed under.
    policy: Option<Policy>,
    /// Where the random policies look next (Redis's static next_db).
    next_db: usize,
}

impl Evictor {
    fn now_us(&self) -> u64 {
        self.epoch.0.elapsed().as_micros() as u64
    }

    /// Microseconds spent over the limit in the period still open (INFO
    /// `current_eviction_exceeded_time`), 0 when not over.
    pub fn current_exceeded_us(&self) -> u64 {
        match self.exceeded_since.load(Relaxed) {
            0 => 0,
            since => self.now_us().saturating_sub(since - 1),
        }
    }

    /// CONFIG RESETSTAT: forgets the open exceeded period (the stats
    /// themselves are in `Stats`), as Redis's resetServerStats does.
    pub fn reset_stats(&self) {
        self.exceeded_since.store(0, Relaxed);
    }

    /// Redis's update_metrics step of performEvictions.
    fn update_metrics(&self, srv: &Server, result: Outcome) {
        if result == Outcome::Ok {
            let since = self.exceeded_since.swap(0, Relaxed);
            if since != 0 {
                let us = self.now_us().saturating_sub(since - 1);
                srv.stats.eviction_exceeded_us.fetch_add(us, Relaxed);
            }
        } else if self.exceeded_since.load(Relaxed) == 0 {
            let _ = self
                .exceeded_since
                .compare_exchange(0, self.now_us() + 1, Relaxed, Relaxed);
        }
    }
}

/// The memory compared with `maxmemory` (INFO's `used_memory`; nothing is
/// left out, so `mem_not_counted_for_evict` is 0).
pub fn used(srv: &Server) -> u64 {
    crate::command::info::used_memory(srv)
}

/// Redis's evictionTimeLimitUs: how long one eviction run may take.
pub fn time_limit(tenacity: u32) -> Duration {
    let us = match tenacity {
        // A linear progression from 0 to 500 µs.
        0..=10 => 50 * tenacity as u64,
        // A 15% geometric progression, about 2 minutes at 99.
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => return Duration::MAX,
    };
    Duration::from_micros(us)
}

/// Redis's isSafeToPerformEvictions: not while loading, nor while clients
/// are paused (the dataset must stay still then).
fn safe(srv: &Server) -> bool {
    !srv.persist.loading.load(Relaxed) && !srv.pause.is_paused()
}

/// Evicts keys until the memory used is at most `maxmemory`, nothing more
/// may be evicted, or the time limit is reached. `gate_held`: the caller
/// already holds the transaction gate (a command handler, CONFIG SET);
/// otherwise it is taken shared, so evictions never interleave with an
/// EXEC or a snapshot's stripe copy.
pub fn perform(srv: &Server, gate_held: bool) -> Outcome {
    let max = srv.hot.maxmemory.load(Relaxed);
    if max == 0 || !safe(srv) {
        return Outcome::Ok;
    }
    if used(srv) <= max {
        srv.evict.update_metrics(srv, Outcome::Ok);
        return Outcome::Ok;
    }
    let policy = srv.hot.policy();
    let result = if policy == Policy::NoEviction {
        Outcome::Fail
    } else {
        // The gate before the pool: a handler holding the gate (CONFIG SET)
        // may wait here for the pool, never the other way round.
        let _gate = (!gate_held).then(|| srv.gate.shared());
        let mut st = srv.evict.state.lock().unwrap_or_else(|e| e.into_inner());
        evict_until_under(srv, &mut st, policy)
    };
    srv.evict.update_metrics(srv, result);
    result
}

fn evict_until_under(srv: &Server, st: &mut State, policy: Policy) -> Outcome {
    if st.policy != Some(policy) {
        // Scores from another policy mean nothing under this one.
        st.pool.clear();
        st.policy = Some(policy);
    }
    let limit = time_limit(srv.hot.eviction_tenacity.load(Relaxed));
    let start = Instant::now();
    let mut freed = 0u64;
    // Re-checked every time: other workers keep writing meanwhile, another
    // thread may have done the work while this one waited, and CONFIG SET
    // may raise or lift the limit.
    loop {
        let max = srv.hot.maxmemory.load(Relaxed);
        if max == 0 || used(srv) <= max {
            return Outcome::Ok;
        }
        if !evict_one(srv, st, policy) {
            return Outcome::Fail;
        }
        freed += 1;
        if freed.is_multiple_of(16) && start.elapsed() > limit {
            return Outcome::Running;
        }
    }
}

/// Picks and deletes one key; false if nothing is evictable.
fn evict_one(srv: &Server, st: &mut State, policy: Policy) -> bool {
    let store = &srv.store;
    let samples = srv.hot.maxmemory_samples.load(Relaxed).max(1);
    // A candidate may be gone by the time it is chosen (a "ghost", deleted
    // or, for the volatile policies, persisted since it was sampled): try
    // the next. Bounded, in case other threads keep deleting them.
    for _ in 0..1000 {
        let cand = if policy.ranked() {
            // Redis samples every DB for each key it evicts.
            let sampled = mech::populate(store, policy, samples, &mut st.pool);
            if sampled == 0 && st.pool.is_empty() {
                return false;
            }
            match st.pool.pop_best() {
                Some(c) => c,
                None => continue,
            }
        } else {
            match mech::random_candidate(store, policy, &mut st.next_db) {
                Some(c) => c,
                None => return false,
            }
        };
        if let Some(entry) = mech::evict_key(store, cand.db, &cand.key, policy) {
            evicted(srv, cand.db, &cand.key, entry);
            return true;
        }
    }
    false
}

/// After an eviction, outside the stripe lock: count it, free the value
/// (on the lazy-free thread if big and `lazyfree-lazy-eviction` says so),
/// tell WATCH and keyspace notifications.
fn evicted(srv: &Server, db: usize, key: &[u8], entry: crate::store::Entry) {
    srv.stats.evicted_keys.fetch_add(1, Relaxed);
    if srv.hot.lazyfree_lazy_eviction.load(Relaxed)
        && entry.value.free_effort() > crate::store::value::LAZYFREE_THRESHOLD
    {
        crate::store::drop_in_background(entry);
    } else {
        drop(entry);
    }
    srv.watches.touch(db, key);
    crate::pubsub::notify(crate::pubsub::NOTIFY_EVICTED, "evicted", key, db);
    crate::tracking::invalidate_key(key);
}

/// The `maxmemory` step of processCommand, for a command that passed the
/// lookup, auth and arity checks: evicts if needed, then returns the
/// rejection if memory is still over the limit and the command may not run
/// (the caller counts it as rejected). Call only with `maxmemory` set.
pub fn check_command(srv: &Server, client: &mut Client, spec: &CommandSpec) -> Option<Reply> {
    if perform(srv, false) != Outcome::Fail {
        return None;
    }
    let exec = spec.name == "exec";
    let denyoom = spec.flags & DENYOOM != 0
        || (exec
            && client.multi.as_ref().is_some_and(|q| {
                q.iter()
                    .any(|a| crate::exec::resolve(a).is_ok_and(|(_, s)| s.flags & DENYOOM != 0))
            }));
    // Queueing inside MULTI could use unlimited memory: refused too, except
    // what ends the transaction.
    let queued =
        client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "quit" | "reset");
    if !(denyoom || queued) {
        return None;
    }
    if exec {
        // Redis's execCommandAbort: the transaction is discarded.
        crate::command::tx::discard_state(srv, client);
        return Some(Reply::error(format!(
            "EXECABORT Transaction discarded because of: {OOM_ERROR}"
        )));
    }
    client.multi_error |= client.multi.is_some();
    Some(Reply::err(OOM_ERROR))
}

/// CONFIG SET maxmemory: evicts at once if the new limit is below the
/// usage (Redis's updateMaxmemory). Runs inside the handler, which holds
/// the gate.
pub fn maxmemory_changed(srv: &Server) {
    let max = srv.hot.maxmemory.load(Relaxed);
    if max == 0 {
        // No limit, nothing exceeded: close an open period (Redis leaves
        // it open, its current_eviction_exceeded_time growing forever).
        srv.evict.update_metrics(srv, Outcome::Ok);
        return;
    }
    let used = used(srv);
    if max < used {
        crate::warning!(
            "WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.",
            max,
            used
        );
    }
    perform(srv, true);
}

/// The cron thread's share: while over the limit, evicts (in runs of the
/// tenacity time limit, releasing the locks in between) for at most
/// `budget`. Carries on what a command's eviction left running.
pub fn cron(srv: &Server, budget: Duration) {
    if srv.hot.maxmemory.load(Relaxed) == 0 {
        return;
    }
    let start = Instant::now();
    while perform(srv, false) == Outcome::Running && start.elapsed() < budget {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::testutil::{check_mem, client, texts};
    use crate::config::Config;
    use std::sync::Arc;

    /// Runs a command through every check, like a connection.
    fn run(srv: &Arc<Server>, c: &mut Client, args: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        crate::exec::execute_internal(srv, c, &argv)
    }

    #[test]
    fn time_limit_follows_tenacity_like_redis() {
        assert_eq!(time_limit(0), Duration::ZERO);
        assert_eq!(time_limit(10), Duration::from_micros(500));
        assert_eq!(time_limit(11), Duration::from_micros(575));
        assert!(time_limit(99) > Duration::from_secs(60));
        assert_eq!(time_limit(100), Duration::MAX);
    }

    /// A server with no eviction time limit (tenacity 100), so one run
    /// finishes the job even in a slow debug build.
    fn server(policy: &str, max: &str) -> Arc<Server> {
        let mut c = Config::default();
        c.set("maxmemory-policy", policy).unwrap();
        c.set("maxmemory", max).unwrap();
        c.set("maxmemory-eviction-tenacity", "100").unwrap();
        Arc::new(Server::new(c))
    }

    fn over_by(srv: &Server) -> i64 {
        used(srv) as i64 - srv.hot.maxmemory.load(Relaxed) as i64
    }

    #[test]
    fn evicts_to_the_limit_and_counts() {
        let srv = server("allkeys-random", "0");
        let mut c = client();
        for i in 0..2000 {
            run(&srv, &mut c, &["SET", &format!("k{i}"), &"x".repeat(100)]);
        }
        let full = used(&srv);
        // Leave room for about half the keys.
        let half = (full + crate::command::info::BASELINE_MEMORY) / 2;
        srv.config_mut()
            .set("maxmemory", &half.to_string())
            .unwrap();
        srv.config_changed();
        let ((), log) = crate::persist::capture(|| maxmemory_changed(&srv));
        assert!(over_by(&srv) <= 0, "still over by {}", over_by(&srv));
        let evicted = srv.stats.evicted_keys.load(Relaxed);
        assert!(evicted > 500 && evicted < 1500, "{evicted}");
        assert_eq!(srv.store.dbs[0].len() as u64, 2000 - evicted);
        // One DEL logged per evicted key.
        let recs = crate::persist::recovery::decode_all(&log).unwrap();
        let dels = texts(&recs)
            .iter()
            .filter(|t| t.starts_with("DEL "))
            .count();
        assert_eq!(dels as u64, evicted);
        check_mem(&srv, |_| {});
    }

    #[test]
    fn oom_rules_follow_process_command() {
        let srv = server("noeviction", "1");
        let mut c = client();
        let oom = Reply::err(OOM_ERROR);
        assert_eq!(run(&srv, &mut c, &["SET", "a", "1"]), oom);
        assert_eq!(run(&srv, &mut c, &["GET", "a"]), Reply::Null);
        assert_eq!(run(&srv, &mut c, &["DEL", "a"]), Reply::Int(0));
        // MULTI starts; anything queued is refused and dooms the EXEC.
        assert_eq!(run(&srv, &mut c, &["MULTI"]), Reply::ok());
        assert_eq!(run(&srv, &mut c, &["GET", "a"]), oom);
        assert_eq!(
            run(&srv, &mut c, &["EXEC"]),
            Reply::err("EXECABORT Transaction discarded because of previous errors.")
        );
        // Queued under the limit, EXEC over it: only a transaction with a
        // denyoom command is aborted.
        let set = |srv: &Server, v: &str| {
            srv.config_mut().set("maxmemory", v).unwrap();
            srv.config_changed();
        };
        for (cmd, aborted) in [("GET", false), ("SET", true)] {
            set(&srv, "0");
            run(&srv, &mut c, &["MULTI"]);
            let args: &[&str] = if cmd == "GET" {
                &["GET", "q"]
            } else {
                &["SET", "q", "1"]
            };
            assert_eq!(run(&srv, &mut c, args), Reply::status("QUEUED"));
            set(&srv, "1");
            let r = run(&srv, &mut c, &["EXEC"]);
            if aborted {
                assert_eq!(r, Reply::err("EXECABORT Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'."));
                assert!(c.multi.is_none());
            } else {
                assert_eq!(r, Reply::Array(vec![Reply::Null]));
            }
        }
        let rejected = srv.stats.cmd[crate::command::table::table().lookup(b"set").unwrap().0]
            .rejected_calls
            .load(Relaxed);
        assert_eq!(rejected, 1);
    }

    #[test]
    fn volatile_policies_leave_keys_without_ttl() {
        let srv = server("volatile-lru", "0");
        let mut c = client();
        for i in 0..200 {
            run(&srv, &mut c, &["SET", &format!("p{i}"), &"x".repeat(100)]);
            run(
                &srv,
                &mut c,
                &["SET", &format!("v{i}"), &"x".repeat(100), "EX", "1000"],
            );
        }
        srv.config_mut().set("maxmemory", "1").unwrap();
        srv.config_changed();
        assert_eq!(
            run(&srv, &mut c, &["SET", "new", "1"]),
            Reply::err(OOM_ERROR)
        );
        assert_eq!(srv.store.dbs[0].len(), 200);
        assert_eq!(srv.stats.evicted_keys.load(Relaxed), 200);
        assert_eq!(srv.store.usage.stripes_with_keys(0, true), 0);
    }
}
