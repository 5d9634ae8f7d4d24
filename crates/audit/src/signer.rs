//! Who signs digest records, and who checks them.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::hmac;

use crate::hex;

/// Signs and verifies digest records. The writer holds one; the verifier looks them up by
/// [`key_id`](DigestSigner::key_id) through [`DigestKeys`].
pub trait DigestSigner: Send + Sync {
    /// Written into every digest so a verifier can find the key (e.g. `domain-key/v3`).
    fn key_id(&self) -> &str;
    /// Written into every digest, e.g. `HMAC-SHA256`.
    fn algorithm(&self) -> &str;
    fn sign(&self, message: &[u8]) -> Vec<u8>;
    /// Constant-time where the algorithm allows.
    fn verify(&self, message: &[u8], signature: &[u8]) -> bool;
}

impl<S: DigestSigner + ?Sized> DigestSigner for Arc<S> {
    fn key_id(&self) -> &str {
        (**self).key_id()
    }

    fn algorithm(&self) -> &str {
        (**self).algorithm()
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        (**self).sign(message)
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        (**self).verify(message, signature)
    }
}

/// HMAC-SHA-256 under a 32-byte key. The server derives the key from the keyring's domain key
/// (e.g. HKDF with info `kmsd audit digest`), so any node holding the keyring can verify.
pub struct HmacDigestSigner {
    key_id: String,
    key: hmac::Key,
}

/// The algorithm name [`HmacDigestSigner`] writes into digests.
pub const HMAC_SHA256: &str = "HMAC-SHA256";

impl HmacDigestSigner {
    pub fn new(key_id: impl Into<String>, key: &[u8; 32]) -> HmacDigestSigner {
        HmacDigestSigner {
            key_id: key_id.into(),
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// Names the key by its fingerprint: `hmac-sha256:` and 16 hex digits of an HMAC of a
    /// fixed label, so the id reveals nothing about the key.
    pub fn with_fingerprint_id(key: &[u8; 32]) -> HmacDigestSigner {
        let hkey = hmac::Key::new(hmac::HMAC_SHA256, key);
        let tag = hmac::sign(&hkey, b"kmsd-audit key id");
        let key_id = format!("hmac-sha256:{}", hex::encode(&tag.as_ref()[..8]));
        HmacDigestSigner { key_id, key: hkey }
    }
}

impl fmt::Debug for HmacDigestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacDigestSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl DigestSigner for HmacDigestSigner {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn algorithm(&self) -> &str {
        HMAC_SHA256
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        hmac::sign(&self.key, message).as_ref().to_vec()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        hmac::verify(&self.key, message, signature).is_ok()
    }
}

/// The keys a verifier accepts, by key id. Every [`DigestSigner`] is a set of one; a trail
/// written across domain-key rotations needs a [`DigestKeySet`] of every version.
pub trait DigestKeys {
    fn signer_for(&self, key_id: &str) -> Option<&dyn DigestSigner>;
}

impl<S: DigestSigner> DigestKeys for S {
    fn signer_for(&self, key_id: &str) -> Option<&dyn DigestSigner> {
        (self.key_id() == key_id).then_some(self as &dyn DigestSigner)
    }
}

impl DigestKeys for dyn DigestSigner {
    fn signer_for(&self, key_id: &str) -> Option<&dyn DigestSigner> {
        (self.key_id() == key_id).then_some(self)
    }
}

/// Several verification keys (e.g. one per domain-key version).
#[derive(Clone, Default)]
pub struct DigestKeySet {
    signers: Vec<Arc<dyn DigestSigner>>,
}

impl DigestKeySet {
    pub fn new(signers: Vec<Arc<dyn DigestSigner>>) -> DigestKeySet {
        DigestKeySet { signers }
    }

    pub fn push(&mut self, signer: Arc<dyn DigestSigner>) {
        self.signers.push(signer);
    }
}

impl fmt::Debug for DigestKeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.signers.iter().map(|s| s.key_id().to_owned()))
            .finish()
    }
}

impl DigestKeys for DigestKeySet {
    fn signer_for(&self, key_id: &str) -> Option<&dyn DigestSigner> {
        self.signers
            .iter()
            .find(|s| s.key_id() == key_id)
            .map(|s| s.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_signs_and_verifies() {
        let signer = HmacDigestSigner::new("k1", &[7u8; 32]);
        let sig = signer.sign(b"message");
        assert_eq!(sig.len(), 32);
        assert!(signer.verify(b"message", &sig));
        assert!(!signer.verify(b"messagE", &sig));
        let other = HmacDigestSigner::new("k1", &[8u8; 32]);
        assert!(!other.verify(b"message", &sig));
        assert!(format!("{signer:?}").contains("k1"));

        let a = HmacDigestSigner::with_fingerprint_id(&[7u8; 32]);
        let b = HmacDigestSigner::with_fingerprint_id(&[8u8; 32]);
        assert!(a.key_id().starts_with("hmac-sha256:"));
        assert_ne!(a.key_id(), b.key_id());

        let set = DigestKeySet::new(vec![Arc::new(signer), Arc::new(b)]);
        assert!(set.signer_for("k1").is_some());
        assert!(set.signer_for("k2").is_none());
    }
}
