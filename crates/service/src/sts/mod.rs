//! The STS API: GetCallerIdentity and AssumeRole, and the temporary credentials it issues.
//!
//! Temporary credentials are stateless: the session token is the session itself (principal,
//! expiry, secret) sealed under the domain key and bound to its `ASIA…` access key id. Any node
//! holding the keyring can verify it; nothing is written to the store, and expiry is checked
//! against the service clock on every request.

mod assume_role;
mod session_token;

pub use assume_role::{AssumeRoleRequest, AssumeRoleResponse, TemporaryCredentials};

use crate::identity::Iam;
use crate::{RequestContext, ServiceClock};
use kmsd_keyring::Keyring;
use kmsd_model::{AccountId, Principal};
use std::sync::Arc;
use zeroize::Zeroizing;

/// Why an STS call (or a session credential) failed. `Display` is AWS's message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    ExpiredToken(String),
    /// The token is not one this deployment issued, or not for this access key.
    #[error("The security token included in the request is invalid.")]
    InvalidToken,
    #[error("An internal error occurred.")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StsError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            StsError::AccessDenied(_) => "AccessDenied",
            StsError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            StsError::Validation(_) => "ValidationError",
            StsError::ExpiredToken(_) => "ExpiredToken",
            StsError::InvalidToken => "InvalidClientTokenId",
            StsError::Internal(_) => "InternalFailure",
        }
    }
}

/// GetCallerIdentity's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    pub user_id: String,
    pub account: AccountId,
    pub arn: String,
}

/// A verified temporary credential: its secret (to check the signature) and who it is.
pub struct SessionIdentity {
    pub secret_access_key: Zeroizing<Vec<u8>>,
    pub principal: Principal,
}

/// The STS service.
pub struct Sts {
    iam: Arc<Iam>,
    keyring: Arc<dyn Keyring>,
    clock: Arc<ServiceClock>,
    rng: kmsd_crypto::SystemRandom,
}

impl Sts {
    pub fn new(iam: Arc<Iam>, keyring: Arc<dyn Keyring>, clock: Arc<ServiceClock>) -> Sts {
        Sts {
            iam,
            keyring,
            clock,
            rng: kmsd_crypto::SystemRandom::new(),
        }
    }

    /// Needs no permission, as in AWS: every principal may ask who it is.
    pub async fn get_caller_identity(
        &self,
        ctx: &RequestContext,
    ) -> Result<CallerIdentity, StsError> {
        let p = &ctx.principal;
        Ok(CallerIdentity {
            user_id: p.user_id(),
            account: p.account.clone(),
            arn: p.arn(),
        })
    }

    /// Verifies a session token presented with `access_key_id`, for SigV4 authentication.
    /// `ExpiredToken` once the service clock passes its expiry; `InvalidToken` for anything
    /// this deployment did not issue for that access key.
    pub fn session(
        &self,
        access_key_id: &str,
        session_token: &str,
    ) -> Result<SessionIdentity, StsError> {
        let session = session_token::open(self.keyring.as_ref(), access_key_id, session_token)?;
        if self.clock.now() >= session.expires_at() {
            return Err(StsError::ExpiredToken(
                "The security token included in the request is expired".to_owned(),
            ));
        }
        Ok(session.into_identity(access_key_id))
    }
}
