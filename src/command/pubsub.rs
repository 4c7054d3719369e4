//! Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH
//! SSUBSCRIBE SUNSUBSCRIBE SPUBLISH and PUBSUB's subcommands. The registry,
//! delivery and keyspace notifications live in src/pubsub.rs; the RESP2
//! "subscribed mode" restriction is checked in exec.rs.

use super::*;
use crate::pubsub::{self, Kind};
use crate::resp::Reply;
use crate::server::Ctx;

const PS: &[&str] = &["pubsub"];
const SUB: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;
const PUB: u32 = PUBSUB | LOADING | STALE | FAST;
const INFO: u32 = PUBSUB | LOADING | STALE;

/// Shard channels are reported as keys (COMMAND INFO, GETKEYS), as in Redis.
const CHANNELS_FROM_1: Keys = Keys {
    first: 1,
    last: -1,
    step: 1,
};

pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("subscribe", -2, SUB, NO_KEYS, subscribe)
        .doc("pubsub", "2.0.0", "Listens for messages published to channels.")
        .acl(PS)
        .syntax("channel [channel ...]")
        .complexity("O(N) where N is the number of channels to subscribe to."),
    CommandSpec::new("unsubscribe", -1, SUB, NO_KEYS, unsubscribe)
        .doc("pubsub", "2.0.0", "Stops listening to messages posted to channels.")
        .acl(PS)
        .syntax("[channel [channel ...]]")
        .complexity("O(N) where N is the number of clients already subscribed to a channel."),
    CommandSpec::new("psubscribe", -2, SUB, NO_KEYS, psubscribe)
        .doc(
            "pubsub",
            "2.0.0",
            "Listens for messages published to channels that match one or more patterns.",
        )
        .acl(PS)
        .syntax("pattern [pattern ...]")
        .complexity("O(N) where N is the number of patterns to subscribe to."),
    CommandSpec::new("punsubscribe", -1, SUB, NO_KEYS, punsubscribe)
        .doc(
            "pubsub",
            "2.0.0",
            "Stops listening to messages published to channels that match one or more patterns.",
        )
        .acl(PS)
        .syntax("[pattern [pattern ...]]")
        .complexity("O(N) where N is the number of patterns to unsubscribe."),
    CommandSpec::new("publish", 3, PUB, NO_KEYS, publish)
        .doc("pubsub", "2.0.0", "Posts a message to a channel.")
        .acl(PS)
        .syntax("channel message")
        .complexity("O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client)."),
    CommandSpec::new("ssubscribe", -2, SUB, CHANNELS_FROM_1, ssubscribe)
        .doc("pubsub", "7.0.0", "Listens for messages published to shard channels.")
        .acl(PS)
        .syntax("shardchannel [shardchannel ...]")
        .complexity("O(N) where N is the number of shard channels to subscribe to."),
    CommandSpec::new("sunsubscribe", -1, SUB, CHANNELS_FROM_1, sunsubscribe)
        .doc("pubsub", "7.0.0", "Stops listening to messages posted to shard channels.")
        .acl(PS)
        .syntax("[shardchannel [shardchannel ...]]")
        .complexity("O(N) where N is the number of shard channels to unsubscribe."),
    CommandSpec::new("spublish", 3, PUB, KEY1, spublish)
        .doc("pubsub", "7.0.0", "Post a message to a shard channel")
        .acl(PS)
        .syntax("shardchannel message")
        .complexity("O(N) where N is the number of clients subscribed to the receiving shard channel."),
    CommandSpec::new("pubsub", -2, 0, NO_KEYS, super::connection::container)
        .doc("pubsub", "2.8.0", "A container for Pub/Sub commands.")
        .complexity("Depends on subcommand.")
        .subs(PUBSUB_SUBS),
];

