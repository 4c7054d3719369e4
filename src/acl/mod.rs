//! Access control lists, as in Redis 7: users with passwords, command,
//! key and channel permissions, the `default` user every connection
//! starts as, the ACL LOG, and the ACL file.
//!
//! - [`user`]: a user and its selectors, the rules that change them, and
//!   the permission check; [`describe`]: users rendered back into rules.
//! - [`log`]: ACL LOG entries; [`file`]: the `aclfile` format.
//! - [`sha256`]: passwords are kept as SHA-256 hex, compared in constant time.
//!
//! [`Acl`] is the registry (in `Server`). Every change replaces the
//! changed user's `Arc<User>` and bumps a version; a connection holds its
//! user's `Arc` and the version it saw, and re-reads its user when the
//! version moved (exec.rs). A user that may run anything (the stock
//! `default`) has `allows_all` set, so the command path costs one atomic
//! load and a flag test. The ACL command itself is in command/acl.rs.

pub mod describe;
pub mod file;
pub mod log;
pub mod sha256;
pub mod user;

use crate::config::Config;
use crate::server::{Client, ClientInfo, Server};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
pub use user::{Denied, RuleError, User};

/// A user changed by ACL SETUSER: as it was (None if new), as it is.
pub type Changed = (Option<Arc<User>>, Arc<User>);

/// The users, the ACL LOG and the settings they depend on.
pub struct Acl {
    users: RwLock<BTreeMap<Vec<u8>, Arc<User>>>,
    /// Bumped after every change to any user.
    version: AtomicU64,
    log: Mutex<log::AclLog>,
    /// `acl-pubsub-default allchannels`: new users may use every channel.
    pubsub_all: AtomicBool,
    /// `acllog-max-len`.
    log_max: AtomicUsize,
    /// `aclfile` as configured (for messages) and the path it names
    /// (relative to `dir`, as Redis, which runs in `dir`, reads it).
    file: Option<(String, PathBuf)>,
}

/// The user a connection holds before its first command reads the real
/// `default` (its ACL version, 0, never matches the registry's).
pub fn placeholder() -> Arc<User> {
    static P: std::sync::OnceLock<Arc<User>> = std::sync::OnceLock::new();
    P.get_or_init(|| Arc::new(User::default_user())).clone()
}

/// The reply text when a rule is refused, Redis's
/// `Error in ACL SETUSER modifier '<rule>': <why>`.
pub fn setuser_error(rule: &[u8], e: RuleError) -> String {
    format!(
        "ERR Error in ACL SETUSER modifier '{}': {}",
        String::from_utf8_lossy(rule),
        e.message()
    )
}

impl Acl {
    /// The `default` user alone (with `requirepass` as its password), the
    /// settings from `cfg`. Users from `user` lines and the ACL file come
    /// with `load_startup`.
    pub fn new(cfg: &Config) -> Acl {
        let acl = Acl {
            users: RwLock::new(BTreeMap::new()),
            version: AtomicU64::new(1),
            log: Mutex::new(log::AclLog::default()),
            pubsub_all: AtomicBool::new(false),
            log_max: AtomicUsize::new(128),
            file: (!cfg.aclfile.is_empty()).then(|| {
                let p = PathBuf::from(&cfg.aclfile);
                let path = if p.is_relative() { cfg.dir.join(p) } else { p };
                (cfg.aclfile.clone(), path)
            }),
        };
        acl.configure(cfg);
        acl.write()
            .insert(b"default".to_vec(), Arc::new(User::default_user()));
        acl.set_requirepass(&cfg.requirepass);
        acl
    }

    /// Applies the settings that may change at run time (CONFIG SET).
    pub fn configure(&self, cfg: &Config) {
        self.pubsub_all
            .store(cfg.acl_pubsub_default == "allchannels", Ordering::Relaxed);
        self.log_max.store(
            usize::try_from(cfg.acllog_max_len).unwrap_or(usize::MAX),
            Ordering::Relaxed,
        );
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.write().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Changes with every change to any user (clients compare it).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn pubsub_all(&self) -> bool {
        self.pubsub_all.load(Ordering::Relaxed)
    }

    pub fn get(&self, name: &[u8]) -> Option<Arc<User>> {
        self.read().get(name).cloned()
    }

    /// The `default` user (it always exists).
    pub fn default_user(&self) -> Arc<User> {
        self.get(b"default")
            .unwrap_or_else(|| Arc::new(User::default_user()))
    }

    /// Whether new connections are authenticated without AUTH: the default
    /// user is on and nopass (Redis's authRequired, negated).
    pub fn default_open(&self) -> bool {
        let d = self.default_user();
        d.enabled() && d.nopass()
    }

    /// The user `name` if it is on and `password` is one of its own.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        let u = self.get(name)?;
        (u.enabled() && u.password_ok(password)).then_some(u)
    }

