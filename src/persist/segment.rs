//! PLACEHOLDER (replaced by the real segment reader).
use super::record::Record;
use std::path::{Path, PathBuf};

pub struct SegmentInfo {
    pub seq: u64,
    pub path: PathBuf,
    pub first_lsn: u64,
    pub len: u64,
}
#[derive(Default)]
pub struct ScanReport {
    pub truncated: Option<(PathBuf, u64, u64)>,
    pub repaired: Option<(PathBuf, u64, u64)>,
    pub records: u64,
    pub bytes: u64,
    pub last_lsn: u64,
    pub segments: usize,
    pub last_seq: u64,
}
#[derive(Debug)]
pub struct WalError {
    pub path: PathBuf,
    pub offset: u64,
    pub msg: String,
}
impl std::fmt::Display for WalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.msg)
    }
}
pub fn list_segments(_d: &Path) -> std::io::Result<Vec<SegmentInfo>> {
    Ok(Vec::new())
}
pub fn scan(
    _d: &Path,
    _r: bool,
    _f: impl FnMut(Record) -> Result<(), String>,
) -> Result<ScanReport, WalError> {
    Ok(ScanReport::default())
}
