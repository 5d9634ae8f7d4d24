//! Backing keys: the material of one version of one symmetric KMS key (AWS's HBK).

use crate::CryptoError;
use aws_lc_rs::rand::SecureRandom;
use kmsd_model::BackingKeyId;
use zeroize::Zeroizing;

/// 256 bits of AES key material. Zeroized on drop; `Debug` never shows the bytes.
pub struct BackingKey {
    id: BackingKeyId,
    material: Zeroizing<[u8; 32]>,
}

impl BackingKey {
    /// A new backing key with a random id.
    pub fn generate(rng: &dyn SecureRandom) -> Result<BackingKey, CryptoError> {
        let mut material = Zeroizing::new([0u8; 32]);
        rng.fill(material.as_mut())
            .map_err(|_| CryptoError::Random)?;
        let id = BackingKeyId(crate::random_array(rng)?);
        Ok(BackingKey { id, material })
    }

    /// Rebuilds a backing key from unwrapped material.
    pub fn from_parts(id: BackingKeyId, material: Zeroizing<[u8; 32]>) -> BackingKey {
        BackingKey { id, material }
    }

    pub fn id(&self) -> BackingKeyId {
        self.id
    }

    pub(crate) fn material(&self) -> &[u8; 32] {
        &self.material
    }
}

impl std::fmt::Debug for BackingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
