//! ACL LOG: the recent denied commands, keys, channels and failed AUTHs.
//! Like Redis, an event similar to one of the last ten (same reason,
//! context, object and user, within a minute) bumps that entry's count
//! instead of adding one; the log keeps `acllog-max-len` entries, newest
//! first. Entries carry Redis 7.2's fields (7.0's seven plus `entry-id`,
//! `timestamp-created`, `timestamp-last-updated`).

use crate::resp::Reply;
use std::collections::VecDeque;

/// Events this close together (ms) are grouped into one entry.
const GROUPING_MS: u64 = 60_000;

/// What was denied (the `reason` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// One event as the caller reports it.
pub struct Event {
    pub reason: Reason,
    /// Inside MULTI/EXEC (`multi`) or not (`toplevel`).
    pub in_multi: bool,
    /// The command's full name, the key, the channel, or AUTH's name.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// CLIENT LIST's line for the client.
    pub client_info: String,
}

struct Entry {
    count: u64,
    event: Event,
    entry_id: u64,
    created_ms: u64,
    updated_ms: u64,
}

#[derive(Default)]
pub struct AclLog {
    /// Newest first.
    entries: VecDeque<Entry>,
    next_id: u64,
}

impl AclLog {
    /// Records an event at `now_ms`, keeping at most `max_len` entries.
    pub fn add(&mut self, event: Event, now_ms: u64, max_len: usize) {
        let similar = self.entries.iter().take(10).position(|e| {
            e.event.reason == event.reason
                && e.event.in_multi == event.in_multi
                && e.event.object == event.object
                && e.event.username == event.username
                && now_ms.abs_diff(e.updated_ms) <= GROUPING_MS
        });
        if let Some(i) = similar {
            if let Some(mut e) = self.entries.remove(i) {
                e.count += 1;
                e.updated_ms = now_ms;
                e.event.client_info = event.client_info;
                self.entries.push_front(e);
            }
            return;
        }
        self.entries.push_front(Entry {
            count: 1,
            event,
            entry_id: self.next_id,
            created_ms: now_ms,
            updated_ms: now_ms,
        });
        self.next_id += 1;
        self.entries.truncate(max_len);
    }

    pub fn reset(&mut self) {
        self.entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ACL LOG's reply: the newest `count` entries.
    pub fn reply(&self, count: usize, now_ms: u64) -> Reply {
        let b = Reply::bulk_str;
        Reply::Array(
            self.entries
                .iter()
                .take(count)
                .map(|e| {
                    let age = now_ms.saturating_sub(e.updated_ms) as f64 / 1000.0;
                    Reply::Map(vec![
                        (b("count"), Reply::Int(e.count as i64)),
                        (b("reason"), b(e.event.reason.name())),
                        (
                            b("context"),
                            b(if e.event.in_multi {
                                "multi"
                            } else {
                                "toplevel"
                            }),
                        ),
                        (b("object"), Reply::Bulk(e.event.object.clone())),
                        (b("username"), Reply::Bulk(e.event.username.clone())),
                        (b("age-seconds"), Reply::Double(age)),
                        (
                            b("client-info"),
                            Reply::Bulk(e.event.client_info.clone().into_bytes()),
                        ),
                        (b("entry-id"), Reply::Int(e.entry_id as i64)),
                        (b("timestamp-created"), Reply::Int(e.created_ms as i64)),
                        (b("timestamp-last-updated"), Reply::Int(e.updated_ms as i64)),
                    ])
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(reason: Reason, object: &str) -> Event {
        Event {
            reason,
            in_multi: false,
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            client_info: "id=1".into(),
        }
    }

    #[test]
    fn groups_similar_events_and_trims() {
        let mut log = AclLog::default();
        log.add(ev(Reason::Key, "a"), 1000, 3);
        log.add(ev(Reason::Key, "a"), 2000, 3);
        assert_eq!(log.len(), 1);
        assert_eq!(log.entries[0].count, 2);
        assert_eq!(log.entries[0].created_ms, 1000);
        assert_eq!(log.entries[0].updated_ms, 2000);
        // Another reason, object or a minute later: a new entry.
        log.add(ev(Reason::Command, "a"), 3000, 3);
        log.add(ev(Reason::Key, "b"), 3000, 3);
        log.add(ev(Reason::Key, "b"), 3000 + GROUPING_MS + 1, 3);
        assert_eq!(log.len(), 3);
        assert_eq!(log.entries[0].entry_id, 3);
        // A similar event moves its entry to the front.
        log.add(ev(Reason::Command, "a"), 50_000, 3);
        assert_eq!(log.entries[0].event.reason, Reason::Command);
        assert_eq!(log.entries[0].count, 2);
        log.reset();
        assert!(log.is_empty());
        log.add(ev(Reason::Auth, "AUTH"), 1, 0);
        assert!(log.is_empty(), "acllog-max-len 0 keeps nothing");
    }
}
