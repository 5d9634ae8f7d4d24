//! From this crate's enums to aws-lc-rs's algorithm objects, and the request checks every
//! signing operation shares.

use crate::mldsa::Level;
use crate::spec::{
    EncryptionAlgorithmSpec, KeySpec, KeyUsage, MAX_MESSAGE_LEN, MessageType, SigningAlgorithmSpec,
};
use crate::{AsymmetricError, Operation};
use aws_lc_rs::{agreement, digest, rsa, signature};

/// How the key material of a spec is made and used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Rsa { size: rsa::KeySize, bits: usize },
    Ec(Curve),
    Ed25519,
    MlDsa(Level),
    Hmac,
}

/// The elliptic curves of ECDSA (and, for the NIST ones, ECDH) keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
    Secp256k1,
}

pub(crate) fn family(spec: KeySpec) -> Family {
    match spec {
        KeySpec::Rsa2048 => Family::Rsa {
            size: rsa::KeySize::Rsa2048,
            bits: 2048,
        },
        KeySpec::Rsa3072 => Family::Rsa {
            size: rsa::KeySize::Rsa3072,
            bits: 3072,
        },
        KeySpec::Rsa4096 => Family::Rsa {
            size: rsa::KeySize::Rsa4096,
            bits: 4096,
        },
        KeySpec::EccNistP256 => Family::Ec(Curve::P256),
        KeySpec::EccNistP384 => Family::Ec(Curve::P384),
        KeySpec::EccNistP521 => Family::Ec(Curve::P521),
        KeySpec::EccSecgP256k1 => Family::Ec(Curve::Secp256k1),
        KeySpec::EccNistEdwards25519 => Family::Ed25519,
        KeySpec::MlDsa44 => Family::MlDsa(Level::L44),
        KeySpec::MlDsa65 => Family::MlDsa(Level::L65),
        KeySpec::MlDsa87 => Family::MlDsa(Level::L87),
        KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => Family::Hmac,
    }
}

impl Curve {
    /// The ECDSA signing algorithm with the one hash AWS pairs with this curve, DER signatures.
    pub(crate) fn ecdsa_signing(self) -> &'static signature::EcdsaSigningAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            Curve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1_SIGNING,
        }
    }

    /// The matching verification algorithm.
    pub(crate) fn ecdsa_verification(self) -> &'static signature::EcdsaVerificationAlgorithm {
        match self {
            Curve::P256 => &signature::ECDSA_P256_SHA256_ASN1,
            Curve::P384 => &signature::ECDSA_P384_SHA384_ASN1,
            Curve::P521 => &signature::ECDSA_P521_SHA512_ASN1,
            Curve::Secp256k1 => &signature::ECDSA_P256K1_SHA256_ASN1,
        }
    }

    /// ECDH on this curve (`None` for secp256k1, which KMS does not offer for key agreement).
    pub(crate) fn ecdh(self) -> Option<&'static agreement::Algorithm> {
        match self {
            Curve::P256 => Some(&agreement::ECDH_P256),
            Curve::P384 => Some(&agreement::ECDH_P384),
            Curve::P521 => Some(&agreement::ECDH_P521),
            Curve::Secp256k1 => None,
        }
    }
}

pub(crate) fn ml_dsa_signing(level: Level) -> &'static signature::PqdsaSigningAlgorithm {
    match level {
        Level::L44 => &signature::ML_DSA_44_SIGNING,
        Level::L65 => &signature::ML_DSA_65_SIGNING,
        Level::L87 => &signature::ML_DSA_87_SIGNING,
    }
}

pub(crate) fn ml_dsa_verification(level: Level) -> &'static signature::PqdsaVerificationAlgorithm {
    match level {
        Level::L44 => &signature::ML_DSA_44,
        Level::L65 => &signature::ML_DSA_65,
        Level::L87 => &signature::ML_DSA_87,
    }
}

