//! Dates for the `Date*` condition operators: ISO 8601 (`2026-01-01T00:00:00Z`,
//! `2026-01-01T00:00:00.123+02:00`, `2026-01-01`, basic `20260101T000000Z`) or epoch seconds
//! (`1767225600`). A date or time without a zone is UTC.

/// A point in time: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Instant(i128);

const NANOS: i128 = 1_000_000_000;

impl Instant {
    /// Parses a condition date; `None` when it is neither ISO 8601 nor epoch seconds.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if let Some(seconds) = parse_epoch(text) {
            return Some(Self(i128::from(seconds) * NANOS));
        }
        parse_iso(text)
    }

    #[cfg(test)]
    fn seconds(self) -> i128 {
        self.0.div_euclid(NANOS)
    }
}

fn parse_epoch(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A cursor over ASCII text.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.rest = tail;
        Some(
            head.iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')),
        )
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.rest.first() == Some(&c) {
            self.rest = &self.rest[1..];
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn done(&self) -> bool {
        self.rest.is_empty()
    }
}

fn parse_iso(text: &str) -> Option<Instant> {
    let mut c = Cursor {
        rest: text.as_bytes(),
    };
    let year = c.digits(4)?;
    let extended = c.eat(b'-');
    let month = c.digits(2)?;
    if extended && !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let (mut hour, mut minute, mut second, mut nanos) = (0, 0, 0, 0u32);
    if c.eat(b'T') || c.eat(b't') {
        hour = c.digits(2)?;
        let colon = c.eat(b':');
        minute = c.digits(2)?;
        let has_seconds = if colon {
            c.eat(b':')
        } else {
            c.peek().is_some_and(|b| b.is_ascii_digit())
        };
        if has_seconds {
            second = c.digits(2)?;
            if c.eat(b'.') || c.eat(b',') {
                let mut scale = 100_000_000u32;
                let mut any = false;
                while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                    c.rest = &c.rest[1..];
                    nanos += u32::from(d - b'0') * scale;
                    scale /= 10;
                    any = true;
                }
                if !any {
                    return None;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
    } else if !extended {
        // A basic-format date alone would be digits only, which reads as epoch seconds.
        return None;
    }
    let offset_seconds: i64 = match c.peek() {
        None => 0,
        Some(b'Z' | b'z') => {
            c.rest = &c.rest[1..];
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.rest = &c.rest[1..];
            let oh = c.digits(2)?;
            let om = if c.eat(b':') {
                c.digits(2)?
            } else if c.done() {
                0
            } else {
                c.digits(2)?
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let magnitude = i64::from(oh * 3600 + om * 60);
            if sign == b'+' { magnitude } else { -magnitude }
        }
        Some(_) => return None,
    };
    if !c.done() {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some(Instant(i128::from(seconds) * NANOS + i128::from(nanos)))
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> i128 {
        Instant::parse(text)
            .unwrap_or_else(|| panic!("{text}"))
            .seconds()
    }

    #[test]
    fn iso_forms() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2026-01-01T00:00:00Z"), 1_767_225_600);
        assert_eq!(secs("2026-01-01"), 1_767_225_600);
        assert_eq!(secs("2026-01-01T00:00Z"), 1_767_225_600);
        assert_eq!(secs("2026-01-01T00:00:00"), 1_767_225_600);
        assert_eq!(secs("20260101T000000Z"), 1_767_225_600);
        assert_eq!(secs("2026-01-01T02:00:00+02:00"), 1_767_225_600);
        assert_eq!(secs("2026-01-01T02:00:00+0200"), 1_767_225_600);
        assert_eq!(secs("2025-12-31T22:00:00-02"), 1_767_225_600);
        assert_eq!(secs("2000-02-29T12:00:00Z"), 951_825_600);
        assert_eq!(secs("1969-12-31T23:59:59Z"), -1);
    }

    #[test]
    fn fractions_order_correctly() {
        let a = Instant::parse("2026-01-01T00:00:00.1Z").unwrap();
        let b = Instant::parse("2026-01-01T00:00:00.123456789Z").unwrap();
        let c = Instant::parse("2026-01-01T00:00:01Z").unwrap();
        assert!(Instant::parse("2026-01-01T00:00:00Z").unwrap() < a);
        assert!(a < b && b < c);
    }

    #[test]
    fn epoch_seconds() {
        // Digits alone are always epoch seconds, never a basic-format date.
        assert_eq!(secs("20260101"), 20_260_101);
        assert_eq!(secs("-5"), -5);
        assert_eq!(secs("1767225600"), 1_767_225_600);
        assert_eq!(secs("0"), 0);
        assert_eq!(
            Instant::parse("1767225600"),
            Instant::parse("2026-01-01T00:00:00Z")
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "2026-13-01",
            "2026-02-29",
            "2026-01-32",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00Q",
            "2026-01-01T00:00:00Z ",
            "2026-01-01 00:00:00",
            "2026/01/01",
            "2026-0101",
            "202601-01",
            "1e9",
            "tomorrow",
        ] {
            assert_eq!(Instant::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn leap_years() {
        assert!(Instant::parse("2024-02-29").is_some());
        assert!(Instant::parse("1900-02-29").is_none());
        assert!(Instant::parse("2000-02-29").is_some());
    }
}
