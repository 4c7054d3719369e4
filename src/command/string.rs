//! String commands. (Skeleton: GET and SET; the family is filled in next.)

use super::*;
use crate::resp::Reply;
use crate::server::Ctx;
use crate::store::{now_ms, Entry, Value};

const STRING: &[&str] = &["string"];

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("get", 2, READONLY | FAST, KEY1, get)
        .doc("string", "1.0.0", "Returns the string value of a key.")
        .acl(STRING)
        .syntax("key")
        .complexity("O(1)"),
    CommandSpec::new("set", -3, WRITE | DENYOOM, KEY1, set)
        .doc("string", "1.0.0", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.")
        .acl(STRING)
        .syntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]")
        .complexity("O(1)"),
];

fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (s, h) = ctx.db().read(&args[1]);
    let r = match s.get(h, &args[1], now_ms()) {
        Some(e) => match &e.value {
            Value::Str(v) => Reply::bulk(v),
        },
        None => Reply::Null,
    };
    drop(s);
    ctx.hit(!matches!(r, Reply::Null));
    r
}

fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut s, h) = ctx.db().write(&args[1]);
    s.insert(h, &args[1], Entry::new(Value::str(&args[2]), 0));
    Reply::ok()
}
