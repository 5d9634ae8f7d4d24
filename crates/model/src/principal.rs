//! Who is calling: the authenticated identity behind a request.

use crate::{AccountId, Timestamp};

/// What kind of identity signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalKind {
    /// The account root (`arn:aws:iam::<account>:root`), signing with a root access key.
    Root,
    /// An IAM user signing with one of its access keys.
    User {
        /// `/` or `/division/team/`.
        path: String,
        name: String,
        /// The unique id (`AIDA…`).
        user_id: String,
    },
    /// A role session from STS AssumeRole, signing with temporary credentials.
    AssumedRole {
        role_path: String,
        role_name: String,
        /// The role's unique id (`AROA…`).
        role_id: String,
        session_name: String,
        /// When the temporary credentials stop working (service clock).
        expires_at: Timestamp,
    },
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    pub kind: PrincipalKind,
    pub access_key_id: String,
}

impl Principal {
    /// The principal's ARN, as IAM, STS and CloudTrail name it.
    pub fn arn(&self) -> String {
        let account = &self.account;
        match &self.kind {
            PrincipalKind::Root => format!("arn:aws:iam::{account}:root"),
            PrincipalKind::User { path, name, .. } => {
                format!("arn:aws:iam::{account}:user{path}{name}")
            }
            PrincipalKind::AssumedRole {
                role_name,
                session_name,
                ..
            } => {
                format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
            }
        }
    }

    /// For a role session, the ARN of the role itself.
    pub fn role_arn(&self) -> Option<String> {
        match &self.kind {
            PrincipalKind::AssumedRole {
                role_path,
                role_name,
                ..
            } => Some(format!(
                "arn:aws:iam::{}:role{role_path}{role_name}",
                self.account
            )),
            _ => None,
        }
    }

    /// `aws:userid` / GetCallerIdentity's `UserId`: the account id for the root, the user id
    /// for a user, `<role id>:<session name>` for a role session.
    pub fn user_id(&self) -> String {
        match &self.kind {
            PrincipalKind::Root => self.account.to_string(),
            PrincipalKind::User { user_id, .. } => user_id.clone(),
            PrincipalKind::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
        }
    }

    /// `aws:PrincipalType`: `Account`, `User` or `AssumedRole`.
    pub fn principal_type(&self) -> &'static str {
        match self.kind {
            PrincipalKind::Root => "Account",
            PrincipalKind::User { .. } => "User",
            PrincipalKind::AssumedRole { .. } => "AssumedRole",
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self.kind, PrincipalKind::Root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_and_ids_have_aws_shapes() {
        let account: AccountId = "111122223333".parse().unwrap();
        let user = Principal {
            account: account.clone(),
            kind: PrincipalKind::User {
                path: "/ops/".into(),
                name: "alice".into(),
                user_id: "AIDAEXAMPLE".into(),
            },
            access_key_id: "AKIAEXAMPLE".into(),
        };
        assert_eq!(user.arn(), "arn:aws:iam::111122223333:user/ops/alice");
        assert_eq!(user.user_id(), "AIDAEXAMPLE");
        let session = Principal {
            account,
            kind: PrincipalKind::AssumedRole {
                role_path: "/".into(),
                role_name: "admin".into(),
                role_id: "AROAEXAMPLE".into(),
                session_name: "s1".into(),
                expires_at: Timestamp(0),
            },
            access_key_id: "ASIAEXAMPLE".into(),
        };
        assert_eq!(
            session.arn(),
            "arn:aws:sts::111122223333:assumed-role/admin/s1"
        );
        assert_eq!(
            session.role_arn().unwrap(),
            "arn:aws:iam::111122223333:role/admin"
        );
        assert_eq!(session.user_id(), "AROAEXAMPLE:s1");
        assert_eq!(session.principal_type(), "AssumedRole");
    }
}
