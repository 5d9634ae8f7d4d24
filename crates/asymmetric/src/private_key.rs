//! The private half of an asymmetric KMS key: generation, PKCS#8 (what is wrapped and
//! stored), Sign, RSA OAEP Decrypt and ECDH DeriveSharedSecret.

use crate::algorithms::{
    self, Curve, Family, check_signing_request, check_usage, family, imported_digest,
};
use crate::mldsa::{self, Level};
use crate::spec::{
    EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec, KeySpec, KeyUsage, MessageType,
    SigningAlgorithmSpec,
};
use crate::{AsymmetricError, Operation, PublicKey, Verification, ed25519ph};
use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, AsDer, Curve25519SeedBin, Pkcs8V1Der};
use aws_lc_rs::rand::SecureRandom;
use aws_lc_rs::rsa;
use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair, KeyPair, PqdsaKeyPair};
use std::fmt;
use std::sync::OnceLock;
use zeroize::Zeroizing;

/// The key material of one asymmetric KMS key (one spec, one usage), parsed and ready to use.
/// Its PKCS#8 form is what the service wraps under the domain key; its public key is what
/// GetPublicKey returns.
///
/// `Debug` shows the spec and usage only.
pub struct PrivateKey {
    spec: KeySpec,
    usage: KeyUsage,
    pkcs8: Zeroizing<Vec<u8>>,
    inner: Inner,
    public_key: PublicKey,
}

enum Inner {
    RsaSign(rsa::KeyPair),
    RsaDecrypt(rsa::OaepPrivateDecryptingKey),
    Ecdsa(EcdsaKeyPair),
    Ecdh(agreement::PrivateKey),
    Ed25519 {
        key: Ed25519KeyPair,
        /// The same key for Ed25519ph, which aws-lc-rs does not offer; made on first use.
        prehash: OnceLock<Box<ed25519_dalek::SigningKey>>,
    },
    MlDsa {
        key: PqdsaKeyPair,
        level: Level,
        /// ξ, for EXTERNAL_MU signing (`None` if the PKCS#8 holds only the expanded key).
        seed: Option<Zeroizing<[u8; 32]>>,
        /// The `ml-dsa` key expanded from ξ; made on first EXTERNAL_MU use.
        mu_key: OnceLock<mldsa::MuSigningKey>,
    },
}

/// What generation or parsing produced, before the public key is attached.
struct Parts {
    pkcs8: Zeroizing<Vec<u8>>,
    spki: Vec<u8>,
    inner: Inner,
}

impl PrivateKey {
    /// Generates new key material for a `spec` key with `usage` (CreateKey). The randomness
    /// comes from AWS-LC's own DRBG: aws-lc-rs's key generation takes no generator.
    ///
    /// HMAC specs are refused here; see [`crate::HmacKey::generate`].
    pub fn generate(spec: KeySpec, usage: KeyUsage) -> Result<Self, AsymmetricError> {
        check_spec_usage(spec, usage)?;
        let parts = generate_parts(spec, usage)?;
        Self::assemble(spec, usage, parts)
    }

    /// Parses stored PKCS#8 material as a `spec` key with `usage`. Material of another key
    /// type, curve or modulus size is refused.
    pub fn from_pkcs8(spec: KeySpec, usage: KeyUsage, der: &[u8]) -> Result<Self, AsymmetricError> {
        check_spec_usage(spec, usage)?;
        let parts = parse_parts(spec, usage, der)?;
        Self::assemble(spec, usage, parts)
    }

    fn assemble(spec: KeySpec, usage: KeyUsage, parts: Parts) -> Result<Self, AsymmetricError> {
        let public_key = PublicKey::from_spki(spec, usage, &parts.spki)
            .map_err(|_| AsymmetricError::InvalidKeyMaterial { spec })?;
        Ok(PrivateKey {
            spec,
            usage,
            pkcs8: parts.pkcs8,
            inner: parts.inner,
            public_key,
        })
    }

    pub fn spec(&self) -> KeySpec {
        self.spec
    }

    pub fn usage(&self) -> KeyUsage {
        self.usage
    }

