//! The typed errors of the KMS operations. The server crate maps each variant to its AWS
//! `__type` and HTTP status in one place; here they are only data and a message.

use kmsd_keyring::KeyringError;
use kmsd_store::StoreError;

/// An operation's failure, one variant per AWS error code the service can produce.
/// `Display` is the message AWS would send.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KmsError {
    #[error("{0}")]
    NotFound(String),
    #[error("{key_arn} is disabled.")]
    Disabled { key_arn: String },
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    InvalidAliasName(String),
    #[error("{0}")]
    InvalidArn(String),
    /// Deliberately without detail: never say which check failed.
    #[error("")]
    InvalidCiphertext,
    #[error("The key ID in the request does not identify a CMK that can perform this operation.")]
    IncorrectKey,
    #[error("{0}")]
    InvalidKeyUsage(String),
    #[error("Invalid marker")]
    InvalidMarker,
    #[error("{}", validation_message(.0))]
    Validation(Vec<String>),
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    Tag(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    CustomKeyStoreNotFound(String),
    #[error("{0}")]
    InvalidGrantToken(String),
    #[error("{0}")]
    InvalidGrantId(String),
    #[error("{0}")]
    Conflict(String),
    #[error("The request would have succeeded, but the DryRun option is set.")]
    DryRunOperation,
    /// Verify: the signature is not valid for the message, key and algorithm. Never says why.
    #[error("The signature is not valid for this message, key and signing algorithm.")]
    InvalidSignature,
    /// VerifyMac: the MAC is not valid for the message, key and algorithm.
    #[error("The MAC is not valid for this message, key and MAC algorithm.")]
    InvalidMac,
    /// Something inside kmsd failed. The message sent to the caller is generic; the cause is
    /// logged by the server (it never holds secrets: store and keyring errors don't carry them).
    #[error("An internal error occurred.")]
    Internal(#[source] InternalError),
}

/// The causes of `KMSInternalException`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InternalError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Crypto(#[from] kmsd_crypto::CryptoError),
    #[error(transparent)]
    Iam(#[from] crate::identity::IamError),
    #[error(transparent)]
    Asymmetric(#[from] kmsd_asymmetric::AsymmetricError),
    /// A dependency failed and logged its own cause.
    #[error("a dependency is unavailable")]
    Unavailable,
}

impl From<crate::identity::IamError> for KmsError {
    fn from(e: crate::identity::IamError) -> KmsError {
        KmsError::Internal(e.into())
    }
}

impl From<StoreError> for KmsError {
    fn from(e: StoreError) -> KmsError {
        KmsError::Internal(e.into())
    }
}

impl From<KeyringError> for KmsError {
    fn from(e: KeyringError) -> KmsError {
        KmsError::Internal(e.into())
    }
}

impl KmsError {
    /// One validation failure, worded as AWS words them (see [`ValidationFailure`]).
    pub fn validation(message: impl Into<String>) -> KmsError {
        KmsError::Validation(vec![message.into()])
    }
}

/// `1 validation error detected: <a>` / `N validation errors detected: <a>; <b>`.
fn validation_message(errors: &[String]) -> String {
    match errors {
        [] => "Validation error".to_owned(),
        [one] if !one.starts_with("Value") => one.clone(),
        [one] => format!("1 validation error detected: {one}"),
        many => format!(
            "{} validation errors detected: {}",
            many.len(),
            many.join("; ")
        ),
    }
}