    /// Every user, sorted by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.read().values().cloned().collect()
    }

    /// ACL SETUSER: applies `rules` to a copy of the user (a new one if it
    /// does not exist) and stores it only if all of them apply. Ok is (the
    /// user before, the user now); Err the refused rule and why.
    pub fn set_user(
        &self,
        name: &[u8],
        rules: &[Vec<u8>],
    ) -> Result<Changed, (Vec<u8>, RuleError)> {
        let pubsub_all = self.pubsub_all();
        let mut users = self.write();
        let old = users.get(name).cloned();
        let mut u = match &old {
            Some(o) => User::clone(o),
            None => User::new(name, pubsub_all),
        };
        for r in rules {
            u.apply(r, pubsub_all).map_err(|e| (r.clone(), e))?;
        }
        let u = Arc::new(u);
        users.insert(name.to_vec(), u.clone());
        drop(users);
        self.bump();
        Ok((old, u))
    }

    /// ACL DELUSER for one name (never `default`): whether it existed.
    pub fn del_user(&self, name: &[u8]) -> bool {
        let gone = self.write().remove(name).is_some();
        if gone {
            self.bump();
        }
        gone
    }

    /// `requirepass`: the default user's only password, or nopass when
    /// empty (Redis's ACLUpdateDefaultUserPassword).
    pub fn set_requirepass(&self, pass: &str) {
        let mut rule = b">".to_vec();
        rule.extend_from_slice(pass.as_bytes());
        let rules: Vec<Vec<u8>> = if pass.is_empty() {
            vec![b"resetpass".to_vec(), b"nopass".to_vec()]
        } else {
            vec![b"resetpass".to_vec(), rule]
        };
        let _ = self.set_user(b"default", &rules);
    }

    /// Replaces every user (ACL LOAD, start-up): the default user takes
    /// the new rules in place (or Redis's stock ones if `users` has none).
    /// Returns the names of the users replaced, whose connections must
    /// close (Redis 7.0 frees them all).
    fn replace(&self, mut users: BTreeMap<Vec<u8>, User>) -> Vec<Vec<u8>> {
        let default = users
            .remove(&b"default"[..])
            .unwrap_or_else(User::default_user);
        let mut map: BTreeMap<Vec<u8>, Arc<User>> =
            users.into_iter().map(|(k, v)| (k, Arc::new(v))).collect();
        map.insert(b"default".to_vec(), Arc::new(default));
        let old = std::mem::replace(&mut *self.write(), map);
        self.bump();
        old.into_keys().filter(|n| n != b"default").collect()
    }

    /// Whether an `aclfile` is configured.
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }

    /// ACL LOAD: the ACL file's users replace the current ones, or nothing
    /// changes and Err is the message listing every problem. Ok is the
    /// names whose connections must close.
    pub fn load_file(&self) -> Result<Vec<Vec<u8>>, String> {
        let Some((name, path)) = &self.file else {
            return Err(String::new());
        };
        let text = std::fs::read(path).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{name}': {}",
                crate::config::os_message(&e)
            )
        })?;
        let users = file::parse(&text, name, self.pubsub_all())?;
        Ok(self.replace(users))
    }

    /// ACL SAVE: every user into the ACL file. Err is what to log.
    pub fn save_file(&self) -> Result<(), String> {
        let Some((_, path)) = &self.file else {
            return Err("no ACL file configured".into());
        };
        let users = self.users();
        file::write(path, &file::render(users.iter().map(|u| u.as_ref())))
    }

    /// Start-up: the `user` lines of the configuration, then the ACL file
    /// (Redis's ACLLoadUsersAtStartup). Err is the fatal message.
    pub fn load_startup(&self, cfg: &Config) -> Result<(), String> {
        if self.file.is_some() && !cfg.users.is_empty() {
            return Err("Configuring FlashDB with users defined in the configuration and at the same time an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your configuration, but not both.".into());
        }
        for line in &cfg.users {
            let Some((name, rules)) = line.split_first() else {
                continue;
            };
            let name = name.as_bytes();
            if !user::name_ok(name) {
                return Err("Spaces not allowed in ACL usernames".into());
            }
            let mut all = Vec::with_capacity(rules.len() + 1);
            if name == b"default" {
                all.push(b"reset".to_vec());
            }
            all.extend(rules.iter().map(|r| r.as_bytes().to_vec()));
            let all = user::merge_selectors(&all).map_err(|i| {
                format!(
                    "Unmatched parenthesis in the rules of the user named '{}' at '{}'",
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(&all[i])
                )
            })?;
            match self.set_user(name, &all) {
                Ok((_, u)) if !u.enabled() => crate::notice!(
                    "The user '{}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.",
                    String::from_utf8_lossy(name)
                ),
                Ok(_) => {}
                Err((rule, e)) => {
                    return Err(format!(
                        "Error loading ACL rule '{}' for the user named '{}': {}",
                        String::from_utf8_lossy(&rule),
                        String::from_utf8_lossy(name),
                        e.message()
                    ))
                }
            }
        }
        if self.file.is_some() {
            self.load_file()
                .map_err(|e| format!("Aborting FlashDB startup because of ACL errors: {e}"))?;
        }
        Ok(())
    }

    /// Adds an event to the ACL LOG.
    pub fn log_event(&self, event: log::Event) {
        let max = self.log_max.load(Ordering::Relaxed);
        self.log().add(event, crate::store::now_ms(), max);
    }

    pub fn log(&self) -> MutexGuard<'_, log::AclLog> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Checks one rule line of the configuration (`user <name> <rules...>`)
