//! Opaque pagination markers: a kind tag and the last item of the previous page, hex-encoded
//! so the caller can't read or forge a meaningful position by accident.

use crate::KmsError;

pub(crate) fn encode(kind: &str, last: &str) -> String {
    let mut out = String::with_capacity(kind.len() + 1 + last.len() * 2);
    out.push_str(kind);
    out.push('.');
    for b in last.as_bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub(crate) fn decode(kind: &str, marker: &str) -> Result<String, KmsError> {
    let hex = marker
        .strip_prefix(kind)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or(KmsError::InvalidMarker)?;
    if hex.len() % 2 != 0 {
        return Err(KmsError::InvalidMarker);
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| KmsError::InvalidMarker)?;
    String::from_utf8(bytes).map_err(|_| KmsError::InvalidMarker)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_foreign_markers() {
        let m = encode("keys", "1234abcd-12ab-34cd-56ef-1234567890ab");
        assert_eq!(
            decode("keys", &m).unwrap(),
            "1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert!(decode("aliases", &m).is_err());
        assert!(decode("keys", "keys.zz").is_err());
        assert!(decode("keys", "keys.abc").is_err());
        assert!(decode("keys", "garbage").is_err());
    }
}
