//! ISO 8601 UTC to the second, the way CloudTrail writes `eventTime`. No time zone database.

use kmsd_model::calendar::{epoch_seconds_of, split_epoch_seconds};
use std::time::{SystemTime, UNIX_EPOCH};

/// `2026-11-23T09:15:08Z` for seconds since the epoch.
pub fn format_event_time(unix_secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = split_epoch_seconds(unix_secs);
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z");
    }
    // Every event formats one: digits pushed directly, not through `fmt`.
    let mut out = String::with_capacity(20);
    for (value, width, after) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (hh, 2, ':'),
        (mm, 2, ':'),
        (ss, 2, 'Z'),
    ] {
        for place in (0..width).rev() {
            let digit = value / 10_i64.pow(place) % 10;
            let digit = u32::try_from(digit)
                .ok()
                .and_then(|d| char::from_digit(d, 10));
            out.push(digit.unwrap_or('0'));
        }
        out.push(after);
    }
    out
}

/// Seconds since the epoch of `YYYY-MM-DDTHH:MM:SSZ`, optionally with a fraction of a second
/// (truncated). Anything else is `None`.
pub fn parse_event_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let rest = &text[19..text.len() - 1];
    let fraction_ok = |f: &str| f.len() > 1 && f[1..].bytes().all(|c| c.is_ascii_digit());
    if !(rest.is_empty() || rest.starts_with('.') && fraction_ok(rest)) {
        return None;
    }
    epoch_seconds_of(
        digits(&b[0..4])?,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    )
}

/// `20261123T091508Z`, the form used in trail file names (sorts like the instant).
pub(crate) fn format_compact(unix_secs: i64) -> String {
    let (y, m, d, hh, mm, ss) = split_epoch_seconds(unix_secs);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// The wall clock in seconds since the epoch (digest times and file names).
pub(crate) fn now_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        for (secs, text) in [
            (0, "1970-01-01T00:00:00Z"),
            (1_795_425_308, "2026-11-23T09:15:08Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ] {
            assert_eq!(format_event_time(secs), text);
            assert_eq!(parse_event_time(text), Some(secs));
        }
        assert_eq!(format_event_time(253_402_300_800), "10000-01-01T00:00:00Z");
        assert_eq!(format_compact(1_795_425_308), "20261123T091508Z");
        assert_eq!(
            parse_event_time("2026-11-23T09:15:08.123Z"),
            Some(1_795_425_308)
        );
        for bad in [
            "",
            "2026-11-23T09:15:08",
            "2026-11-23 09:15:08Z",
            "2026-02-30T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T09:15:08.Z",
            "2026-11-23T09:15:08+01Z",
        ] {
            assert_eq!(parse_event_time(bad), None, "{bad}");
        }
    }
}
