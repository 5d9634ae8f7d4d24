//! The key-file backend: the domain key lives in a file of its own (mode 0600, never inside the
//! database), made at first start.
//!
//! File format (text, one item per line):
//! ```text
//! kmsd-domain-key v1
//! current 1
//! key 1 <base64 of 32 bytes>
//! ```
//! Several `key` lines may exist once the domain key is rotated; tokens name their version.

use crate::{Keyring, KeyringError, derivation_info};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Prk, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kmsd_crypto::{BackingKey, DomainKey, EktBinding, EncryptedKeyToken, SystemRandom};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

const MAGIC: &str = "kmsd-domain-key v1";

/// The HKDF salt of [`Keyring::derive_key`]: a fixed label, so derived keys are separated
/// from every other use of the domain key.
const DERIVATION_SALT: &[u8] = b"kmsd-keyring derived keys v1";

/// A keyring backed by a key file.
#[derive(Debug)]
pub struct FileKeyring {
    current: u32,
    keys: BTreeMap<u32, DomainKey>,
    /// Per version, the HKDF pseudo-random key extracted from the domain key (never the key
    /// itself; aws-lc-rs keeps it opaque and zeroes it on drop).
    derivation: BTreeMap<u32, DerivationKey>,
    rng: SystemRandom,
}

struct DerivationKey(Prk);

impl std::fmt::Debug for DerivationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivationKey(..)")
    }
}

/// 32 bytes of HKDF output.
struct Len32;

impl KeyType for Len32 {
    fn len(&self) -> usize {
        32
    }
}

impl FileKeyring {
    /// Opens the key file at `path`, or makes one with a fresh random domain key if there is
    /// none. Refuses a file that other users can read.
    pub fn open_or_create(path: &Path) -> Result<FileKeyring, KeyringError> {
        let rng = SystemRandom::new();
        if !path.exists() {
            create(path, &rng)?;
            tracing::info!(path = %path.display(), "created a new domain key file");
        }
        check_permissions(path)?;
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| io(path, e))?);
        let (current, keys, derivation) = parse(path, &text)?;
        Ok(FileKeyring {
            current,
            keys,
            derivation,
            rng,
        })
    }

    fn key(&self, version: u32) -> Result<&DomainKey, KeyringError> {
        self.keys
            .get(&version)
            .ok_or(KeyringError::UnknownVersion(version))
    }
}

impl Keyring for FileKeyring {
    fn current_version(&self) -> u32 {
        self.current
    }

    fn wrap(
        &self,
        binding: &EktBinding<'_>,
        key: &BackingKey,
    ) -> Result<EncryptedKeyToken, KeyringError> {
        Ok(self.key(self.current)?.wrap(&self.rng, binding, key)?)
    }

    fn unwrap(
        &self,
        binding: &EktBinding<'_>,
        token: &EncryptedKeyToken,
    ) -> Result<BackingKey, KeyringError> {
        let version = token.domain_key_version().ok_or(KeyringError::Crypto(
            kmsd_crypto::CryptoError::Authentication,
        ))?;
        Ok(self.key(version)?.unwrap(binding, token)?)
    }

