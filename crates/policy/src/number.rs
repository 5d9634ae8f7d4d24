//! Numbers for the `Numeric*` condition operators: integers compare exactly, anything with a
//! fraction or exponent compares as a double.

use std::cmp::Ordering;

/// A parsed numeric condition value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Parses a decimal number (`10`, `-3`, `2.5`, `1e3`); no spaces, no `inf`/`NaN`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if text.is_empty()
            || !text
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
            || !text.bytes().any(|b| b.is_ascii_digit())
        {
            return None;
        }
        if let Ok(i) = text.parse::<i64>() {
            return Some(Self::Int(i));
        }
        text.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Self::Float)
    }

    fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 only matters when comparing with a non-integer.
            #[allow(clippy::cast_precision_loss)]
            Self::Int(i) => i as f64,
            Self::Float(f) => f,
        }
    }

    /// Orders two numbers.
    pub(crate) fn compare(self, other: Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) => Some(a.cmp(&b)),
            _ => self.as_f64().partial_cmp(&other.as_f64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(Number::parse("10"), Some(Number::Int(10)));
        assert_eq!(Number::parse("-3"), Some(Number::Int(-3)));
        assert_eq!(Number::parse("2.5"), Some(Number::Float(2.5)));
        assert_eq!(Number::parse("1e3"), Some(Number::Float(1000.0)));
        for bad in [
            "", " 1", "1 ", "inf", "NaN", "0x10", "ten", "-", ".", "e", "1e999",
        ] {
            assert_eq!(Number::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn compares() {
        let n = |s| Number::parse(s).unwrap();
        assert_eq!(n("10").compare(n("9")), Some(Ordering::Greater));
        assert_eq!(n("10").compare(n("10.0")), Some(Ordering::Equal));
        assert_eq!(n("2.5").compare(n("3")), Some(Ordering::Less));
        assert_eq!(
            n("9223372036854775807").compare(n("9223372036854775806")),
            Some(Ordering::Greater)
        );
    }
}
