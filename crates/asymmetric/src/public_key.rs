//! The public half of an asymmetric KMS key: GetPublicKey's DER SubjectPublicKeyInfo, Verify,
//! and RSA OAEP encryption.

use crate::algorithms::{
    self, Family, check_signing_request, check_usage, family, imported_digest, rsa_verification,
};
use crate::mldsa::{self, Level};
use crate::spec::{EncryptionAlgorithmSpec, KeySpec, KeyUsage, MessageType, SigningAlgorithmSpec};
use crate::{AsymmetricError, Operation, Verification, ed25519ph};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{self, ParsedPublicKey, UnparsedPublicKey};
use std::fmt;
use std::sync::OnceLock;

/// A public key of one spec and usage, parsed from (and keeping) its DER
/// SubjectPublicKeyInfo.
pub struct PublicKey {
    spec: KeySpec,
    usage: KeyUsage,
    spki: Vec<u8>,
    inner: Inner,
}

enum Inner {
    /// RSA SIGN_VERIFY: verified per call (each algorithm is its own aws-lc-rs parameter set).
    RsaVerify,
    RsaEncrypt(rsa::OaepPublicEncryptingKey),
    Ecdsa(ParsedPublicKey),
    /// ECC KEY_AGREEMENT: the public key is only ever handed out.
    KeyAgreement,
    Ed25519 {
        parsed: ParsedPublicKey,
        prehash: ed25519_dalek::VerifyingKey,
    },
    MlDsa {
        parsed: ParsedPublicKey,
        level: Level,
        /// The raw (FIPS 204 pkEncode) key inside the SPKI, for EXTERNAL_MU.
        raw: Vec<u8>,
        /// The `ml-dsa` verifying key; made on first EXTERNAL_MU use.
        mu_key: OnceLock<Option<mldsa::MuVerifyingKey>>,
    },
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo as the public key of a `spec` key with `usage`.
    /// Refuses other encodings (raw points, PKCS#1), other key types or sizes, non-canonical
    /// DER, and spec/usage pairs KMS does not allow.
    pub fn from_spki(spec: KeySpec, usage: KeyUsage, spki: &[u8]) -> Result<Self, AsymmetricError> {
        if !spec.supports_usage(usage) {
            return Err(AsymmetricError::UnsupportedKeyUsage { spec, usage });
        }
        let bad = || AsymmetricError::InvalidPublicKey { spec };
        let inner = match family(spec) {
            Family::Rsa { bits, .. } => {
                let key = rsa::PublicEncryptingKey::from_der(spki).map_err(|_| bad())?;
                let der = key.as_der().map_err(|_| bad())?;
                if key.key_size_bits() != bits || der.as_ref() != spki {
                    return Err(AsymmetricError::InvalidPublicKey { spec });
                }
                match usage {
                    KeyUsage::EncryptDecrypt => Inner::RsaEncrypt(
                        rsa::OaepPublicEncryptingKey::new(key).map_err(|_| bad())?,
                    ),
                    _ => Inner::RsaVerify,
                }
            }
            Family::Ec(curve) => {
                let parsed = canonical(spec, curve.ecdsa_verification(), spki)?;
                match usage {
                    KeyUsage::KeyAgreement => Inner::KeyAgreement,
                    _ => Inner::Ecdsa(parsed),
                }
            }
            Family::Ed25519 => {
                let parsed = canonical(spec, &signature::ED25519, spki)?;
                let raw: &[u8; 32] = spki
                    .last_chunk()
                    .ok_or(AsymmetricError::InvalidPublicKey { spec })?;
                let prehash = ed25519_dalek::VerifyingKey::from_bytes(raw)
                    .map_err(|_| AsymmetricError::InvalidPublicKey { spec })?;
                Inner::Ed25519 { parsed, prehash }
            }
            Family::MlDsa(level) => {
                let parsed = canonical(spec, algorithms::ml_dsa_verification(level), spki)?;
                let len = algorithms::ml_dsa_signing(level).public_key_len();
                let start = spki
                    .len()
                    .checked_sub(len)
                    .ok_or(AsymmetricError::InvalidPublicKey { spec })?;
                Inner::MlDsa {
                    parsed,
                    level,
                    raw: spki[start..].to_vec(),
                    mu_key: OnceLock::new(),
                }
            }
            Family::Hmac => return Err(AsymmetricError::InvalidPublicKey { spec }),
        };
        Ok(PublicKey {
            spec,
            usage,
            spki: spki.to_vec(),
            inner,
        })
    }

    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    pub fn usage(&self) -> KeyUsage {
        self.usage
    }

    /// The DER SubjectPublicKeyInfo (GetPublicKey's `PublicKey`).
    pub fn spki(&self) -> &[u8] {
        &self.spki
    }

