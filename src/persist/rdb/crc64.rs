//! Redis's CRC-64 (`crc64.c`: the Jones polynomial 0xad93d23594c935a9,
//! reflected input and output, initial value 0, no final xor), which
//! guards DUMP payloads and the end of an RDB file. Table-driven, a byte
//! at a time; the table is built at compile time.

const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = {
    let mut t = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ POLY_REFLECTED
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// Continues the CRC `crc` over `data` (start with 0).
pub fn update(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLE[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// The CRC-64 of `data`.
pub fn crc64(data: &[u8]) -> u64 {
    update(0, data)
}

#[cfg(test)]
mod tests {
    #[test]
    fn redis_test_vector() {
        // crc64.c's own test: "123456789" -> e9c6d914c4b8d9ca.
        assert_eq!(super::crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(super::crc64(b""), 0);
        let whole = super::crc64(b"hello world");
        assert_eq!(super::update(super::crc64(b"hello "), b"world"), whole);
    }
}
