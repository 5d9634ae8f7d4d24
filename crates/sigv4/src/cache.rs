//! A bounded cache of derived signing keys, so verifying costs one HMAC
//! chain per access key, day, region and service rather than per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::{SigningKey, derive_signing_key};

/// Derived signing keys by access key id, then `(date, region, service)`.
///
/// It holds derived keys only, never a secret. It is not an authority on
/// whether an access key is valid: look the access key up (and check it is
/// active) on every request, then ask the cache for its signing key; call
/// [`SigningKeyCache::remove_access_key`] when a key is deactivated or
/// deleted. Bounded: when it holds `capacity` keys and needs another, it
/// empties itself first (keys are cheap to derive again).
#[derive(Debug)]
pub struct SigningKeyCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Access key id → scope key (see [`scope_key`]) → signing key.
    by_access_key: HashMap<String, HashMap<String, Arc<SigningKey>>>,
    len: usize,
    /// Bumped by every removal, so a key derived from a secret read before a
    /// removal is not cached after it.
    generation: u64,
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` signing keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The signing key of `access_key_id` (whose secret is `secret`) for
    /// `date`, `region` and `service`, derived only if not cached.
    pub fn get_or_derive(
        &self,
        access_key_id: &str,
        secret: &[u8],
        date: &str,
        region: &str,
        service: &str,
    ) -> Arc<SigningKey> {
        let scope = scope_key(date, region, service);
        let generation = {
            let inner = self.lock();
            if let Some(key) = inner
                .by_access_key
                .get(access_key_id)
                .and_then(|scopes| scopes.get(&scope))
            {
                return Arc::clone(key);
            }
            inner.generation
        };

        // Derive outside the lock: five HMACs need not hold up other requests.
        let key = Arc::new(derive_signing_key(secret, date, region, service));

        let mut inner = self.lock();
        if inner.generation != generation {
            return key;
        }
        if let Some(existing) = inner
            .by_access_key
            .get(access_key_id)
            .and_then(|scopes| scopes.get(&scope))
        {
            return Arc::clone(existing);
        }
        if inner.len >= self.capacity {
            inner.by_access_key.clear();
            inner.len = 0;
        }
        inner
            .by_access_key
            .entry(access_key_id.to_owned())
            .or_default()
            .insert(scope, Arc::clone(&key));
        inner.len += 1;
        key
    }

    /// Forgets every signing key of `access_key_id`.
    pub fn remove_access_key(&self, access_key_id: &str) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        if let Some(scopes) = inner.by_access_key.remove(access_key_id) {
            inner.len -= scopes.len();
        }
    }

    /// Forgets every signing key.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation = inner.generation.wrapping_add(1);
        inner.by_access_key.clear();
        inner.len = 0;
    }

    /// How many signing keys are cached.
    pub fn len(&self) -> usize {
        self.lock().len
    }

    /// Whether no signing key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The cache is consistent after any panic (every update is a single
        // map operation plus its count), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One unambiguous string for `(date, region, service)`, whatever they hold.
fn scope_key(date: &str, region: &str, service: &str) -> String {
    format!("{}:{}:{date}{region}{service}", date.len(), region.len())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn same(a: &Arc<SigningKey>, b: &Arc<SigningKey>) -> bool {
        Arc::ptr_eq(a, b)
    }

    #[test]
    fn derives_once_per_scope() {
        let cache = SigningKeyCache::new(16);
        let a = cache.get_or_derive("AKID", b"secret", "20150830", "us-east-1", "kms");
        let b = cache.get_or_derive("AKID", b"secret", "20150830", "us-east-1", "kms");
        assert!(same(&a, &b));
        assert_eq!(cache.len(), 1);
        let data = b"string to sign";
        let fresh = derive_signing_key(b"secret", "20150830", "us-east-1", "kms");
        assert_eq!(a.sign(data), fresh.sign(data));

        let other_day = cache.get_or_derive("AKID", b"secret", "20150831", "us-east-1", "kms");
        let other_region = cache.get_or_derive("AKID", b"secret", "20150830", "eu-west-1", "kms");
        let other_service = cache.get_or_derive("AKID", b"secret", "20150830", "us-east-1", "sts");
        let other_key = cache.get_or_derive("AKID2", b"secret", "20150830", "us-east-1", "kms");
        for k in [&other_day, &other_region, &other_service, &other_key] {
            assert!(!same(&a, k));
        }
        assert_ne!(other_day.sign(data), a.sign(data));
        assert_ne!(other_region.sign(data), a.sign(data));
        assert_ne!(other_service.sign(data), a.sign(data));
        assert_eq!(cache.len(), 5);
    }

    #[test]
    fn scope_keys_do_not_collide() {
        assert_ne!(scope_key("ab", "c", "d"), scope_key("a", "bc", "d"));
        assert_ne!(scope_key("a", "bc", "d"), scope_key("a", "b", "cd"));
    }

    #[test]
    fn removes_one_access_key() {
        let cache = SigningKeyCache::new(16);
        let a = cache.get_or_derive("AKID", b"secret", "20150830", "us-east-1", "kms");
        cache.get_or_derive("AKID", b"secret", "20150831", "us-east-1", "kms");
        let b = cache.get_or_derive("OTHER", b"secret2", "20150830", "us-east-1", "kms");
        assert_eq!(cache.len(), 3);
        cache.remove_access_key("AKID");
        assert_eq!(cache.len(), 1);
        assert!(same(
            &b,
            &cache.get_or_derive("OTHER", b"secret2", "20150830", "us-east-1", "kms")
        ));
        let again = cache.get_or_derive("AKID", b"new secret", "20150830", "us-east-1", "kms");
        assert!(!same(&a, &again));
        assert_ne!(a.sign(b"x"), again.sign(b"x"));
        cache.remove_access_key("never seen");
        assert_eq!(cache.len(), 2);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn stays_within_capacity() {
        let cache = SigningKeyCache::new(3);
        for i in 0..10 {
            cache.get_or_derive(
                &format!("AKID{i}"),
                b"secret",
                "20150830",
                "us-east-1",
                "kms",
            );
            assert!(cache.len() <= 3);
        }
        let zero = SigningKeyCache::new(0);
        zero.get_or_derive("AKID", b"secret", "20150830", "us-east-1", "kms");
        assert_eq!(zero.len(), 1);
    }

    #[test]
    fn shared_between_threads() {
        let cache = Arc::new(SigningKeyCache::new(64));
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for i in 0..50 {
                        let id = format!("AKID{}", i % 8);
                        let k =
                            cache.get_or_derive(&id, id.as_bytes(), "20150830", "us-east-1", "kms");
                        let fresh =
                            derive_signing_key(id.as_bytes(), "20150830", "us-east-1", "kms");
                        assert_eq!(k.sign(b"x"), fresh.sign(b"x"));
                        if (i + t) % 17 == 0 {
                            cache.remove_access_key(&id);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(cache.len() <= 8);
    }
}
