//! The SigV4 wire timestamp, `yyyymmddThhmmssZ` (ISO 8601 basic format, UTC),
//! to and from Unix epoch seconds. Pure arithmetic (Howard Hinnant's
//! days-from-civil), no clock and no time zone database.

use kmsd_model::calendar::{epoch_seconds_of, split_epoch_seconds};

/// Epoch seconds of a `yyyymmddThhmmssZ` timestamp, or `None` if it is not
/// exactly that shape or names no real instant (month 13, February 30th,
/// hour 24, second 60...).
pub fn wire_date_to_epoch(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let number = |range: core::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (number(0..4)?, number(4..6)?, number(6..8)?);
    let (hour, minute, second) = (number(9..11)?, number(11..13)?, number(13..15)?);
    epoch_seconds_of(year, month, day, hour, minute, second)
}

/// The `yyyymmddThhmmssZ` form of an instant in epoch seconds.
///
/// Years outside 0000..=9999 cannot be written in four digits; they are
/// written with as many digits as they need (and a sign if negative), which
/// is fine for error messages, the only place such instants can show up.
pub fn epoch_to_wire_date(epoch_seconds: i64) -> String {
    let (year, month, day, hour, minute, second) = split_epoch_seconds(epoch_seconds);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(wire_date_to_epoch("19700101T000000Z"), Some(0));
        assert_eq!(wire_date_to_epoch("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(wire_date_to_epoch("20000229T235959Z"), Some(951_868_799));
        assert_eq!(wire_date_to_epoch("20260101T000000Z"), Some(1_767_225_600));
        assert_eq!(wire_date_to_epoch("19691231T235959Z"), Some(-1));
        assert_eq!(epoch_to_wire_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(epoch_to_wire_date(-1), "19691231T235959Z");
        assert_eq!(epoch_to_wire_date(951_868_799), "20000229T235959Z");
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for bad in [
            "",
            "20150830T123600",
            "20150830T123600z",
            "20150830 123600Z",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "20150001T123600Z",
            "20150229T123600Z",
            "21000229T000000Z",
            "20150431T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "+0150830T123600Z",
            "2015083OT123600Z",
            "20150830T123600Z ",
        ] {
            assert_eq!(wire_date_to_epoch(bad), None, "{bad:?}");
        }
        assert_eq!(wire_date_to_epoch("20000229T000000Z"), Some(951_782_400));
    }

    proptest! {
        #[test]
        fn formats_and_parses_back(epoch in 0i64..253_402_300_800) {
            let wire = epoch_to_wire_date(epoch);
            prop_assert_eq!(wire_date_to_epoch(&wire), Some(epoch));
        }
    }
}
