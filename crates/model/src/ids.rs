//! Identifiers: accounts, regions, keys, aliases and key material, each a newtype that can
//! only hold a well-formed value.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a well-formed identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    #[error("invalid account id")]
    Account,
    #[error("invalid region")]
    Region,
    #[error("invalid key id")]
    KeyId,
    #[error("invalid ARN")]
    Arn,
    #[error("invalid alias name")]
    AliasName,
    #[error("invalid key material id")]
    BackingKeyId,
}

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(s.to_owned()))
        } else {
            Err(IdError::Account)
        }
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A region name such as `us-east-1`: lowercase letters, digits and dashes, starting with a
/// letter, 1–32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Region {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let ok = (1..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.ends_with('-');
        if ok {
            Ok(Region(s.to_owned()))
        } else {
            Err(IdError::Region)
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A KMS key id: a lowercase UUID (`1234abcd-12ab-34cd-56ef-1234567890ab`), or a multi-Region
/// key id (`mrk-` + 32 lowercase hex digits). Always 16 bytes underneath.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId {
    bytes: [u8; 16],
    multi_region: bool,
}

impl KeyId {
    /// A single-Region key id from 16 random bytes (made a version-4 UUID).
    pub fn from_random(mut bytes: [u8; 16]) -> KeyId {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        KeyId {
            bytes,
            multi_region: false,
        }
    }

    pub fn from_bytes(bytes: [u8; 16], multi_region: bool) -> KeyId {
        KeyId {
            bytes,
            multi_region,
        }
    }

    pub fn bytes(&self) -> &[u8; 16] {
        &self.bytes
    }

    pub fn is_multi_region(&self) -> bool {
        self.multi_region
    }
}

fn hex_nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn decode_lower_hex(s: &str, out: &mut [u8]) -> Option<()> {
    let bytes = s.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex_nibble(pair[0])? << 4) | hex_nibble(pair[1])?;
    }
    Some(())
}

impl FromStr for KeyId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let mut bytes = [0u8; 16];
        if let Some(hex) = s.strip_prefix("mrk-") {
            decode_lower_hex(hex, &mut bytes).ok_or(IdError::KeyId)?;
            return Ok(KeyId {
                bytes,
                multi_region: true,
            });
        }
        let b = s.as_bytes();
        if b.len() != 36 || UUID_DASHES.iter().any(|&i| b[i] != b'-') {
            return Err(IdError::KeyId);
        }
        // The five groups, 4-2-2-2-6 bytes, without their dashes.
        let groups = [
            (0, 0..8),
            (4, 9..13),
            (6, 14..18),
            (8, 19..23),
            (10, 24..36),
        ];
        for (at, text) in groups {
            let len = text.len() / 2;
            s.get(text)
                .and_then(|hex| decode_lower_hex(hex, &mut bytes[at..at + len]))
                .ok_or(IdError::KeyId)?;
        }
        Ok(KeyId {
            bytes,
            multi_region: false,
        })
    }
}

/// Where UUID text has its dashes.
const UUID_DASHES: [usize; 4] = [8, 13, 18, 23];

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// 16 bytes as UUID text: 8-4-4-4-12 lower-case hex digits. The one formatter behind
/// [`KeyId`]'s `Display` and the audit trail's event ids; it writes to the stack, not through
/// `fmt` per byte.
#[derive(Clone, Copy)]
pub struct UuidText([u8; 36]);

impl UuidText {
    pub fn new(bytes: &[u8; 16]) -> UuidText {
        let mut text = [b'-'; 36];
        let mut at = 0;
        for (i, b) in bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                at += 1;
            }
            text[at] = HEX_DIGITS[usize::from(b >> 4)];
            text[at + 1] = HEX_DIGITS[usize::from(b & 0x0f)];
            at += 2;
        }
        UuidText(text)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and dashes were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.multi_region {
            let mut text = *b"mrk-00000000000000000000000000000000";
            for (i, b) in self.bytes.iter().enumerate() {
                text[4 + 2 * i] = HEX_DIGITS[usize::from(b >> 4)];
                text[5 + 2 * i] = HEX_DIGITS[usize::from(b & 0x0f)];
            }
            return f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        f.write_str(UuidText::new(&self.bytes).as_str())
    }
}

/// `arn:<partition>:kms:<region>:<account>:key/<key-id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyArn {
    pub partition: String,
    pub region: Region,
    pub account: AccountId,
    pub key_id: KeyId,
}

impl fmt::Display for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:key/{}",
            self.partition, self.region, self.account, self.key_id
        )
    }
}

/// `alias/<name>`: 1–256 characters of `[a-zA-Z0-9:/_-]` in all, `alias/` included.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasName(String);

impl AliasName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Names under `alias/aws/` belong to AWS managed keys.
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with("alias/aws/") || self.0 == "alias/aws"
    }
}

