//! `application/x-www-form-urlencoded` request bodies: `Action=CreateUser&UserName=alice`.

use std::collections::HashMap;

/// The decoded parameters of a Query request. A repeated name keeps its last value.
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(body: &[u8]) -> Option<Params> {
        let text = std::str::from_utf8(body).ok()?;
        let mut map = HashMap::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            map.insert(decode(name)?, decode(value)?);
        }
        Some(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// Percent-decoding with `+` as a space. `None` for bad escapes or invalid UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encoding of every byte outside the unreserved set (IAM returns policy documents
/// URL-encoded).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let p =
            Params::parse(b"Action=CreateUser&Path=%2Fops%2F&UserName=a+b&Empty=&Action=GetUser")
                .unwrap();
        assert_eq!(p.get("Action"), Some("GetUser"));
        assert_eq!(p.get("Path"), Some("/ops/"));
        assert_eq!(p.get("UserName"), Some("a b"));
        assert_eq!(p.get("Empty"), Some(""));
        assert!(Params::parse(b"A=%zz").is_none());
        assert!(Params::parse(b"A=%E2%82").is_none());
        assert_eq!(
            decode(&encode("{\"a\": \"b/c\"}")).unwrap(),
            "{\"a\": \"b/c\"}"
        );
    }
}
