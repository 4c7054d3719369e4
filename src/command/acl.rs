//! The ACL command: SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS
//! LOG DRYRUN SAVE LOAD HELP. Users, rules and the permission check live
//! in src/acl; AUTH and HELLO are in connection.rs.

use super::args::{int, is, text};
use super::*;
use crate::acl::{self, Denied};
use crate::resp::Reply;
use crate::server::Ctx;

const ADM: u32 = ADMIN | NOSCRIPT | LOADING | STALE;
const PLAIN: u32 = NOSCRIPT | LOADING | STALE;

pub static COMMANDS: &[CommandSpec] =
    &[
        CommandSpec::new("acl", -2, 0, NO_KEYS, super::connection::container)
            .doc(
                "server",
                "6.0.0",
                "A container for Access List Control commands.",
            )
            .complexity("Depends on subcommand.")
            .subs(ACL_SUBS),
    ];

static ACL_SUBS: &[CommandSpec] = &[
    CommandSpec::new("cat", -2, PLAIN, NO_KEYS, cat)
        .doc(
            "server",
            "6.0.0",
            "Lists the ACL categories, or the commands inside a category.",
        )
        .syntax("[category]")
        .complexity("O(1) since the categories and commands are a fixed set."),
    CommandSpec::new("deluser", -3, ADM, NO_KEYS, deluser)
        .doc(
            "server",
            "6.0.0",
            "Deletes ACL users, and terminates their connections.",
        )
        .syntax("username [username ...]")
        .complexity("O(1) amortized time considering the typical user."),
    CommandSpec::new("dryrun", -4, ADM, NO_KEYS, dryrun)
        .doc(
            "server",
            "7.0.0",
            "Simulates the execution of a command by a user, without executing the command.",
        )
        .syntax("username command [arg [arg ...]]")
        .complexity("O(1)."),
    CommandSpec::new("genpass", -2, PLAIN, NO_KEYS, genpass)
        .doc(
            "server",
            "6.0.0",
            "Generates a pseudorandom, secure password that can be used to identify ACL users.",
        )
        .syntax("[bits]")
        .complexity("O(1)"),
    CommandSpec::new("getuser", 3, ADM, NO_KEYS, getuser)
        .doc("server", "6.0.0", "Lists the ACL rules of a user.")
        .syntax("username")
        .complexity(
            "O(N). Where N is the number of password, command and pattern rules that the user has.",
        ),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, help)
        .doc(
            "server",
            "6.0.0",
            "Returns helpful text about the different subcommands.",
        )
        .complexity("O(1)"),
    CommandSpec::new("list", 2, ADM, NO_KEYS, list)
        .doc(
            "server",
            "6.0.0",
            "Dumps the effective rules in ACL file format.",
        )
        .complexity("O(N). Where N is the number of configured users."),
    CommandSpec::new("load", 2, ADM, NO_KEYS, load)
        .doc(
            "server",
            "6.0.0",
            "Reloads the rules from the configured ACL file.",
        )
        .complexity("O(N). Where N is the number of configured users."),
    CommandSpec::new("log", -2, ADM, NO_KEYS, log)
        .doc(
            "server",
            "6.0.0",
            "Lists recent security events generated due to ACL rules.",
        )
        .syntax("[count | RESET]")
        .complexity("O(N) with N being the number of entries shown."),
    CommandSpec::new("save", 2, ADM, NO_KEYS, save)
        .doc(
            "server",
            "6.0.0",
            "Saves the effective ACL rules in the configured ACL file.",
        )
        .complexity("O(N). Where N is the number of configured users."),
    CommandSpec::new("setuser", -3, ADM, NO_KEYS, setuser)
        .doc(
            "server",
            "6.0.0",
            "Creates and modifies an ACL user and its rules.",
        )
        .syntax("username [rule [rule ...]]")
        .complexity("O(N). Where N is the number of rules provided."),
    CommandSpec::new("users", 2, ADM, NO_KEYS, users)
        .doc("server", "6.0.0", "Lists all ACL users.")
        .complexity("O(N). Where N is the number of configured users."),
    CommandSpec::new("whoami", 2, PLAIN, NO_KEYS, whoami)
        .doc(
            "server",
            "6.0.0",
            "Returns the authenticated username of the current connection.",
        )
        .complexity("O(1)"),
];

/// Redis's addReplySubcommandSyntaxError, naming the subcommand as sent.
fn sub_syntax(args: &[Vec<u8>]) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try ACL HELP.",
        text(&args[1])
    ))
}

fn setuser(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let name = &args[2];
    if !acl::user::name_ok(name) {
        return Reply::err("ERR Usernames can't contain spaces or null characters");
    }
    let rules = match acl::user::merge_selectors(&args[3..]) {
        Ok(r) => r,
        Err(i) => {
            return Reply::error(format!(
                "ERR Unmatched parenthesis in acl selector starting at '{}'.",
                text(&args[3 + i])
            ))
        }
    };
    match ctx.srv.acl.set_user(name, &rules) {
        Ok((old, new)) => {
            if let Some(old) = old {
                acl::kill_pubsub_clients_if_needed(ctx.srv, ctx.client, &old, &new);
            }
            Reply::ok()
        }
        Err((rule, e)) => Reply::error(acl::setuser_error(&rule, e)),
    }
}

fn deluser(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args[2..].iter().any(|n| n == b"default") {
        return Reply::err("ERR The 'default' user cannot be removed");
    }
    let gone: Vec<Vec<u8>> = args[2..]
        .iter()
        .filter(|n| ctx.srv.acl.del_user(n))
        .cloned()
        .collect();
    acl::kill_clients_of(ctx.srv, ctx.client, &gone);
    Reply::Int(gone.len() as i64)
}

