//! The rows the store keeps, as typed values.

use kmsd_model::{
    AccountId, AliasName, BackingKeyId, GrantConstraints, GrantId, GrantOperation, KeyId, KeySpec,
    KeyState, KeyUsage, KeyUsageOperation, Origin, Region, RotationType, Timestamp,
};

/// One KMS key's metadata. Key material is never here: see [`BackingKeyRecord`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub key_id: KeyId,
    pub account: AccountId,
    pub region: Region,
    pub description: String,
    pub key_spec: KeySpec,
    pub key_usage: KeyUsage,
    pub origin: Origin,
    pub state: KeyState,
    pub created_at: Timestamp,
    /// Set only while the key is `PendingDeletion`.
    pub deletion_date: Option<Timestamp>,
    /// The key policy document, as the caller gave it (or the default).
    pub policy: String,
    /// The backing key that encrypts new data.
    pub current_backing_key: BackingKeyId,
    /// Automatic rotation, when enabled.
    pub rotation: Option<RotationSchedule>,
}

/// When a key rotates on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationSchedule {
    /// 90–2560.
    pub period_days: u32,
    /// When the scheduler rotates the key next.
    pub next_rotation_at: Timestamp,
}

/// The last successful cryptographic use of a key (GetKeyLastUsage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsageRecord {
    pub key_id: KeyId,
    pub used_at: Timestamp,
    pub operation: KeyUsageOperation,
    pub request_id: String,
}

/// One version of a key's material, stored only as an encrypted key token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackingKeyRecord {
    pub key_id: KeyId,
    pub backing_key_id: BackingKeyId,
    /// The backing key wrapped under the domain key (see the keyring crate). Never plaintext.
    pub encrypted_key_token: Vec<u8>,
    pub created_at: Timestamp,
    /// How this version came about; `None` for a key's first material.
    pub rotation_type: Option<RotationType>,
}

/// An alias: a friendly name pointing at one key of the same account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasRecord {
    pub account: AccountId,
    pub region: Region,
    pub name: AliasName,
    pub target_key_id: KeyId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A grant on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub grant_id: GrantId,
    pub key_id: KeyId,
    /// The caller's `Name`, which makes CreateGrant idempotent.
    pub name: Option<String>,
    /// The principal ARN the grant is for.
    pub grantee_principal: String,
    /// The principal ARN that may retire the grant, if any.
    pub retiring_principal: Option<String>,
    /// The account of the principal that created the grant.
    pub issuing_account: AccountId,
    /// In a fixed order, without repeats.
    pub operations: Vec<GrantOperation>,
    pub constraints: GrantConstraints,
    pub created_at: Timestamp,
}

pub use kmsd_model::Tag;
