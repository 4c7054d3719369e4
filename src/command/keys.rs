//! Generic key commands. (Skeleton: DEL; the family is filled in next.)

use super::*;
use crate::resp::Reply;
use crate::server::Ctx;

const KEYSPACE: &[&str] = &["keyspace"];

pub static COMMANDS: &[CommandSpec] = &[CommandSpec::new("del", -2, WRITE, ALL_KEYS, del)
    .doc("generic", "1.0.0", "Deletes one or more keys.")
    .acl(KEYSPACE)
    .syntax("key [key ...]")
    .complexity("O(N) where N is the number of keys that will be removed.")];

fn del(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let db = ctx.client.db;
    let keys: Vec<(usize, &[u8])> = args[1..].iter().map(|k| (db, k.as_slice())).collect();
    let store = ctx.store();
    let mut l = store.lock(&keys, true);
    let mut n = 0;
    for k in &args[1..] {
        let (s, h) = l.stripe_mut(store, db, k);
        if s.get_mut(h, k, crate::store::now_ms()).is_some() {
            s.remove(h, k);
            n += 1;
        }
    }
    Reply::Int(n)
}
