//! An ACL user and its selectors: the rules of ACL SETUSER applied one by
//! one (Redis's ACLSetUser / ACLSetSelector, with its error cases), and the
//! permission check every command passes (ACLCheckAllUserCommandPerm).
//! Rendering a user back into rules lives in describe.rs.
//!
//! A selector holds one bit per command table id (subcommands have their
//! own ids), the `+cmd|firstarg` exceptions, key patterns with read/write
//! flags, and channel patterns. A user has a root selector (the rules
//! written outside parentheses) and any number of `(...)` selectors; a
//! command is allowed when one selector allows all of it.

use super::sha256;
use crate::command::docs::CATEGORY_ORDER;
use crate::command::table::table;
use crate::command::NO_AUTH;
use crate::glob::glob_match;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Why a rule was refused; `message` is Redis's text (ACLSetUserStringError).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    Syntax,
    UnknownCommand,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// Why a command was refused, with the argument index of the key or
/// channel at fault (ACL LOG names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denied {
    Command,
    Key(usize),
    Channel(usize),
}

impl Denied {
    /// Redis's ACL_DENIED_* order: when no selector allows a command, the
    /// highest reason (then the last argument) is the one reported.
    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (1, 0),
            Denied::Key(i) => (2, i),
            Denied::Channel(i) => (4, i),
        }
    }
}

/// The bit of category `name` (case-insensitive), None if unknown.
pub fn category_bit(name: &[u8]) -> Option<u32> {
    CATEGORY_ORDER
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// Each table id's categories as a bit mask (bit i = CATEGORY_ORDER\[i\]).
pub fn category_masks() -> &'static [u32] {
    static MASKS: OnceLock<Vec<u32>> = OnceLock::new();
    MASKS.get_or_init(|| {
        let t = table();
        t.all_ids()
            .map(|id| {
                t.spec(id)
                    .categories()
                    .iter()
                    .filter_map(|c| category_bit(c.as_bytes()))
                    .fold(0, |m, b| m | b)
            })
            .collect()
    })
}

/// Redis's ACLStringHasSpaces: whitespace or NUL.
fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | 0))
}

/// Whether `name` may name a user (no whitespace, no NUL).
pub fn name_ok(name: &[u8]) -> bool {
    !has_spaces(name)
}

/// Whether `h` is a stored password form: 64 lower-case hex digits.
pub fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// One bit per command table id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn none() -> Bits {
        Bits(vec![0; table().len().div_ceil(64)])
    }
    fn all() -> Bits {
        let mut b = Bits::none();
        for id in table().all_ids() {
            b.put(id, true);
        }
        b
    }
    pub(super) fn get(&self, id: usize) -> bool {
        self.0[id / 64] & (1 << (id % 64)) != 0
    }
    fn put(&mut self, id: usize, on: bool) {
        if on {
            self.0[id / 64] |= 1 << (id % 64);
        } else {
            self.0[id / 64] &= !(1 << (id % 64));
        }
    }
}

/// A key pattern with the access it grants (`~` = both, `%R~`, `%W~`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KeyPattern {
    pub(super) pattern: Vec<u8>,
    pub(super) read: bool,
    pub(super) write: bool,
}

/// One set of permissions: commands, keys, channels.
#[derive(Clone, Debug)]
pub struct Selector {
    pub(super) allkeys: bool,
    pub(super) allchannels: bool,
    /// Every bit set by +@all and none cleared since (skips the bit test).
    pub(super) allcommands: bool,
    /// +@all was the last all-or-nothing rule: commands added to the table
    /// later would be allowed (Redis's reserved bit); rendering starts
    /// from `+@all` rather than `-@all` when set.
    pub(super) future: bool,
    pub(super) bits: Bits,
    /// `+select|0`: first arguments allowed for an otherwise denied command.
    pub(super) firstargs: BTreeMap<usize, Vec<Vec<u8>>>,
    pub(super) keys: Vec<KeyPattern>,
    pub(super) channels: Vec<Vec<u8>>,
}

