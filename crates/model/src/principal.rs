//! Who is calling: the authenticated identity behind a request.

use crate::AccountId;

/// What kind of identity signed a request. IAM users and assumed roles join this enum when
/// the IAM and STS APIs arrive; everything downstream already matches on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrincipalKind {
    /// The account root (`arn:aws:iam::<account>:root`).
    Root,
}

/// The authenticated caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    pub kind: PrincipalKind,
    pub access_key_id: String,
}

impl Principal {
    /// The principal's ARN, as IAM and CloudTrail name it.
    pub fn arn(&self) -> String {
        match self.kind {
            PrincipalKind::Root => format!("arn:aws:iam::{}:root", self.account),
        }
    }
}
