//! Cached policy verdicts: what the key policy and the caller's IAM policies said about one
//! principal doing one action on one key.
//!
//! A verdict is cached only when no policy involved reads the request's condition context (no
//! `Condition`, no policy variables), so the same (principal, key, action) always gets the same
//! answer while the policies stay the same. Each entry remembers the key's cache generation
//! (which changes with its policy, grants, tags or aliases) and the IAM policy epoch (which
//! changes with every IAM write, group memberships included); an entry from an older
//! generation or epoch is never used. Grants are not part of the verdict: they are looked at
//! per request, after the verdict, from the key's cache entry.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::RwLock;

use kmsd_model::KeyId;

/// What the policies say, before grants are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyVerdict {
    Allow,
    /// An explicit deny: grants cannot override it.
    Deny(DenyReason),
    /// No policy allows; a grant still may.
    NoAllow(DenyReason),
}

/// Why a request is refused, in AWS's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DenyReason {
    NoKeyPolicy,
    KeyPolicyDeny,
    KeyPolicyNoAllow,
    IdentityDeny,
    IdentityNoAllow,
}

impl DenyReason {
    pub fn explain(self, action: &str) -> String {
        match self {
            DenyReason::NoKeyPolicy => {
                "because no resource-based policy allows the action".to_owned()
            }
            DenyReason::KeyPolicyDeny => {
                "with an explicit deny in a resource-based policy".to_owned()
            }
            DenyReason::KeyPolicyNoAllow => {
                format!("because no resource-based policy allows the {action} action")
            }
            DenyReason::IdentityDeny => {
                "with an explicit deny in an identity-based policy".to_owned()
            }
            DenyReason::IdentityNoAllow => {
                format!("because no identity-based policy allows the {action} action")
            }
        }
    }
}

struct Entry {
    principal: String,
    key_id: KeyId,
    action: String,
    key_generation: u64,
    iam_epoch: u64,
    verdict: PolicyVerdict,
}

/// A bounded map of verdicts. When full it starts over: verdicts are cheap to recompute.
pub(crate) struct DecisionCache {
    entries: RwLock<HashMap<u64, Entry>>,
    capacity: usize,
}

fn slot(principal: &str, key_id: &KeyId, action: &str) -> u64 {
    let mut h = DefaultHasher::new();
    principal.hash(&mut h);
    key_id.hash(&mut h);
    action.hash(&mut h);
    h.finish()
}

impl DecisionCache {
    pub fn new(capacity: usize) -> DecisionCache {
        DecisionCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    pub fn get(
        &self,
        principal: &str,
        key_id: &KeyId,
        action: &str,
        key_generation: u64,
        iam_epoch: u64,
    ) -> Option<PolicyVerdict> {
        let entries = self.entries.read().ok()?;
        let e = entries.get(&slot(principal, key_id, action))?;
        (e.key_generation == key_generation
            && e.iam_epoch == iam_epoch
            && e.key_id == *key_id
            && e.action == action
            && e.principal == principal)
            .then_some(e.verdict)
    }

    pub fn insert(
        &self,
        principal: &str,
        key_id: &KeyId,
        action: &str,
        key_generation: u64,
        iam_epoch: u64,
        verdict: PolicyVerdict,
    ) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(
            slot(principal, key_id, action),
            Entry {
                principal: principal.to_owned(),
                key_id: *key_id,
                action: action.to_owned(),
                key_generation,
                iam_epoch,
                verdict,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KeyId {
        KeyId::from_random([7; 16])
    }

    #[test]
    fn a_verdict_is_used_only_for_its_generation_and_epoch() {
        let cache = DecisionCache::new(10);
        let alice = "arn:aws:iam::111122223333:user/alice";
        cache.insert(alice, &key(), "kms:Encrypt", 3, 9, PolicyVerdict::Allow);
        assert_eq!(
            cache.get(alice, &key(), "kms:Encrypt", 3, 9),
            Some(PolicyVerdict::Allow)
        );
        assert_eq!(cache.get(alice, &key(), "kms:Encrypt", 4, 9), None);
        assert_eq!(cache.get(alice, &key(), "kms:Encrypt", 3, 10), None);
        assert_eq!(cache.get(alice, &key(), "kms:Decrypt", 3, 9), None);
        assert_eq!(
            cache.get(
                "arn:aws:iam::111122223333:user/bob",
                &key(),
                "kms:Encrypt",
                3,
                9
            ),
            None
        );
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = DecisionCache::new(4);
        for i in 0..100 {
            cache.insert(
                &format!("p{i}"),
                &key(),
                "kms:Encrypt",
                0,
                0,
                PolicyVerdict::Allow,
            );
        }
        assert!(cache.entries.read().unwrap().len() <= 4);
    }
}
