//! `KeyMetadata` as DescribeKey and CreateKey return it.

use crate::key_cache::CachedKey;
use kmsd_model::{
    AccountId, BackingKeyId, EncryptionAlgorithm, KeyId, KeyManager, KeySpec, KeyState, KeyUsage,
    Origin, Timestamp,
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
    pub encryption_algorithms: Vec<EncryptionAlgorithm>,
    pub multi_region: bool,
    pub current_key_material_id: Option<BackingKeyId>,
}

impl KeyMetadata {
    pub(crate) fn of(key: &CachedKey) -> KeyMetadata {
        let r = &key.record;
        let encryption_algorithms = match (r.key_usage, r.key_spec) {
            (KeyUsage::EncryptDecrypt, KeySpec::SymmetricDefault) => {
                vec![EncryptionAlgorithm::SymmetricDefault]
            }
            (KeyUsage::EncryptDecrypt, _) => {
                vec![
                    EncryptionAlgorithm::RsaesOaepSha1,
                    EncryptionAlgorithm::RsaesOaepSha256,
                ]
            }
            _ => Vec::new(),
        };
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
            encryption_algorithms,
            multi_region: r.key_id.is_multi_region(),
            current_key_material_id: symmetric_material.then_some(r.current_backing_key),
        }
    }
}
