//! `KeyMetadata` as DescribeKey and CreateKey return it.

use crate::key_cache::CachedKey;
use kmsd_model::{
    AccountId, BackingKeyId, EncryptionAlgorithm, KeyAgreementAlgorithm, KeyId, KeyManager,
    KeySpec, KeyState, KeyUsage, MacAlgorithm, Origin, SigningAlgorithm, Timestamp,
};

/// The metadata of one key. Optional members are `None` exactly when AWS leaves them out.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyMetadata {
    pub account: AccountId,
    pub key_id: KeyId,
    pub arn: String,
    pub creation_date: Timestamp,
    pub enabled: bool,
    pub description: String,
    pub key_usage: KeyUsage,
    pub key_state: KeyState,
    pub deletion_date: Option<Timestamp>,
    pub origin: Origin,
    pub key_manager: KeyManager,
    pub key_spec: KeySpec,
    /// Each algorithm list is filled only for the key's usage (empty means absent).
    pub encryption_algorithms: Vec<EncryptionAlgorithm>,
    pub signing_algorithms: Vec<SigningAlgorithm>,
    pub mac_algorithms: Vec<MacAlgorithm>,
    pub key_agreement_algorithms: Vec<KeyAgreementAlgorithm>,
    pub multi_region: bool,
    pub current_key_material_id: Option<BackingKeyId>,
}

impl KeyMetadata {
    pub(crate) fn of(key: &CachedKey) -> KeyMetadata {
        let r = &key.record;
        let algorithms = crate::AlgorithmLists::of(r.key_spec, r.key_usage);
        let symmetric_material = r.key_spec == KeySpec::SymmetricDefault
            && matches!(r.origin, Origin::AwsKms | Origin::External);
        KeyMetadata {
            account: r.account.clone(),
            key_id: r.key_id,
            arn: key.arn.clone(),
            creation_date: r.created_at,
            enabled: r.state == KeyState::Enabled,
            description: r.description.clone(),
            key_usage: r.key_usage,
            key_state: r.state,
            deletion_date: if r.state == KeyState::PendingDeletion {
                r.deletion_date
            } else {
                None
            },
            origin: r.origin,
            key_manager: KeyManager::Customer,
            key_spec: r.key_spec,
            encryption_algorithms: algorithms.encryption,
            signing_algorithms: algorithms.signing,
            mac_algorithms: algorithms.mac,
            key_agreement_algorithms: algorithms.key_agreement,
            multi_region: r.key_id.is_multi_region(),
            current_key_material_id: symmetric_material.then_some(r.current_backing_key),
        }
    }
}