    /// The private key as PKCS#8 (v1) DER: the material to wrap and store.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Signs `message` (Sign). RAW messages are hashed as the algorithm says; DIGEST messages
    /// are the hash already; EXTERNAL_MU (ML-DSA) is FIPS 204's μ. RSA signatures are PKCS#1
    /// (PSS with salt length = hash length), ECDSA signatures DER. `rng` supplies the hedging
    /// randomness of ML-DSA EXTERNAL_MU signing; the other algorithms draw from AWS-LC's DRBG.
    pub fn sign(
        &self,
        algorithm: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, AsymmetricError> {
        check_signing_request(
            self.spec,
            self.usage,
            Operation::Sign,
            algorithm,
            message_type,
            message,
        )?;
        let internal = |_| AsymmetricError::Internal;
        match (&self.inner, message_type) {
            (Inner::RsaSign(key), MessageType::Raw | MessageType::Digest) => {
                let encoding =
                    algorithms::rsa_encoding(algorithm).ok_or(AsymmetricError::Internal)?;
                let mut signature = vec![0u8; key.public_modulus_len()];
                if message_type == MessageType::Raw {
                    key.sign(encoding, rng, message, &mut signature)
                        .map_err(internal)?;
                } else {
                    let digest = imported_digest(algorithm, message)?;
                    key.sign_digest(encoding, &digest, &mut signature)
                        .map_err(internal)?;
                }
                Ok(signature)
            }
            (Inner::Ecdsa(key), MessageType::Raw) => {
                Ok(key.sign(rng, message).map_err(internal)?.as_ref().to_vec())
            }
            (Inner::Ecdsa(key), MessageType::Digest) => {
                let digest = imported_digest(algorithm, message)?;
                Ok(key
                    .sign_digest(&digest)
                    .map_err(internal)?
                    .as_ref()
                    .to_vec())
            }
            (Inner::Ed25519 { key, .. }, MessageType::Raw) => {
                Ok(key.try_sign(message).map_err(internal)?.as_ref().to_vec())
            }
            (Inner::Ed25519 { key, prehash }, MessageType::Digest) => {
                let prehash = match prehash.get() {
                    Some(k) => k,
                    None => {
                        let made = Box::new(dalek_key(key)?);
                        prehash.get_or_init(|| made)
                    }
                };
                let digest = message.try_into().map_err(|_| AsymmetricError::Internal)?;
                let signature =
                    ed25519ph::sign(prehash, digest).ok_or(AsymmetricError::Internal)?;
                Ok(signature.to_vec())
            }
            (Inner::MlDsa { key, .. }, MessageType::Raw) => {
                let mut signature = vec![0u8; key.algorithm().signature_len()];
                let len = key.sign(message, &mut signature).map_err(internal)?;
                signature.truncate(len);
                Ok(signature)
            }
            (
                Inner::MlDsa {
                    level,
                    seed,
                    mu_key,
                    ..
                },
                MessageType::ExternalMu,
            ) => {
                let mu_key = match mu_key.get() {
                    Some(k) => k,
                    None => {
                        let seed = seed
                            .as_ref()
                            .ok_or(AsymmetricError::InvalidKeyMaterial { spec: self.spec })?;
                        mu_key.get_or_init(|| mldsa::MuSigningKey::new(*level, seed))
                    }
                };
                let mu = message.try_into().map_err(|_| AsymmetricError::Internal)?;
                mu_key.sign(mu, rng)
            }
            _ => Err(AsymmetricError::Internal),
        }
    }

    /// [`PublicKey::verify`] with this key's public key.
    pub fn verify(
        &self,
        algorithm: SigningAlgorithmSpec,
        message_type: MessageType,
        message: &[u8],
        signature: &[u8],
    ) -> Result<Verification, AsymmetricError> {
        self.public_key
            .verify(algorithm, message_type, message, signature)
    }

    /// [`PublicKey::encrypt`] with this key's public key.
    pub fn encrypt(
        &self,
        algorithm: EncryptionAlgorithmSpec,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AsymmetricError> {
        self.public_key.encrypt(algorithm, plaintext)
    }

    /// Decrypts an RSA OAEP `ciphertext` (Decrypt). Any failure — another key's ciphertext,
    /// another algorithm's, a changed byte, a wrong length — is
    /// [`AsymmetricError::InvalidCiphertext`].
    pub fn decrypt(
        &self,
        algorithm: EncryptionAlgorithmSpec,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AsymmetricError> {
        check_usage(self.usage, Operation::Decrypt)?;
        let Inner::RsaDecrypt(key) = &self.inner else {
            return Err(AsymmetricError::Internal);
        };
        let mut plaintext = Zeroizing::new(vec![0u8; key.min_output_size()]);
        let len = key
            .decrypt(
                algorithms::oaep(algorithm),
                ciphertext,
                &mut plaintext,
                None,
            )
            .map_err(|_| AsymmetricError::InvalidCiphertext)?
            .len();
        plaintext.truncate(len);
        Ok(plaintext)
    }

    /// ECDH between this KEY_AGREEMENT key and `peer_public_key`, a DER SubjectPublicKeyInfo
    /// of a point on the same curve (DeriveSharedSecret). Returns the raw shared secret (the
    /// x-coordinate of the shared point: 32, 48 or 66 bytes).
    pub fn derive_shared_secret(
        &self,
        algorithm: KeyAgreementAlgorithmSpec,
        peer_public_key: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AsymmetricError> {
        check_usage(self.usage, Operation::DeriveSharedSecret)?;
        if !self.spec.key_agreement_algorithms().contains(&algorithm) {
            return Err(AsymmetricError::UnsupportedAlgorithm {
                spec: self.spec,
                algorithm: algorithm.as_str(),
            });
        }
        let Inner::Ecdh(key) = &self.inner else {
            return Err(AsymmetricError::Internal);
        };
        let peer = parse_peer_public_key(self.spec, key.algorithm(), peer_public_key)?;
        agreement::agree(key, peer, AsymmetricError::InvalidPeerPublicKey, |secret| {
            Ok(Zeroizing::new(secret.to_vec()))
        })
    }
}

/// A peer's ECDH public key: a DER SPKI (never a bare point) of a valid point on `algorithm`'s
/// curve. A valid SPKI on another NIST curve is told apart, for a clearer error.
fn parse_peer_public_key(
    spec: KeySpec,
    algorithm: &'static agreement::Algorithm,
    der: &[u8],
) -> Result<agreement::ParsedPublicKey, AsymmetricError> {
    let parse = |alg: &'static agreement::Algorithm| {
        agreement::ParsedPublicKey::try_from(&agreement::UnparsedPublicKey::new(alg, der))
            .ok()
            .filter(|k| k.format() == agreement::ParsedPublicKeyFormat::X509)
    };
    if let Some(key) = parse(algorithm) {
        return Ok(key);
    }
    let other_curve = [
        &agreement::ECDH_P256,
        &agreement::ECDH_P384,
        &agreement::ECDH_P521,
    ]
    .into_iter()
    .filter(|alg| *alg != algorithm)
    .any(|alg| parse(alg).is_some());
    if other_curve {
        return Err(AsymmetricError::PeerPublicKeyCurveMismatch { expected: spec });
    }
    Err(AsymmetricError::InvalidPeerPublicKey)
}

fn check_spec_usage(spec: KeySpec, usage: KeyUsage) -> Result<(), AsymmetricError> {
    if spec.is_hmac() || !spec.supports_usage(usage) {
        return Err(AsymmetricError::UnsupportedKeyUsage { spec, usage });
    }
    Ok(())
}

fn secret(der: &[u8]) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(der.to_vec())
}

fn spki_of<K: AsDer<aws_lc_rs::encoding::PublicKeyX509Der<'static>>>(
    key: &K,
) -> Result<Vec<u8>, AsymmetricError> {
    Ok(key
        .as_der()
        .map_err(|_| AsymmetricError::Internal)?
        .as_ref()
        .to_vec())
}

fn pkcs8_of<K: AsDer<Pkcs8V1Der<'static>>>(key: &K) -> Result<Zeroizing<Vec<u8>>, AsymmetricError> {
    Ok(secret(
        key.as_der()
            .map_err(|_| AsymmetricError::Internal)?
            .as_ref(),
    ))
}

