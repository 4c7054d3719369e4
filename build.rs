//! Embeds the dashboard: every file under `frontend/` becomes an entry of
//! a generated table (`$OUT_DIR/frontend_files.rs`) of
//! `(path, bytes, etag)`, served by src/http/static_files.rs. A new file
//! is picked up without code changes; cargo reruns this when anything
//! under `frontend/` changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Editor droppings and hidden files are not part of the dashboard.
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            walk(&p, out);
        } else if p.is_file() {
            println!("cargo:rerun-if-changed={}", p.display());
            out.push(p);
        }
    }
}

/// FNV-1a, 64 bits: a content hash for the ETag (not a security property).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let front = root.join("frontend");
    println!("cargo:rerun-if-changed={}", front.display());
    let mut files = Vec::new();
    walk(&front, &mut files);
    let mut src = String::from(
        "/// (path under frontend/, contents, ETag) of every dashboard file.\n\
         pub static FILES: &[(&str, &[u8], &str)] = &[\n",
    );
    for f in &files {
        let rel = f
            .strip_prefix(&front)
            .expect("under frontend/")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let etag = format!("\"{:016x}-{:x}\"", fnv1a(&bytes), bytes.len());
        let _ = writeln!(
            src,
            "    ({:?}, include_bytes!({:?}), {:?}),",
            rel,
            f.display().to_string(),
            etag
        );
    }
    src.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("frontend_files.rs");
    std::fs::write(&out, src).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
