//! The domain key and the encrypted key tokens (EKTs) it makes.
//!
//! An EKT is a backing key sealed with AES-256-GCM under one version of the domain key. The
//! associated data binds it to the key ARN, the backing-key id and the domain-key version, so a
//! token copied onto another key (or another version) fails to open.
//!
//! EKT layout (v1): `0x01 ‖ domain-key version (u32 BE) ‖ nonce (12) ‖ ciphertext (32) ‖ tag (16)`.

use crate::{BackingKey, CryptoError};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::SecureRandom;
use kmsd_model::BackingKeyId;
use zeroize::Zeroizing;

const EKT_FORMAT_V1: u8 = 1;
const EKT_LEN: usize = 1 + 4 + NONCE_LEN + 32 + 16;
const EKT_AAD_LABEL: &[u8] = b"kmsd/ekt/v1";
const SEALED_SECRET_LABEL: &[u8] = b"kmsd/secret/v1";

/// One version of the root of trust of a deployment. Zeroized on drop.
pub struct DomainKey {
    version: u32,
    key: LessSafeKey,
}

impl DomainKey {
    pub fn from_bytes(version: u32, bytes: &Zeroizing<[u8; 32]>) -> Result<DomainKey, CryptoError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes.as_ref()).map_err(|_| CryptoError::Length)?;
        Ok(DomainKey {
            version,
            key: LessSafeKey::new(unbound),
        })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// Wraps a backing key into an EKT bound to `binding`.
    pub fn wrap(
        &self,
        rng: &dyn SecureRandom,
        binding: &EktBinding<'_>,
        key: &BackingKey,
    ) -> Result<EncryptedKeyToken, CryptoError> {
        let aad = binding.aad(self.version);
        let sealed = self.seal(rng, &aad, key.material())?;
        Ok(EncryptedKeyToken(sealed))
    }

    /// Unwraps an EKT made by [`DomainKey::wrap`] for the same binding.
    pub fn unwrap(
        &self,
        binding: &EktBinding<'_>,
        token: &EncryptedKeyToken,
    ) -> Result<BackingKey, CryptoError> {
        if token.0.len() != EKT_LEN || token.domain_key_version() != Some(self.version) {
            return Err(CryptoError::Authentication);
        }
        let aad = binding.aad(self.version);
        let plain = self.open(&aad, &token.0)?;
        let mut material = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(CryptoError::Authentication);
        }
        material.copy_from_slice(&plain);
        Ok(BackingKey::from_parts(binding.backing_key_id, material))
    }

    /// Seals an arbitrary secret (e.g. a secret access key) for storage, bound to `purpose`.
    /// Same layout as an EKT but of any length.
    pub fn seal_secret(
        &self,
        rng: &dyn SecureRandom,
        purpose: &[u8],
        secret: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let aad = secret_aad(purpose, self.version);
        self.seal(rng, &aad, secret)
    }

    /// Opens what [`DomainKey::seal_secret`] sealed for the same purpose.
    pub fn open_secret(
        &self,
        purpose: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed_version(sealed) != Some(self.version) {
            return Err(CryptoError::Authentication);
        }
        let aad = secret_aad(purpose, self.version);
        self.open(&aad, sealed)
    }

    fn seal(
        &self,
        rng: &dyn SecureRandom,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let nonce: [u8; NONCE_LEN] = crate::random_array(rng)?;
        let mut out = Vec::with_capacity(5 + NONCE_LEN + plaintext.len() + 16);
        out.push(EKT_FORMAT_V1);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&nonce);
        let body_start = out.len();
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut out[body_start..],
            )
            .map_err(|_| CryptoError::Authentication)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < 5 + NONCE_LEN + 16 || sealed[0] != EKT_FORMAT_V1 {
            return Err(CryptoError::Authentication);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[5..5 + NONCE_LEN]);
        let mut body = Zeroizing::new(sealed[5 + NONCE_LEN..].to_vec());
        let plain_len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| CryptoError::Authentication)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }
}

