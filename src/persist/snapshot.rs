//! PLACEHOLDER (replaced by the real snapshot writer/loader).
use crate::store::siphash::KeyHasher;
use crate::store::Store;
use crate::tx::Gate;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct SnapshotInfo {
    pub path: PathBuf,
    pub keys: u64,
    pub bytes: u64,
    pub min_lsn: u64,
    pub max_lsn: u64,
    pub duration: Duration,
}
pub fn write(_s: &Store, _g: &Gate, _l: impl Fn() -> u64, _d: &Path) -> io::Result<SnapshotInfo> {
    Err(io::Error::other("not built"))
}
pub fn list(_d: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(Vec::new())
}
pub fn retain(_d: &Path, _n: usize) -> io::Result<usize> {
    Ok(0)
}
pub fn remove_temp(_d: &Path) {}
pub struct Header {
    pub version: u32,
    pub created_ms: u64,
    pub ndbs: u32,
    pub nstripes: u32,
    pub hasher: KeyHasher,
}
pub struct Limits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
}
pub struct Loaded {
    h: Header,
}
pub fn open(_p: &Path) -> Result<Loaded, String> {
    Err("not built".into())
}
impl Loaded {
    pub fn header(&self) -> &Header {
        &self.h
    }
    pub fn load_into(&self, _s: &Store, _l: &Limits, _t: usize) -> Result<(Vec<u64>, u64), String> {
        Err("not built".into())
    }
}
