//! Domain types shared by every kmsd crate.
//!
//! Everything here is plain data: parsed once at the edge (the protocol layer) and
//! handled as typed values from then on. No IO, no crypto, no wire format.
#![forbid(unsafe_code)]

pub mod calendar;
mod context;
mod enums;
mod grant;
mod ids;
mod principal;
mod time;

pub use context::{EncryptionContext, EncryptionContextError};
pub use enums::{
    DataKeyPairSpec, DataKeySpec, EncryptionAlgorithm, GrantOperation, KeyAgreementAlgorithm,
    KeyManager, KeySpec, KeyState, KeyUsage, KeyUsageOperation, MacAlgorithm, MessageType, Origin,
    RotationType, SigningAlgorithm, UnknownEnumValue,
};
pub use grant::{GrantConstraints, GrantId, InvalidGrantId, normalize_operations};
pub use ids::{
    AccountId, AliasArn, AliasName, BackingKeyId, IdError, KeyArn, KeyId, KeyReference, Region,
    UuidText,
};
pub use principal::{Principal, PrincipalKind};
pub use time::Timestamp;

/// A resource tag: key 1–128 characters, value 0–256 (checked at the edge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}
