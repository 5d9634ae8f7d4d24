//! The cryptographic core of kmsd: backing keys, the ciphertext blob, and wrapping under the
//! domain key. Built on aws-lc-rs.
//!
//! **Architecture Invariant:** no IO. The random generator is passed in; nothing here reads a
//! clock, a file or the network. Plaintext key material only ever lives in zeroizing types.
#![forbid(unsafe_code)]

mod backing_key;
mod blob;
mod domain_key;
mod error;

pub use aws_lc_rs::rand::{SecureRandom, SystemRandom};
pub use backing_key::BackingKey;
pub use blob::{CiphertextHeader, open_ciphertext, parse_header, seal_ciphertext};
pub use domain_key::{DomainKey, EktBinding, EncryptedKeyToken};
pub use error::CryptoError;

use zeroize::Zeroizing;

/// Fills a fresh zeroizing buffer of `len` random bytes (data keys, GenerateRandom).
pub fn random_secret(
    rng: &dyn SecureRandom,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    rng.fill(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}

/// Random bytes that are not secret (identifiers, nonces).
pub fn random_array<const N: usize>(rng: &dyn SecureRandom) -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    rng.fill(&mut out).map_err(|_| CryptoError::Random)?;
    Ok(out)
}