/// The hash of a signing algorithm, for DIGEST messages.
pub(crate) fn hash(algorithm: SigningAlgorithmSpec) -> Option<&'static digest::Algorithm> {
    use SigningAlgorithmSpec::*;
    match algorithm {
        RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(&digest::SHA256),
        RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(&digest::SHA384),
        RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => {
            Some(&digest::SHA512)
        }
        Ed25519Sha512 | MlDsaShake256 => None,
    }
}

/// A DIGEST message as the aws-lc-rs digest value its signing functions take.
pub(crate) fn imported_digest(
    algorithm: SigningAlgorithmSpec,
    message: &[u8],
) -> Result<digest::Digest, AsymmetricError> {
    let hash = hash(algorithm).ok_or(AsymmetricError::Internal)?;
    digest::Digest::import_less_safe(message, hash).map_err(|_| AsymmetricError::Internal)
}

/// RSA signature padding (PSS salt length = hash length).
pub(crate) fn rsa_encoding(
    algorithm: SigningAlgorithmSpec,
) -> Option<&'static dyn signature::RsaEncoding> {
    use SigningAlgorithmSpec::*;
    Some(match algorithm {
        RsassaPssSha256 => &signature::RSA_PSS_SHA256,
        RsassaPssSha384 => &signature::RSA_PSS_SHA384,
        RsassaPssSha512 => &signature::RSA_PSS_SHA512,
        RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_SHA256,
        RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_SHA384,
        RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

/// RSA signature verification parameters matching [`rsa_encoding`].
pub(crate) fn rsa_verification(
    algorithm: SigningAlgorithmSpec,
) -> Option<&'static signature::RsaParameters> {
    use SigningAlgorithmSpec::*;
    Some(match algorithm {
        RsassaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
        RsassaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
        RsassaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
        RsassaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        RsassaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        RsassaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        _ => return None,
    })
}

/// OAEP with the same hash for MGF1 (empty label, as KMS uses it).
pub(crate) fn oaep(algorithm: EncryptionAlgorithmSpec) -> &'static rsa::OaepAlgorithm {
    match algorithm {
        EncryptionAlgorithmSpec::RsaesOaepSha1 => &rsa::OAEP_SHA1_MGF1SHA1,
        EncryptionAlgorithmSpec::RsaesOaepSha256 => &rsa::OAEP_SHA256_MGF1SHA256,
    }
}

/// `Message` is 1–4096 bytes.
pub(crate) fn check_message_len(message: &[u8]) -> Result<(), AsymmetricError> {
    if message.is_empty() || message.len() > MAX_MESSAGE_LEN {
        return Err(AsymmetricError::MessageLength { len: message.len() });
    }
    Ok(())
}

/// The key's usage allows `operation`.
pub(crate) fn check_usage(usage: KeyUsage, operation: Operation) -> Result<(), AsymmetricError> {
    if usage != operation.required_usage() {
        return Err(AsymmetricError::WrongKeyUsage { usage, operation });
    }
    Ok(())
}

/// Everything Sign and Verify check before touching the key, in the order AWS does: message
/// size (a validation error), key usage, algorithm against key spec, message type against
/// algorithm, then a DIGEST's / μ's length.
pub(crate) fn check_signing_request(
    spec: KeySpec,
    usage: KeyUsage,
    operation: Operation,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    message: &[u8],
) -> Result<(), AsymmetricError> {
    check_message_len(message)?;
    check_usage(usage, operation)?;
    if !spec.signing_algorithms().contains(&algorithm) {
        return Err(AsymmetricError::UnsupportedAlgorithm {
            spec,
            algorithm: algorithm.as_str(),
        });
    }
    if !algorithm.supports_message_type(message_type) {
        return Err(AsymmetricError::UnsupportedMessageType {
            algorithm,
            message_type,
        });
    }
    let expected = match message_type {
        MessageType::Raw => return Ok(()),
        MessageType::Digest => algorithm.digest_len().ok_or(AsymmetricError::Internal)?,
        MessageType::ExternalMu => crate::EXTERNAL_MU_LEN,
    };
    if message.len() != expected {
        return Err(AsymmetricError::DigestLength {
            algorithm,
            expected,
            actual: message.len(),
        });
    }
    Ok(())
}
