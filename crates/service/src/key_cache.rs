//! Keys in memory: metadata plus every backing key unwrapped (or, for asymmetric and HMAC keys,
//! the parsed private or HMAC key), so the crypto operations never touch the store or parse key
//! material. Bounded; an evicted entry's key material is zeroized when its last user drops it
//! (backing keys, private keys and HMAC keys are zeroizing types).

use crate::asymmetric::KeyMaterial;
use kmsd_asymmetric::{HmacKey, PrivateKey};
use kmsd_crypto::BackingKey;
use kmsd_model::{BackingKeyId, KeyId};
use kmsd_store::KeyRecord;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// One key as the operations see it.
#[derive(Debug)]
pub(crate) struct CachedKey {
    pub record: KeyRecord,
    /// The key ARN, rendered once.
    pub arn: String,
    /// SYMMETRIC_DEFAULT keys' material, every version; empty for other keys.
    pub backing_keys: HashMap<BackingKeyId, BackingKey>,
    /// Asymmetric and HMAC keys' material, parsed once.
    pub material: KeyMaterial,
    /// The key policy, parsed once; `None` if the stored document no longer parses (then
    /// nothing is allowed).
    pub policy: Option<kmsd_policy::PolicyDocument>,
    /// The key's grants, indexed by grantee.
    pub grants: crate::grants::KeyGrants,
    /// For `aws:ResourceTag/…`.
    pub tags: Vec<kmsd_model::Tag>,
    /// The key's alias names, for `kms:ResourceAliases`.
    pub aliases: Vec<String>,
    /// The cache epoch this entry was loaded under: a change to the key (its policy, grants,
    /// tags or aliases) replaces the entry, so decisions cached for an older generation are
    /// never used again.
    pub generation: u64,
}

impl CachedKey {
    /// The backing key that encrypts new data.
    pub fn current_backing_key(&self) -> Option<&BackingKey> {
        self.backing_keys.get(&self.record.current_backing_key)
    }

    /// The private key of an asymmetric key.
    pub fn private_key(&self) -> Option<&PrivateKey> {
        match &self.material {
            KeyMaterial::Private(key) => Some(key),
            _ => None,
        }
    }

    /// The key of an HMAC key.
    pub fn hmac_key(&self) -> Option<&HmacKey> {
        match &self.material {
            KeyMaterial::Hmac(key) => Some(key),
            _ => None,
        }
    }

    pub fn is_symmetric(&self) -> bool {
        self.record.key_spec == kmsd_model::KeySpec::SymmetricDefault
    }
}

/// A bounded map from key id to cached key, with an epoch that makes invalidation safe against
/// a concurrent load: a loader notes the epoch before reading the store and inserts only if no
/// invalidation happened meanwhile.
pub(crate) struct KeyCache {
    entries: RwLock<HashMap<KeyId, Arc<CachedKey>>>,
    epoch: AtomicU64,
    capacity: usize,
}

impl KeyCache {
    pub fn new(capacity: usize) -> KeyCache {
        KeyCache {
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
            capacity,
        }
    }

    pub fn get(&self, key_id: &KeyId) -> Option<Arc<CachedKey>> {
        self.entries.read().ok()?.get(key_id).cloned()
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Caches `entry` unless something was invalidated since `epoch` was read.
    pub fn insert_if_unchanged(&self, entry: Arc<CachedKey>, epoch: u64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= self.capacity {
            // Evict an arbitrary entry; good enough until access patterns say otherwise.
            if let Some(victim) = entries.keys().next().copied() {
                entries.remove(&victim);
            }
        }
        entries.insert(entry.record.key_id, entry);
    }

    /// Drops a key from the cache after its stored state changed.
    pub fn invalidate(&self, key_id: &KeyId) {
        if let Ok(mut entries) = self.entries.write() {
            self.epoch.fetch_add(1, Ordering::AcqRel);
            entries.remove(key_id);
        }
    }
}
