//! Generated reference documentation: `docs/COMMANDS.md` from the command
//! table and `docs/CONFIG.md` from the directive table. A test compares the
//! files with what the tables say, so the docs cannot drift; run
//! `make docs` (UPDATE_DOCS=1) to regenerate them.

use crate::command::{table::table, FLAG_NAMES};
use crate::config;
use std::fmt::Write;

/// The Markdown of docs/COMMANDS.md.
pub fn commands_md() -> String {
    let t = table();
    let mut groups: Vec<&str> = t.commands().map(|(_, s)| s.group).collect();
    groups.sort_unstable();
    groups.dedup();
    let mut out = String::new();
    out.push_str("# FlashDB commands\n\n");
    out.push_str("<!-- Generated from the command table by `make docs`; a test fails when it is stale. -->\n\n");
    out.push_str("Every command FlashDB supports, with Redis 7's syntax and semantics. Arity follows Redis's convention ");
    out.push_str("(N = exactly N arguments counting the name, -N = at least N). `COMMAND DOCS` and `COMMAND INFO` ");
    out.push_str("return the same information at run time.\n\n");
    let _ = writeln!(
        out,
        "{} commands in {} groups.\n",
        t.commands().count(),
        groups.len()
    );
    for g in groups {
        let _ = writeln!(out, "## {}\n", g);
        out.push_str(
            "| command | syntax | summary | arity | flags | since |\n|---|---|---|---|---|---|\n",
        );
        let mut rows: Vec<_> = t.commands().filter(|(_, s)| s.group == g).collect();
        rows.sort_by_key(|(_, s)| s.name);
        for (id, s) in rows {
            row(
                &mut out,
                &t.full_name(id).to_uppercase().replace('|', " "),
                s,
            );
            for sub in s.subcommands {
                let name = format!("{} {}", s.name.to_uppercase(), sub.name.to_uppercase());
                row(&mut out, &name, sub);
            }
        }
        out.push('\n');
    }
    not_supported(&mut out, t);
    out
}

/// Redis 7.0.15's commands and subcommands with their groups, as its
/// COMMAND DOCS lists them.
const REDIS_COMMANDS: &str = include_str!("redis-7.0-commands.txt");

/// Why a group of Redis commands is missing.
fn why(group: &str) -> &'static str {
    match group {
        "cluster" => "FlashDB is a single server: there is no cluster mode (clients see no `MOVED`/`ASK`).",
        "scripting" => "No Lua scripting or functions: use MULTI/EXEC (with WATCH) for atomic groups of commands.",
        "server" => "No replication (REPLICAOF, PSYNC, FAILOVER; ROLE answers `master`), modules or DEBUG.",
        _ => "Not implemented.",
    }
}

/// The section listing the Redis 7.0 commands the table lacks.
fn not_supported(out: &mut String, t: &crate::command::table::Table) {
    let ours: std::collections::HashSet<String> = t
        .commands()
        .flat_map(|(id, s)| {
            let full = t.full_name(id).replace('|', " ");
            let subs = s
                .subcommands
                .iter()
                .map(move |sub| format!("{} {}", s.name, sub.name));
            std::iter::once(full).chain(subs)
        })
        .collect();
    let mut missing: Vec<(&str, &str)> = REDIS_COMMANDS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .filter(|(name, _)| !ours.contains(*name))
        .map(|(name, group)| (group, name))
        .collect();
    missing.sort_unstable();
    out.push_str("## Redis 7.0 commands not supported\n\n");
    let _ = writeln!(
        out,
        "{} of Redis 7.0.15's commands and subcommands are not in FlashDB; they answer \
         `-ERR unknown command` (or `unknown subcommand`), as Redis does for a command it lacks.\n",
        missing.len()
    );
    out.push_str("| group | commands | why |\n|---|---|---|\n");
    let mut groups: Vec<&str> = missing.iter().map(|(g, _)| *g).collect();
    groups.dedup();
    for g in groups {
        let names: Vec<String> = missing
            .iter()
            .filter(|(mg, _)| *mg == g)
            .map(|(_, n)| n.to_uppercase())
            .collect();
        let _ = writeln!(out, "| {} | {} | {} |", g, names.join(", "), why(g));
    }
}

fn row(out: &mut String, name: &str, s: &crate::command::CommandSpec) {
    let flags: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(b, _)| s.flags & b != 0)
        .map(|(_, n)| *n)
        .collect();
    let _ = writeln!(
        out,
        "| {} | `{}` | {} | {} | {} | {} |",
        name,
        esc(s.syntax),
        esc(s.summary),
        s.arity,
        flags.join(" "),
        s.since
    );
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Directives that are parsed, validated and settable today but whose
/// feature lands with a later piece of work; the docs say so plainly.
pub const PENDING: &[(&str, &str)] = &[];

/// The Markdown of docs/CONFIG.md.
pub fn config_md() -> String {
    let mut out = String::new();
    out.push_str("# FlashDB configuration directives\n\n");
    out.push_str("<!-- Generated from the directive table by `make docs`; a test fails when it is stale. -->\n\n");
    out.push_str("Set them in a redis.conf-style file (`flashdb path/to/flashdb.conf`), as command-line flags ");
    out.push_str(
        "(`--port 7000`, flags win over the file), or at run time with `CONFIG SET` where marked. ",
    );
    out.push_str("Sizes accept `1k 1kb 1m 1mb 1g 1gb`; booleans `yes`/`no`. The shipped `flashdb.conf` lists them all ");
    out.push_str("with their defaults.\n\n");
    for g in config::GROUPS {
        let specs: Vec<_> = config::specs().filter(|s| s.group == *g).collect();
        if specs.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {}\n", g);
        if *g == "COMPATIBILITY" {
            out.push_str("Accepted for compatibility, **no effect** unless the notes say otherwise: a redis.conf written for Redis 7 starts FlashDB, ");
            out.push_str("these directives can be read and set with CONFIG GET/SET, and FlashDB logs once at start which of them ");
            out.push_str("were set.\n\n");
        }
        out.push_str("| directive | default | CONFIG SET | notes |\n|---|---|---|---|\n");
        for s in specs {
            let name = match s.alias {
                Some(a) => format!("`{}` (alias `{}`)", s.name, a),
                None => format!("`{}`", s.name),
            };
            let def = if s.default.is_empty() {
                "\"\""
            } else {
                s.default
            };
            let note = PENDING
                .iter()
                .chain(config::COMPAT_WITH_EFFECT)
                .find(|(n, _)| *n == s.name)
                .map(|(_, w)| *w)
                .unwrap_or("");
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                name,
                def,
                if s.mutable { "yes" } else { "no" },
                note
            );
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, want: String) {
        let full = format!("{}/{}", env!("CARGO_MANIFEST_DIR"), path);
        if std::env::var("UPDATE_DOCS").is_ok() {
            std::fs::write(&full, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(&full).unwrap_or_default();
        assert!(have == want, "{path} is stale: run `make docs`");
    }

    #[test]
    fn commands_md_is_current() {
        check("docs/COMMANDS.md", commands_md());
    }

    #[test]
    fn config_md_is_current() {
        check("docs/CONFIG.md", config_md());
    }
}
