//! HMAC KMS keys: GenerateMac and VerifyMac.

use crate::algorithms::check_message_len;
use crate::spec::{KeySpec, KeyUsage, MacAlgorithmSpec};
use crate::{AsymmetricError, Verification};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SecureRandom;
use std::fmt;
use zeroize::Zeroizing;

/// The key material of one HMAC KMS key (HMAC_224/256/384/512). Its only algorithm is the
/// HMAC of the same size; its usage is GENERATE_VERIFY_MAC.
///
/// `Debug` shows the spec only.
pub struct HmacKey {
    spec: KeySpec,
    algorithm: MacAlgorithmSpec,
    material: Zeroizing<Vec<u8>>,
    key: hmac::Key,
}

impl HmacKey {
    /// New random key material of the length KMS uses for `spec` (28, 32, 48 or 64 bytes).
    pub fn generate(spec: KeySpec, rng: &dyn SecureRandom) -> Result<Self, AsymmetricError> {
        let len = spec
            .hmac_key_len()
            .ok_or(AsymmetricError::UnsupportedKeyUsage {
                spec,
                usage: KeyUsage::GenerateVerifyMac,
            })?;
        let mut material = Zeroizing::new(vec![0u8; len]);
        rng.fill(&mut material)
            .map_err(|_| AsymmetricError::Random)?;
        Self::from_bytes(spec, &material)
    }

    /// Stored (or imported) key material for `spec`. Accepted lengths run from the spec's own
    /// size up to the hash's block size (64 bytes for HMAC_224/256, 128 for HMAC_384/512).
    pub fn from_bytes(spec: KeySpec, material: &[u8]) -> Result<Self, AsymmetricError> {
        let Some(&algorithm) = spec.mac_algorithms().first() else {
            return Err(AsymmetricError::UnsupportedKeyUsage {
                spec,
                usage: KeyUsage::GenerateVerifyMac,
            });
        };
        let min = algorithm.mac_len();
        let block = match algorithm {
            MacAlgorithmSpec::HmacSha224 | MacAlgorithmSpec::HmacSha256 => 64,
            MacAlgorithmSpec::HmacSha384 | MacAlgorithmSpec::HmacSha512 => 128,
        };
        if !(min..=block).contains(&material.len()) {
            return Err(AsymmetricError::InvalidKeyMaterial { spec });
        }
        Ok(HmacKey {
            spec,
            algorithm,
            material: Zeroizing::new(material.to_vec()),
            key: hmac::Key::new(aws_lc_algorithm(algorithm), material),
        })
    }

    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    /// The key material: what the service wraps and stores.
    pub fn material(&self) -> &[u8] {
        &self.material
    }

    /// The MAC of `message` (GenerateMac). `message` is 1–4096 bytes; `algorithm` must be the
    /// key's (HMAC_SHA_256 for an HMAC_256 key, …).
    pub fn generate_mac(
        &self,
        algorithm: MacAlgorithmSpec,
        message: &[u8],
    ) -> Result<Vec<u8>, AsymmetricError> {
        self.check(algorithm, message)?;
        Ok(hmac::sign(&self.key, message).as_ref().to_vec())
    }

    /// Whether `mac` is the MAC of `message` (VerifyMac), compared in constant time. A MAC of
    /// the wrong length is simply invalid.
    pub fn verify_mac(
        &self,
        algorithm: MacAlgorithmSpec,
        message: &[u8],
        mac: &[u8],
    ) -> Result<Verification, AsymmetricError> {
        self.check(algorithm, message)?;
        Ok(Verification::from_bool(
            hmac::verify(&self.key, message, mac).is_ok(),
        ))
    }

    fn check(&self, algorithm: MacAlgorithmSpec, message: &[u8]) -> Result<(), AsymmetricError> {
        check_message_len(message)?;
        if algorithm != self.algorithm {
            return Err(AsymmetricError::UnsupportedAlgorithm {
                spec: self.spec,
                algorithm: algorithm.as_str(),
            });
        }
        Ok(())
    }
}

fn aws_lc_algorithm(algorithm: MacAlgorithmSpec) -> hmac::Algorithm {
    match algorithm {
        MacAlgorithmSpec::HmacSha224 => hmac::HMAC_SHA224,
        MacAlgorithmSpec::HmacSha256 => hmac::HMAC_SHA256,
        MacAlgorithmSpec::HmacSha384 => hmac::HMAC_SHA384,
        MacAlgorithmSpec::HmacSha512 => hmac::HMAC_SHA512,
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacKey")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}
