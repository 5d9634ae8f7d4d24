//! The service's side of kmsd-asymmetric: the key material of asymmetric and HMAC keys (made,
//! sealed under the domain key, loaded once into the key cache), the conversions between the
//! model's wire enums and the crate's, and its errors as AWS answers them.
//!
//! Storage: a non-symmetric key has exactly one `backing_keys` row, its material id being the
//! key record's `current_backing_key`. The row's token is the PKCS#8 private key (or the HMAC
//! key bytes) sealed by the keyring under the purpose `kms-key-material:<key ARN>:<material id>`,
//! so a token moved to another key or another row does not open.

use crate::KmsError;
use crate::key_cache::CachedKey;
use kmsd_asymmetric::{self as asym, AsymmetricError, HmacKey, PrivateKey};
use kmsd_keyring::Keyring;
use kmsd_model::{self as model, BackingKeyId, KeySpec, KeyUsage};
use zeroize::Zeroizing;

/// The key material of a key in memory, parsed once when the key is loaded or created.
#[derive(Debug, Default)]
pub(crate) enum KeyMaterial {
    /// SYMMETRIC_DEFAULT: the material is the key's backing keys (`CachedKey::backing_keys`).
    #[default]
    Symmetric,
    /// RSA, ECC, Ed25519 and ML-DSA keys. (Boxed, as is the HMAC key: a symmetric key's cache
    /// entry should not carry their size.)
    Private(Box<PrivateKey>),
    /// HMAC_224/256/384/512 keys.
    Hmac(Box<HmacKey>),
}

impl KeyMaterial {
    /// New material for a `spec` key with `usage` (a pair CreateKey has already checked). RSA
    /// key generation takes up to seconds, so it runs off the async workers.
    pub async fn generate(
        spec: KeySpec,
        usage: KeyUsage,
        rng: &kmsd_crypto::SystemRandom,
    ) -> Result<KeyMaterial, KmsError> {
        let (spec, usage) = (to_spec(spec)?, to_usage(usage)?);
        if spec.is_hmac() {
            return Ok(KeyMaterial::Hmac(Box::new(
                HmacKey::generate(spec, rng).map_err(internal)?,
            )));
        }
        let key = tokio::task::spawn_blocking(move || PrivateKey::generate(spec, usage))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "key generation task failed");
                KmsError::Internal(crate::InternalError::Unavailable)
            })?
            .map_err(internal)?;
        Ok(KeyMaterial::Private(Box::new(key)))
    }

    /// Parses unsealed stored material of a `spec` key with `usage`.
    fn parse(spec: KeySpec, usage: KeyUsage, bytes: &[u8]) -> Result<KeyMaterial, KmsError> {
        let (spec, usage) = (to_spec(spec)?, to_usage(usage)?);
        if spec.is_hmac() {
            Ok(KeyMaterial::Hmac(Box::new(
                HmacKey::from_bytes(spec, bytes).map_err(internal)?,
            )))
        } else {
            Ok(KeyMaterial::Private(Box::new(
                PrivateKey::from_pkcs8(spec, usage, bytes).map_err(internal)?,
            )))
        }
    }

    /// The secret bytes to seal: PKCS#8 DER, or the HMAC key.
    fn secret(&self) -> Option<&[u8]> {
        match self {
            KeyMaterial::Symmetric => None,
            KeyMaterial::Private(key) => Some(key.pkcs8_der()),
            KeyMaterial::Hmac(key) => Some(key.material()),
        }
    }

    /// Seals the material for its `backing_keys` row.
    pub fn seal(
        &self,
        keyring: &dyn Keyring,
        key_arn: &str,
        material_id: BackingKeyId,
    ) -> Result<Vec<u8>, KmsError> {
        let secret = self
            .secret()
            .ok_or_else(|| internal(AsymmetricError::Internal))?;
        Ok(keyring.seal_secret(&purpose(key_arn, material_id), secret)?)
    }

    /// Opens and parses the sealed material of a `spec` key with `usage`.
    pub fn open(
        keyring: &dyn Keyring,
        key_arn: &str,
        material_id: BackingKeyId,
        spec: KeySpec,
        usage: KeyUsage,
        sealed: &[u8],
    ) -> Result<KeyMaterial, KmsError> {
        let secret: Zeroizing<Vec<u8>> =
            keyring.open_secret(&purpose(key_arn, material_id), sealed)?;
        KeyMaterial::parse(spec, usage, &secret)
    }
}

