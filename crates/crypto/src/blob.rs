//! The ciphertext blob that Encrypt returns and Decrypt takes.
//!
//! Layout (format v1), all fixed-size so the header parses without any key:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | format version (`0x01`) |
//! | 1 | 1 | flags (bit 0: multi-Region key id) |
//! | 2 | 16 | key id |
//! | 18 | 32 | backing-key id |
//! | 50 | 32 | message nonce (random) |
//! | 82 | n | AES-256-GCM ciphertext |
//! | 82+n | 16 | GCM tag |
//!
//! Each message gets its own AES key: HKDF-SHA256(backing key, salt = message nonce,
//! info = "kmsd/blob/v1"). A fresh key per message lifts GCM's 2^32 random-nonce limit off
//! the backing key, so the GCM nonce itself can be fixed. The associated data is the header
//! (bytes 0..82) followed by the canonical encryption context, so changing any byte, or
//! presenting another context, fails authentication.

use crate::{BackingKey, CryptoError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use aws_lc_rs::rand::SecureRandom;
use kmsd_model::{BackingKeyId, EncryptionContext, KeyId};
use zeroize::Zeroizing;

const FORMAT_V1: u8 = 1;
const FLAG_MULTI_REGION: u8 = 1;
const HEADER_LEN: usize = 82;
const TAG_LEN: usize = 16;
const KDF_INFO: &[u8] = b"kmsd/blob/v1";

/// The blob fields readable without a key: which key and which version of its material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CiphertextHeader {
    pub key_id: KeyId,
    pub backing_key_id: BackingKeyId,
}

/// Reads the header of a blob. Fails on anything that is not a well-formed v1 blob.
pub fn parse_header(blob: &[u8]) -> Result<CiphertextHeader, CryptoError> {
    if blob.len() < HEADER_LEN + TAG_LEN
        || blob[0] != FORMAT_V1
        || blob[1] & !FLAG_MULTI_REGION != 0
    {
        return Err(CryptoError::Authentication);
    }
    let mut key_id = [0u8; 16];
    key_id.copy_from_slice(&blob[2..18]);
    let mut backing = [0u8; 32];
    backing.copy_from_slice(&blob[18..50]);
    Ok(CiphertextHeader {
        key_id: KeyId::from_bytes(key_id, blob[1] & FLAG_MULTI_REGION != 0),
        backing_key_id: BackingKeyId(backing),
    })
}

/// Encrypts `plaintext` under `key` (the current backing key of `key_id`), binding `context`.
pub fn seal_ciphertext(
    rng: &dyn SecureRandom,
    key_id: KeyId,
    key: &BackingKey,
    context: &EncryptionContext,
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut blob = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    blob.push(FORMAT_V1);
    blob.push(if key_id.is_multi_region() {
        FLAG_MULTI_REGION
    } else {
        0
    });
    blob.extend_from_slice(key_id.bytes());
    blob.extend_from_slice(&key.id().0);
    let nonce: [u8; 32] = crate::random_array(rng)?;
    blob.extend_from_slice(&nonce);
    let aad = associated_data(&blob, context);
    blob.extend_from_slice(plaintext);
    let message_key = message_key(key, &nonce)?;
    let tag = message_key
        .seal_in_place_separate_tag(fixed_nonce(), Aad::from(&aad), &mut blob[HEADER_LEN..])
        .map_err(|_| CryptoError::Authentication)?;
    blob.extend_from_slice(tag.as_ref());
    Ok(blob)
}

/// Decrypts a blob made by [`seal_ciphertext`]. `key` must be the backing key the header names.
pub fn open_ciphertext(
    key: &BackingKey,
    blob: &[u8],
    context: &EncryptionContext,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let header = parse_header(blob)?;
    if header.backing_key_id != key.id() {
        return Err(CryptoError::Authentication);
    }
    let mut nonce = [0u8; 32];
    nonce.copy_from_slice(&blob[50..HEADER_LEN]);
    let aad = associated_data(&blob[..HEADER_LEN], context);
    let message_key = message_key(key, &nonce)?;
    let mut body = Zeroizing::new(blob[HEADER_LEN..].to_vec());
    let len = message_key
        .open_in_place(fixed_nonce(), Aad::from(&aad), &mut body)
        .map_err(|_| CryptoError::Authentication)?
        .len();
    body.truncate(len);
    Ok(body)
}

