//! Persistence: the write-ahead log (record.rs, wal.rs), snapshots and
//! recovery.

pub mod record;
pub mod segment;
pub mod wal;
