//! End-to-end tests of the AWS KMS API: every test boots a real `kmsd serve --dev` on port 0
//! with its own data directory and talks to it with the unmodified Rust AWS SDK.
//!
//! One integration test binary (the kanidm / ripgrep layout): this file is the crate root and
//! the modules live in `tests/api/`.

// Test code: a failed expectation is a test failure, so panicking on it is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "api/harness.rs"]
mod harness;
#[path = "api/json.rs"]
mod json;

#[path = "api/aliases.rs"]
mod aliases;
#[path = "api/asymmetric.rs"]
mod asymmetric;
#[path = "api/audit.rs"]
mod audit;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/crypto.rs"]
mod crypto;
#[path = "api/dev.rs"]
mod dev;
#[path = "api/durability.rs"]
mod durability;
#[path = "api/grants.rs"]
mod grants;
#[path = "api/identity.rs"]
mod identity;
#[path = "api/keys.rs"]
mod keys;
#[path = "api/lifecycle.rs"]
mod lifecycle;
#[path = "api/protocol.rs"]
mod protocol;
#[path = "api/sigv4.rs"]
mod sigv4;
#[path = "api/tags_policy.rs"]
mod tags_policy;
#[path = "api/throttle.rs"]
mod throttle;
