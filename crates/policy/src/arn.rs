//! ARN patterns, as in `Resource`/`NotResource` and the `Arn*` condition operators.
//!
//! An ARN is `arn:partition:service:region:account:resource`; the resource part may itself
//! contain colons. A pattern is compared segment by segment, each segment a case-sensitive
//! wildcard pattern, so a `*` in the region never swallows the account. A pattern with fewer
//! than six segments compares its last segment with the rest of the ARN (`arn:aws:kms*`
//! matches every KMS ARN). A value with fewer segments than the pattern does not match.

use crate::variables::{self, Glob, Raw, VarSource};

/// Number of colon-separated segments in an ARN; the last keeps any further colons.
const SEGMENTS: usize = 6;

/// A compiled ARN pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnPattern {
    segments: Vec<Glob>,
}

impl ArnPattern {
    /// Compiles `text`; `variables` enables policy variables.
    pub(crate) fn new(text: &str, variables: bool) -> Self {
        let raw = variables::split(text, variables);
        let mut segments: Vec<Vec<Raw<'_>>> = vec![Vec::new()];
        for part in raw {
            match part {
                Raw::Text(mut t) => {
                    while segments.len() < SEGMENTS {
                        let Some(colon) = t.find(':') else { break };
                        if colon > 0 {
                            push_raw(&mut segments, Raw::Text(&t[..colon]));
                        }
                        segments.push(Vec::new());
                        t = &t[colon + 1..];
                    }
                    if !t.is_empty() {
                        push_raw(&mut segments, Raw::Text(t));
                    }
                }
                other => push_raw(&mut segments, other),
            }
        }
        Self {
            segments: segments.iter().map(|s| Glob::from_raw(s)).collect(),
        }
    }

    /// Whether `value` matches; `None` when a variable does not resolve.
    pub(crate) fn matches<'a>(&'a self, value: &str, src: &impl VarSource<'a>) -> Option<bool> {
        let n = self.segments.len();
        let mut rest = value;
        for (index, segment) in self.segments.iter().enumerate() {
            let last = index + 1 == n;
            let part = if last {
                rest
            } else {
                match rest.split_once(':') {
                    Some((head, tail)) => {
                        rest = tail;
                        head
                    }
                    None => return Some(false),
                }
            };
            if !segment.matches(part, false, src)? {
                return Some(false);
            }
        }
        Some(true)
    }
}

impl ArnPattern {
    /// Whether every variable resolves in this request.
    pub(crate) fn resolves<'a>(&'a self, src: &impl VarSource<'a>) -> bool {
        self.segments.iter().all(|s| s.resolves(src))
    }

    /// Whether the pattern has variables.
    pub(crate) fn has_variables(&self) -> bool {
        self.segments.iter().any(Glob::has_variables)
    }
}

fn push_raw<'s>(segments: &mut [Vec<Raw<'s>>], raw: Raw<'s>) {
    if let Some(last) = segments.last_mut() {
        last.push(raw);
    }
}

/// A plain ARN test without variables.
#[cfg(test)]
pub(crate) fn arn_like(pattern: &str, value: &str) -> bool {
    struct NoVars;
    impl<'a> VarSource<'a> for NoVars {
        fn single(&self, _key: &str) -> Option<&'a str> {
            None
        }
    }
    ArnPattern::new(pattern, false)
        .matches(value, &NoVars)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn exact_and_wildcards() {
        assert!(arn_like(KEY, KEY));
        assert!(arn_like("arn:aws:kms:*:111122223333:key/*", KEY));
        assert!(arn_like("arn:aws:kms:us-east-?:111122223333:key/*", KEY));
        assert!(!arn_like("arn:aws:kms:*:444455556666:key/*", KEY));
        assert!(!arn_like("arn:aws:kms:*:111122223333:alias/*", KEY));
        assert!(arn_like("arn:aws:kms:*:*:*", KEY));
        assert!(arn_like("*", KEY));
    }

    #[test]
    fn case_sensitive() {
        assert!(!arn_like("arn:aws:kms:*:111122223333:KEY/*", KEY));
        assert!(!arn_like("arn:aws:KMS:*:111122223333:key/*", KEY));
    }

    #[test]
    fn star_does_not_cross_segments() {
        // The region star cannot absorb "us-east-1:111122223333" to make the account match.
        assert!(!arn_like("arn:aws:kms:*:key/*", KEY));
        // But the resource segment keeps its colons.
        assert!(arn_like(
            "arn:aws:logs:*:1:log-group:*",
            "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"
        ));
    }

    #[test]
    fn short_patterns_absorb_the_rest() {
        assert!(arn_like("arn:aws:kms*", KEY));
        assert!(arn_like("arn:*", KEY));
        assert!(!arn_like("arn:aws:kms", KEY));
        assert!(!arn_like("arn:aws:iam*", KEY));
    }

    #[test]
    fn short_values_do_not_match() {
        assert!(!arn_like("arn:aws:kms:*:*:*", "*"));
        assert!(!arn_like("arn:aws:kms:*:*:*", "arn:aws:kms"));
        assert!(arn_like("*", "*"));
    }

    #[test]
    fn empty_segments() {
        assert!(arn_like(
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::111122223333:role/admin"
        ));
        assert!(!arn_like(
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam:us-east-1:111122223333:role/admin"
        ));
    }
}
