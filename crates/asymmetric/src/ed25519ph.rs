//! Ed25519ph (RFC 8032 §5.1, HashEdDSA with SHA-512 and an empty context) over a SHA-512 hash
//! the caller already computed: AWS's `ED25519_PH_SHA_512` with `MessageType::Digest`.
//!
//! aws-lc-rs has no HashEdDSA, so this uses ed25519-dalek. Its prehash API takes a hasher
//! *state* and only ever calls `finalize` on it; [`PrecomputedSha512`] is a "hasher" whose
//! output is the 64 bytes it was built from, which lets the caller's digest in as is.

use digest::consts::U64;
use digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Update};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

/// A finished SHA-512 value standing in for a SHA-512 hasher whose `finalize` returns it.
#[derive(Clone)]
pub(crate) struct PrecomputedSha512 {
    digest: [u8; 64],
}

impl Default for PrecomputedSha512 {
    fn default() -> Self {
        PrecomputedSha512 { digest: [0; 64] }
    }
}

impl PrecomputedSha512 {
    pub(crate) fn new(digest: [u8; 64]) -> Self {
        PrecomputedSha512 { digest }
    }
}

impl HashMarker for PrecomputedSha512 {}

impl OutputSizeUser for PrecomputedSha512 {
    type OutputSize = U64;
}

impl Update for PrecomputedSha512 {
    /// Never called by ed25519-dalek's prehash functions (they only finalize). Absorbing more
    /// input into an already-finished hash has no meaning, so the value stays as it was built.
    fn update(&mut self, _data: &[u8]) {}
}

impl FixedOutput for PrecomputedSha512 {
    fn finalize_into(self, out: &mut Output<Self>) {
        out.copy_from_slice(&self.digest);
    }
}

/// Ed25519ph signature of a SHA-512 `digest` (empty context).
pub(crate) fn sign(key: &SigningKey, digest: [u8; 64]) -> Option<[u8; 64]> {
    key.sign_prehashed(PrecomputedSha512::new(digest), None)
        .ok()
        .map(|s| s.to_bytes())
}

/// Whether `signature` is a valid Ed25519ph signature of the SHA-512 `digest` (empty context).
pub(crate) fn verify(key: &VerifyingKey, digest: [u8; 64], signature: &[u8]) -> bool {
    let Ok(signature) = Signature::from_slice(signature) else {
        return false;
    };
    key.verify_prehashed(PrecomputedSha512::new(digest), None, &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use digest::Digest;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 8032 §7.3, test vector "TEST abc".
    #[test]
    fn rfc8032_ed25519ph_vector() {
        let secret: [u8; 32] =
            hex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
                .try_into()
                .unwrap();
        let public = hex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf");
        let expected = hex(concat!(
            "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41",
            "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
        ));
        let key = SigningKey::from_bytes(&secret);
        assert_eq!(key.verifying_key().as_bytes().as_slice(), public.as_slice());
        let digest: [u8; 64] = ed25519_dalek::Sha512::digest(b"abc").into();
        let signature = sign(&key, digest).unwrap();
        assert_eq!(signature.as_slice(), expected.as_slice());
        assert!(verify(&key.verifying_key(), digest, &signature));
        let mut other = digest;
        other[0] ^= 1;
        assert!(!verify(&key.verifying_key(), other, &signature));
        assert!(!verify(&key.verifying_key(), digest, &signature[..63]));
    }

    #[test]
    fn same_signature_as_a_real_sha512_hasher() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let message = b"a message hashed by the client";
        let mut hasher = ed25519_dalek::Sha512::new();
        Digest::update(&mut hasher, message);
        let reference = key.sign_prehashed(hasher, None).unwrap().to_bytes();
        let digest: [u8; 64] = ed25519_dalek::Sha512::digest(message).into();
        assert_eq!(sign(&key, digest).unwrap(), reference);
    }
}