/// The Ed25519 seed as ed25519-dalek's signing key.
fn dalek_key(key: &Ed25519KeyPair) -> Result<ed25519_dalek::SigningKey, AsymmetricError> {
    let seed = key.seed().map_err(|_| AsymmetricError::Internal)?;
    let bin: Curve25519SeedBin<'_> = seed.as_be_bytes().map_err(|_| AsymmetricError::Internal)?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    if bin.as_ref().len() != bytes.len() {
        return Err(AsymmetricError::Internal);
    }
    bytes.copy_from_slice(bin.as_ref());
    Ok(ed25519_dalek::SigningKey::from_bytes(&bytes))
}

fn generate_parts(spec: KeySpec, usage: KeyUsage) -> Result<Parts, AsymmetricError> {
    let failed = |_| AsymmetricError::Internal;
    match (family(spec), usage) {
        (Family::Rsa { size, .. }, KeyUsage::EncryptDecrypt) => {
            let key = rsa::PrivateDecryptingKey::generate(size).map_err(failed)?;
            let pkcs8 = pkcs8_of(&key)?;
            let spki = spki_of(&key.public_key())?;
            let inner = Inner::RsaDecrypt(rsa::OaepPrivateDecryptingKey::new(key).map_err(failed)?);
            Ok(Parts { pkcs8, spki, inner })
        }
        (Family::Rsa { size, .. }, _) => {
            let key = rsa::KeyPair::generate(size).map_err(failed)?;
            let pkcs8 = pkcs8_of(&key)?;
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::RsaSign(key),
            })
        }
        (Family::Ec(curve), KeyUsage::KeyAgreement) => {
            let alg = ecdh_algorithm(spec, curve)?;
            let key = agreement::PrivateKey::generate(alg).map_err(failed)?;
            let pkcs8 = pkcs8_of(&key)?;
            let spki = spki_of(&key.compute_public_key().map_err(failed)?)?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ecdh(key),
            })
        }
        (Family::Ec(curve), _) => {
            let key = EcdsaKeyPair::generate(curve.ecdsa_signing()).map_err(failed)?;
            let pkcs8 = secret(key.to_pkcs8v1().map_err(failed)?.as_ref());
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ecdsa(key),
            })
        }
        (Family::Ed25519, _) => {
            let key = Ed25519KeyPair::generate().map_err(failed)?;
            let pkcs8 = secret(key.to_pkcs8v1().map_err(failed)?.as_ref());
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ed25519 {
                    key,
                    prehash: OnceLock::new(),
                },
            })
        }
        (Family::MlDsa(level), _) => {
            let key = PqdsaKeyPair::generate(algorithms::ml_dsa_signing(level)).map_err(failed)?;
            let pkcs8 = secret(key.to_pkcs8v1().map_err(failed)?.as_ref());
            let spki = spki_of(key.public_key())?;
            let seed = mldsa::seed_from_pkcs8(&pkcs8);
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::MlDsa {
                    key,
                    level,
                    seed,
                    mu_key: OnceLock::new(),
                },
            })
        }
        (Family::Hmac, _) => Err(AsymmetricError::UnsupportedKeyUsage { spec, usage }),
    }
}

