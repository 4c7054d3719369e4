//! Users rendered back into rules, as ACL LIST, ACL GETUSER and ACL SAVE
//! show them (Redis 7.0's ACLDescribeUser): flags, password hashes, keys,
//! channels, then the command rules, which are rebuilt from the permission
//! bits: `+@all` or `-@all`, the categories that best fit, then single
//! commands. Single commands follow FlashDB's table order; Redis 7.0
//! follows its hash table's (which changes from one process to the next).

use super::user::{KeyPattern, Selector, User};
use crate::command::docs::CATEGORY_ORDER;
use crate::command::table::table;

/// One key pattern as a rule: `~p`, `%R~p` or `%W~p`.
fn key_rule(out: &mut Vec<u8>, k: &KeyPattern) {
    out.extend_from_slice(match (k.read, k.write) {
        (true, false) => b"%R~",
        (false, true) => b"%W~",
        _ => b"~",
    });
    out.extend_from_slice(&k.pattern);
}

impl Selector {
    /// The command rules that rebuild this selector's command bits (Redis's
    /// ACLDescribeSelectorCommandRules), e.g. `-@all +@hash -hdel +get`.
    pub fn describe_commands(&self) -> Vec<u8> {
        let mut rules: Vec<u8> = Vec::new();
        // Rules are replayed on `fake` as they are emitted, so what is
        // still missing is always known.
        let mut fake = Selector::new(false);
        let additive = !self.future;
        if additive {
            rules.extend_from_slice(b"-@all ");
            fake.no_commands();
        } else {
            rules.extend_from_slice(b"+@all ");
            fake.all_commands();
        }
        // Categories: repeatedly the one with the fewest differences from
        // the bits still unexplained (and more in common than not).
        let mut temp = Selector::new(false);
        temp.bits = self.bits.clone();
        let mut applied = [false; 32];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (j, done) in applied.iter().enumerate().take(CATEGORY_ORDER.len()) {
                if *done {
                    continue;
                }
                let (on, off) = temp.count_category(1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(j);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(1 << j, additive);
            temp.set_category(1 << j, !additive);
            rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
            rules.extend_from_slice(CATEGORY_ORDER[j].as_bytes());
            rules.push(b' ');
            applied[j] = true;
        }
        // Then the single commands that still differ, and first-args.
        let t = table();
        for id in t.all_ids() {
            let mine = self.bits.get(id);
            if mine != fake.bits.get(id) {
                rules.push(if mine { b'+' } else { b'-' });
                rules.extend_from_slice(t.full_name(id).as_bytes());
                rules.push(b' ');
                fake.change_perm(id, mine);
            }
            if let (false, Some(args)) = (mine, self.firstargs.get(&id)) {
                for a in args {
                    rules.push(b'+');
                    rules.extend_from_slice(t.full_name(id).as_bytes());
                    rules.push(b'|');
                    rules.extend_from_slice(a);
                    rules.push(b' ');
                }
            }
        }
        rules.pop();
        debug_assert_eq!(
            fake.bits, self.bits,
            "command rules do not rebuild the bits"
        );
        rules
    }

    /// ACL GETUSER's `keys`: `~*`, or the patterns separated by spaces.
    pub fn describe_keys(&self) -> Vec<u8> {
        if self.allkeys {
            return b"~*".to_vec();
        }
        let mut out = Vec::new();
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            key_rule(&mut out, k);
        }
        out
    }

    /// ACL GETUSER's `channels`: `&*`, or `&pattern`s separated by spaces.
    pub fn describe_channels(&self) -> Vec<u8> {
        if self.allchannels {
            return b"&*".to_vec();
        }
        let mut out = Vec::new();
        for (i, c) in self.channels.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            out.push(b'&');
            out.extend_from_slice(c);
        }
        out
    }

    /// The whole selector as rules: keys, channels, commands.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.allkeys {
            out.extend_from_slice(b"~* ");
        } else {
            for k in &self.keys {
                key_rule(&mut out, k);
                out.push(b' ');
            }
        }
        if self.allchannels {
            out.extend_from_slice(b"&* ");
        } else {
            out.extend_from_slice(b"resetchannels ");
            for c in &self.channels {
                out.push(b'&');
                out.extend_from_slice(c);
                out.push(b' ');
            }
        }
        out.extend_from_slice(&self.describe_commands());
        out
    }
}