/// The keyring purpose that binds sealed material to its key and material id.
fn purpose(key_arn: &str, material_id: BackingKeyId) -> Vec<u8> {
    format!("kms-key-material:{key_arn}:{material_id}").into_bytes()
}

/// A failure inside the crate where none is expected: stored material that does not parse, a
/// failing random generator. `KMSInternalException`.
fn internal(e: AsymmetricError) -> KmsError {
    KmsError::Internal(e.into())
}

// ---------------------------------------------------------------------------------------------
// From the model's enums (the whole AWS value sets) to the crate's (the values kmsd serves). Both
// spell every value as AWS does, so a conversion is a parse of the wire string; a value outside
// the crate's set (SYMMETRIC_DEFAULT, SM2, SM2DSA, SM2PKE) converts to nothing.

fn convert<T: std::str::FromStr>(wire: &str) -> Option<T> {
    wire.parse().ok()
}

fn to_spec(spec: KeySpec) -> Result<asym::KeySpec, KmsError> {
    convert(spec.as_str()).ok_or_else(|| internal(AsymmetricError::Internal))
}

fn to_usage(usage: KeyUsage) -> Result<asym::KeyUsage, KmsError> {
    convert(usage.as_str()).ok_or_else(|| internal(AsymmetricError::Internal))
}

/// Whether kmsd can make keys of `spec` with `usage` (every AWS pair but SYMMETRIC_DEFAULT's,
/// which is kmsd-crypto's, and SM2's).
pub(crate) fn supports(spec: KeySpec, usage: KeyUsage) -> bool {
    match (to_spec(spec), to_usage(usage)) {
        (Ok(spec), Ok(usage)) => spec.supports_usage(usage),
        _ => false,
    }
}

pub(crate) fn signing_algorithm(a: model::SigningAlgorithm) -> Option<asym::SigningAlgorithmSpec> {
    convert(a.as_str())
}

pub(crate) fn message_type(m: model::MessageType) -> Option<asym::MessageType> {
    convert(m.as_str())
}

pub(crate) fn mac_algorithm(a: model::MacAlgorithm) -> Option<asym::MacAlgorithmSpec> {
    convert(a.as_str())
}

pub(crate) fn key_agreement_algorithm(
    a: model::KeyAgreementAlgorithm,
) -> Option<asym::KeyAgreementAlgorithmSpec> {
    convert(a.as_str())
}

pub(crate) fn encryption_algorithm(
    a: model::EncryptionAlgorithm,
) -> Option<asym::EncryptionAlgorithmSpec> {
    convert(a.as_str())
}

pub(crate) fn data_key_pair_spec(s: model::DataKeyPairSpec) -> Option<asym::DataKeyPairSpec> {
    convert(s.as_str())
}

/// The algorithm lists of a key, as DescribeKey and GetPublicKey show them: only the list of
/// the key's usage is filled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlgorithmLists {
    pub encryption: Vec<model::EncryptionAlgorithm>,
    pub signing: Vec<model::SigningAlgorithm>,
    pub mac: Vec<model::MacAlgorithm>,
    pub key_agreement: Vec<model::KeyAgreementAlgorithm>,
}