    /// Verifies `signature` over `message` (Verify). `Ok(Verification::Invalid)` for a
    /// signature that does not verify, whatever is wrong with it (malformed, truncated, another
    /// key's, another message's); `Err` for a request KMS refuses before verifying.
    pub fn verify(
        &self,
        algorithm: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<Verification, AsymmetricError> {
        check_signing_request(
            self.spec,
            self.usage,
            Operation::Verify,
            algorithm,
            message_type,
            message,
        )?;
        let valid = match (&self.inner, message_type) {
            (Inner::RsaVerify, MessageType::Raw) => {
                let params = rsa_verification(algorithm).ok_or(AsymmetricError::Internal)?;
                UnparsedPublicKey::new(params, &self.spki)
                    .verify(message, signature)
                    .is_ok()
            }
            (Inner::RsaVerify, MessageType::Digest) => {
                let params = rsa_verification(algorithm).ok_or(AsymmetricError::Internal)?;
                let digest = imported_digest(algorithm, message)?;
                UnparsedPublicKey::new(params, &self.spki)
                    .verify_digest(&digest, signature)
                    .is_ok()
            }
            (Inner::Ecdsa(key), MessageType::Raw) => key.verify_sig(message, signature).is_ok(),
            (Inner::Ecdsa(key), MessageType::Digest) => {
                let digest = imported_digest(algorithm, message)?;
                key.verify_digest_sig(&digest, signature).is_ok()
            }
            (Inner::Ed25519 { parsed, .. }, MessageType::Raw) => {
                parsed.verify_sig(message, signature).is_ok()
            }
            (Inner::Ed25519 { prehash, .. }, MessageType::Digest) => {
                let digest = message.try_into().map_err(|_| AsymmetricError::Internal)?;
                ed25519ph::verify(prehash, digest, signature)
            }
            (Inner::MlDsa { parsed, .. }, MessageType::Raw) => {
                parsed.verify_sig(message, signature).is_ok()
            }
            (
                Inner::MlDsa {
                    level, raw, mu_key, ..
                },
                MessageType::ExternalMu,
            ) => {
                let mu = message.try_into().map_err(|_| AsymmetricError::Internal)?;
                mu_key
                    .get_or_init(|| mldsa::MuVerifyingKey::new(*level, raw))
                    .as_ref()
                    .ok_or(AsymmetricError::Internal)?
                    .verify(mu, signature)
            }
            _ => return Err(AsymmetricError::Internal),
        };
        Ok(Verification::from_bool(valid))
    }

    /// Encrypts `plaintext` with RSA OAEP (Encrypt under an RSA ENCRYPT_DECRYPT key). The
    /// plaintext may be 1 to [`PublicKey::max_plaintext_len`] bytes.
    pub fn encrypt(
        &self,
        algorithm: EncryptionAlgorithmSpec,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AsymmetricError> {
        check_usage(self.usage, Operation::Encrypt)?;
        let Inner::RsaEncrypt(key) = &self.inner else {
            return Err(AsymmetricError::Internal);
        };
        let max = self.max_plaintext_len(algorithm)?;
        if plaintext.is_empty() || plaintext.len() > max {
            return Err(AsymmetricError::PlaintextLength {
                len: plaintext.len(),
                max,
            });
        }
        let mut ciphertext = vec![0u8; key.ciphertext_size()];
        let len = key
            .encrypt(
                algorithms::oaep(algorithm),
                plaintext,
                &mut ciphertext,
                None,
            )
            .map_err(|_| AsymmetricError::Internal)?
            .len();
        ciphertext.truncate(len);
        Ok(ciphertext)
    }

    /// The largest plaintext [`PublicKey::encrypt`] takes with `algorithm` (AWS's table).
    pub fn max_plaintext_len(
        &self,
        algorithm: EncryptionAlgorithmSpec,
    ) -> Result<usize, AsymmetricError> {
        check_usage(self.usage, Operation::Encrypt)?;
        algorithm
            .max_plaintext_len(self.spec)
            .ok_or(AsymmetricError::UnsupportedAlgorithm {
                spec: self.spec,
                algorithm: algorithm.as_str(),
            })
    }

    /// ML-DSA keys: the external μ of `message` (FIPS 204, empty context) — what a client
    /// computes and sends with `MessageType::ExternalMu`. `message` may be any length.
    pub fn ml_dsa_external_mu(&self, message: &[u8]) -> Result<[u8; 64], AsymmetricError> {
        let Inner::MlDsa { level, raw, .. } = &self.inner else {
            return Err(AsymmetricError::UnsupportedAlgorithm {
                spec: self.spec,
                algorithm: SigningAlgorithmSpec::MlDsaShake256.as_str(),
            });
        };
        mldsa::external_mu(*level, raw, message).ok_or(AsymmetricError::Internal)
    }
}

/// Parses `spki` for `algorithm` and insists it is exactly the DER SPKI aws-lc-rs would write
/// for that key (no raw keys, no trailing bytes, no alternative encodings).
fn canonical(
    spec: KeySpec,
    algorithm: &'static dyn signature::VerificationAlgorithm,
    spki: &[u8],
) -> Result<ParsedPublicKey, AsymmetricError> {
    let bad = || AsymmetricError::InvalidPublicKey { spec };
    let parsed = ParsedPublicKey::new(algorithm, spki).map_err(|_| bad())?;
    let der = parsed.as_der().map_err(|_| bad())?;
    if der.as_ref() != spki {
        return Err(bad());
    }
    Ok(parsed)
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("spec", &self.spec)
            .field("usage", &self.usage)
            .field("spki_len", &self.spki.len())
            .finish_non_exhaustive()
    }
}