/// GETUSER's description of one selector: commands, keys, channels.
fn selector_fields(s: &acl::user::Selector) -> Vec<(Reply, Reply)> {
    let b = Reply::bulk_str;
    vec![
        (b("commands"), Reply::Bulk(s.describe_commands())),
        (b("keys"), Reply::Bulk(s.describe_keys())),
        (b("channels"), Reply::Bulk(s.describe_channels())),
    ]
}

fn getuser(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(u) = ctx.srv.acl.get(&args[2]) else {
        return Reply::Null;
    };
    let b = Reply::bulk_str;
    let mut m = vec![
        (
            b("flags"),
            Reply::Set(u.flags().into_iter().map(b).collect()),
        ),
        (
            b("passwords"),
            Reply::Array(
                u.password_hashes()
                    .iter()
                    .map(|p| Reply::bulk(p.as_bytes()))
                    .collect(),
            ),
        ),
    ];
    m.extend(selector_fields(u.root()));
    m.push((
        b("selectors"),
        Reply::Array(
            u.extra_selectors()
                .iter()
                .map(|s| Reply::Map(selector_fields(s)))
                .collect(),
        ),
    ));
    Reply::Map(m)
}

fn list(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Array(
        ctx.srv
            .acl
            .users()
            .iter()
            .map(|u| Reply::Bulk(u.line()))
            .collect(),
    )
}

fn users(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Array(
        ctx.srv
            .acl
            .users()
            .iter()
            .map(|u| Reply::Bulk(u.name.clone()))
            .collect(),
    )
}

fn whoami(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Bulk(ctx.client.user.name.clone())
}

const NO_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn load(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if !ctx.srv.acl.has_file() {
        return Reply::err(NO_FILE);
    }
    match ctx.srv.acl.load_file() {
        Ok(replaced) => {
            // Redis 7.0 frees every replaced user, closing its connections.
            acl::kill_clients_of(ctx.srv, ctx.client, &replaced);
            Reply::ok()
        }
        Err(e) => Reply::error(format!("ERR {e}")),
    }
}

fn save(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    if !ctx.srv.acl.has_file() {
        return Reply::err(NO_FILE);
    }
    match ctx.srv.acl.save_file() {
        Ok(()) => Reply::ok(),
        Err(e) => {
            crate::warning!("{}", e);
            Reply::err("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
        }
    }
}

fn cat(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match args.len() {
        2 => Reply::Array(
            super::docs::CATEGORY_ORDER
                .iter()
                .map(|c| Reply::bulk_str(c))
                .collect(),
        ),
        3 => {
            let Some(mask) = acl::user::category_bit(&args[2]) else {
                let name = String::from_utf8_lossy(&args[2]);
                let name: String = name.chars().take(128).collect();
                return Reply::error(format!("ERR Unknown category '{name}'"));
            };
            let t = table::table();
            Reply::Array(
                acl::user::category_masks()
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| *m & mask != 0)
                    .map(|(id, _)| Reply::Bulk(t.full_name(id).into_bytes()))
                    .collect(),
            )
        }
        _ => sub_syntax(args),
    }
}

/// Random bytes from the system's generator (the std hasher's keys where
/// there is none).
fn random_bytes(n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut buf = vec![0u8; n];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok();
    if !ok {
        let mut seed = Vec::new();
        for chunk in buf.chunks_mut(32) {
            seed.extend_from_slice(&crate::store::rand_u64().to_le_bytes());
            seed.extend_from_slice(&crate::store::now_us().to_le_bytes());
            let d = acl::sha256::digest(&seed);
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
    }
    buf
}

fn genpass(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return sub_syntax(args);
    }
    let bits = match args.get(2).map(|a| int(a)) {
        None => 256,
        Some(Ok(n)) => n,
        Some(Err(e)) => return e,
    };
    if bits <= 0 || bits > 4096 {
        return Reply::err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096");
    }
    let chars = (bits as usize).div_ceil(4);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let out: Vec<u8> = random_bytes(chars)
        .into_iter()
        .map(|b| HEX[(b & 15) as usize])
        .collect();
    Reply::Bulk(out)
}

fn log(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let count = match args.get(2) {
        _ if args.len() > 3 => return sub_syntax(args),
        None => 10,
        Some(a) if is(a, "reset") => {
            ctx.srv.acl.log().reset();
            return Reply::ok();
        }
        Some(a) => match int(a) {
            Ok(n) => n.max(0) as usize,
            Err(e) => return e,
        },
    };
    ctx.srv.acl.log().reply(count, crate::store::now_ms())
}

fn dryrun(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(u) = ctx.srv.acl.get(&args[2]) else {
        return Reply::error(format!("ERR User '{}' not found", text(&args[2])));
    };
    let cmd = &args[3..];
    let Ok((id, spec)) = crate::exec::resolve(cmd) else {
        return Reply::error(format!("ERR Command '{}' not found", text(&cmd[0])));
    };
    let t = table::table();
    if !spec.arity_ok(cmd.len()) {
        return err::arity(&t.full_name(id));
    }
    let msg = match u.check(id, cmd) {
        Ok(()) => return Reply::ok(),
        Err(Denied::Command) => format!(
            "This user has no permissions to run the '{}' command",
            t.full_name(id)
        ),
        Err(Denied::Key(i)) => format!(
            "This user has no permissions to access the '{}' key",
            text(&cmd[i])
        ),
        Err(Denied::Channel(i)) => format!(
            "This user has no permissions to access the '{}' channel",
            text(&cmd[i])
        ),
    };
    Reply::Bulk(msg.into_bytes())
}

fn help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "ACL",
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    )
}
