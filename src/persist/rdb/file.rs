//! Reading a Redis dump.rdb into the store (`import-rdb`): the header
//! ("REDIS" + 4-digit version), the opcodes between values (AUX, SELECTDB,
//! RESIZEDB, EXPIRETIME, EXPIRETIME_MS, IDLE, FREQ, FUNCTION2, MODULE_AUX),
//! each key and value, then EOF and the CRC-64 of the whole file.
//!
//! Keys are inserted as they are read; the CRC-64 at the end is checked
//! last. So a damaged file leaves a partly loaded store, which start-up
//! never serves: it exits before taking the snapshot that would make the
//! import durable, and the data dir stays as it was. Keys whose
//! TTL has passed are skipped, as Redis does when a master loads.

use super::{Limits, RdbValue, Reader, Result, RDB_FILE_VERSION_MAX};
use crate::store::{Entry, Store};
use std::path::Path;

const OP_FUNCTION2: u8 = 245;
const OP_FUNCTION_PRE_GA: u8 = 246;
const OP_MODULE_AUX: u8 = 247;
const OP_IDLE: u8 = 248;
const OP_FREQ: u8 = 249;
const OP_AUX: u8 = 250;
const OP_RESIZEDB: u8 = 251;
const OP_EXPIRETIME_MS: u8 = 252;
const OP_EXPIRETIME: u8 = 253;
const OP_SELECTDB: u8 = 254;
const OP_EOF: u8 = 255;

/// One key as the file holds it.
pub struct Key {
    pub db: usize,
    pub key: Vec<u8>,
    pub value: RdbValue,
    /// Unix ms; 0 = none.
    pub expire_at: u64,
    pub idle_secs: Option<u64>,
    pub freq: Option<u8>,
    /// Byte offset of the key's type byte (for error messages).
    pub offset: usize,
}

/// A parsed file.
pub struct Parsed {
    pub version: u32,
    pub keys: Vec<Key>,
    /// AUX fields (redis-ver, ctime, ...), for the log.
    pub aux: Vec<(String, String)>,
    /// Lines worth a warning (skipped function libraries).
    pub skipped: Vec<String>,
}

fn bad<T>(offset: usize, what: impl Into<String>) -> Result<T> {
    Err(super::Error {
        offset,
        what: what.into(),
    })
}

/// Parses a whole RDB file held in `data`; `databases` is how many DBs the
/// server has.
pub fn parse(data: &[u8], databases: usize) -> Result<Parsed> {
    let mut keys = Vec::new();
    let mut p = parse_with(data, databases, |k| {
        keys.push(k);
        Ok(())
    })?;
    p.keys = keys;
    Ok(p)
}

