//! PLACEHOLDER (replaced by the real group-commit writer).
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FsyncPolicy {
    Always,
    EverySec,
    No,
}

pub struct Wal {
    buf: Mutex<(Vec<u8>, u64)>,
    pos: AtomicU64,
}

impl Wal {
    pub fn test_new() -> Arc<Wal> {
        Arc::new(Wal {
            buf: Mutex::new((Vec::new(), 1)),
            pos: AtomicU64::new(0),
        })
    }
    pub fn append(&self, f: impl FnOnce(&mut Vec<u8>, u64)) -> u64 {
        let mut g = self.buf.lock().unwrap();
        let lsn = g.1;
        g.1 += 1;
        f(&mut g.0, lsn);
        self.pos.store(g.0.len() as u64, Ordering::Relaxed);
        g.0.len() as u64
    }
    pub fn next_lsn(&self) -> u64 {
        self.buf.lock().unwrap().1
    }
    pub fn is_done(&self, _t: u64) -> bool {
        true
    }
    pub fn write_through(&self, _t: u64) {}
    pub fn request_sync(&self, _t: u64) {}
    pub fn wait(&self, _t: u64) -> Result<(), String> {
        Ok(())
    }
    pub fn add_waker(&self, _w: Box<dyn Fn() + Send + Sync>) {}
    pub fn error(&self) -> Option<String> {
        None
    }
    pub fn fsync_policy(&self) -> FsyncPolicy {
        FsyncPolicy::EverySec
    }
    pub fn set_fsync(&self, _p: FsyncPolicy) {}
    pub fn flush_sync(&self) -> Result<(), String> {
        Ok(())
    }
    pub fn remove_covered(&self, _l: u64) -> std::io::Result<usize> {
        Ok(0)
    }
    pub fn stats(&self) -> WalStats {
        WalStats::default()
    }
    pub fn close(&self) {}
    pub fn open(_d: &std::path::Path, _o: WalOptions, _n: u64) -> std::io::Result<Arc<Wal>> {
        Ok(Wal::test_new())
    }
}

#[derive(Default)]
pub struct WalStats {
    pub total_bytes: u64,
}
pub struct WalOptions {
    pub fsync: FsyncPolicy,
    pub segment_size: u64,
}