fn parse_parts(spec: KeySpec, usage: KeyUsage, der: &[u8]) -> Result<Parts, AsymmetricError> {
    let invalid = || AsymmetricError::InvalidKeyMaterial { spec };
    let pkcs8 = secret(der);
    match (family(spec), usage) {
        (Family::Rsa { bits, .. }, KeyUsage::EncryptDecrypt) => {
            let key = rsa::PrivateDecryptingKey::from_pkcs8(der).map_err(|_| invalid())?;
            if key.key_size_bits() != bits {
                return Err(AsymmetricError::InvalidKeyMaterial { spec });
            }
            let spki = spki_of(&key.public_key())?;
            let inner =
                Inner::RsaDecrypt(rsa::OaepPrivateDecryptingKey::new(key).map_err(|_| invalid())?);
            Ok(Parts { pkcs8, spki, inner })
        }
        (Family::Rsa { bits, .. }, _) => {
            let key = rsa::KeyPair::from_pkcs8(der).map_err(|_| invalid())?;
            if key.public_modulus_len() * 8 != bits {
                return Err(AsymmetricError::InvalidKeyMaterial { spec });
            }
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::RsaSign(key),
            })
        }
        (Family::Ec(curve), KeyUsage::KeyAgreement) => {
            let alg = ecdh_algorithm(spec, curve)?;
            let key =
                agreement::PrivateKey::from_private_key_der(alg, der).map_err(|_| invalid())?;
            let spki = spki_of(&key.compute_public_key().map_err(|_| invalid())?)?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ecdh(key),
            })
        }
        (Family::Ec(curve), _) => {
            let key =
                EcdsaKeyPair::from_pkcs8(curve.ecdsa_signing(), der).map_err(|_| invalid())?;
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ecdsa(key),
            })
        }
        (Family::Ed25519, _) => {
            let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| invalid())?;
            let spki = spki_of(key.public_key())?;
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::Ed25519 {
                    key,
                    prehash: OnceLock::new(),
                },
            })
        }
        (Family::MlDsa(level), _) => {
            let key = PqdsaKeyPair::from_pkcs8(algorithms::ml_dsa_signing(level), der)
                .map_err(|_| invalid())?;
            let spki = spki_of(key.public_key())?;
            let seed = mldsa::seed_from_pkcs8(der);
            Ok(Parts {
                pkcs8,
                spki,
                inner: Inner::MlDsa {
                    key,
                    level,
                    seed,
                    mu_key: OnceLock::new(),
                },
            })
        }
        (Family::Hmac, _) => Err(AsymmetricError::UnsupportedKeyUsage { spec, usage }),
    }
}

