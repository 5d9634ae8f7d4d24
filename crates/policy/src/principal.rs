//! Principals: who is calling (the request side) and who a statement names (the policy side,
//! `Principal`/`NotPrincipal` of resource policies).
//!
//! A calling principal is seen as a chain of identities: its account (whose root ARN or bare
//! id a policy may name), for a role session also the role, and the principal itself. A
//! `Principal` element matches when it names any identity of the chain; a `NotPrincipal`
//! element applies unless it names every identity of the chain, which is why AWS tells
//! policy authors to list the account and the role along with a session in `NotPrincipal`.
//! Principal ARNs are compared verbatim: wildcards other than a lone `*` mean nothing.

use crate::PolicyError;
use crate::json::Json;

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    /// The caller's ARN: `arn:aws:iam::111122223333:user/alice`,
    /// `arn:aws:sts::111122223333:assumed-role/admin/session`, `arn:aws:iam::111122223333:root`.
    /// For a service principal, the service name (`kms.amazonaws.com`), which `Service`
    /// entries compare with; likewise `Federated` and `CanonicalUser` entries.
    pub arn: &'a str,
    /// The caller's 12-digit account id (empty for a service principal).
    pub account: &'a str,
    /// For an assumed-role session, the ARN of the role (with its path), which a policy naming
    /// the role matches.
    pub role_arn: Option<&'a str>,
}

impl<'a> Principal<'a> {
    /// An IAM user, the account root, or any other principal that is not a role session.
    pub const fn new(arn: &'a str, account: &'a str) -> Self {
        Self {
            arn,
            account,
            role_arn: None,
        }
    }

    /// A session of role `role_arn` (`arn` is the `assumed-role` ARN).
    pub const fn assumed_role(arn: &'a str, account: &'a str, role_arn: &'a str) -> Self {
        Self {
            arn,
            account,
            role_arn: Some(role_arn),
        }
    }

    /// True when the caller is its account's root user (`arn:…:iam::<account>:root`).
    pub fn is_account_root(&self) -> bool {
        let mut parts = self.arn.splitn(6, ':');
        parts.next() == Some("arn")
            && parts.next().is_some()
            && parts.next() == Some("iam")
            && parts.next() == Some("")
            && parts.next() == Some(self.account)
            && parts.next() == Some("root")
    }

    /// The IAM user name (`alice` for `arn:aws:iam::1:user/path/alice`), the value of
    /// `aws:username`; `None` for other principals.
    pub fn user_name(&self) -> Option<&'a str> {
        let mut parts = self.arn.splitn(6, ':');
        if parts.next() != Some("arn") || parts.nth(1) != Some("iam") {
            return None;
        }
        let resource = parts.nth(2)?;
        let path = resource.strip_prefix("user/")?;
        path.rsplit('/').next().filter(|name| !name.is_empty())
    }
}

/// How an allowing resource-policy statement matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowedPrincipalMatch {
    /// The statement names the caller itself: `*`, its user/role/session ARN, the role of
    /// its session, or (for the root user) its account. Identity policies always report this.
    Principal,
    /// The statement names only the caller's account (`arn:aws:iam::ACCT:root` or `ACCT`): AWS
    /// reads this as delegating to the account's IAM policies.
    Account,
}

/// One entry of a `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalEntry {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    Everyone,
    /// An account: `arn:aws:iam::111122223333:root` or a bare `111122223333`.
    Account(String),
    /// An IAM user or role, an assumed-role session or a federated user, by ARN.
    Arn(String),
    /// `{"Service": …}`, e.g. `kms.amazonaws.com`.
    Service(String),
    /// `{"Federated": …}`: an identity provider.
    Federated(String),
    /// `{"CanonicalUser": …}`.
    CanonicalUser(String),
}

/// Which identity of the caller's chain is being tested.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Identity {
    Account,
    Role,
    Caller,
}

