//! The HTTP edge of kmsd: one listener serving the AWS JSON 1.1 protocol (KMS), `/health`, and
//! in development deployments the `/dev/` endpoints.
//!
//! Request path: listener → body (size-limited) → SigV4 → `X-Amz-Target` → decode + validate
//! → service operation → encode. **Architecture Invariant:** only this crate knows HTTP, JSON
//! member names and AWS error codes; errors become wire errors in `error.rs` alone.
#![forbid(unsafe_code)]

mod auth;
mod aws_query;
mod error;
mod http;
mod kms;
mod validate;

pub use http::{ServerOptions, Services, serve};