fn associated_data(header: &[u8], context: &EncryptionContext) -> Vec<u8> {
    let canonical = context.canonical_bytes();
    let mut aad = Vec::with_capacity(header.len() + canonical.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(&canonical);
    aad
}

fn message_key(key: &BackingKey, nonce: &[u8; 32]) -> Result<LessSafeKey, CryptoError> {
    let prk = Salt::new(HKDF_SHA256, nonce).extract(key.material());
    let okm = prk
        .expand(&[KDF_INFO], &AES_256_GCM)
        .map_err(|_| CryptoError::Length)?;
    Ok(LessSafeKey::new(UnboundKey::from(okm)))
}

fn fixed_nonce() -> Nonce {
    Nonce::assume_unique_for_key([0u8; NONCE_LEN])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        EncryptionContext::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn key_id() -> KeyId {
        KeyId::from_random([3; 16])
    }

    #[test]
    fn round_trips_and_reports_its_header() {
        let rng = SystemRandom::new();
        let bk = BackingKey::generate(&rng).unwrap();
        let c = ctx(&[("purpose", "test")]);
        let blob = seal_ciphertext(&rng, key_id(), &bk, &c, b"hello").unwrap();
        assert_eq!(blob.len(), HEADER_LEN + 5 + TAG_LEN);
        let header = parse_header(&blob).unwrap();
        assert_eq!(header.key_id, key_id());
        assert_eq!(header.backing_key_id, bk.id());
        assert_eq!(&open_ciphertext(&bk, &blob, &c).unwrap()[..], b"hello");
    }

    #[test]
    fn the_context_must_match_exactly() {
        let rng = SystemRandom::new();
        let bk = BackingKey::generate(&rng).unwrap();
        let blob = seal_ciphertext(&rng, key_id(), &bk, &ctx(&[("a", "1")]), b"x").unwrap();
        assert!(open_ciphertext(&bk, &blob, &ctx(&[])).is_err());
        assert!(open_ciphertext(&bk, &blob, &ctx(&[("a", "2")])).is_err());
        assert!(open_ciphertext(&bk, &blob, &ctx(&[("a", "1"), ("b", "1")])).is_err());
        assert!(open_ciphertext(&bk, &blob, &ctx(&[("A", "1")])).is_err());
    }

    #[test]
    fn other_material_cannot_open() {
        let rng = SystemRandom::new();
        let bk = BackingKey::generate(&rng).unwrap();
        let other = BackingKey::generate(&rng).unwrap();
        let blob = seal_ciphertext(&rng, key_id(), &bk, &ctx(&[]), b"x").unwrap();
        assert!(open_ciphertext(&other, &blob, &ctx(&[])).is_err());
        // Same id, other material (a forged backing key) also fails.
        let forged = BackingKey::from_parts(bk.id(), Zeroizing::new([0u8; 32]));
        assert!(open_ciphertext(&forged, &blob, &ctx(&[])).is_err());
    }

    #[test]
    fn multi_region_ids_survive_the_header() {
        let rng = SystemRandom::new();
        let bk = BackingKey::generate(&rng).unwrap();
        let mrk = KeyId::from_bytes([5; 16], true);
        let blob = seal_ciphertext(&rng, mrk, &bk, &ctx(&[]), b"x").unwrap();
        assert_eq!(parse_header(&blob).unwrap().key_id, mrk);
    }

    #[test]
    fn short_or_foreign_blobs_are_rejected() {
        assert!(parse_header(&[]).is_err());
        assert!(parse_header(&[1u8; 97]).is_err());
        let mut v2 = vec![0u8; 120];
        v2[0] = 2;
        assert!(parse_header(&v2).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_altered_byte_fails(
            plaintext in proptest::collection::vec(any::<u8>(), 1..256),
            pairs in proptest::collection::btree_map("[a-z]{0,8}", "[a-z]{0,8}", 0..4),
            index in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let rng = SystemRandom::new();
            let bk = BackingKey::generate(&rng).unwrap();
            let c = EncryptionContext::new(pairs.into_iter().collect::<BTreeMap<_, _>>());
            let blob = seal_ciphertext(&rng, key_id(), &bk, &c, &plaintext).unwrap();
            prop_assert_eq!(&open_ciphertext(&bk, &blob, &c).unwrap()[..], &plaintext[..]);
            let mut bad = blob.clone();
            let i = index.index(bad.len());
            bad[i] ^= flip;
            prop_assert!(open_ciphertext(&bk, &bad, &c).is_err());
            prop_assert!(open_ciphertext(&bk, &blob[..blob.len() - 1], &c).is_err());
        }
    }
}
