//! Server commands. (Skeleton; the family is filled in next.)

use super::*;
use crate::resp::Reply;
use crate::server::Ctx;

/// The Redis version FlashDB reports (INFO, HELLO): the one whose behaviour it follows.
pub const REDIS_VERSION: &str = "7.0.15";

pub static COMMANDS: &[CommandSpec] =
    &[
        CommandSpec::new("dbsize", 1, READONLY | FAST, NO_KEYS, dbsize)
            .doc(
                "server",
                "1.0.0",
                "Returns the number of keys in the database.",
            )
            .acl(&["keyspace"])
            .complexity("O(1)"),
    ];

fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(ctx.db().len() as i64)
}
