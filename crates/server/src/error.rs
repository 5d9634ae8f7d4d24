//! The one place where errors become AWS wire errors: `__type`, HTTP status and message.

use kmsd_service::KmsError;
use kmsd_sigv4::SigV4Error;

/// Everything a KMS request can fail with, from the first header to the last byte.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error(transparent)]
    Kms(#[from] KmsError),
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    #[error("{0}")]
    ExpiredToken(String),
    #[error(transparent)]
    Signature(#[from] SigV4Error),
    #[error("{0}")]
    Serialization(String),
    #[error("{0}")]
    UnknownOperation(String),
    #[error("Request body is larger than {0} bytes.")]
    RequestTooLarge(usize),
    /// The account is over its request rate.
    #[error("Rate exceeded")]
    Throttling,
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> ApiError {
        use crate::auth::AuthError;
        match e {
            AuthError::MissingToken => ApiError::MissingAuthenticationToken,
            AuthError::UnrecognizedClient => ApiError::UnrecognizedClient,
            AuthError::Expired(message) => ApiError::ExpiredToken(message),
            AuthError::Signature(e) => ApiError::Signature(e),
            AuthError::Internal(cause) => {
                tracing::error!(cause, "credential lookup failed");
                ApiError::Kms(KmsError::Internal(kmsd_service::InternalError::Unavailable))
            }
        }
    }
}

/// An error as it goes on the wire.
pub(crate) struct WireError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn to_wire(&self) -> WireError {
        let (status, code) = match self {
            ApiError::Kms(e) => kms_code(e),
            ApiError::MissingAuthenticationToken => (400, "MissingAuthenticationTokenException"),
            ApiError::UnrecognizedClient => (400, "UnrecognizedClientException"),
            ApiError::ExpiredToken(_) => (400, "ExpiredTokenException"),
            ApiError::Signature(e) => (400, e.aws_code()),
            ApiError::Serialization(_) => (400, "SerializationException"),
            ApiError::UnknownOperation(_) => (400, "UnknownOperationException"),
            ApiError::RequestTooLarge(_) => (413, "RequestEntityTooLargeException"),
            ApiError::Throttling => (400, "ThrottlingException"),
        };
        WireError {
            status,
            code,
            message: self.to_string(),
        }
    }
}

/// KMS error codes. AWS sends 400 for every modelled client error (the Smithy 404/409 traits
/// are not what the service sends) and 500 for its faults.
fn kms_code(e: &KmsError) -> (u16, &'static str) {
    let code = match e {
        KmsError::NotFound(_) => "NotFoundException",
        KmsError::Disabled { .. } => "DisabledException",
        KmsError::InvalidState(_) => "KMSInvalidStateException",
        KmsError::AlreadyExists(_) => "AlreadyExistsException",
        KmsError::InvalidAliasName(_) => "InvalidAliasNameException",
        KmsError::InvalidArn(_) => "InvalidArnException",
        KmsError::InvalidCiphertext => "InvalidCiphertextException",
        KmsError::IncorrectKey => "IncorrectKeyException",
        KmsError::InvalidKeyUsage(_) => "InvalidKeyUsageException",
        KmsError::InvalidMarker => "InvalidMarkerException",
        KmsError::Validation(_) => "ValidationException",
        KmsError::UnsupportedOperation(_) => "UnsupportedOperationException",
        KmsError::LimitExceeded(_) => "LimitExceededException",
        KmsError::Tag(_) => "TagException",
        KmsError::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
        KmsError::AccessDenied(_) => "AccessDeniedException",
        KmsError::CustomKeyStoreNotFound(_) => "CustomKeyStoreNotFoundException",
        KmsError::InvalidGrantToken(_) => "InvalidGrantTokenException",
        KmsError::InvalidGrantId(_) => "InvalidGrantIdException",
        KmsError::Conflict(_) => "ConflictException",
        KmsError::InvalidSignature => "KMSInvalidSignatureException",
        KmsError::InvalidMac => "KMSInvalidMacException",
        // The one modelled client error AWS sends with its own status (the API reference:
        // "HTTP Status Code: 412").
        KmsError::DryRunOperation => return (412, "DryRunOperationException"),
        KmsError::Internal(_) => return (500, "KMSInternalException"),
        _ => return (500, "KMSInternalException"),
    };
    (400, code)
}
