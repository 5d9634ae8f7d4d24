//! Why a request was refused, in AWS's own words.
//!
//! Every variant maps to one of the error codes AWS services return for
//! authentication failures ([`SigV4Error::aws_code`]) and its `Display` is the
//! message AWS sends with it, so the server can put both on the wire as they
//! are. No message ever contains a signature or any secret.

/// The signature message AWS sends whenever the signature does not match,
/// whatever the reason (wrong secret, tampered request, body hash mismatch).
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// AWS error code for a request without usable authentication.
pub const MISSING_AUTHENTICATION_TOKEN: &str = "MissingAuthenticationTokenException";
/// AWS error code for an access key id that is unknown or not active.
pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";
/// AWS error code for a malformed or incomplete signature.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
/// AWS error code for a well-formed signature that is not valid.
pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";

/// A request that failed Signature Version 4 verification.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// The `Authorization` header is not an AWS Signature Version 4 header at
    /// all (it does not start with `AWS4-`). The server should return the same
    /// error when the header is absent.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    /// The access key id of the credential is unknown (or not active). This
    /// crate never returns it: it is for the server, which looks access keys
    /// up, to answer as AWS does.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,

    /// The header names a SigV4 algorithm other than `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now).")]
    UnsupportedAlgorithm {
        /// The algorithm as given (only its leading `[A-Za-z0-9-]` characters).
        algorithm: String,
    },

    /// `Credential`, `Signature` and/or `SignedHeaders` are missing or empty.
    #[error("{}Authorization=AWS4-HMAC-SHA256", missing_parameters(*credential, *signature, *signed_headers))]
    MissingParameters {
        /// `Credential` is missing.
        credential: bool,
        /// `Signature` is missing.
        signature: bool,
        /// `SignedHeaders` is missing.
        signed_headers: bool,
    },

    /// A comma-separated component of the header has no `=`.
    #[error(
        "'{component}' not a valid key=value pair (missing equal-sign) in Authorization header."
    )]
    MalformedParameter {
        /// The offending component, trimmed.
        component: String,
    },

    /// The `Credential` value is not `keyid/date/region/service/terminator`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential {
        /// The credential as given.
        credential: String,
    },

    /// The `Signature` value is not 64 hexadecimal digits.
    #[error("Signature must be 64 hexadecimal characters. Authorization=AWS4-HMAC-SHA256")]
    MalformedSignature,

    /// `SignedHeaders` has an empty name in it (e.g. `host;;x-amz-date`).
    #[error(
        "SignedHeaders must be a ';'-separated list of header names. Authorization=AWS4-HMAC-SHA256"
    )]
    MalformedSignedHeaders,

    /// The credential scope does not end in `aws4_request`.
    #[error(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
    )]
    InvalidTerminator {
        /// The terminator as given.
        terminator: String,
    },

    /// The credential scope names a region this server does not serve.
    #[error("Credential should be scoped to a valid region, not '{region}'.")]
    WrongRegion {
        /// The region as given.
        region: String,
    },

    /// The credential scope names another service.
    #[error("Credential should be scoped to correct service: '{expected}'.")]
    WrongService {
        /// The service this server is.
        expected: String,
    },

    /// The request has no `X-Amz-Date` header.
    #[error(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
    )]
    MissingDate,

    /// The `X-Amz-Date` header is not `yyyymmddThhmmssZ`.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    MalformedDate {
        /// The header value as given (lossily decoded).
        value: String,
    },

    /// The request was signed more than 15 minutes ago.
    #[error("Signature expired: {request_date} is now earlier than {limit} ({now} - 15 min.)")]
    SignatureExpired {
        /// The request's `X-Amz-Date`.
        request_date: String,
        /// Now minus 15 minutes, `yyyymmddThhmmssZ`.
        limit: String,
        /// Now, `yyyymmddThhmmssZ`.
        now: String,
    },

    /// The request claims to be signed more than 15 minutes from now.
    #[error(
        "Signature not yet current: {request_date} is still later than {limit} ({now} + 15 min.)"
    )]
    SignatureNotYetCurrent {
        /// The request's `X-Amz-Date`.
        request_date: String,
        /// Now plus 15 minutes, `yyyymmddThhmmssZ`.
        limit: String,
        /// Now, `yyyymmddThhmmssZ`.
        now: String,
    },

    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// `x-amz-date` is not among the signed headers.
    #[error("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")]
    DateNotSigned,

    /// The credential scope's date is not the day of `X-Amz-Date`.
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{request_day}', from '{request_date}'."
    )]
    ScopeDateMismatch {
        /// The date of the credential scope.
        scope_date: String,
        /// The first eight characters of `X-Amz-Date`.
        request_day: String,
        /// `X-Amz-Date`.
        request_date: String,
    },

    /// A header listed in `SignedHeaders` is not in the request, so the
    /// signature cannot match. AWS reports this as a plain mismatch.
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    SignedHeaderMissing {
        /// The missing header's name, for logs.
        header: String,
    },

    /// `X-Amz-Content-SHA256` is not the SHA-256 of the body (or is
    /// `UNSIGNED-PAYLOAD` or a streaming value, which are not accepted).
    /// AWS reports this as a plain mismatch for non-S3 services.
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    ContentSha256Mismatch,

    /// The signature does not match the request.
    #[error("{}", SIGNATURE_MISMATCH_MESSAGE)]
    SignatureMismatch,
}

impl SigV4Error {
    /// The AWS error code (the `__type` of a JSON error response) to send.
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => MISSING_AUTHENTICATION_TOKEN,
            Self::UnrecognizedClient => UNRECOGNIZED_CLIENT,
            Self::UnsupportedAlgorithm { .. }
            | Self::MissingParameters { .. }
            | Self::MalformedParameter { .. }
            | Self::MalformedCredential { .. }
            | Self::MalformedSignature
            | Self::MalformedSignedHeaders
            | Self::MissingDate
            | Self::MalformedDate { .. } => INCOMPLETE_SIGNATURE,
            Self::InvalidTerminator { .. }
            | Self::WrongRegion { .. }
            | Self::WrongService { .. }
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::HostNotSigned
            | Self::DateNotSigned
            | Self::ScopeDateMismatch { .. }
            | Self::SignedHeaderMissing { .. }
            | Self::ContentSha256Mismatch
            | Self::SignatureMismatch => INVALID_SIGNATURE,
        }
    }
}

fn missing_parameters(credential: bool, signature: bool, signed_headers: bool) -> String {
    let mut message = String::new();
    for (missing, name) in [
        (credential, "Credential"),
        (signature, "Signature"),
        (signed_headers, "SignedHeaders"),
    ] {
        if missing {
            message.push_str("Authorization header requires '");
            message.push_str(name);
            message.push_str("' parameter. ");
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unrecognized_client() {
        let err = SigV4Error::UnrecognizedClient;
        assert_eq!(err.aws_code(), "UnrecognizedClientException");
        assert_eq!(
            err.to_string(),
            "The security token included in the request is invalid."
        );
    }
}
