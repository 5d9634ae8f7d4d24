//! Typed failures. Each variant is one thing the service answers differently; the comment on
//! each says which AWS error it corresponds to. Messages never contain key material, plaintext
//! or which check of a ciphertext failed.

use crate::spec::{KeySpec, KeyUsage, MessageType, SigningAlgorithmSpec};
use std::fmt;

/// A KMS operation, for [`AsymmetricError::WrongKeyUsage`] (AWS's wording names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Sign,
    Verify,
    Encrypt,
    Decrypt,
    GenerateMac,
    VerifyMac,
    DeriveSharedSecret,
}

impl Operation {
    /// The AWS operation name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Sign => "Sign",
            Operation::Verify => "Verify",
            Operation::Encrypt => "Encrypt",
            Operation::Decrypt => "Decrypt",
            Operation::GenerateMac => "GenerateMac",
            Operation::VerifyMac => "VerifyMac",
            Operation::DeriveSharedSecret => "DeriveSharedSecret",
        }
    }

    /// The key usage the operation needs.
    pub fn required_usage(self) -> KeyUsage {
        match self {
            Operation::Sign | Operation::Verify => KeyUsage::SignVerify,
            Operation::Encrypt | Operation::Decrypt => KeyUsage::EncryptDecrypt,
            Operation::GenerateMac | Operation::VerifyMac => KeyUsage::GenerateVerifyMac,
            Operation::DeriveSharedSecret => KeyUsage::KeyAgreement,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an operation of this crate failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AsymmetricError {
    /// The key spec does not allow this key usage (CreateKey → `ValidationException`).
    #[error("key usage {usage} is not valid for key spec {spec}")]
    UnsupportedKeyUsage { spec: KeySpec, usage: KeyUsage },

    /// The key's usage does not allow the operation (`InvalidKeyUsageException`).
    #[error("key usage is {usage} which is not valid for {operation}")]
    WrongKeyUsage {
        usage: KeyUsage,
        operation: Operation,
    },

    /// The algorithm is not one the key spec supports (`InvalidKeyUsageException`).
    #[error("algorithm {algorithm} is not compatible with key spec {spec}")]
    UnsupportedAlgorithm {
        spec: KeySpec,
        algorithm: &'static str,
    },

    /// The signing algorithm does not take this message type (`ValidationException`).
    #[error("message type {message_type} is not valid for signing algorithm {algorithm}")]
    UnsupportedMessageType {
        algorithm: SigningAlgorithmSpec,
        message_type: MessageType,
    },

    /// A `Message` is empty or longer than 4096 bytes (`ValidationException`).
    #[error("message length {len} is outside 1 to {max}", max = crate::MAX_MESSAGE_LEN)]
    MessageLength { len: usize },

    /// A DIGEST message is not the algorithm's hash size, or an EXTERNAL_MU message is not 64
    /// bytes (`ValidationException`: "Digest is invalid length for algorithm …").
    #[error(
        "digest is invalid length for algorithm {algorithm}: expected {expected} bytes, got {actual}"
    )]
    DigestLength {
        algorithm: SigningAlgorithmSpec,
        expected: usize,
        actual: usize,
    },

    /// The plaintext is empty or longer than RSA OAEP allows for this key and algorithm
    /// (`ValidationException`).
    #[error("plaintext length {len} is outside 1 to {max} for this key and algorithm")]
    PlaintextLength { len: usize, max: usize },

    /// RSA decryption failed: wrong key, wrong algorithm or an altered ciphertext
    /// (`InvalidCiphertextException`). Deliberately says no more.
    #[error("ciphertext could not be decrypted")]
    InvalidCiphertext,

    /// The peer public key of DeriveSharedSecret is not a DER SubjectPublicKeyInfo of an EC
    /// point on a supported curve (`ValidationException`).
    #[error("the public key is not a valid DER-encoded EC SubjectPublicKeyInfo")]
    InvalidPeerPublicKey,

    /// The peer public key is a valid EC key on another curve than the KMS key's
    /// (`ValidationException`).
    #[error("the public key is not on the curve of key spec {expected}")]
    PeerPublicKeyCurveMismatch { expected: KeySpec },

    /// Stored or supplied key material does not parse as a key of the expected spec (an
    /// internal error for material kmsd made itself).
    #[error("key material is not a valid {spec} key")]
    InvalidKeyMaterial { spec: KeySpec },

    /// A public key does not parse as a DER SubjectPublicKeyInfo of the expected spec.
    #[error("public key is not a valid {spec} SubjectPublicKeyInfo")]
    InvalidPublicKey { spec: KeySpec },

    /// The random generator failed (`KMSInternalException`).
    #[error("random generator failure")]
    Random,

    /// The underlying library failed where it should not (`KMSInternalException`).
    #[error("cryptographic operation failed")]
    Internal,
}