impl FromStr for AliasName {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let ok = s.len() <= 256
            && s.len() > "alias/".len()
            && s.starts_with("alias/")
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-:".contains(&b));
        if ok {
            Ok(AliasName(s.to_owned()))
        } else {
            Err(IdError::AliasName)
        }
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AliasArn {
    pub partition: String,
    pub region: Region,
    pub account: AccountId,
    pub alias: AliasName,
}

impl fmt::Display for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}",
            self.partition, self.region, self.account, self.alias
        )
    }
}

/// Any of the ways a request may name a KMS key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyReference {
    Id(KeyId),
    Arn(KeyArn),
    Alias(AliasName),
    AliasArn(AliasArn),
}

impl KeyReference {
    /// Parses a `KeyId`-shaped request value. `Err` means no key can ever have this name.
    pub fn parse(s: &str) -> Result<KeyReference, IdError> {
        if let Some(rest) = s.strip_prefix("arn:") {
            let mut parts = rest.splitn(5, ':');
            let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return Err(IdError::Arn);
            };
            if service != "kms" || partition.is_empty() || !partition.starts_with("aws") {
                return Err(IdError::Arn);
            }
            let region: Region = region.parse().map_err(|_| IdError::Arn)?;
            let account: AccountId = account.parse().map_err(|_| IdError::Arn)?;
            let partition = partition.to_owned();
            if let Some(id) = resource.strip_prefix("key/") {
                let key_id = id.parse()?;
                return Ok(KeyReference::Arn(KeyArn {
                    partition,
                    region,
                    account,
                    key_id,
                }));
            }
            if resource.starts_with("alias/") {
                let alias = resource.parse()?;
                return Ok(KeyReference::AliasArn(AliasArn {
                    partition,
                    region,
                    account,
                    alias,
                }));
            }
            return Err(IdError::Arn);
        }
        if s.starts_with("alias/") {
            return Ok(KeyReference::Alias(s.parse()?));
        }
        Ok(KeyReference::Id(s.parse()?))
    }

    pub fn is_alias(&self) -> bool {
        matches!(self, KeyReference::Alias(_) | KeyReference::AliasArn(_))
    }
}

/// The id of one version of one key's material (AWS: `KeyMaterialId`, 64 hex digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BackingKeyId(pub [u8; 32]);

impl FromStr for BackingKeyId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let mut bytes = [0u8; 32];
        decode_lower_hex(s, &mut bytes).ok_or(IdError::BackingKeyId)?;
        Ok(BackingKeyId(bytes))
    }
}

impl fmt::Display for BackingKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BackingKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BackingKeyId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_round_trips() {
        let s = "1234abcd-12ab-34cd-56ef-1234567890ab";
        let id: KeyId = s.parse().unwrap();
        assert_eq!(id.to_string(), s);
        let m = "mrk-1234abcd12ab34cd56ef1234567890ab";
        assert_eq!(m.parse::<KeyId>().unwrap().to_string(), m);
        assert!(
            "1234ABCD-12ab-34cd-56ef-1234567890ab"
                .parse::<KeyId>()
                .is_err()
        );
        assert!(
            "1234abcd-12ab-34cd-56ef-1234567890a"
                .parse::<KeyId>()
                .is_err()
        );
        for bad in [
            "1234abcd+12ab-34cd-56ef-1234567890ab",
            "1234abc-d12ab-34cd-56ef-1234567890ab",
            "1234abcd-12ab-34cd-56ef-1234567890-b",
            "1234abcd-12ab-34cd-56ef-1234567890\u{e9}",
            "1234abcd-12ab-34cd-56ef-1234567890abcd",
        ] {
            assert!(bad.parse::<KeyId>().is_err(), "{bad}");
        }
        let bytes = [0xa5; 16];
        assert_eq!(
            UuidText::new(&bytes).as_str(),
            "a5a5a5a5-a5a5-a5a5-a5a5-a5a5a5a5a5a5"
        );
    }

    #[test]
    fn parses_every_reference_form() {
        let id = "1234abcd-12ab-34cd-56ef-1234567890ab";
        assert!(matches!(KeyReference::parse(id), Ok(KeyReference::Id(_))));
        let arn = format!("arn:aws:kms:us-east-1:111122223333:key/{id}");
        match KeyReference::parse(&arn).unwrap() {
            KeyReference::Arn(a) => assert_eq!(a.to_string(), arn),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            KeyReference::parse("alias/my-key"),
            Ok(KeyReference::Alias(_))
        ));
        let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/my-key";
        match KeyReference::parse(alias_arn).unwrap() {
            KeyReference::AliasArn(a) => assert_eq!(a.to_string(), alias_arn),
            other => panic!("{other:?}"),
        }
        assert!(KeyReference::parse("arn:aws:s3:us-east-1:111122223333:key/x").is_err());
        assert!(KeyReference::parse("nonsense").is_err());
        assert!(KeyReference::parse("alias/").is_err());
    }

    #[test]
    fn random_key_ids_are_v4_uuids() {
        let id = KeyId::from_random([0xff; 16]);
        let s = id.to_string();
        assert_eq!(&s[14..15], "4");
        assert_eq!(s.parse::<KeyId>().unwrap(), id);
    }
}
