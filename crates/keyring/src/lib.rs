//! Domain-key backends. A keyring holds the root of trust of a deployment and does exactly two
//! things with it: wrap backing keys into encrypted key tokens, and unwrap them again. The key
//! itself never leaves the keyring (so an HSM backend can keep it inside the token).
//!
//! Backends: [`FileKeyring`] (a key file made at first start). PKCS#11 comes later.
#![forbid(unsafe_code)]

mod file;

pub use file::FileKeyring;

use kmsd_crypto::{BackingKey, EktBinding, EncryptedKeyToken};
use zeroize::Zeroizing;

/// Why a keyring call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringError {
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path} is readable by other users (mode {mode:o}); it must be 0600")]
    Permissions { path: String, mode: u32 },
    #[error("key file {path} is malformed: {reason}")]
    Malformed { path: String, reason: &'static str },
    #[error("token was wrapped by domain-key version {0}, which this keyring does not hold")]
    UnknownVersion(u32),
    #[error(transparent)]
    Crypto(#[from] kmsd_crypto::CryptoError),
}

/// The root of trust: wraps and unwraps key material under the current domain key.
pub trait Keyring: Send + Sync + 'static {
    /// The version new tokens are wrapped under.
    fn current_version(&self) -> u32;

    fn wrap(
        &self,
        binding: &EktBinding<'_>,
        key: &BackingKey,
    ) -> Result<EncryptedKeyToken, KeyringError>;

    /// Unwraps with whichever domain-key version made the token.
    fn unwrap(
        &self,
        binding: &EktBinding<'_>,
        token: &EncryptedKeyToken,
    ) -> Result<BackingKey, KeyringError>;

    /// Seals a secret that must be stored (e.g. a secret access key), bound to `purpose`.
    fn seal_secret(&self, purpose: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeyringError>;

    fn open_secret(
        &self,
        purpose: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyringError>;

    /// Every domain-key version this keyring holds, oldest first (the current one among them).
    fn versions(&self) -> Vec<u32>;

    /// A 32-byte key for `purpose`, derived from domain-key `version` (HKDF-SHA-256 with the
    /// info `<purpose> v<version>`, e.g. `kmsd audit digest v1`). The same keyring always
    /// derives the same key, so anything holding it can check what was made with an older
    /// version. The domain key itself never leaves the keyring.
    fn derive_key(&self, version: u32, purpose: &str) -> Result<Zeroizing<[u8; 32]>, KeyringError>;
}

/// The HKDF info of [`Keyring::derive_key`]: `<purpose> v<version>`.
pub fn derivation_info(purpose: &str, version: u32) -> String {
    format!("{purpose} v{version}")
}
