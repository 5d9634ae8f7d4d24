//! AWS Signature Version 4 *verification*, for requests signed in the
//! `Authorization` header, as the AWS SDKs and CLI sign requests to KMS, IAM
//! and STS.
//!
//! What it is:
//! - [`parse_authorization`] reads the `Authorization` header;
//! - [`verify`] checks a request against it with a [`SigningKey`]
//!   ([`derive_signing_key`], or cached by [`SigningKeyCache`]): the date,
//!   its skew (15 minutes), the signed headers, the body hash and the
//!   signature, in constant time;
//! - every refusal is a [`SigV4Error`] whose [`SigV4Error::aws_code`] and
//!   `Display` are the error code and message AWS itself sends.
//!
//! It is pure (its only kmsd dependency is the model's calendar arithmetic): no IO, no clock (the caller passes the current time in epoch
//! seconds), no secrets in any message or `Debug` output.
//!
//! A server checks a request in AWS's order like this:
//!
//! ```
//! use kmsd_sigv4::{RequestParts, SigV4Error, SigningKeyCache, parse_authorization};
//!
//! /// The access key id that signed `req`.
//! fn authenticate(
//!     cache: &SigningKeyCache,
//!     authorization: Option<&str>,
//!     req: &RequestParts<'_>,
//!     now_epoch_seconds: i64,
//!     active_secret_of: impl Fn(&str) -> Option<Vec<u8>>,
//! ) -> Result<String, SigV4Error> {
//!     let auth = parse_authorization(authorization.ok_or(SigV4Error::MissingAuthenticationToken)?)?;
//!     kmsd_sigv4::precheck(req, &auth, now_epoch_seconds)?;
//!     auth.check_scope("us-east-1", "kms")?;
//!     let secret = active_secret_of(&auth.access_key_id).ok_or(SigV4Error::UnrecognizedClient)?;
//!     let key = cache.get_or_derive(&auth.access_key_id, &secret, &auth.date, &auth.region, &auth.service);
//!     kmsd_sigv4::verify(req, &auth, &key, now_epoch_seconds)?;
//!     Ok(auth.access_key_id)
//! }
//!
//! // The AWS SigV4 test suite's get-vanilla request.
//! let headers: &[(&str, &[u8])] = &[
//!     ("Host", b"example.amazonaws.com"),
//!     ("X-Amz-Date", b"20150830T123600Z"),
//! ];
//! let req = RequestParts { method: "GET", path: "/", query: "", headers, body: b"" };
//! let authorization = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
//!     SignedHeaders=host;x-amz-date, \
//!     Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
//! let now = kmsd_sigv4::wire_date_to_epoch("20150830T123600Z").ok_or("bad date")?;
//! let cache = SigningKeyCache::new(1024);
//! let secret_of = |id: &str| (id == "AKIDEXAMPLE").then(|| b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_vec());
//!
//! let err = authenticate(&cache, Some(authorization), &req, now, &secret_of).unwrap_err();
//! assert_eq!(err.aws_code(), "InvalidSignatureException"); // scoped to "service", not "kms"
//! assert_eq!(err.to_string(), "Credential should be scoped to correct service: 'kms'.");
//!
//! let auth = parse_authorization(authorization)?;
//! let key = cache.get_or_derive("AKIDEXAMPLE", &secret_of("AKIDEXAMPLE").ok_or("unknown")?, &auth.date, &auth.region, &auth.service);
//! assert_eq!(kmsd_sigv4::verify(&req, &auth, &key, now), Ok(()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What it is not (yet):
//! - no presigned URLs (`X-Amz-Signature` in the query string);
//! - no chunked or streaming payloads (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`),
//!   no `UNSIGNED-PAYLOAD`: the whole body is hashed;
//! - no SigV4a, no S3 flavour of canonicalisation (S3 neither normalises nor
//!   double-encodes the path);
//! - the `Date` header is not accepted in place of `X-Amz-Date`;
//! - session tokens (`X-Amz-Security-Token`) and the region and service of
//!   the scope are the server's to check ([`Authorization::check_scope`]).
#![forbid(unsafe_code)]

mod authorization;
mod cache;
mod canonical;
mod error;
mod hex;
mod percent;
mod sign;
mod signing_key;
mod timestamp;
mod verify;

pub use authorization::{ALGORITHM, Authorization, TERMINATOR, parse_authorization};
pub use cache::SigningKeyCache;
pub use canonical::{RequestParts, canonical_query_string, canonical_request, canonical_uri};
pub use error::{
    INCOMPLETE_SIGNATURE, INVALID_SIGNATURE, MISSING_AUTHENTICATION_TOKEN,
    SIGNATURE_MISMATCH_MESSAGE, SigV4Error, UNRECOGNIZED_CLIENT,
};
pub use sign::{SigningScope, authorization_header};
pub use signing_key::{SigningKey, derive_signing_key};
pub use timestamp::{epoch_to_wire_date, wire_date_to_epoch};
pub use verify::{MAX_SKEW_SECONDS, precheck, verify};