impl User {
    /// The user's flags in Redis's order (ACL GETUSER `flags`).
    pub fn flags(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.sanitize {
            Some(false) => v.push("skip-sanitize-payload"),
            Some(true) => v.push("sanitize-payload"),
            None => {}
        }
        v
    }

    /// The stored password hashes (hex).
    pub fn password_hashes(&self) -> &[String] {
        &self.passwords
    }

    /// The root selector (rules given outside parentheses).
    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// The `(...)` selectors.
    pub fn extra_selectors(&self) -> &[Selector] {
        &self.selectors[1..]
    }

    /// Every rule, as ACL LIST shows it after `user <name> `.
    pub fn describe(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flags() {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for (i, s) in self.selectors.iter().enumerate() {
            if i == 0 {
                out.extend_from_slice(&s.describe());
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&s.describe());
                out.push(b')');
            }
        }
        out
    }

    /// `user <name> <rules>`: an ACL LIST entry, an ACL file line.
    pub fn line(&self) -> Vec<u8> {
        let mut out = b"user ".to_vec();
        out.extend_from_slice(&self.name);
        out.push(b' ');
        out.extend_from_slice(&self.describe());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(rules: &[&str]) -> String {
        let mut u = User::new(b"u", false);
        for r in rules {
            u.apply(r.as_bytes(), false).unwrap();
        }
        let text = String::from_utf8(u.line()).unwrap();
        // What is rendered sets the same permissions again.
        let mut again = User::new(b"u", false);
        let words: Vec<Vec<u8>> = text
            .split(' ')
            .skip(2)
            .map(|w| w.as_bytes().to_vec())
            .collect();
        for r in super::super::user::merge_selectors(&words).unwrap() {
            again.apply(&r, false).unwrap();
        }
        assert_eq!(String::from_utf8(again.line()).unwrap(), text, "round trip");
        text
    }

    /// Texts checked against redis-server 7.0.15 (single commands in a
    /// table order that happens to agree).
    #[test]
    fn renders_like_redis() {
        assert_eq!(
            String::from_utf8(User::default_user().line()).unwrap(),
            "user default on nopass ~* &* +@all"
        );
        assert_eq!(line(&[]), "user u off resetchannels -@all");
        assert_eq!(
            line(&["reset"]),
            "user u off sanitize-payload resetchannels -@all"
        );
        assert_eq!(
            line(&["on", ">p1", "~k*", "%R~r*", "%W~w*", "&ch*", "+@hash", "-hdel"]),
            "user u on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~k* %R~r* %W~w* resetchannels &ch* -@all +@hash -hdel"
        );
        assert_eq!(
            line(&["+@all", "-@dangerous"]),
            "user u off resetchannels +@all -@dangerous"
        );
        assert_eq!(
            line(&["+@all", "-get", "-set"]),
            "user u off resetchannels +@all -get -set"
        );
        assert_eq!(
            line(&["+@all", "-client", "+client|id"]),
            "user u off resetchannels +@all -client +client|id"
        );
        assert_eq!(
            line(&["allcommands", "-select", "+select|0", "+select|1"]),
            "user u off resetchannels +@all -select +select|0 +select|1"
        );
        assert_eq!(
            line(&["~a", "&a", "~*", "&*", "-@all"]),
            "user u off ~* &* -@all"
        );
        assert_eq!(
            line(&["on", "nopass", "skip-sanitize-payload"]),
            "user u on nopass skip-sanitize-payload resetchannels -@all"
        );
        assert_eq!(
            line(&["on", "(~x +get)", "(%R~y +set)"]),
            "user u on resetchannels -@all (~x resetchannels -@all +get) (%R~y resetchannels -@all +set)"
        );
    }

    #[test]
    fn getuser_fields() {
        let mut u = User::new(b"u", false);
        for r in ["%RW~a", "%W~b", "&c1", "&c2"] {
            u.apply(r.as_bytes(), false).unwrap();
        }
        assert_eq!(u.root().describe_keys(), b"~a %W~b");
        assert_eq!(u.root().describe_channels(), b"&c1 &c2");
        assert_eq!(u.flags(), ["off"]);
        assert_eq!(User::default_user().flags(), ["on", "nopass"]);
        assert_eq!(User::default_user().root().describe_keys(), b"~*");
    }
}
