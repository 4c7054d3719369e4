//! Command help from the server's COMMAND DOCS: the `HELP` text, the
//! argument hints shown after the cursor, and Tab completion.

use crate::resp::Reply;

/// One command (or subcommand, `CONFIG GET`) as HELP shows it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// Upper-case words of the name: ["CONFIG", "GET"].
    pub words: Vec<String>,
    pub params: String,
    pub summary: String,
    pub since: String,
    pub group: String,
}

impl Entry {
    pub fn full(&self) -> String {
        self.words.join(" ")
    }
}

/// Key → value pairs of a map reply, or of its RESP2 flat array form.
fn pairs(r: Reply) -> Vec<(String, Reply)> {
    let items = r.into_items().unwrap_or_default();
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k.text(), v));
    }
    out
}

/// One argument as redis-cli's help writes it: `[EX seconds|PX
/// milliseconds]`, `key [key ...]`, `LIMIT offset count`.
fn arg_text(arg: Reply) -> String {
    let (mut name, mut ty, mut token) = (String::new(), String::new(), None);
    let (mut optional, mut multiple) = (false, false);
    let mut children = Vec::new();
    for (k, v) in pairs(arg) {
        match k.as_str() {
            "name" => name = v.text(),
            "type" => ty = v.text(),
            "token" => token = Some(v.text()),
            "flags" => {
                for f in v.into_items().unwrap_or_default() {
                    match f.text().as_str() {
                        "optional" => optional = true,
                        "multiple" => multiple = true,
                        _ => {}
                    }
                }
            }
            "arguments" => children = v.into_items().unwrap_or_default(),
            _ => {}
        }
    }
    let mut s = match ty.as_str() {
        "block" => children
            .into_iter()
            .map(arg_text)
            .collect::<Vec<_>>()
            .join(" "),
        "oneof" => children
            .into_iter()
            .map(arg_text)
            .collect::<Vec<_>>()
            .join("|"),
        "pure-token" => token.take().unwrap_or(name),
        _ => name,
    };
    if let Some(t) = token {
        s = format!("{} {}", t, s);
    }
    if multiple {
        s = format!("{} [{} ...]", s, s);
    }
    if optional {
        s = format!("[{}]", s);
    }
    s
}

