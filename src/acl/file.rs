//! The ACL file (`aclfile`): one `user <name> <rules...>` line per user.
//! Reading follows Redis 7.0's ACLLoadFromFile: words are split on single
//! spaces (no quoting), every problem is collected into one message, and
//! any problem means nothing is loaded. Writing (ACL SAVE) puts every user,
//! sorted by name, into a temporary file renamed over the old one.

use super::user::{merge_selectors, RuleError, User};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Users parsed from an ACL file's text, by name; Err is the message ACL
/// LOAD replies (and start-up logs). `filename` is the name as configured.
pub fn parse(
    text: &[u8],
    filename: &str,
    pubsub_all: bool,
) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let mut users: BTreeMap<Vec<u8>, User> = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = trim_end(trim_start(raw, b" \t\r\n"), b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let argv: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{filename}:{n} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = argv[1];
        if !super::user::name_ok(name) {
            errors.push_str(&format!(
                "'{filename}:{n}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {n}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut user = User::new(name, pubsub_all);
        let words: Vec<Vec<u8>> = argv[2..].iter().map(|w| w.to_vec()).collect();
        let Ok(rules) = merge_selectors(&words) else {
            errors.push_str(&format!(
                "{filename}:{n}: Unmatched parenthesis in selector definition."
            ));
            continue;
        };
        let mut syntax_reported = false;
        for rule in rules {
            let rule = trim_end(trim_start(&rule, b"\t\r\n"), b"\t\r\n");
            match user.apply(rule, pubsub_all) {
                Ok(()) => {}
                // Unknown commands are named; for other errors only the
                // first is, as later ones may follow from it.
                Err(RuleError::UnknownCommand) => errors.push_str(&format!(
                    "{filename}:{n}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(rule),
                    RuleError::UnknownCommand.message()
                )),
                Err(e) if !syntax_reported => {
                    syntax_reported = true;
                    errors.push_str(&format!("{filename}:{n}: {}. ", e.message()));
                }
                Err(_) => {}
            }
        }
        users.insert(name.to_vec(), user);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        Err(errors)
    }
}

fn trim_start<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let at = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    &s[at..]
}

fn trim_end<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(0, |i| i + 1);
    &s[..end]
}

/// The ACL file's contents for `users` (already sorted by name).
pub fn render<'a>(users: impl Iterator<Item = &'a User>) -> Vec<u8> {
    let mut out = Vec::new();
    for u in users {
        out.extend_from_slice(&u.line());
        out.push(b'\n');
    }
    out
}

/// Writes `bytes` to `path` through a synced temporary file in the same
/// directory and a rename. Err is the text to log.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        crate::store::now_ms()
    ));
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp)
        .map_err(|e| format!("Opening temp ACL file for ACL SAVE: {e}"))
        .and_then(|mut f| {
            f.write_all(bytes)
                .and_then(|()| f.sync_all())
                .map_err(|e| format!("Writing ACL file for ACL SAVE: {e}"))
        })
        .and_then(|()| {
            std::fs::rename(&tmp, path).map_err(|e| format!("Renaming ACL file for ACL SAVE: {e}"))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_like_redis() {
        let ok = parse(
            b"user bob on nopass ~* +@all\n\n  \r\nuser alice  on >x (~a +get)\n",
            "u.acl",
            false,
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(
            String::from_utf8(ok[&b"bob"[..]].line()).unwrap(),
            "user bob on nopass ~* resetchannels +@all"
        );
        assert!(ok[&b"alice"[..]].password_ok(b"x"));

        // The message redis-server 7.0.15 gives for the same file.
        let err = parse(
            b"user bob on nopass ~* +@all\nuser bob off\n# comment\nuser x +nosuch ~a ~* foo\nusr y\n\n  \nuser\nuser a b\tc\n",
            "/tmp/acltest/users.acl",
            false,
        )
        .unwrap_err();
        assert_eq!(err, "WARNING: Duplicate user 'bob' found on line 2. /tmp/acltest/users.acl:3 should start with user keyword followed by the username. /tmp/acltest/users.acl:4: Error in applying operation '+nosuch': Unknown command or category name in ACL. /tmp/acltest/users.acl:4: Syntax error. /tmp/acltest/users.acl:5 should start with user keyword followed by the username. /tmp/acltest/users.acl:8 should start with user keyword followed by the username. /tmp/acltest/users.acl:9: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        // No quoting in ACL files.
        assert_eq!(
            parse(b"user bob \"on\"\n", "f", false).unwrap_err(),
            "f:1: Syntax error. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
        assert!(parse(b"user bob (+get\n", "f", false)
            .unwrap_err()
            .starts_with("f:1: Unmatched parenthesis in selector definition."));
    }

    #[test]
    fn render_then_parse_round_trips() {
        let mut users = parse(
            b"user b on >pw ~k* &c (+set ~w*) +get\nuser a off\n",
            "f",
            false,
        )
        .unwrap();
        users.insert(b"default".to_vec(), User::default_user());
        let text = render(users.values());
        let again = parse(&text, "f", false).unwrap();
        assert_eq!(render(again.values()), text);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "user a off resetchannels -@all\nuser b on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* resetchannels &c -@all +get (~w* resetchannels -@all +set)\nuser default on nopass ~* &* +@all\n"
        );
    }
}