/// Parses `data`, handing each key to `on_key` as soon as it is read (its
/// Err stops the parse); the returned `Parsed` holds no keys.
pub fn parse_with(
    data: &[u8],
    databases: usize,
    mut on_key: impl FnMut(Key) -> Result<()>,
) -> Result<Parsed> {
    let mut r = Reader::new(data);
    let magic = r
        .take(9)
        .or_else(|_| bad(0, "not an RDB file (too short)"))?;
    if &magic[..5] != b"REDIS" {
        return bad(0, "not an RDB file (no REDIS signature)");
    }
    let version = std::str::from_utf8(&magic[5..])
        .ok()
        .filter(|v| v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if !(1..=RDB_FILE_VERSION_MAX).contains(&version) {
        return bad(
            5,
            format!(
                "RDB version {:?} is not supported (1 to {RDB_FILE_VERSION_MAX})",
                String::from_utf8_lossy(&magic[5..])
            ),
        );
    }
    let mut out = Parsed {
        version,
        keys: Vec::new(),
        aux: Vec::new(),
        skipped: Vec::new(),
    };
    let mut db = 0usize;
    let mut expire_at = 0u64;
    let mut idle = None;
    let mut freq = None;
    loop {
        let at = r.pos;
        let op = r.u8()?;
        match op {
            OP_EOF => {
                // The checksum covers everything before its own 8 bytes.
                if version >= 5 {
                    let body = r.pos;
                    let want = r.le_u64()?;
                    // 0 = written with rdbchecksum no.
                    if want != 0 && super::crc64::crc64(&data[..body]) != want {
                        return bad(body, "RDB checksum mismatch (the file is damaged)");
                    }
                }
                return Ok(out);
            }
            OP_SELECTDB => {
                let n = r.length()?;
                if n >= databases as u64 {
                    return bad(
                        at,
                        format!("SELECTDB {n}, but the server has {databases} databases (raise `databases`)"),
                    );
                }
                db = n as usize;
            }
            OP_RESIZEDB => {
                r.length()?;
                r.length()?;
            }
            OP_EXPIRETIME => expire_at = r.le_u32()? as u64 * 1000,
            OP_EXPIRETIME_MS => expire_at = r.le_u64()?,
            OP_IDLE => idle = Some(r.length()?),
            OP_FREQ => freq = Some(r.u8()?),
            OP_AUX => {
                let k = r.string()?;
                let v = r.string()?;
                out.aux.push((
                    String::from_utf8_lossy(&k).into_owned(),
                    String::from_utf8_lossy(&v).into_owned(),
                ));
            }
            OP_FUNCTION2 => {
                r.string()?;
                out.skipped.push(format!(
                    "skipped a function library at byte offset {at} (FlashDB has no Redis functions)"
                ));
            }
            OP_FUNCTION_PRE_GA => {
                return bad(
                    at,
                    "a function (Redis 7.0 release candidate format): not supported",
                )
            }
            OP_MODULE_AUX => {
                let id = r.length()?;
                return bad(
                    at,
                    format!(
                        "auxiliary data of module '{}': FlashDB has no modules",
                        super::module_name(id)
                    ),
                );
            }
            ty => {
                let key = r.string()?;
                let value = r.value(ty)?;
                on_key(Key {
                    db,
                    key,
                    value,
                    expire_at,
                    idle_secs: idle.take(),
                    freq: freq.take(),
                    offset: at,
                })?;
                expire_at = 0;
            }
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Imported {
    pub version: u32,
    pub keys: u64,
    pub expired: u64,
    pub empty: u64,
    pub aux: Vec<(String, String)>,
}

/// Loads the RDB file at `path` into `store` (which should be empty),
/// inserting each key as it is read. On Err the store holds part of the
/// file and must not be served: start-up exits (nothing was snapshotted,
/// so the data dir stays empty). Err is the message to print, naming the
/// file and the byte offset of the damage.
pub fn import(
    path: &Path,
    store: &Store,
    lim: &Limits,
    now_ms: u64,
) -> std::result::Result<Imported, String> {
    let data = std::fs::read(path)
        .map_err(|e| format!("Can't read the RDB file '{}': {}", path.display(), e))?;
    let mut done = Imported::default();
    let parsed = parse_with(&data, store.dbs.len(), |k| {
        let bad = |what: String| super::Error {
            offset: k.offset,
            what,
        };
        let value = match k.value.into_value(lim) {
            Ok(v) => v,
            // Redis skips empty keys when loading (empty_keys_skipped).
            Err(why) if why.starts_with("an empty") => {
                done.empty += 1;
                return Ok(());
            }
            Err(why) => {
                return Err(bad(format!(
                    "{why} in key '{}'",
                    String::from_utf8_lossy(&k.key)
                )))
            }
        };
        // Like Redis loading as a master: a key already expired is skipped.
        if k.expire_at != 0 && k.expire_at <= now_ms {
            done.expired += 1;
            return Ok(());
        }
        let e = Entry::new(value, k.expire_at);
        e.set_access(k.freq, k.idle_secs);
        let (mut stripe, h) = store.dbs[k.db].write(&k.key);
        if stripe.insert_loaded(h, &k.key, e).is_some() {
            // Redis refuses such a file too.
            return Err(bad(format!(
                "duplicate key '{}' in DB {}",
                String::from_utf8_lossy(&k.key),
                k.db
            )));
        }
        done.keys += 1;
        Ok(())
    })
    .map_err(|e| format!("Bad RDB file '{}': {}", path.display(), e))?;
    for w in &parsed.skipped {
        crate::warning!("import-rdb: {}", w);
    }
    done.version = parsed.version;
    done.aux = parsed.aux;
    Ok(done)
}

/// `import-rdb` at start-up, after recovery and before serving: refuses a
/// data dir that already holds data (`had_snapshot`, or keys recovered
/// from the WAL), loads the file, then takes a snapshot so the data stays
/// without the option. Err is the message to print before exiting.
pub fn import_at_startup(
    srv: &crate::server::Server,
    path: &str,
    had_snapshot: bool,
) -> std::result::Result<(), String> {
    let keys: usize = srv.store.dbs.iter().map(|d| d.len()).sum();
    let dir = srv.config().dir.clone();
    if had_snapshot || keys > 0 {
        return Err(format!(
            "import-rdb: refusing to import '{}' into the data dir '{}', which already holds data ({} keys{}). Import into an empty data dir, or start without import-rdb to keep the existing data.",
            path,
            dir.display(),
            keys,
            if had_snapshot { ", a snapshot" } else { "" }
        ));
    }
    let t = std::time::Instant::now();
    crate::notice!("import-rdb: loading the Redis RDB file '{}'", path);
    let lim = Limits::from_hot(&srv.hot);
    let done = import(Path::new(path), &srv.store, &lim, crate::store::now_ms())?;
    let from = done
        .aux
        .iter()
        .find(|(k, _)| k == "redis-ver")
        .map_or(String::new(), |(_, v)| format!(", written by Redis {v}"));
    crate::notice!(
        "import-rdb: '{}' (RDB version {}{}) loaded: {} keys, {} already expired and {} empty skipped, in {} ms",
        path,
        done.version,
        from,
        done.keys,
        done.expired,
        done.empty,
        t.elapsed().as_millis()
    );
    super::super::saver::save(srv)
        .map_err(|e| format!("import-rdb: the snapshot of the imported data failed: {e}"))?;
    crate::notice!(
        "import-rdb: the imported data is in a snapshot; later starts need no import-rdb"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::rdb::{crc64, put_len, put_string, T_SET_LISTPACK, T_STRING};

    /// A file: header, `body`, EOF and (version >= 5) the CRC.
    fn file(version: &str, body: &[u8], crc: bool) -> Vec<u8> {
        let mut f = format!("REDIS{version}").into_bytes();
        f.extend_from_slice(body);
        f.push(OP_EOF);
        if crc {
            let c = crc64::crc64(&f);
            f.extend_from_slice(&c.to_le_bytes());
        } else {
            f.extend_from_slice(&[0; 8]);
        }
        f
    }

    fn set_listpack(members: &[&[u8]]) -> Vec<u8> {
        let mut l = vec![0, 0, 0, 0, members.len() as u8, 0];
        for m in members {
            l.push(0x80 | m.len() as u8);
            l.extend_from_slice(m);
            l.push(1 + m.len() as u8);
        }
        l.push(0xff);
        let n = l.len() as u32;
        l[..4].copy_from_slice(&n.to_le_bytes());
        l
    }

    #[test]
    fn every_opcode() {
        let mut b = vec![OP_AUX];
        put_string(&mut b, b"redis-ver");
        put_string(&mut b, b"7.2.4");
        b.extend_from_slice(&[OP_SELECTDB, 0, OP_RESIZEDB, 3, 1]);
        b.push(OP_FUNCTION2);
        put_string(
            &mut b,
            b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
        );
        b.push(OP_EXPIRETIME);
        b.extend_from_slice(&2_000_000_000u32.to_le_bytes());
        b.push(T_STRING);
        put_string(&mut b, b"secs");
        put_string(&mut b, b"v");
        b.extend_from_slice(&[OP_IDLE, 0x40, 100]); // 14-bit length 100
        b.push(T_STRING);
        put_string(&mut b, b"idle");
        put_string(&mut b, b"1");
        b.extend_from_slice(&[OP_SELECTDB, 3, OP_FREQ, 77, T_SET_LISTPACK]);
        put_string(&mut b, b"set");
        let lp = set_listpack(&[b"a", b"b"]);
        put_len(&mut b, lp.len() as u64);
        b.extend_from_slice(&lp);
        let p = parse(&file("0011", &b, true), 16).unwrap();
        assert_eq!(p.version, 11);
        assert_eq!(p.aux, [("redis-ver".to_string(), "7.2.4".to_string())]);
        assert_eq!(p.skipped.len(), 1);
        let k: Vec<_> = p
            .keys
            .iter()
            .map(|k| (k.db, k.key.clone(), k.expire_at, k.idle_secs, k.freq))
            .collect();
        assert_eq!(
            k,
            [
                (0, b"secs".to_vec(), 2_000_000_000_000, None, None),
                (0, b"idle".to_vec(), 0, Some(100), None),
                (3, b"set".to_vec(), 0, None, Some(77)),
            ]
        );
        assert_eq!(
            p.keys[2].value,
            RdbValue::Set(vec![b"a".to_vec(), b"b".to_vec()])
        );
        // rdbchecksum no: a zero CRC is not checked.
        assert!(parse(&file("0011", &b, false), 16).is_ok());
        // Too few databases for SELECTDB 3.
        let e = parse(&file("0011", &b, true), 2).err().unwrap();
        assert!(e.what.contains("SELECTDB 3"), "{e}");
    }

    #[test]
    fn refusals() {
        let e = parse(&file("0012", &[], true), 16).err().unwrap();
        assert!(e.what.contains("version"), "{e}");
        assert!(parse(b"REDIS", 16).is_err());
        assert!(parse(b"RUBIS0009\xff", 16).is_err());
        // Version 4 has no checksum after EOF.
        assert!(parse(b"REDIS0004\xff", 16).is_ok());
        let mut b = vec![OP_MODULE_AUX];
        put_len(&mut b, 12345 << 10);
        let e = parse(&file("0010", &b, true), 16).err().unwrap();
        assert!(e.what.contains("module"), "{e}");
        assert_eq!(e.offset, 9);
        // A flipped bit in a value: the checksum catches it.
        let mut b = vec![T_STRING];
        put_string(&mut b, b"key");
        put_string(&mut b, b"value");
        let mut f = file("0010", &b, true);
        f[17] ^= 1; // inside "value"
        let e = parse(&f, 16).err().unwrap();
        assert!(e.what.contains("checksum"), "{e}");
        assert_eq!(e.offset, f.len() - 8);
    }

    #[test]
    fn import_skips_expired_and_refuses_duplicates() {
        let store = Store::new(16, 4);
        let dir = std::env::temp_dir().join(format!("rdb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut b = Vec::new();
        b.push(OP_EXPIRETIME_MS);
        b.extend_from_slice(&1000u64.to_le_bytes());
        b.push(T_STRING);
        put_string(&mut b, b"old");
        put_string(&mut b, b"v");
        b.push(T_STRING);
        put_string(&mut b, b"k");
        put_string(&mut b, b"v");
        let path = dir.join("ok.rdb");
        std::fs::write(&path, file("0010", &b, true)).unwrap();
        let done = import(&path, &store, &Limits::default(), 5000).unwrap();
        assert_eq!((done.keys, done.expired), (1, 1));
        assert_eq!(store.dbs[0].len(), 1);
        // The same key twice: refused (start-up then exits).
        let store = Store::new(16, 4);
        b.push(T_STRING);
        put_string(&mut b, b"k");
        put_string(&mut b, b"w");
        let path = dir.join("dup.rdb");
        std::fs::write(&path, file("0010", &b, true)).unwrap();
        let e = import(&path, &store, &Limits::default(), 5000).unwrap_err();
        assert!(
            e.contains("duplicate key 'k'") && e.contains("dup.rdb"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
