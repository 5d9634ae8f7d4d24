//! The HTTP edge of kmsd: one listener serving the AWS JSON 1.1 protocol (KMS, and CloudTrail's
//! `LookupEvents` over the audit trail), the Query protocol (IAM, STS), `/health`, and in
//! development deployments the `/dev/` endpoints. Every API request is recorded in the audit
//! trail before it is answered (`audit_events`).
//!
//! Request path: listener → body (size-limited) → SigV4 → `X-Amz-Target` → decode + validate
//! → service operation → encode. **Architecture Invariant:** only this crate knows HTTP, JSON
//! member names and AWS error codes; errors become wire errors in `error.rs` alone.
#![forbid(unsafe_code)]

mod audit_events;
mod auth;
mod aws_query;
mod cloudtrail;
mod error;
mod http;
mod kms;
mod throttle;
mod validate;

pub use http::{ServerOptions, Services, serve};
pub use throttle::DEFAULT_REQUESTS_PER_SECOND;
