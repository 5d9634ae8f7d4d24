//! The cryptographic core of kmsd's asymmetric, HMAC and key-agreement KMS keys: key specs and
//! their algorithm tables, key generation, Sign / Verify, RSA OAEP Encrypt / Decrypt,
//! GenerateMac / VerifyMac, DeriveSharedSecret (ECDH) and data key pairs.
//!
//! **Architecture Invariant:** no IO, and no knowledge of HTTP, storage, policies or key
//! states. Values come in typed (the enums of [`spec`], parsed from AWS wire strings once at
//! the edge) and failures go out typed ([`AsymmetricError`], one variant per distinct AWS
//! answer). Private key material lives only in `Zeroizing` buffers or in library types that
//! clear themselves; no `Debug` prints it.
//!
//! # Shapes
//! - [`PrivateKey`]: one asymmetric KMS key (spec + usage). Generated, or parsed from the
//!   PKCS#8 DER it exposes for wrapping. Signs, decrypts, derives shared secrets.
//! - [`PublicKey`]: its DER SubjectPublicKeyInfo (GetPublicKey); verifies and encrypts.
//! - [`HmacKey`]: one HMAC KMS key; generates and verifies MACs.
//! - [`DataKeyPair`]: a fresh PKCS#8 + SPKI pair for GenerateDataKeyPair.
//!
//! ```
//! use kmsd_asymmetric::{KeySpec, KeyUsage, MessageType, PrivateKey, PublicKey};
//! use kmsd_asymmetric::{SigningAlgorithmSpec, SystemRandom};
//!
//! let algorithm: SigningAlgorithmSpec = "ECDSA_SHA_256".parse()?;
//! let key = PrivateKey::generate(KeySpec::EccNistP256, KeyUsage::SignVerify)?;
//! let stored = key.pkcs8_der().to_vec(); // wrapped under the domain key in real life
//! let key = PrivateKey::from_pkcs8(KeySpec::EccNistP256, KeyUsage::SignVerify, &stored)?;
//! let signature = key.sign(algorithm, MessageType::Raw, b"hello", &SystemRandom::new())?;
//! let public = PublicKey::from_spki(KeySpec::EccNistP256, KeyUsage::SignVerify, key.public_key().spki())?;
//! assert!(public.verify(algorithm, MessageType::Raw, b"hello", &signature)?.is_valid());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Libraries
//! aws-lc-rs does everything it can: all key generation, RSA (PKCS#1 v1.5, PSS, OAEP), ECDSA on
//! P-256/P-384/P-521/secp256k1 over RAW messages and pre-computed digests, Ed25519, ML-DSA over
//! RAW messages, HMAC (constant-time verification), ECDH and the DER encodings. Two gaps are
//! filled by small RustCrypto / dalek crates, each confined to one module:
//! - **`ed25519-dalek` 2.x** (`ed25519ph`): `ED25519_PH_SHA_512` is Ed25519ph (RFC 8032
//!   HashEdDSA), which aws-lc-rs does not expose. The key is the same Ed25519 seed aws-lc-rs
//!   generated; `digest` 0.10 is named only to hand the caller's SHA-512 value to it.
//! - **`ml-dsa`** (`mldsa`): `MessageType::ExternalMu` needs FIPS 204 signing and
//!   verification over a caller-computed μ, which aws-lc-rs refuses. The key is derived from
//!   the seed inside aws-lc-rs's PKCS#8, so both libraries sign with the same key; RAW ML-DSA
//!   stays on aws-lc-rs.
//!
//! The `rsa` crate is deliberately not used (timing side channel in private-key operations).
//!
//! # Randomness
//! aws-lc-rs generates asymmetric keys, RSA-PSS salts, ECDSA nonces and OAEP seeds from
//! AWS-LC's own DRBG and takes no generator. Where this crate draws randomness itself (HMAC key
//! material, ML-DSA external-μ hedging) the generator is passed in.
#![forbid(unsafe_code)]

mod algorithms;
mod ed25519ph;
mod error;
mod hmac;
mod mldsa;
mod private_key;
mod public_key;
pub mod spec;

pub use aws_lc_rs::rand::{SecureRandom, SystemRandom};
pub use error::{AsymmetricError, Operation};
pub use hmac::HmacKey;
pub use private_key::{DataKeyPair, PrivateKey};
pub use public_key::PublicKey;
pub use spec::{
    AlgorithmLists, DataKeyPairSpec, EXTERNAL_MU_LEN, EncryptionAlgorithmSpec,
    KeyAgreementAlgorithmSpec, KeySpec, KeyUsage, MAX_MESSAGE_LEN, MacAlgorithmSpec, MessageType,
    SigningAlgorithmSpec, UnknownEnumValue,
};

/// The outcome of Verify or VerifyMac on a well-formed request: the service answers `Invalid`
/// with `KMSInvalidSignatureException` / `KMSInvalidMacException`.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Valid,
    Invalid,
}

impl Verification {
    pub fn is_valid(self) -> bool {
        self == Verification::Valid
    }

    fn from_bool(valid: bool) -> Self {
        if valid {
            Verification::Valid
        } else {
            Verification::Invalid
        }
    }
}

#[cfg(test)]
mod tests;