fn entry(words: Vec<String>, docs: Reply, out: &mut Vec<Entry>) {
    let mut e = Entry {
        words,
        ..Entry::default()
    };
    let mut subs = Vec::new();
    for (k, v) in pairs(docs) {
        match k.as_str() {
            "summary" => e.summary = v.text(),
            "since" => e.since = v.text(),
            "group" => e.group = v.text(),
            "arguments" => {
                e.params = v
                    .into_items()
                    .unwrap_or_default()
                    .into_iter()
                    .map(arg_text)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "subcommands" => subs = pairs(v),
            _ => {}
        }
    }
    out.push(e);
    for (name, d) in subs {
        // "config|get" → CONFIG GET
        let words = name.split('|').map(|w| w.to_uppercase()).collect();
        entry(words, d, out);
    }
}

/// Every entry in a COMMAND DOCS reply, sorted by name.
pub fn parse_docs(r: Reply) -> Vec<Entry> {
    let mut out = Vec::new();
    for (name, d) in pairs(r) {
        entry(vec![name.to_uppercase()], d, &mut out);
    }
    out.sort_by(|a, b| a.words.cmp(&b.words));
    out
}

/// The general text of `help` with no argument.
pub fn general(version: &str) -> String {
    format!(
        "flashdb-cli {}\n\
To get help about commands type:\n      \
\"help @<group>\" to get a list of commands in <group>\n      \
\"help <command>\" for help on <command>\n      \
\"help <tab>\" to get a list of possible help topics\n      \
\"quit\" to exit\n\
\n\
To set flashdb-cli preferences:\n      \
\":set hints\" enable online hints\n      \
\":set nohints\" disable online hints\n",
        version
    )
}

/// One entry as HELP prints it (bold name, grey arguments, yellow labels).
pub fn entry_text(e: &Entry, group: bool) -> String {
    let mut s = format!(
        "\r\n  \x1b[1m{}\x1b[0m \x1b[90m{}\x1b[0m\r\n  \x1b[33msummary:\x1b[0m {}\r\n  \x1b[33msince:\x1b[0m {}\r\n",
        e.full(),
        e.params,
        e.summary,
        e.since
    );
    if group {
        s.push_str(&format!("  \x1b[33mgroup:\x1b[0m {}\r\n", e.group));
    }
    s
}

/// `help <words>` or `help @<group>`; None when nothing matches.
pub fn lookup(entries: &[Entry], args: &[String]) -> Option<String> {
    let mut out = String::new();
    if let Some(g) = args.first().and_then(|a| a.strip_prefix('@')) {
        for e in entries.iter().filter(|e| e.group.eq_ignore_ascii_case(g)) {
            out.push_str(&entry_text(e, false));
        }
    } else {
        for e in entries {
            let prefix = args.len() <= e.words.len()
                && args
                    .iter()
                    .zip(&e.words)
                    .all(|(a, w)| a.eq_ignore_ascii_case(w));
            if prefix {
                out.push_str(&entry_text(e, true));
            }
        }
    }
    if out.is_empty() {
        None
    } else {
        out.push_str("\r\n");
        Some(out)
    }
}

/// The hint after `line`: the arguments not typed yet (redis-cli's
/// `hintsCallback`: the longest matching command, minus one word of its
/// arguments per argument typed, stopping at the first optional one).
pub fn hint(entries: &[Entry], line: &str) -> Option<String> {
    let argv: Vec<String> = crate::format::split_args(line)?
        .into_iter()
        .map(|a| String::from_utf8_lossy(&a).into_owned())
        .collect();
    if argv.is_empty() {
        return None;
    }
    let mut best: Option<&Entry> = None;
    for e in entries {
        let n = e.words.len();
        if n <= argv.len()
            && e.words
                .iter()
                .zip(&argv)
                .all(|(w, a)| w.eq_ignore_ascii_case(a))
            && n > best.map(|b| b.words.len()).unwrap_or(0)
        {
            best = Some(e);
        }
    }
    let e = best?;
    let mut hint: &str = &e.params;
    let mut remove = argv.len() - e.words.len();
    while remove > 0 && !hint.is_empty() {
        if hint.starts_with('[') {
            break;
        }
        if hint.starts_with(' ') {
            remove -= 1;
        }
        hint = &hint[hint.chars().next().map(|c| c.len_utf8()).unwrap_or(1)..];
    }
    let endspace = line.ends_with(|c: char| c.is_ascii_whitespace());
    Some(if endspace {
        hint.to_string()
    } else {
        format!(" {}", hint)
    })
}

/// Completions of `line`: command names it is a prefix of (after `help `,
/// also `@group` names), each with the rest of the line as typed.
pub fn complete(entries: &[Entry], line: &str) -> Vec<String> {
    let (start, topics) = if line
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("help "))
    {
        (5, true)
    } else {
        (0, false)
    };
    let typed = &line[start..];
    let mut names: Vec<String> = Vec::new();
    if topics {
        let mut groups: Vec<String> = entries.iter().map(|e| format!("@{}", e.group)).collect();
        groups.sort();
        groups.dedup();
        names.extend(groups);
    }
    names.extend(entries.iter().map(|e| e.full()));
    names
        .into_iter()
        .filter(|n| {
            n.get(..typed.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(typed))
        })
        .map(|n| format!("{}{}", &line[..start], n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Reply {
        Reply::Bulk(x.as_bytes().to_vec())
    }

    fn arg(name: &str, ty: &str, token: Option<&str>, flags: &[&str], kids: Vec<Reply>) -> Reply {
        let mut v = vec![s("name"), s(name), s("type"), s(ty)];
        if let Some(t) = token {
            v.extend([s("token"), s(t)]);
        }
        v.extend([
            s("flags"),
            Reply::Array(flags.iter().map(|f| s(f)).collect()),
        ]);
        if !kids.is_empty() {
            v.extend([s("arguments"), Reply::Array(kids)]);
        }
        Reply::Array(v)
    }

    fn set_docs() -> Vec<Entry> {
        let args = Reply::Array(vec![
            arg("key", "key", None, &[], vec![]),
            arg("value", "string", None, &[], vec![]),
            arg(
                "condition",
                "oneof",
                None,
                &["optional"],
                vec![
                    arg("nx", "pure-token", Some("NX"), &[], vec![]),
                    arg("xx", "pure-token", Some("XX"), &[], vec![]),
                ],
            ),
            arg("seconds", "integer", Some("EX"), &["optional"], vec![]),
        ]);
        let docs = Reply::Array(vec![
            s("summary"),
            s("Set the string value of a key"),
            s("since"),
            s("1.0.0"),
            s("group"),
            s("string"),
            s("arguments"),
            args,
        ]);
        let mget = Reply::Array(vec![
            s("group"),
            s("string"),
            s("arguments"),
            Reply::Array(vec![arg("key", "key", None, &["multiple"], vec![])]),
        ]);
        parse_docs(Reply::Array(vec![s("set"), docs, s("mget"), mget]))
    }

    #[test]
    fn params_like_redis_cli() {
        let e = set_docs();
        assert_eq!(e[1].params, "key value [NX|XX] [EX seconds]");
        assert_eq!(e[0].params, "key [key ...]");
    }

    #[test]
    fn hints_drop_typed_arguments() {
        let e = set_docs();
        assert_eq!(hint(&e, "set").unwrap(), " key value [NX|XX] [EX seconds]");
        assert_eq!(hint(&e, "SET ").unwrap(), "key value [NX|XX] [EX seconds]");
        assert_eq!(hint(&e, "set k ").unwrap(), "value [NX|XX] [EX seconds]");
        assert_eq!(hint(&e, "set k v ").unwrap(), "[NX|XX] [EX seconds]");
        assert!(hint(&e, "nosuch").is_none());
    }

    #[test]
    fn completion() {
        let e = set_docs();
        assert_eq!(complete(&e, "s"), ["SET"]);
        assert_eq!(complete(&e, "m"), ["MGET"]);
        assert_eq!(complete(&e, "help @s"), ["help @string"]);
        assert!(complete(&e, "x").is_empty());
    }
}