    fn seal_secret(&self, purpose: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeyringError> {
        Ok(self
            .key(self.current)?
            .seal_secret(&self.rng, purpose, secret)?)
    }

    fn open_secret(
        &self,
        purpose: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyringError> {
        let version = sealed
            .get(1..5)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(u32::from_be_bytes)
            .ok_or(KeyringError::Crypto(
                kmsd_crypto::CryptoError::Authentication,
            ))?;
        Ok(self.key(version)?.open_secret(purpose, sealed)?)
    }

    fn versions(&self) -> Vec<u32> {
        self.keys.keys().copied().collect()
    }

    fn derive_key(&self, version: u32, purpose: &str) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
        let prk = self
            .derivation
            .get(&version)
            .ok_or(KeyringError::UnknownVersion(version))?;
        let info = derivation_info(purpose, version);
        let info = [info.as_bytes()];
        let mut out = Zeroizing::new([0u8; 32]);
        prk.0
            .expand(&info, Len32)
            .and_then(|okm| okm.fill(&mut out[..]))
            .map_err(|_| KeyringError::Crypto(kmsd_crypto::CryptoError::Length))?;
        Ok(out)
    }
}

fn io(path: &Path, source: std::io::Error) -> KeyringError {
    KeyringError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn malformed(path: &Path, reason: &'static str) -> KeyringError {
    KeyringError::Malformed {
        path: path.display().to_string(),
        reason,
    }
}

fn create(path: &Path, rng: &SystemRandom) -> Result<(), KeyringError> {
    let key = kmsd_crypto::random_secret(rng, 32)?;
    let encoded = Zeroizing::new(STANDARD.encode(&key[..]));
    let contents = Zeroizing::new(format!("{MAGIC}\ncurrent 1\nkey 1 {}\n", encoded.as_str()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    // Write to a temporary name and rename, so a crash never leaves a half-written key file.
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(|e| io(&tmp, e))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| io(&tmp, e))?;
    file.sync_all().map_err(|e| io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(dir, e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), KeyringError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| io(path, e))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyringError::Permissions {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), KeyringError> {
    Ok(())
}

type Parsed = (u32, BTreeMap<u32, DomainKey>, BTreeMap<u32, DerivationKey>);

fn parse(path: &Path, text: &str) -> Result<Parsed, KeyringError> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(malformed(path, "first line is not the format marker"));
    }
    let mut current = None;
    let mut keys = BTreeMap::new();
    let mut derivation = BTreeMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_ascii_whitespace();
        match (fields.next(), fields.next(), fields.next(), fields.next()) {
            (Some("current"), Some(v), None, None) => {
                current = Some(
                    v.parse::<u32>()
                        .map_err(|_| malformed(path, "bad current version"))?,
                );
            }
            (Some("key"), Some(v), Some(b64), None) => {
                let version = v
                    .parse::<u32>()
                    .map_err(|_| malformed(path, "bad key version"))?;
                let bytes = Zeroizing::new(
                    STANDARD
                        .decode(b64)
                        .map_err(|_| malformed(path, "key is not base64"))?,
                );
                let mut array = Zeroizing::new([0u8; 32]);
                if bytes.len() != 32 {
                    return Err(malformed(path, "key is not 32 bytes"));
                }
                array.copy_from_slice(&bytes);
                keys.insert(version, DomainKey::from_bytes(version, &array)?);
                let salt = Salt::new(HKDF_SHA256, DERIVATION_SALT);
                derivation.insert(version, DerivationKey(salt.extract(&array[..])));
            }
            _ => return Err(malformed(path, "unknown line")),
        }
    }
    let current = current.ok_or_else(|| malformed(path, "no current version"))?;
    if !keys.contains_key(&current) {
        return Err(malformed(path, "current version has no key"));
    }
    Ok((current, keys, derivation))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use kmsd_model::BackingKeyId;

    #[test]
    fn creates_once_then_reopens_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domain-key");
        let ring = FileKeyring::open_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let rng = SystemRandom::new();
        let bk = BackingKey::generate(&rng).unwrap();
        let binding = EktBinding {
            key_arn: "arn:k",
            backing_key_id: bk.id(),
        };
        let ekt = ring.wrap(&binding, &bk).unwrap();
        drop(ring);
        let again = FileKeyring::open_or_create(&path).unwrap();
        assert_eq!(again.unwrap(&binding, &ekt).unwrap().id(), bk.id());
        let wrong = EktBinding {
            key_arn: "arn:k",
            backing_key_id: BackingKeyId([0; 32]),
        };
        assert!(again.unwrap(&wrong, &ekt).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_world_readable_key_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domain-key");
        FileKeyring::open_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            FileKeyring::open_or_create(&path),
            Err(KeyringError::Permissions { .. })
        ));
    }

    #[test]
    fn derives_stable_separate_keys_per_purpose_and_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domain-key");
        let ring = FileKeyring::open_or_create(&path).unwrap();
        assert_eq!(ring.versions(), vec![1]);
        let a = ring.derive_key(1, "kmsd audit digest").unwrap();
        let b = ring.derive_key(1, "kmsd audit digest").unwrap();
        let other = ring.derive_key(1, "something else").unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *other);
        assert_ne!(*a, [0u8; 32]);
        assert!(matches!(
            ring.derive_key(2, "kmsd audit digest"),
            Err(KeyringError::UnknownVersion(2))
        ));
        drop(ring);
        let again = FileKeyring::open_or_create(&path).unwrap();
        assert_eq!(*again.derive_key(1, "kmsd audit digest").unwrap(), *a);
        // Another domain key derives another key.
        let other_dir = tempfile::tempdir().unwrap();
        let other_ring = FileKeyring::open_or_create(&other_dir.path().join("domain-key")).unwrap();
        assert_ne!(*other_ring.derive_key(1, "kmsd audit digest").unwrap(), *a);
    }

    #[test]
    fn every_version_derives_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domain-key");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options.open(&path).unwrap();
        let k1 = STANDARD.encode([1u8; 32]);
        let k2 = STANDARD.encode([2u8; 32]);
        f.write_all(format!("{MAGIC}\ncurrent 2\nkey 1 {k1}\nkey 2 {k2}\n").as_bytes())
            .unwrap();
        drop(f);
        let ring = FileKeyring::open_or_create(&path).unwrap();
        assert_eq!(ring.versions(), vec![1, 2]);
        assert_eq!(ring.current_version(), 2);
        let v1 = ring.derive_key(1, "kmsd audit digest").unwrap();
        let v2 = ring.derive_key(2, "kmsd audit digest").unwrap();
        assert_ne!(*v1, *v2);
    }

    #[test]
    fn refuses_a_malformed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("domain-key");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut f = options.open(&path).unwrap();
        f.write_all(b"kmsd-domain-key v1\ncurrent 2\nkey 1 AAAA\n")
            .unwrap();
        assert!(matches!(
            FileKeyring::open_or_create(&path),
            Err(KeyringError::Malformed { .. })
        ));
    }
}