fn ecdh_algorithm(
    spec: KeySpec,
    curve: Curve,
) -> Result<&'static agreement::Algorithm, AsymmetricError> {
    curve.ecdh().ok_or(AsymmetricError::UnsupportedKeyUsage {
        spec,
        usage: KeyUsage::KeyAgreement,
    })
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("spec", &self.spec)
            .field("usage", &self.usage)
            .finish_non_exhaustive()
    }
}

/// A data key pair (GenerateDataKeyPair): a fresh key pair handed out, not kept.
///
/// `Debug` shows the spec and the public key's length only.
pub struct DataKeyPair {
    spec: crate::DataKeyPairSpec,
    private_key: Zeroizing<Vec<u8>>,
    public_key: Vec<u8>,
}

impl DataKeyPair {
    /// Generates a key pair of `spec` (from AWS-LC's DRBG).
    pub fn generate(spec: crate::DataKeyPairSpec) -> Result<Self, AsymmetricError> {
        let parts = generate_parts(spec.key_spec(), KeyUsage::SignVerify)?;
        Ok(DataKeyPair {
            spec,
            private_key: parts.pkcs8,
            public_key: parts.spki,
        })
    }

    pub fn spec(&self) -> crate::DataKeyPairSpec {
        self.spec
    }

    /// The private key as PKCS#8 (v1) DER (`PrivateKeyPlaintext`).
    pub fn private_key_pkcs8(&self) -> &[u8] {
        &self.private_key
    }

    /// The public key as DER SubjectPublicKeyInfo (`PublicKey`).
    pub fn public_key_spki(&self) -> &[u8] {
        &self.public_key
    }

    /// Both halves, the private one still zeroizing.
    pub fn into_parts(self) -> (Zeroizing<Vec<u8>>, Vec<u8>) {
        (self.private_key, self.public_key)
    }
}

impl fmt::Debug for DataKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKeyPair")
            .field("spec", &self.spec)
            .field("public_key_len", &self.public_key.len())
            .finish_non_exhaustive()
    }
}