impl PrincipalEntry {
    fn names(&self, identity: Identity, p: &Principal<'_>) -> bool {
        match (self, identity) {
            (Self::Everyone, _) => true,
            (Self::Account(a), Identity::Account) => a == p.account,
            (Self::Account(a), Identity::Caller) => a == p.account && p.is_account_root(),
            (Self::Arn(arn), Identity::Role) => Some(arn.as_str()) == p.role_arn,
            (Self::Arn(arn), Identity::Caller) => arn == p.arn,
            (Self::Service(s) | Self::Federated(s) | Self::CanonicalUser(s), Identity::Caller) => {
                s == p.arn
            }
            _ => false,
        }
    }
}

/// The parsed `Principal`/`NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrincipalSet {
    entries: Vec<PrincipalEntry>,
}

impl PrincipalSet {
    pub(crate) fn entries(&self) -> &[PrincipalEntry] {
        &self.entries
    }

    /// Parses `"*"` or `{"AWS"|"Service"|"Federated"|"CanonicalUser": string | [string]}`.
    pub(crate) fn parse(value: &Json) -> Result<Self, PolicyError> {
        let members = match value {
            Json::String(s) if s == "*" => {
                return Ok(Self {
                    entries: vec![PrincipalEntry::Everyone],
                });
            }
            Json::Object(members) if !members.is_empty() => members,
            _ => return Err(PolicyError::syntax()),
        };
        let mut entries = Vec::new();
        for (kind, value) in members {
            let texts: Vec<&str> = match value {
                Json::String(s) => vec![s.as_str()],
                Json::Array(items) if !items.is_empty() => items
                    .iter()
                    .map(|item| match item {
                        Json::String(s) => Ok(s.as_str()),
                        _ => Err(PolicyError::syntax()),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(PolicyError::syntax()),
            };
            for text in texts {
                let entry = match kind.as_str() {
                    "AWS" => parse_aws(text)?,
                    "Service" | "Federated" | "CanonicalUser" if text.is_empty() => {
                        return Err(PolicyError::invalid_principal(kind, text));
                    }
                    "Service" => PrincipalEntry::Service(text.to_owned()),
                    "Federated" => PrincipalEntry::Federated(text.to_owned()),
                    "CanonicalUser" => PrincipalEntry::CanonicalUser(text.to_owned()),
                    _ => return Err(PolicyError::syntax()),
                };
                entries.push(entry);
            }
        }
        Ok(Self { entries })
    }

    /// How a `Principal` element matches `p`, if at all.
    pub(crate) fn matches(&self, p: &Principal<'_>) -> Option<AllowedPrincipalMatch> {
        let named = |identity| self.entries.iter().any(|e| e.names(identity, p));
        if named(Identity::Caller) || (p.role_arn.is_some() && named(Identity::Role)) {
            Some(AllowedPrincipalMatch::Principal)
        } else if !p.account.is_empty() && named(Identity::Account) {
            Some(AllowedPrincipalMatch::Account)
        } else {
            None
        }
    }

    /// Whether a `NotPrincipal` element with these entries applies to `p`: unless every
    /// identity of its chain is named.
    pub(crate) fn not_principal_applies(&self, p: &Principal<'_>) -> bool {
        let named = |identity| self.entries.iter().any(|e| e.names(identity, p));
        let all_named = named(Identity::Caller)
            && (p.role_arn.is_none() || named(Identity::Role))
            && (p.account.is_empty() || named(Identity::Account));
        !all_named
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Validates an `AWS` principal: `*`, an account id, or an account-root, user, role,
/// assumed-role or federated-user ARN.
fn parse_aws(text: &str) -> Result<PrincipalEntry, PolicyError> {
    if text == "*" {
        return Ok(PrincipalEntry::Everyone);
    }
    if is_account_id(text) {
        return Ok(PrincipalEntry::Account(text.to_owned()));
    }
    let invalid = || PolicyError::invalid_principal("AWS", text);
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(invalid());
    };
    if *arn != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account) {
        return Err(invalid());
    }
    let valid = match *service {
        "iam" => {
            if *resource == "root" {
                return Ok(PrincipalEntry::Account((*account).to_owned()));
            }
            ["user/", "role/"]
                .iter()
                .any(|prefix| resource.strip_prefix(prefix).is_some_and(|n| !n.is_empty()))
        }
        "sts" => {
            if let Some(rest) = resource.strip_prefix("assumed-role/") {
                rest.split_once('/')
                    .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty())
            } else {
                resource
                    .strip_prefix("federated-user/")
                    .is_some_and(|n| !n.is_empty())
            }
        }
        _ => false,
    };
    if valid {
        Ok(PrincipalEntry::Arn(text.to_owned()))
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    const ALICE: Principal<'static> =
        Principal::new("arn:aws:iam::111122223333:user/alice", "111122223333");
    const ROOT: Principal<'static> =
        Principal::new("arn:aws:iam::111122223333:root", "111122223333");
    const SESSION: Principal<'static> = Principal::assumed_role(
        "arn:aws:sts::111122223333:assumed-role/admin/s1",
        "111122223333",
        "arn:aws:iam::111122223333:role/ops/admin",
    );
    const OTHER: Principal<'static> =
        Principal::new("arn:aws:iam::444455556666:user/alice", "444455556666");

    fn set(json_text: &str) -> PrincipalSet {
        PrincipalSet::parse(&json::parse(json_text).unwrap()).unwrap()
    }

    fn parse_err(json_text: &str) -> String {
        PrincipalSet::parse(&json::parse(json_text).unwrap())
            .unwrap_err()
            .message()
            .to_owned()
    }

    #[test]
    fn everyone() {
        for text in [r#""*""#, r#"{"AWS":"*"}"#, r#"{"AWS":["*"]}"#] {
            let s = set(text);
            for p in [ALICE, ROOT, SESSION, OTHER] {
                assert_eq!(s.matches(&p), Some(AllowedPrincipalMatch::Principal));
            }
        }
    }

    #[test]
    fn account_root_and_bare_id_match_the_account() {
        for text in [
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            r#"{"AWS":"111122223333"}"#,
        ] {
            let s = set(text);
            assert_eq!(
                s.entries(),
                [PrincipalEntry::Account("111122223333".into())]
            );
            assert_eq!(s.matches(&ALICE), Some(AllowedPrincipalMatch::Account));
            assert_eq!(s.matches(&SESSION), Some(AllowedPrincipalMatch::Account));
            assert_eq!(s.matches(&OTHER), None);
            // The root user is the account itself.
            assert_eq!(s.matches(&ROOT), Some(AllowedPrincipalMatch::Principal));
        }
    }

    #[test]
    fn user_role_and_session_arns() {
        let s = set(r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#);
        assert_eq!(s.matches(&ALICE), Some(AllowedPrincipalMatch::Principal));
        assert_eq!(s.matches(&OTHER), None);
        assert_eq!(s.matches(&ROOT), None);

        let role = set(r#"{"AWS":"arn:aws:iam::111122223333:role/ops/admin"}"#);
        assert_eq!(
            role.matches(&SESSION),
            Some(AllowedPrincipalMatch::Principal)
        );
        assert_eq!(role.matches(&ALICE), None);

        let session = set(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/admin/s1"}"#);
        assert_eq!(
            session.matches(&SESSION),
            Some(AllowedPrincipalMatch::Principal)
        );
        let other_session = set(r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/admin/s2"}"#);
        assert_eq!(other_session.matches(&SESSION), None);
    }

    #[test]
    fn principal_wins_over_account() {
        let s = set(r#"{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"]}"#);
        assert_eq!(s.matches(&ALICE), Some(AllowedPrincipalMatch::Principal));
    }

    #[test]
    fn wildcards_are_literal() {
        let s = set(r#"{"AWS":"arn:aws:iam::111122223333:user/*"}"#);
        assert_eq!(s.matches(&ALICE), None);
        assert!(
            Principal::new("arn:aws:iam::111122223333:user/*", "111122223333")
                .arn
                .ends_with('*')
        );
        assert_eq!(
            s.matches(&Principal::new(
                "arn:aws:iam::111122223333:user/*",
                "111122223333"
            )),
            Some(AllowedPrincipalMatch::Principal)
        );
    }

    #[test]
    fn service_principals() {
        let s = set(r#"{"Service":["kms.amazonaws.com"]}"#);
        assert_eq!(
            s.matches(&Principal::new("kms.amazonaws.com", "")),
            Some(AllowedPrincipalMatch::Principal)
        );
        assert_eq!(s.matches(&ALICE), None);
        assert_eq!(
            s.entries(),
            [PrincipalEntry::Service("kms.amazonaws.com".into())]
        );
    }

    #[test]
    fn not_principal_needs_the_whole_chain() {
        let user_only = set(r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#);
        assert!(
            user_only.not_principal_applies(&ALICE),
            "account not listed"
        );
        let user_and_account =
            set(r#"{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]}"#);
        assert!(!user_and_account.not_principal_applies(&ALICE));
        assert!(user_and_account.not_principal_applies(&OTHER));
        assert!(user_and_account.not_principal_applies(&SESSION));

        let role_and_account = set(
            r#"{"AWS":["arn:aws:iam::111122223333:role/ops/admin","arn:aws:iam::111122223333:root"]}"#,
        );
        assert!(
            role_and_account.not_principal_applies(&SESSION),
            "session not listed"
        );
        let full = set(
            r#"{"AWS":["arn:aws:iam::111122223333:role/ops/admin","arn:aws:iam::111122223333:root","arn:aws:sts::111122223333:assumed-role/admin/s1"]}"#,
        );
        assert!(!full.not_principal_applies(&SESSION));

        let account = set(r#"{"AWS":"111122223333"}"#);
        assert!(!account.not_principal_applies(&ROOT));
        assert!(account.not_principal_applies(&ALICE));
        assert!(!set(r#""*""#).not_principal_applies(&ALICE));
    }

    #[test]
    fn principal_helpers() {
        assert!(ROOT.is_account_root());
        assert!(!ALICE.is_account_root());
        assert!(
            !Principal::new("arn:aws:iam::111122223333:root", "444455556666").is_account_root()
        );
        assert_eq!(ALICE.user_name(), Some("alice"));
        assert_eq!(
            Principal::new("arn:aws:iam::1:user/div/team/bob", "1").user_name(),
            Some("bob")
        );
        assert_eq!(SESSION.user_name(), None);
        assert_eq!(ROOT.user_name(), None);
    }

    #[test]
    fn invalid_principals() {
        for bad in [
            "bob",
            "11112222333",
            "arn:aws:iam::111122223333:group/admins",
            "arn:aws:iam::1111:user/alice",
            "arn:aws:iam:us-east-1:111122223333:user/alice",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:sts::111122223333:assumed-role/admin",
            "arn:aws:s3:::bucket",
            "arn::iam::111122223333:root",
            "",
        ] {
            assert_eq!(
                parse_err(&format!(r#"{{"AWS":"{bad}"}}"#)),
                format!("Invalid principal in policy: \"AWS\":\"{bad}\""),
            );
        }
        assert!(matches!(
            set(r#"{"AWS":"arn:aws:sts::111122223333:federated-user/bob"}"#).entries(),
            [PrincipalEntry::Arn(_)]
        ));
    }

    #[test]
    fn principal_shapes() {
        for bad in [
            r#""alice""#,
            r#"{}"#,
            r#"{"AWS":[]}"#,
            r#"{"AWS":1}"#,
            r#"{"AWS":[1]}"#,
            r#"{"Aws":"*"}"#,
            r#"["*"]"#,
        ] {
            assert_eq!(parse_err(bad), "Syntax errors in policy.", "{bad}");
        }
        assert_eq!(
            parse_err(r#"{"Service":""}"#),
            "Invalid principal in policy: \"Service\":\"\""
        );
    }
}
