//! Recovery: WAL records replayed onto the store.
//!
//! A snapshot records, per stripe index, the LSN the WAL would give next
//! when that stripe was copied; the stripe holds exactly the effects of the
//! records below it. Replay therefore applies a record only where it is
//! newer: a keyed record if its LSN is at least its key's stripe LSN, a
//! FLUSHDB / FLUSHALL / SWAPDB stripe by stripe. So a non-idempotent record
//! (LPUSH, INCR, APPEND) is never applied twice.
//!
//! Records replay through the command table, as the command they stand for,
//! with the clock stopped (`store::with_clock_stopped`): nothing expires
//! during replay, expirations come from their own DEL records.

use super::record::{self, DecodeError, Record};
use crate::server::{Client, ClientInfo, Ctx, Server};
use crate::store::db::swap_stripes;
use std::sync::Arc;

/// Applies records to a server's store.
pub struct Replayer<'a> {
    srv: &'a Arc<Server>,
    client: Client,
    /// Per stripe index: records below this LSN are already in the store.
    /// Empty = apply everything.
    lsns: Vec<u64>,
    /// Records applied / skipped as already covered / rejected by the
    /// command (a bug: logged, counted, replay goes on).
    pub applied: u64,
    pub skipped: u64,
    pub failed: u64,
}

fn malformed(e: DecodeError) -> String {
    format!("{e:?}")
}

impl<'a> Replayer<'a> {
    pub fn new(srv: &'a Arc<Server>, lsns: Vec<u64>) -> Replayer<'a> {
        Replayer {
            srv,
            client: Client::new(Arc::new(ClientInfo::internal(0))),
            lsns,
            applied: 0,
            skipped: 0,
            failed: 0,
        }
    }

    fn covered(&self, stripe: usize, lsn: u64) -> bool {
        self.lsns.get(stripe).is_some_and(|&s| lsn < s)
    }

    /// Applies one record (a batch: each of its records). Err = the record
    /// cannot be understood (recovery stops there).
    pub fn apply(&mut self, rec: &Record) -> Result<(), String> {
        crate::store::with_clock_stopped(|| {
            if rec.op == record::BATCH {
                for sub in rec.batch().map_err(malformed)? {
                    self.apply_one(&sub, rec.lsn)?;
                }
                Ok(())
            } else {
                self.apply_one(rec, rec.lsn)
            }
        })
    }

    fn db(&self, db: u16) -> Result<usize, String> {
        let n = self.srv.store.dbs.len();
        match db as usize {
            d if d < n => Ok(d),
            d => Err(format!(
                "record for DB {d}, but the server has {n} databases (raise `databases`)"
            )),
        }
    }

    fn apply_one(&mut self, rec: &Record, lsn: u64) -> Result<(), String> {
        let store = &self.srv.store;
        let nstripes = store.nstripes();
        match rec.op {
            record::FLUSHDB | record::FLUSHALL => {
                let dbs = if rec.op == record::FLUSHALL {
                    0..store.dbs.len()
                } else {
                    let d = self.db(rec.db)?;
                    d..d + 1
                };
                for i in (0..nstripes).filter(|&i| !self.covered(i, lsn)) {
                    for d in dbs.clone() {
                        drop(store.dbs[d].write_stripe(i).clear());
                    }
                }
                self.applied += 1;
            }
            record::SWAPDB => {
                let (a, b) = (
                    self.db(rec.db)?,
                    self.db(rec.swap_with().map_err(malformed)?)?,
                );
                if a != b {
                    for i in (0..nstripes).filter(|&i| !self.covered(i, lsn)) {
                        let (lo, hi) = (a.min(b), a.max(b));
                        let mut x = store.dbs[lo].write_stripe(i);
                        let mut y = store.dbs[hi].write_stripe(i);
                        swap_stripes(&mut x, &mut y);
                    }
                }
                self.applied += 1;
            }
            _ => {
                if self.covered(store.stripe_of(&rec.key), lsn) {
                    self.skipped += 1;
                    return Ok(());
                }
                let argv = rec
                    .argv()
                    .map_err(malformed)?
                    .ok_or("a batch inside a batch")?;
                self.client.db = self.db(rec.db)?;
                let reply = match crate::exec::resolve(&argv) {
                    Ok((_, spec)) if spec.arity_ok(argv.len()) => (spec.handler)(
                        &mut Ctx {
                            srv: self.srv,
                            client: &mut self.client,
                        },
                        &argv,
                    ),
                    Ok(_) => crate::resp::Reply::err("ERR wrong number of arguments"),
                    Err(r) => r,
                };
                if let crate::resp::Reply::Error(e) = reply {
                    self.failed += 1;
                    crate::warning!(
                        "wal: record LSN {} ({}) failed on replay: {}",
                        lsn,
                        String::from_utf8_lossy(&argv[0]),
                        e
                    );
                } else {
                    self.applied += 1;
                }
            }
        }
        Ok(())
    }
}

/// Decodes every record in `buf` (captured records, no file framing).
pub fn decode_all(buf: &[u8]) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let (r, n) = record::decode(&buf[at..]).map_err(|e| format!("{e:?} at {at}"))?;
        out.push(r);
        at += n;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::command::testutil::check_replay;

    #[test]
    fn replay_reproduces_strings_and_transactions() {
        check_replay(&[
            &["SET", "a", "1"],
            &["SET", "b", "x", "EX", "100"],
            &["MULTI"],
            &["SET", "c", "3"],
            &["SET", "d", "4"],
            &["EXEC"],
        ]);
    }
}
