//! Lowercase hexadecimal, as SigV4 writes hashes and signatures.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The 32 bytes written as 64 hex digits (either case), or `None`.
pub(crate) fn decode_32(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *byte = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

/// The value of one hex digit (either case), or `None`.
pub(crate) fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37));
        assert_eq!(decode_32(&encode(&bytes)), Some(bytes));
        assert_eq!(decode_32(&encode(&bytes).to_uppercase()), Some(bytes));
    }

    #[test]
    fn refuses_bad_length_and_digits() {
        assert_eq!(decode_32(""), None);
        assert_eq!(decode_32(&"a".repeat(63)), None);
        assert_eq!(decode_32(&"a".repeat(65)), None);
        assert_eq!(decode_32(&format!("{}g", "a".repeat(63))), None);
    }
}
