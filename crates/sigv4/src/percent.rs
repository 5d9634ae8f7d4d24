//! Percent-encoding the way SigV4 wants it (RFC 3986, strict): every byte but
//! the unreserved `A-Z a-z 0-9 - . _ ~` becomes `%XX` with uppercase hex, and
//! the matching lenient decoding of what a client sent.

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Appends `bytes` to `out`, encoded; `/` is kept as is when `keep_slash`.
pub(crate) fn encode_into(out: &mut String, bytes: &[u8], keep_slash: bool) {
    for &b in bytes {
        if is_unreserved(b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(UPPER_HEX[usize::from(b >> 4)]));
            out.push(char::from(UPPER_HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// The bytes a query-string name or value stands for: `%XX` is decoded
/// (either case), `+` is a space (as form encoding and the AWS SDKs' own
/// query parsers have it), and a `%` not followed by two hex digits is kept
/// literally rather than refused.
pub(crate) fn decode_query_component(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => match (
                b.get(i + 1).copied().and_then(crate::hex::digit),
                b.get(i + 2).copied().and_then(crate::hex::digit),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(bytes: &[u8], keep_slash: bool) -> String {
        let mut out = String::new();
        encode_into(&mut out, bytes, keep_slash);
        out
    }

    #[test]
    fn keeps_only_unreserved() {
        assert_eq!(encode(b"AZaz09-._~", false), "AZaz09-._~");
        assert_eq!(encode(b"a b+c/d=e&f%", false), "a%20b%2Bc%2Fd%3De%26f%25");
        assert_eq!(encode(b"a b/c", true), "a%20b/c");
        assert_eq!(encode("é".as_bytes(), false), "%C3%A9");
        assert_eq!(encode(&[0x00, 0x7f, 0xff], false), "%00%7F%FF");
    }

    #[test]
    fn decodes_leniently() {
        assert_eq!(decode_query_component("a%20b"), b"a b");
        assert_eq!(decode_query_component("a%2fb%2F"), b"a/b/");
        assert_eq!(decode_query_component("a+b"), b"a b");
        assert_eq!(decode_query_component("%2B"), b"+");
        assert_eq!(decode_query_component("100%"), b"100%");
        assert_eq!(decode_query_component("%zz%4"), b"%zz%4");
        assert_eq!(decode_query_component("%C3%A9"), "é".as_bytes());
    }
}
