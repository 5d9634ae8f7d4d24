//! Names, paths, ids and ARNs of IAM entities, with IAM's validation wording.

use super::IamError;
use kmsd_model::AccountId;

/// `[\w+=,.@-]{1,max}`, worded as IAM words it.
pub(crate) fn check_name(member: &str, value: &str, max: usize) -> Result<(), IamError> {
    if value.is_empty() || value.chars().count() > max {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        )));
    }
    Ok(())
}

/// `/` or `/a/b/`: starts and ends with `/`, at most 512 printable ASCII characters.
pub(crate) fn check_path(value: &str) -> Result<(), IamError> {
    let ok = value.starts_with('/')
        && value.ends_with('/')
        && value.len() <= 512
        && value.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if ok {
        Ok(())
    } else {
        Err(IamError::Validation(format!(
            "1 validation error detected: Value '{value}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
        )))
    }
}

pub(crate) fn user_arn(account: &AccountId, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:user{path}{name}")
}

pub(crate) fn group_arn(account: &AccountId, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:group{path}{name}")
}

pub(crate) fn role_arn(account: &AccountId, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

pub(crate) fn policy_arn(account: &AccountId, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:policy{path}{name}")
}

/// `arn:aws:iam::<account>:policy[/path/]<name>` → the policy name, if the ARN names a policy of
/// `account`. AWS managed policies (`arn:aws:iam::aws:policy/…`) are not served.
pub(crate) fn policy_name_from_arn(account: &AccountId, arn: &str) -> Result<String, IamError> {
    let prefix = format!("arn:aws:iam::{account}:policy/");
    let rest = arn.strip_prefix(&prefix).ok_or_else(|| {
        IamError::NoSuchEntity(format!("Policy {arn} does not exist or is not attachable."))
    })?;
    let name = rest.rsplit('/').next().unwrap_or_default();
    if name.is_empty() {
        return Err(IamError::NoSuchEntity(format!(
            "Policy {arn} does not exist or is not attachable."
        )));
    }
    Ok(name.to_owned())
}

/// An IAM unique id: a 4-letter prefix (AIDA, AGPA, AROA, ANPA) and 17 characters of
/// `[A-Z0-9]`.
pub(crate) fn unique_id(rng: &kmsd_crypto::SystemRandom, prefix: &str) -> Result<String, IamError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let bytes: [u8; 17] = kmsd_crypto::random_array(rng)?;
    Ok(format!(
        "{prefix}{}",
        bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % 36] as char)
            .collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_names_and_paths() {
        check_name("userName", "alice.b@x+y=z,-_", 64).unwrap();
        assert!(check_name("userName", "", 64).is_err());
        assert!(check_name("userName", "has space", 64).is_err());
        assert!(check_name("userName", &"a".repeat(65), 64).is_err());
        check_path("/").unwrap();
        check_path("/ops/team/").unwrap();
        assert!(check_path("ops/").is_err());
        assert!(check_path("/ops").is_err());
    }

    #[test]
    fn reads_policy_arns() {
        let a: AccountId = "111122223333".parse().unwrap();
        assert_eq!(
            policy_name_from_arn(&a, "arn:aws:iam::111122223333:policy/p/q/Name").unwrap(),
            "Name"
        );
        assert!(policy_name_from_arn(&a, "arn:aws:iam::aws:policy/AdministratorAccess").is_err());
        assert!(policy_name_from_arn(&a, "arn:aws:iam::098765432109:policy/Name").is_err());
        let rng = kmsd_crypto::SystemRandom::new();
        let id = unique_id(&rng, "AIDA").unwrap();
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
    }
}
