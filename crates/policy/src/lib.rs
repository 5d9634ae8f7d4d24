//! The IAM policy language, as AWS defines it: parse policy documents and evaluate requests
//! against them.
//!
//! This crate is the one place kmsd decides what a policy says. It handles identity-based
//! policies (inline and managed policies of IAM users, groups and roles) and resource-based
//! policies (KMS key policies, IAM role trust policies):
//!
//! * [`PolicyDocument::parse`] validates a document as IAM does (with messages that read like
//!   AWS's `MalformedPolicyDocument` ones) and compiles its patterns once.
//! * [`PolicyDocument::evaluate`] tells, for one [`Request`], whether a `Deny` applies, whether
//!   an `Allow` applies, and how a resource policy named the caller
//!   ([`AllowedPrincipalMatch`]).
//! * [`decide`] combines identity and resource policies with AWS's same-account logic.
//!
//! What it is not: there is no IO, no clock and no knowledge of where policies are stored, of
//! KMS operations, of grants, or of which condition keys a service sets — the caller builds
//! the [`ConditionContext`] (including `aws:CurrentTime`) and applies service-specific rules
//! such as KMS's "the key policy must allow".
//!
//! ```
//! use kmsd_policy::{ContextMap, PolicyDocument, PolicyKind, Principal, Request, AllowedPrincipalMatch};
//!
//! let policy = PolicyDocument::parse(
//!     r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
//!         "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
//!     PolicyKind::Resource,
//! )?;
//! let context = ContextMap::new();
//! let alice = Principal::new("arn:aws:iam::111122223333:user/alice", "111122223333");
//! let request = Request::new(alice, "kms:Encrypt", "arn:aws:kms:us-east-1:111122223333:key/k", &context);
//! let eval = policy.evaluate(&request);
//! assert_eq!(eval.allow, Some(AllowedPrincipalMatch::Account));
//! # Ok::<(), kmsd_policy::PolicyError>(())
//! ```
#![forbid(unsafe_code)]

mod action;
mod arn;
mod base64;
mod cidr;
mod condition;
mod context;
mod date;
mod document;
mod error;
mod evaluate;
mod glob;
mod json;
mod number;
mod principal;
mod resource;
mod variables;

pub use context::{ConditionContext, ContextMap, ContextValues, EmptyContext};
pub use document::{
    Effect, ParseOptions, PolicyDocument, PolicyKind, PrincipalElement, Statement, Version,
};
pub use error::PolicyError;
pub use evaluate::{Decision, Evaluation, Request, decide};
pub use principal::{AllowedPrincipalMatch, Principal, PrincipalEntry};