impl Selector {
    /// An empty selector (no commands, keys or channels; all channels
    /// when `acl-pubsub-default` is `allchannels`).
    pub fn new(pubsub_all: bool) -> Selector {
        Selector {
            allkeys: false,
            allchannels: pubsub_all,
            allcommands: false,
            future: false,
            bits: Bits::none(),
            firstargs: BTreeMap::new(),
            keys: Vec::new(),
            channels: Vec::new(),
        }
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        self.bits.put(id, on);
        if !on {
            self.allcommands = false;
        }
    }

    /// Allows or denies a command, and all its subcommands for a container
    /// (Redis's ACLChangeSelectorPerm).
    pub(super) fn change_perm(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.remove(&id);
        for sub in table().subcommand_ids(id) {
            self.set_bit(sub, allow);
        }
    }

    /// Allows or denies every command in the categories of `mask`.
    pub(super) fn set_category(&mut self, mask: u32, allow: bool) {
        for (id, m) in category_masks().iter().enumerate() {
            if m & mask != 0 {
                self.change_perm(id, allow);
            }
        }
    }

    /// How many commands of category `mask` are allowed and denied.
    pub(super) fn count_category(&self, mask: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (id, m) in category_masks().iter().enumerate() {
            if m & mask != 0 {
                if self.bits.get(id) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    pub(super) fn all_commands(&mut self) {
        self.bits = Bits::all();
        self.allcommands = true;
        self.future = true;
        self.firstargs.clear();
    }

    pub(super) fn no_commands(&mut self) {
        self.bits = Bits::none();
        self.allcommands = false;
        self.future = false;
        self.firstargs.clear();
    }

    /// Applies one selector rule (keys, channels, commands).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.allkeys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.all_commands();
        } else if is("nocommands") || is("-@all") {
            self.no_commands();
        } else if matches!(op.first(), Some(b'~' | b'%')) {
            self.add_key_pattern(op)?;
        } else if op.first() == Some(&b'&') {
            if self.allchannels {
                return Err(RuleError::ChannelAfterAll);
            }
            let pat = &op[1..];
            if has_spaces(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
        } else if op.len() >= 2 && matches!(op[0], b'+' | b'-') && op[1] == b'@' {
            let mask = category_bit(&op[2..]).ok_or(RuleError::UnknownCommand)?;
            self.set_category(mask, op[0] == b'+');
        } else if op.first() == Some(&b'+') {
            self.allow_command(&op[1..])?;
        } else if op.first() == Some(&b'-') {
            let id = table()
                .lookup_full(&op[1..])
                .ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// `~pattern`, `%R~pattern`, `%W~pattern`, `%RW~pattern`.
    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAll);
        }
        let (mut read, mut write, mut at) = (true, true, 1);
        if op[0] == b'%' {
            (read, write) = (false, false);
            while at < op.len() {
                match op[at].to_ascii_uppercase() {
                    b'R' if !read => read = true,
                    b'W' if !write => write = true,
                    b'~' => {
                        at += 1;
                        break;
                    }
                    _ => return Err(RuleError::Syntax),
                }
                at += 1;
            }
            // `%~x` grants nothing (Redis 7.4's fix; 7.0 crashed on it).
            if !read && !write {
                return Err(RuleError::Syntax);
            }
        }
        let pattern = &op[at..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pattern) {
            Some(k) => {
                k.read |= read;
                k.write |= write;
            }
            None => self.keys.push(KeyPattern {
                pattern: pattern.to_vec(),
                read,
                write,
            }),
        }
        self.allkeys = false;
        Ok(())
    }

    /// `+cmd`, `+container|sub`, or `+cmd|firstarg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let t = table();
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = t.lookup_full(name).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(id, true);
            return Ok(());
        };
        let (cmd, arg) = (&name[..bar], &name[bar + 1..]);
        let id = t.lookup_full(cmd).ok_or(RuleError::UnknownCommand)?;
        if t.parent(id).is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if arg.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !t.subcommand_ids(id).is_empty() {
            let sid = t.lookup_full(name).ok_or(RuleError::UnknownCommand)?;
            self.change_perm(sid, true);
            return Ok(());
        }
        crate::warning!(
            "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +{})",
            String::from_utf8_lossy(name)
        );
        let list = self.firstargs.entry(id).or_default();
        if !list.iter().any(|a| a.eq_ignore_ascii_case(arg)) {
            list.push(arg.to_vec());
        }
        Ok(())
    }

    /// Whether this selector allows the key `key` for the given access.
    fn key_allowed(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.allkeys
            || self.keys.iter().any(|p| {
                (p.read || !read) && (p.write || !write) && glob_match(&p.pattern, key, false)
            })
    }

    /// Whether `channel` is allowed: matched by a channel pattern, or (for
    /// PSUBSCRIBE, `literal`) equal to one.
    pub(super) fn channel_allowed(&self, channel: &[u8], literal: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if literal {
                    p == channel
                } else {
                    glob_match(p, channel, false)
                }
            })
    }

    /// Redis's ACLSelectorCheckCmd: the command bit (or an allowed first
    /// argument), then the keys, then the channels.
    fn check(
        &self,
        id: usize,
        args: &[Vec<u8>],
        keys: &mut Option<Vec<(usize, bool, bool)>>,
    ) -> Result<(), Denied> {
        let t = table();
        if !self.allcommands && t.spec(id).flags & NO_AUTH == 0 && !self.bits.get(id) {
            let idx = if t.parent(id).is_some() { 2 } else { 1 };
            let allowed = match (self.firstargs.get(&id), args.get(idx)) {
                (Some(list), Some(a)) => list.iter().any(|x| x.eq_ignore_ascii_case(a)),
                _ => false,
            };
            if !allowed {
                return Err(Denied::Command);
            }
        }
        if !self.allkeys {
            for &(i, read, write) in keys.get_or_insert_with(|| key_access(id, args)).iter() {
                if !self.key_allowed(&args[i], read, write) {
                    return Err(Denied::Key(i));
                }
            }
        }
        if !self.allchannels {
            if let Some((from, to, literal)) = channel_args(id, args.len()) {
                for (i, ch) in args.iter().enumerate().take(to).skip(from) {
                    if !self.channel_allowed(ch, literal) {
                        return Err(Denied::Channel(i));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The key arguments of a command with the access each needs: (index,
/// read, write) from the key-spec flags (access = read; insert, delete,
/// update = write). Shard channels are not keys here (`not_key`).
fn key_access(id: usize, args: &[Vec<u8>]) -> Vec<(usize, bool, bool)> {
    /// What a command's key specs amount to, whatever its arguments.
    #[derive(Clone, Copy)]
    enum Shape {
        /// One key range, every key with this (read, write) access.
        Uniform(bool, bool),
        /// No keys for ACL (shard channels: the channel check covers them).
        NotKeys,
        /// Per-key roles or flags that depend on the arguments.
        Varies,
    }
    // Precomputed per table id, so most commands need no lookup by name.
    static SHAPES: OnceLock<Vec<Shape>> = OnceLock::new();
    let shapes = SHAPES.get_or_init(|| {
        table()
            .all_ids()
            .map(|id| match crate::command::docs::uniform_key_flags(id) {
                Some(f) if f.contains(&"not_key") => Shape::NotKeys,
                Some(f) => {
                    let (read, write) = access(f);
                    Shape::Uniform(read, write)
                }
                None => Shape::Varies,
            })
            .collect()
    });
    let spec = table().spec(id);
    match shapes[id] {
        Shape::Uniform(read, write) => {
            return spec
                .key_indexes(args.len())
                .into_iter()
                .map(|i| (i, read, write))
                .collect()
        }
        Shape::NotKeys => return Vec::new(),
        Shape::Varies => {}
    }
    // SET reads its key only with GET.
    if spec.name == "set" && table().parent(id).is_none() {
        let get = args.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
        return vec![(1, get, true)];
    }
    key_access_by_spec(id, args)
}

/// `key_access` the long way, from COMMAND GETKEYSANDFLAGS's per-key flags
/// (what the shortcuts above must agree with).
fn key_access_by_spec(id: usize, args: &[Vec<u8>]) -> Vec<(usize, bool, bool)> {
    let Ok(keys) = crate::command::docs::keys_and_flags_of(id, args) else {
        return Vec::new();
    };
    keys.into_iter()
        .filter(|(_, f)| !f.contains(&"not_key"))
        .map(|(i, f)| {
            let (read, write) = access(f);
            (i, read, write)
        })
        .collect()
}

/// Key-spec flags as ACL access: (read, write).
fn access(flags: &[&str]) -> (bool, bool) {
    let write = flags
        .iter()
        .any(|x| matches!(*x, "insert" | "delete" | "update"));
    (flags.contains(&"access"), write)
}

/// The channel arguments of the Pub/Sub commands ACLs check: (first
/// index, end, literal). UNSUBSCRIBE & co. name no channels for ACL.
fn channel_args(id: usize, argc: usize) -> Option<(usize, usize, bool)> {
    let t = table();
    if t.parent(id).is_some() {
        return None;
    }
    match t.spec(id).name {
        "publish" | "spublish" => Some((1, 2.min(argc), false)),
        "subscribe" | "ssubscribe" => Some((1, argc, false)),
        "psubscribe" => Some((1, argc, true)),
        _ => None,
    }
}

/// A user: on/off, passwords (SHA-256 hex), payload-sanitizing flags and
/// selectors, the first being the root one.
#[derive(Clone, Debug)]
pub struct User {
    pub name: Vec<u8>,
    pub(super) enabled: bool,
    pub(super) nopass: bool,
    /// `sanitize-payload` (Some(true)) / `skip-sanitize-payload` (Some(false)).
    pub(super) sanitize: Option<bool>,
    pub(super) passwords: Vec<String>,
    pub(super) selectors: Vec<Selector>,
    /// Some selector allows every command, key and channel: the hot path
    /// skips the check (derived, kept current by `apply`).
    pub allows_all: bool,
}

impl User {
    /// A new user as ACL SETUSER creates it: off, no password, no
    /// permissions (channels per `acl-pubsub-default`).
    pub fn new(name: &[u8], pubsub_all: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            selectors: vec![Selector::new(pubsub_all)],
            allows_all: false,
        }
    }

    /// The `default` user as Redis creates it: on, nopass, ~* &* +@all.
    pub fn default_user() -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn nopass(&self) -> bool {
        self.nopass
    }

    /// Whether `password` is one of the user's (or the user is nopass).
    /// Every stored hash is compared in full, in constant time.
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if self.nopass {
            return true;
        }
        let hashed = sha256::hex_digest(password);
        let mut ok = false;
        for p in &self.passwords {
            ok |= constant_time_eq(hashed.as_bytes(), p.as_bytes());
        }
        ok
    }

    /// Applies one rule of ACL SETUSER (Redis's ACLSetUser). An empty rule
    /// does nothing. `pubsub_all` is `acl-pubsub-default allchannels`.
    pub fn apply(&mut self, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let r = self.apply_inner(op, pubsub_all);
        self.allows_all = self
            .selectors
            .iter()
            .any(|s| s.allcommands && s.allkeys && s.allchannels);
        r
    }

    fn apply_inner(&mut self, op: &[u8], pubsub_all: bool) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        let Some(&first) = op.first() else {
            return Ok(());
        };
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Some(false);
        } else if is("sanitize-payload") {
            self.sanitize = Some(true);
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if first == b'>' || first == b'#' {
            let hash = if first == b'>' {
                sha256::hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if first == b'<' || first == b'!' {
            let hash = if first == b'<' {
                sha256::hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let at = self.passwords.iter().position(|p| *p == hash);
            self.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
        } else if first == b'(' && op.last() == Some(&b')') && op.len() >= 2 {
            let inner = &op[1..op.len() - 1];
            let rules = crate::resp::parser::split_args(inner).ok_or(RuleError::Syntax)?;
            let mut s = Selector::new(pubsub_all);
            for r in &rules {
                s.apply(r)?;
            }
            self.selectors.push(s);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            let root = &mut self.selectors[0];
            root.allkeys = false;
            root.keys.clear();
            root.allchannels = pubsub_all;
            root.channels.clear();
            self.enabled = false;
            self.sanitize = Some(true);
            self.selectors.truncate(1);
            self.selectors[0].no_commands();
        } else {
            self.selectors[0].apply(op)?;
        }
        Ok(())
    }

    /// Redis's ACLCheckAllUserCommandPerm for the command with table id
    /// `id` and arguments `args` (args\[0\] the name): Ok if one selector
    /// allows it all.
    pub fn check(&self, id: usize, args: &[Vec<u8>]) -> Result<(), Denied> {
        let mut keys = None;
        let mut worst = Denied::Command;
        for s in &self.selectors {
            match s.check(id, args, &mut keys) {
                Ok(()) => return Ok(()),
                Err(d) if d.rank() > worst.rank() => worst = d,
                Err(_) => {}
            }
        }
        Err(worst)
    }

    /// Whether some selector allows subscribing to `channel` (a pattern
    /// subscription is checked literally), for existing subscriptions.
    pub fn channel_allowed(&self, channel: &[u8], literal: bool) -> bool {
        self.selectors
            .iter()
            .any(|s| s.channel_allowed(channel, literal))
    }

    /// Whether some selector has `allchannels`.
    pub fn all_channels(&self) -> bool {
        self.selectors.iter().any(|s| s.allchannels)
    }

    /// Every channel pattern of every selector.
    pub fn channel_patterns(&self) -> Vec<Vec<u8>> {
        self.selectors
            .iter()
            .flat_map(|s| s.channels.iter().cloned())
            .collect()
    }
}

/// Compares without an early exit on the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= (x ^ y) as usize;
    }
    diff == 0
}

/// Joins ACL SETUSER arguments that spread one `(...)` selector over
/// several (Redis's ACLMergeSelectorArguments). Err is the index of an
/// argument opening a selector that never closes.
pub fn merge_selectors(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, op) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                if let Some((_, sel)) = open.take() {
                    out.push(sel);
                }
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((i, op.clone()));
            continue;
        }
        out.push(op.clone());
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new(b"u", false);
        for r in rules {
            u.apply(r.as_bytes(), false)
                .unwrap_or_else(|e| panic!("{r}: {e:?}"));
        }
        u
    }

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    fn check(u: &User, cmd: &str) -> Result<(), Denied> {
        let args = argv(cmd);
        let (id, _) = crate::exec::resolve(&args).unwrap();
        u.check(id, &args)
    }

    #[test]
    fn rule_errors() {
        let mut u = User::new(b"u", false);
        let cases: &[(&str, RuleError)] = &[
            ("+nosuch", RuleError::UnknownCommand),
            ("+@nosuch", RuleError::UnknownCommand),
            ("-nosuch", RuleError::UnknownCommand),
            ("+", RuleError::UnknownCommand),
            ("xyz", RuleError::Syntax),
            ("#abc", RuleError::BadHash),
            ("!ABC", RuleError::BadHash),
            ("<nope", RuleError::NoSuchPassword),
            ("+config|get|x", RuleError::FirstArgOfSubcommand),
            ("+select|", RuleError::Syntax),
            ("+config|nosuch", RuleError::UnknownCommand),
            ("%X~c", RuleError::Syntax),
            ("%RR~x", RuleError::Syntax),
            ("%~x", RuleError::Syntax),
            ("%", RuleError::Syntax),
            ("~a b", RuleError::Syntax),
            ("&a\tb", RuleError::Syntax),
            ("(on)", RuleError::Syntax),
        ];
        for (r, want) in cases {
            assert_eq!(u.apply(r.as_bytes(), false), Err(*want), "{r}");
        }
        u.apply(b"allkeys", false).unwrap();
        assert_eq!(u.apply(b"~x", false), Err(RuleError::KeyAfterAll));
        assert_eq!(u.apply(b"%R~x", false), Err(RuleError::KeyAfterAll));
        u.apply(b"allchannels", false).unwrap();
        assert_eq!(u.apply(b"&x", false), Err(RuleError::ChannelAfterAll));
        assert_eq!(u.apply(b"", false), Ok(()));
    }

    #[test]
    fn passwords() {
        let mut u = user(&["on", ">p1", ">p2", ">p1"]);
        assert_eq!(u.passwords.len(), 2);
        assert!(u.password_ok(b"p1") && u.password_ok(b"p2") && !u.password_ok(b"p3"));
        u.apply(b"<p1", false).unwrap();
        assert!(!u.password_ok(b"p1"));
        let h = sha256::hex_digest(b"p2");
        u.apply(format!("!{h}").as_bytes(), false).unwrap();
        assert!(u.passwords.is_empty() && !u.password_ok(b"p2"));
        u.apply(format!("#{h}").as_bytes(), false).unwrap();
        assert!(u.password_ok(b"p2"));
        u.apply(b"nopass", false).unwrap();
        assert!(u.passwords.is_empty() && u.password_ok(b"anything"));
        u.apply(b">x", false).unwrap();
        assert!(!u.nopass && !u.password_ok(b"anything"));
        u.apply(b"resetpass", false).unwrap();
        assert!(!u.password_ok(b"x") && !u.password_ok(b""));
    }

    #[test]
    fn key_patterns_merge_flags() {
        let u = user(&["%RW~a", "%R~a", "%W~b", "~b", "%rw~x", "%R"]);
        let k = &u.selectors[0].keys;
        let got: Vec<(&[u8], bool, bool)> = k
            .iter()
            .map(|p| (p.pattern.as_slice(), p.read, p.write))
            .collect();
        assert_eq!(
            got,
            [
                (&b"a"[..], true, true),
                (b"b", true, true),
                (b"x", true, true),
                (b"", true, false)
            ]
        );
    }

    #[test]
    fn command_permissions() {
        let u = user(&[
            "+get",
            "+@hash",
            "-hdel",
            "+config|get",
            "+select|0",
            "allkeys",
        ]);
        assert_eq!(check(&u, "GET k"), Ok(()));
        assert_eq!(check(&u, "SET k v"), Err(Denied::Command));
        assert_eq!(check(&u, "HSET h f v"), Ok(()));
        assert_eq!(check(&u, "HDEL h f"), Err(Denied::Command));
        assert_eq!(check(&u, "CONFIG GET x"), Ok(()));
        assert_eq!(check(&u, "CONFIG SET x y"), Err(Denied::Command));
        assert_eq!(check(&u, "SELECT 0"), Ok(()));
        assert_eq!(check(&u, "SELECT 1"), Err(Denied::Command));
        // AUTH & co. never need a command permission.
        assert_eq!(check(&u, "AUTH x"), Ok(()));
        // A container rule covers its subcommands; a subcommand rule wins after.
        let u = user(&["+@all", "-client", "+client|id", "allkeys", "allchannels"]);
        assert_eq!(check(&u, "CLIENT ID"), Ok(()));
        assert_eq!(check(&u, "CLIENT LIST"), Err(Denied::Command));
        assert!(!u.allows_all);
        assert!(user(&["+@all", "~*", "&*"]).allows_all);
        assert!(!user(&["+@all", "-get", "+get", "~*", "&*"]).allows_all);
        // -@all clears the first-arg exceptions.
        let u = user(&["+select|0", "-@all"]);
        assert_eq!(check(&u, "SELECT 0"), Err(Denied::Command));
    }

    #[test]
    fn key_permissions_read_write() {
        let u = user(&["+@all", "~k*", "%R~r*", "%W~w*"]);
        assert_eq!(check(&u, "GET k1"), Ok(()));
        assert_eq!(check(&u, "GET x"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "GET r1"), Ok(()));
        assert_eq!(check(&u, "SET r1 v"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "SET w1 v"), Ok(()));
        assert_eq!(check(&u, "GET w1"), Err(Denied::Key(1)));
        // EXISTS neither reads nor writes the value: any pattern will do.
        assert_eq!(check(&u, "EXISTS w1"), Ok(()));
        assert_eq!(check(&u, "EXISTS zz"), Err(Denied::Key(1)));
        // COPY reads its source and writes its destination.
        assert_eq!(check(&u, "COPY r1 w2"), Ok(()));
        assert_eq!(check(&u, "COPY w1 k2"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "MGET k1 k2 x"), Err(Denied::Key(3)));
        // Movable keys.
        assert_eq!(check(&u, "ZUNIONSTORE w 2 r1 k1"), Ok(()));
        assert_eq!(check(&u, "ZUNIONSTORE w 2 r1 x"), Err(Denied::Key(4)));
        // Shard channels are channels, not keys.
        assert_eq!(check(&u, "SPUBLISH x m"), Err(Denied::Channel(1)));
    }

    /// The precomputed key access agrees with the key specs for every
    /// command, with and without a GET argument (SET's variable flags).
    #[test]
    fn key_access_shortcuts_agree() {
        let t = table();
        for id in t.all_ids() {
            let spec = t.spec(id);
            let name = t.full_name(id);
            let mut head: Vec<Vec<u8>> = name.split('|').map(|w| w.as_bytes().to_vec()).collect();
            let fixed = head.len();
            for extra in [
                &["k1"][..],
                &["k1", "v"],
                &["k1", "k2", "v"],
                &["k1", "k2", "v", "k3"],
                &["k1", "v", "GET", "x", "y", "z"],
            ] {
                head.truncate(fixed);
                head.extend(extra.iter().map(|w| w.as_bytes().to_vec()));
                if !spec.arity_ok(head.len()) {
                    continue;
                }
                assert_eq!(
                    key_access(id, &head),
                    key_access_by_spec(id, &head),
                    "{name} {extra:?}"
                );
            }
        }
    }

    #[test]
    fn channel_permissions() {
        let u = user(&["+@all", "allkeys", "&ch*", "&lit"]);
        assert_eq!(check(&u, "PUBLISH ch1 m"), Ok(()));
        assert_eq!(check(&u, "PUBLISH x m"), Err(Denied::Channel(1)));
        assert_eq!(check(&u, "SUBSCRIBE ch1 lit x"), Err(Denied::Channel(3)));
        // A pattern subscription needs the pattern itself allowed.
        assert_eq!(check(&u, "PSUBSCRIBE ch*"), Ok(()));
        assert_eq!(check(&u, "PSUBSCRIBE c*"), Err(Denied::Channel(1)));
        assert_eq!(check(&u, "PSUBSCRIBE ch1"), Err(Denied::Channel(1)));
        assert_eq!(check(&u, "UNSUBSCRIBE x"), Ok(()));
    }

    #[test]
    fn selectors_any_allows() {
        let u = user(&["+get", "~a*", "(+set ~b*)", "(%R~c* +get)"]);
        assert_eq!(check(&u, "GET a1"), Ok(()));
        assert_eq!(check(&u, "SET b1 v"), Ok(()));
        assert_eq!(check(&u, "GET c1"), Ok(()));
        assert_eq!(check(&u, "SET a1 v"), Err(Denied::Key(1)));
        assert_eq!(check(&u, "DEL a1"), Err(Denied::Command));
        let mut u = u;
        u.apply(b"clearselectors", false).unwrap();
        assert_eq!(check(&u, "SET b1 v"), Err(Denied::Command));
    }

    #[test]
    fn reset_and_pubsub_default() {
        let mut u = user(&["on", ">p", "~*", "&*", "+@all", "(+get)"]);
        u.apply(b"reset", false).unwrap();
        assert!(!u.enabled && !u.nopass && u.passwords.is_empty());
        assert_eq!(u.selectors.len(), 1);
        assert!(!u.selectors[0].allchannels && !u.selectors[0].allkeys);
        assert_eq!(u.sanitize, Some(true));
        u.apply(b"reset", true).unwrap();
        assert!(u.selectors[0].allchannels);
        assert!(User::new(b"x", true).selectors[0].allchannels);
        assert!(!User::new(b"x", false).selectors[0].allchannels);
    }

    #[test]
    fn merging_selector_arguments() {
        let a = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            merge_selectors(&a(&["on", "(+get", "~x)", "(+set)"])),
            Ok(a(&["on", "(+get ~x)", "(+set)"]))
        );
        assert_eq!(merge_selectors(&a(&["on", "(+get", "~x"])), Err(1));
    }
}
