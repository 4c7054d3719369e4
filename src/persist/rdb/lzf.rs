//! LZF decompression (liblzf's `lzf_decompress`, which Redis uses for
//! compressed strings in RDB files and DUMP payloads). FlashDB only reads
//! LZF; it writes strings uncompressed.

/// Decompresses `input` into exactly `out_len` bytes. The output buffer
/// grows as bytes are produced (never sized from `out_len` alone, which a
/// hostile payload chooses). Err says what is wrong.
pub fn decompress(input: &[u8], out_len: usize) -> Result<Vec<u8>, &'static str> {
    // LZF expands at most ~132x (a 3-byte back reference yields 264 bytes).
    if out_len / 132 > input.len() + 1 {
        return Err("LZF length larger than the compressed data can hold");
    }
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(input.len().saturating_mul(4)));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let n = ctrl + 1;
            if ip + n > input.len() {
                return Err("LZF literal runs past the input");
            }
            if out.len() + n > out_len {
                return Err("LZF output longer than announced");
            }
            out.extend_from_slice(&input[ip..ip + n]);
            ip += n;
        } else {
            // A back reference: length (ctrl >> 5) + 2, offset from 13 bits.
            let mut len = ctrl >> 5;
            if len == 7 {
                let Some(&b) = input.get(ip) else {
                    return Err("LZF back reference runs past the input");
                };
                len += b as usize;
                ip += 1;
            }
            let Some(&lo) = input.get(ip) else {
                return Err("LZF back reference runs past the input");
            };
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + lo as usize + 1;
            let len = len + 2;
            if back > out.len() {
                return Err("LZF back reference before the start of the output");
            }
            if out.len() + len > out_len {
                return Err("LZF output longer than announced");
            }
            let from = out.len() - back;
            for i in 0..len {
                let b = out[from + i];
                out.push(b);
            }
        }
    }
    if out.len() != out_len {
        return Err("LZF output shorter than announced");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decompress;

    #[test]
    fn literal_and_back_reference() {
        // "aaaaaaaaaa": literal 'a', then a back reference of 9 at distance 1.
        let c = [0x00, b'a', 0xE0, 0x00, 0x00];
        assert_eq!(decompress(&c, 10).unwrap(), b"aaaaaaaaaa");
        // (7 << 5) with extra length 0 -> 9 bytes, offset 1.
        assert!(decompress(&c, 11).is_err());
        assert!(decompress(&c, 9).is_err());
        assert!(decompress(&[0x05, b'a'], 6).is_err());
        assert!(decompress(&[0x20, 0x05], 3).is_err());
        assert!(decompress(&[0x00], 1 << 40).is_err());
    }
}
