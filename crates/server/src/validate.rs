//! Server-side validation with AWS's wording: every length, range, enum and pattern rule of the
//! API model, collected so one response lists all failures
//! (`2 validation errors detected: …; …`).

use kmsd_service::KmsError;
use std::str::FromStr;

/// Collects validation failures for one request.
#[derive(Debug, Default)]
pub(crate) struct Validator {
    failures: Vec<String>,
}

impl Validator {
    pub fn new() -> Validator {
        Validator::default()
    }

    fn fail(&mut self, value: Option<&str>, member: &str, constraint: &str) {
        let value = match value {
            Some(v) => format!("Value '{v}' at"),
            None => "Value at".to_owned(),
        };
        self.failures.push(format!(
            "{value} '{member}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required member: `Value null at 'keyId' failed to satisfy constraint: Member must not be null`.
    pub fn required<'a, T>(&mut self, member: &str, value: &'a Option<T>) -> Option<&'a T> {
        if value.is_none() {
            self.failures.push(format!(
                "Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ));
        }
        value.as_ref()
    }

    /// A string's length in characters must be in `min..=max`.
    pub fn length(&mut self, member: &str, value: &str, min: usize, max: usize) {
        self.length_of(member, Some(value), value.chars().count(), min, max);
    }

    /// Like [`Validator::length`] for sensitive values, which AWS never echoes.
    pub fn secret_length(&mut self, member: &str, len: usize, min: usize, max: usize) {
        self.length_of(member, None, len, min, max);
    }

    fn length_of(&mut self, member: &str, shown: Option<&str>, len: usize, min: usize, max: usize) {
        let shown = shown.map(truncate_for_message);
        if len < min {
            self.fail(
                shown.as_deref(),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.fail(
                shown.as_deref(),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A number must be in `min..=max`. Returns it as usize when it is.
    pub fn range(&mut self, member: &str, value: i64, min: i64, max: i64) -> Option<usize> {
        let shown = value.to_string();
        if value < min {
            self.fail(
                Some(&shown),
                member,
                &format!("Member must have value greater than or equal to {min}"),
            );
            None
        } else if value > max {
            self.fail(
                Some(&shown),
                member,
                &format!("Member must have value less than or equal to {max}"),
            );
            None
        } else {
            usize::try_from(value).ok()
        }
    }

    /// A value of a closed set.
    pub fn enumerated<E: FromStr>(&mut self, member: &str, value: &str, all: &[&str]) -> Option<E> {
        match value.parse::<E>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.fail(
                    Some(&truncate_for_message(value)),
                    member,
                    &format!("Member must satisfy enum value set: [{}]", all.join(", ")),
                );
                None
            }
        }
    }

    /// A string must match the model's pattern (checked by `ok`, described by `pattern`).
    pub fn pattern(&mut self, member: &str, value: &str, ok: bool, pattern: &str) {
        if !ok {
            self.fail(
                Some(&truncate_for_message(value)),
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// A list's number of items must be in `min..=max`.
    pub fn count(&mut self, member: &str, len: usize, min: usize, max: usize) {
        if len < min {
            self.fail(
                None,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if len > max {
            self.fail(
                None,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn finish(self) -> Result<(), KmsError> {
        if self.failures.is_empty() {
            Ok(())
        } else {
            Err(KmsError::Validation(self.failures))
        }
    }
}

/// Keeps error messages bounded: long values are cut (AWS does the same).
fn truncate_for_message(value: &str) -> String {
    const MAX: usize = 256;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        value.chars().take(MAX).collect::<String>() + "..."
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kmsd_model::KeySpec;

    #[test]
    fn words_failures_like_aws() {
        let mut v = Validator::new();
        v.range("pendingWindowInDays", 5, 7, 30);
        let msg = v.finish().unwrap_err().to_string();
        assert_eq!(
            msg,
            "1 validation error detected: Value '5' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7"
        );
        let mut v = Validator::new();
        v.secret_length("plaintext", 5000, 1, 4096);
        let _: Option<KeySpec> = v.enumerated("keySpec", "AES", KeySpec::wire_values());
        let msg = v.finish().unwrap_err().to_string();
        assert!(
            msg.starts_with("2 validation errors detected: Value at 'plaintext' failed"),
            "{msg}"
        );
        assert!(
            msg.contains("Member must satisfy enum value set: [RSA_2048, RSA_3072"),
            "{msg}"
        );
    }
}