impl std::fmt::Debug for DomainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

fn sealed_version(sealed: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = sealed.get(1..5)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

fn secret_aad(purpose: &[u8], version: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(SEALED_SECRET_LABEL.len() + 8 + purpose.len());
    aad.extend_from_slice(SEALED_SECRET_LABEL);
    aad.extend_from_slice(&(purpose.len() as u32).to_be_bytes());
    aad.extend_from_slice(purpose);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// What an EKT is bound to: the key ARN and the backing-key id.
#[derive(Debug, Clone, Copy)]
pub struct EktBinding<'a> {
    pub key_arn: &'a str,
    pub backing_key_id: BackingKeyId,
}

impl EktBinding<'_> {
    fn aad(&self, domain_key_version: u32) -> Vec<u8> {
        let mut aad = Vec::with_capacity(EKT_AAD_LABEL.len() + 4 + self.key_arn.len() + 36);
        aad.extend_from_slice(EKT_AAD_LABEL);
        aad.extend_from_slice(&(self.key_arn.len() as u32).to_be_bytes());
        aad.extend_from_slice(self.key_arn.as_bytes());
        aad.extend_from_slice(&self.backing_key_id.0);
        aad.extend_from_slice(&domain_key_version.to_be_bytes());
        aad
    }
}

/// A backing key wrapped under the domain key. The only form in which key material is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedKeyToken(pub Vec<u8>);

impl EncryptedKeyToken {
    /// The domain-key version that wrapped this token, if the token is well formed.
    pub fn domain_key_version(&self) -> Option<u32> {
        sealed_version(&self.0)
    }
}

impl std::fmt::Debug for EncryptedKeyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptedKeyToken({} bytes)", self.0.len())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;

    fn domain(version: u32, fill: u8) -> DomainKey {
        DomainKey::from_bytes(version, &Zeroizing::new([fill; 32])).unwrap()
    }

    #[test]
    fn ekt_round_trips_and_is_bound_to_its_key() {
        let rng = SystemRandom::new();
        let dk = domain(1, 7);
        let bk = BackingKey::generate(&rng).unwrap();
        let binding = EktBinding {
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/a",
            backing_key_id: bk.id(),
        };
        let ekt = dk.wrap(&rng, &binding, &bk).unwrap();
        assert_eq!(ekt.0.len(), EKT_LEN);
        assert_eq!(ekt.domain_key_version(), Some(1));
        let back = dk.unwrap(&binding, &ekt).unwrap();
        assert_eq!(back.material(), bk.material());
        // The material is not in the token in clear.
        assert!(!ekt.0.windows(32).any(|w| w == bk.material()));

        let other_arn = EktBinding {
            key_arn: "arn:aws:kms:us-east-1:111122223333:key/b",
            ..binding
        };
        assert_eq!(
            dk.unwrap(&other_arn, &ekt).unwrap_err(),
            CryptoError::Authentication
        );
        let other_id = EktBinding {
            backing_key_id: BackingKeyId([9; 32]),
            ..binding
        };
        assert!(dk.unwrap(&other_id, &ekt).is_err());
        assert!(domain(2, 7).unwrap(&binding, &ekt).is_err());
        assert!(domain(1, 8).unwrap(&binding, &ekt).is_err());
        for i in 0..ekt.0.len() {
            let mut bad = ekt.clone();
            bad.0[i] ^= 1;
            assert!(dk.unwrap(&binding, &bad).is_err(), "byte {i}");
        }
    }

    #[test]
    fn sealed_secrets_are_bound_to_their_purpose() {
        let rng = SystemRandom::new();
        let dk = domain(3, 1);
        let sealed = dk
            .seal_secret(&rng, b"access-key:AKIA1", b"s3cr3t")
            .unwrap();
        assert_eq!(
            &dk.open_secret(b"access-key:AKIA1", &sealed).unwrap()[..],
            b"s3cr3t"
        );
        assert!(dk.open_secret(b"access-key:AKIA2", &sealed).is_err());
    }
}