/// without applying it, as Redis does while reading the file: unknown
/// commands are only reported when the users are created. Err is the
/// message after `Error in user declaration `.
pub fn validate_user_line(args: &[String]) -> Result<(), String> {
    let Some((name, rules)) = args.split_first() else {
        return Err("Bad directive or wrong number of arguments".into());
    };
    let rules: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
    let rules = user::merge_selectors(&rules).map_err(|i| {
        format!(
            "'{}': Unmatched parenthesis in acl selector",
            String::from_utf8_lossy(&rules[i])
        )
    })?;
    let mut u = User::new(name.as_bytes(), false);
    for r in &rules {
        match u.apply(r, false) {
            Ok(()) | Err(RuleError::UnknownCommand) => {}
            Err(e) => return Err(format!("'{}': {}", String::from_utf8_lossy(r), e.message())),
        }
    }
    Ok(())
}

/// Disconnects the clients authenticated as one of `names`; the calling
/// client (`me`) closes after its reply, as Redis's CLOSE_AFTER_COMMAND.
pub fn kill_clients_of(srv: &Server, me: &mut Client, names: &[Vec<u8>]) {
    if names.is_empty() {
        return;
    }
    for c in srv.clients.live() {
        if names.contains(&c.user_name()) {
            kill(me, &c);
        }
    }
}

fn kill(me: &mut Client, c: &ClientInfo) {
    if c.id == me.id {
        me.close_after_reply = true;
    } else {
        c.kill();
    }
}

/// After ACL SETUSER: when `new` no longer allows channels `old` did, the
/// user's subscribed clients whose subscriptions are no longer allowed are
/// disconnected (Redis's ACLKillPubsubClientsIfNeeded).
pub fn kill_pubsub_clients_if_needed(srv: &Server, me: &mut Client, old: &User, new: &User) {
    if new.all_channels() {
        return;
    }
    let upcoming = new.channel_patterns();
    if old.channel_patterns().iter().all(|p| upcoming.contains(p)) && !old.all_channels() {
        return;
    }
    let allowed = |name: &[u8], literal: bool| {
        upcoming.iter().any(|p| {
            if literal {
                p == name
            } else {
                crate::glob::glob_match(p, name, false)
            }
        })
    };
    for c in srv.clients.live() {
        if c.user_name() != old.name || !c.mail.subscribed() {
            continue;
        }
        let [channels, patterns, shard] = crate::pubsub::hub().subscriptions_of(c.id);
        let bad = patterns.iter().any(|p| !allowed(p, true))
            || channels.iter().chain(&shard).any(|ch| !allowed(ch, false));
        if bad {
            kill(me, &c);
        }
    }
}