impl AlgorithmLists {
    pub(crate) fn of(spec: KeySpec, usage: KeyUsage) -> AlgorithmLists {
        if spec == KeySpec::SymmetricDefault {
            return AlgorithmLists {
                encryption: match usage {
                    KeyUsage::EncryptDecrypt => vec![model::EncryptionAlgorithm::SymmetricDefault],
                    _ => Vec::new(),
                },
                ..AlgorithmLists::default()
            };
        }
        let (Ok(spec), Ok(usage)) = (to_spec(spec), to_usage(usage)) else {
            return AlgorithmLists::default();
        };
        let lists = spec.algorithms(usage);
        fn names<A: std::fmt::Display, M: std::str::FromStr>(list: &[A]) -> Vec<M> {
            list.iter()
                .filter_map(|a| convert(&a.to_string()))
                .collect()
        }
        AlgorithmLists {
            encryption: names(lists.encryption),
            signing: names(lists.signing),
            mac: names(lists.mac),
            key_agreement: names(lists.key_agreement),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AWS's answers

/// `InvalidKeyUsageException` for a key whose usage does not allow `operation`.
pub(crate) fn wrong_usage(key: &CachedKey, operation: &str) -> KmsError {
    KmsError::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {operation}.",
        key.arn, key.record.key_usage
    ))
}

/// `InvalidKeyUsageException` for an algorithm the key's spec does not support.
pub(crate) fn incompatible_algorithm(key: &CachedKey, algorithm: &str) -> KmsError {
    KmsError::InvalidKeyUsage(format!(
        "Algorithm {algorithm} is incompatible with key spec {}.",
        key.record.key_spec
    ))
}

/// A crate error on a request that passed the service's own checks, as AWS answers it.
pub(crate) fn request_error(key: &CachedKey, e: AsymmetricError) -> KmsError {
    match e {
        AsymmetricError::WrongKeyUsage { operation, .. } => wrong_usage(key, operation.as_str()),
        AsymmetricError::UnsupportedAlgorithm { algorithm, .. } => {
            incompatible_algorithm(key, algorithm)
        }
        AsymmetricError::UnsupportedMessageType {
            algorithm,
            message_type,
        } => KmsError::validation(format!(
            "Message type {message_type} is incompatible with algorithm {algorithm}."
        )),
        AsymmetricError::DigestLength { algorithm, .. } => KmsError::validation(format!(
            "Digest is invalid length for algorithm {algorithm}."
        )),
        AsymmetricError::MessageLength { .. } => KmsError::validation(
            "Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
        ),
        AsymmetricError::PlaintextLength { max, .. } => KmsError::validation(format!(
            "Plaintext is too large for key spec {}: at most {max} bytes.",
            key.record.key_spec
        )),
        AsymmetricError::InvalidCiphertext => KmsError::InvalidCiphertext,
        AsymmetricError::InvalidPeerPublicKey => KmsError::validation(
            "PublicKey is not a valid DER-encoded X.509 SubjectPublicKeyInfo of an elliptic-curve public key.",
        ),
        AsymmetricError::PeerPublicKeyCurveMismatch { expected } => KmsError::validation(format!(
            "PublicKey is not on the curve of key spec {expected}."
        )),
        other => internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crate_value_has_its_model_twin() {
        for s in asym::KeySpec::ALL {
            assert!(convert::<KeySpec>(s.as_str()).is_some(), "{s}");
        }
        for a in asym::SigningAlgorithmSpec::ALL {
            let m: model::SigningAlgorithm = convert(a.as_str()).unwrap();
            assert_eq!(signing_algorithm(m), Some(*a));
        }
        for a in asym::MacAlgorithmSpec::ALL {
            let m: model::MacAlgorithm = convert(a.as_str()).unwrap();
            assert_eq!(mac_algorithm(m), Some(*a));
        }
        for a in asym::EncryptionAlgorithmSpec::ALL {
            let m: model::EncryptionAlgorithm = convert(a.as_str()).unwrap();
            assert_eq!(encryption_algorithm(m), Some(*a));
        }
        for s in asym::DataKeyPairSpec::ALL {
            let m: model::DataKeyPairSpec = convert(s.as_str()).unwrap();
            assert_eq!(data_key_pair_spec(m), Some(*s));
        }
        for m in model::MessageType::ALL {
            assert!(message_type(*m).is_some());
        }
        assert!(signing_algorithm(model::SigningAlgorithm::Sm2Dsa).is_none());
        assert!(data_key_pair_spec(model::DataKeyPairSpec::Sm2).is_none());
        assert!(encryption_algorithm(model::EncryptionAlgorithm::SymmetricDefault).is_none());
    }

    #[test]
    fn supported_pairs_follow_the_reference() {
        use KeyUsage::*;
        assert!(supports(KeySpec::Rsa2048, EncryptDecrypt));
        assert!(supports(KeySpec::Rsa4096, SignVerify));
        assert!(!supports(KeySpec::Rsa2048, KeyAgreement));
        assert!(supports(KeySpec::EccNistP384, KeyAgreement));
        assert!(!supports(KeySpec::EccSecgP256k1, KeyAgreement));
        assert!(!supports(KeySpec::EccNistP256, EncryptDecrypt));
        assert!(supports(KeySpec::Hmac224, GenerateVerifyMac));
        assert!(!supports(KeySpec::Hmac224, SignVerify));
        assert!(!supports(KeySpec::Sm2, SignVerify));
        assert!(!supports(KeySpec::SymmetricDefault, EncryptDecrypt));
    }

    #[test]
    fn algorithm_lists_per_usage() {
        let rsa = AlgorithmLists::of(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
        assert_eq!(
            rsa.encryption,
            [
                model::EncryptionAlgorithm::RsaesOaepSha1,
                model::EncryptionAlgorithm::RsaesOaepSha256
            ]
        );
        assert!(rsa.signing.is_empty());
        let ed = AlgorithmLists::of(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify);
        assert_eq!(
            ed.signing,
            [
                model::SigningAlgorithm::Ed25519Sha512,
                model::SigningAlgorithm::Ed25519PhSha512
            ]
        );
        let ka = AlgorithmLists::of(KeySpec::EccNistP521, KeyUsage::KeyAgreement);
        assert_eq!(ka.key_agreement, [model::KeyAgreementAlgorithm::Ecdh]);
        assert!(ka.signing.is_empty() && ka.encryption.is_empty());
        let mac = AlgorithmLists::of(KeySpec::Hmac512, KeyUsage::GenerateVerifyMac);
        assert_eq!(mac.mac, [model::MacAlgorithm::HmacSha512]);
        let sym = AlgorithmLists::of(KeySpec::SymmetricDefault, KeyUsage::EncryptDecrypt);
        assert_eq!(
            sym.encryption,
            [model::EncryptionAlgorithm::SymmetricDefault]
        );
    }

    #[test]
    fn material_is_bound_to_its_key_and_material_id() {
        let dir = tempfile::tempdir().unwrap();
        let keyring =
            kmsd_keyring::FileKeyring::open_or_create(&dir.path().join("domain.key")).unwrap();
        let rng = kmsd_crypto::SystemRandom::new();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let id = BackingKeyId([7; 32]);
        for (spec, usage) in [
            (KeySpec::EccNistP256, KeyUsage::SignVerify),
            (KeySpec::Hmac256, KeyUsage::GenerateVerifyMac),
        ] {
            let material = runtime
                .block_on(KeyMaterial::generate(spec, usage, &rng))
                .unwrap();
            let sealed = material.seal(&keyring, "arn:a", id).unwrap();
            let secret = material.secret().unwrap();
            assert!(
                !sealed.windows(secret.len()).any(|w| w == secret),
                "sealed material contains the secret"
            );
            let opened = KeyMaterial::open(&keyring, "arn:a", id, spec, usage, &sealed).unwrap();
            assert_eq!(opened.secret(), material.secret());
            assert!(KeyMaterial::open(&keyring, "arn:b", id, spec, usage, &sealed).is_err());
            let other = BackingKeyId([8; 32]);
            assert!(KeyMaterial::open(&keyring, "arn:a", other, spec, usage, &sealed).is_err());
        }
    }
}