static PUBSUB_SUBS: &[CommandSpec] = &[
    CommandSpec::new("channels", -2, INFO, NO_KEYS, channels)
        .doc("pubsub", "2.8.0", "Returns the active channels.")
        .acl(PS)
        .syntax("[pattern]")
        .complexity("O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)"),
    CommandSpec::new("numsub", -2, INFO, NO_KEYS, numsub)
        .doc("pubsub", "2.8.0", "Returns a count of subscribers to channels.")
        .acl(PS)
        .syntax("[channel [channel ...]]")
        .complexity("O(N) for the NUMSUB subcommand, where N is the number of requested channels"),
    CommandSpec::new("numpat", 2, INFO, NO_KEYS, numpat)
        .doc("pubsub", "2.8.0", "Returns a count of unique pattern subscriptions.")
        .acl(PS)
        .complexity("O(1)"),
    CommandSpec::new("shardchannels", -2, INFO, NO_KEYS, shardchannels)
        .doc("pubsub", "7.0.0", "Returns the active shard channels.")
        .acl(PS)
        .syntax("[pattern]")
        .complexity("O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels)."),
    CommandSpec::new("shardnumsub", -2, INFO, NO_KEYS, shardnumsub)
        .doc("pubsub", "7.0.0", "Returns the count of subscribers of shard channels.")
        .acl(PS)
        .syntax("[shardchannel [shardchannel ...]]")
        .complexity("O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"),
    CommandSpec::new("help", 2, LOADING | STALE, NO_KEYS, help)
        .doc("pubsub", "6.2.0", "Returns helpful text about the different subcommands.")
        .complexity("O(1)"),
];

/// Commands a RESP2 client may run while subscribed (Redis's rule).
pub fn allowed_while_subscribed(name: &str) -> bool {
    matches!(
        name,
        "subscribe"
            | "ssubscribe"
            | "psubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "punsubscribe"
            | "ping"
            | "quit"
            | "reset"
    )
}

fn sub_or_unsub(ctx: &mut Ctx, args: &[Vec<u8>], kind: Kind, sub: bool) -> Reply {
    let info = ctx.client.info.clone();
    let resp = ctx.client.resp;
    let mine = &mut ctx.client.subs;
    if sub {
        pubsub::subscribe(&info, mine, kind, &args[1..], resp)
    } else {
        pubsub::unsubscribe(&info, mine, kind, &args[1..], resp)
    }
}

fn subscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Channel, true)
}

fn unsubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Channel, false)
}

fn psubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Pattern, true)
}

fn punsubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Pattern, false)
}

fn ssubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Shard, true)
}

fn sunsubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    sub_or_unsub(ctx, args, Kind::Shard, false)
}

fn publish(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Int(pubsub::publish(&args[1], &args[2]) as i64)
}

fn spublish(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Int(pubsub::spublish(&args[1], &args[2]) as i64)
}

/// Redis's text for a PUBSUB subcommand given too many arguments.
fn syntax_error(sub: &str) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP."
    ))
}

fn list_channels(args: &[Vec<u8>], shard: bool) -> Reply {
    if args.len() > 3 {
        return syntax_error(&String::from_utf8_lossy(&args[1]));
    }
    let pattern = args.get(2).map(|p| p.as_slice());
    Reply::Array(
        pubsub::hub()
            .channels(shard, pattern)
            .into_iter()
            .map(Reply::Bulk)
            .collect(),
    )
}

fn count_subscribers(args: &[Vec<u8>], shard: bool) -> Reply {
    let h = pubsub::hub();
    // A flat array in RESP3 too, as Redis answers it.
    Reply::Array(
        args[2..]
            .iter()
            .flat_map(|c| [Reply::bulk(c), Reply::Int(h.numsub(shard, c) as i64)])
            .collect(),
    )
}

fn channels(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    list_channels(args, false)
}

fn shardchannels(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    list_channels(args, true)
}

fn numsub(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    count_subscribers(args, false)
}

fn shardnumsub(_: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    count_subscribers(args, true)
}

fn numpat(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    Reply::Int(pubsub::hub().numpat() as i64)
}

fn help(_: &mut Ctx, _: &[Vec<u8>]) -> Reply {
    help_reply(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    )
}
