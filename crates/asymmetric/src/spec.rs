//! The closed value sets this crate works with, parsed from (and printed as) their AWS wire
//! strings, and the tables that tie them together: which key usages a key spec allows, which
//! algorithms each spec supports (what DescribeKey and GetPublicKey list), which message types
//! each signing algorithm takes, and the size limits.

use std::fmt;
use std::str::FromStr;

/// A string that is not in an enum's value set (or is a value of the AWS enum that this crate
/// does not handle, such as `SYMMETRIC_DEFAULT` or `SM2`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {enum_name} value")]
pub struct UnknownEnumValue {
    /// The AWS enum the value was parsed as (`KeySpec`, `SigningAlgorithmSpec`, …).
    pub enum_name: &'static str,
    /// The value that did not parse.
    pub value: String,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident as $wire_name:literal { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value this crate handles, in the order the AWS model lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Every wire value, in model order (for validation messages).
            pub fn wire_values() -> &'static [&'static str] {
                &[$($wire),+]
            }
        }

        impl FromStr for $name {
            type Err = UnknownEnumValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownEnumValue { enum_name: $wire_name, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The `KeySpec` values of asymmetric and HMAC KMS keys: every AWS key spec except
    /// `SYMMETRIC_DEFAULT` (kmsd-crypto's business) and `SM2` (China Regions only).
    KeySpec as "KeySpec" {
        Rsa2048 => "RSA_2048",
        Rsa3072 => "RSA_3072",
        Rsa4096 => "RSA_4096",
        EccNistP256 => "ECC_NIST_P256",
        EccNistP384 => "ECC_NIST_P384",
        EccNistP521 => "ECC_NIST_P521",
        EccSecgP256k1 => "ECC_SECG_P256K1",
        Hmac224 => "HMAC_224",
        Hmac256 => "HMAC_256",
        Hmac384 => "HMAC_384",
        Hmac512 => "HMAC_512",
        MlDsa44 => "ML_DSA_44",
        MlDsa65 => "ML_DSA_65",
        MlDsa87 => "ML_DSA_87",
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
    }
);

wire_enum!(
    /// `KeyUsageType`: what a KMS key may be used for (fixed when the key is created).
    KeyUsage as "KeyUsageType" {
        SignVerify => "SIGN_VERIFY",
        EncryptDecrypt => "ENCRYPT_DECRYPT",
        GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        KeyAgreement => "KEY_AGREEMENT",
    }
);

wire_enum!(
    /// `SigningAlgorithmSpec` (without `SM2DSA`).
    SigningAlgorithmSpec as "SigningAlgorithmSpec" {
        RsassaPssSha256 => "RSASSA_PSS_SHA_256",
        RsassaPssSha384 => "RSASSA_PSS_SHA_384",
        RsassaPssSha512 => "RSASSA_PSS_SHA_512",
        RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
        RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
        RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
        EcdsaSha256 => "ECDSA_SHA_256",
        EcdsaSha384 => "ECDSA_SHA_384",
        EcdsaSha512 => "ECDSA_SHA_512",
        MlDsaShake256 => "ML_DSA_SHAKE_256",
        Ed25519Sha512 => "ED25519_SHA_512",
        Ed25519PhSha512 => "ED25519_PH_SHA_512",
    }
);

wire_enum!(
    /// `MessageType` of Sign and Verify (AWS's default is `RAW`).
    MessageType as "MessageType" {
        /// The message itself; it is hashed as the algorithm says.
        Raw => "RAW",
        /// The message is already the hash the algorithm would compute.
        Digest => "DIGEST",
        /// ML-DSA only: the 64-byte message representative μ of FIPS 204, computed by the caller.
        ExternalMu => "EXTERNAL_MU",
    }
);

wire_enum!(
    /// `MacAlgorithmSpec`.
    MacAlgorithmSpec as "MacAlgorithmSpec" {
        HmacSha224 => "HMAC_SHA_224",
        HmacSha256 => "HMAC_SHA_256",
        HmacSha384 => "HMAC_SHA_384",
        HmacSha512 => "HMAC_SHA_512",
    }
);

wire_enum!(
    /// `KeyAgreementAlgorithmSpec`.
    KeyAgreementAlgorithmSpec as "KeyAgreementAlgorithmSpec" {
        Ecdh => "ECDH",
    }
);

wire_enum!(
    /// The asymmetric part of `EncryptionAlgorithmSpec`: RSA OAEP. (`SYMMETRIC_DEFAULT` belongs to
    /// kmsd-crypto; `SM2PKE` is not supported.)
    EncryptionAlgorithmSpec as "EncryptionAlgorithmSpec" {
        RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
    }
);

wire_enum!(
    /// `DataKeyPairSpec` (without `SM2`).
    DataKeyPairSpec as "DataKeyPairSpec" {
        Rsa2048 => "RSA_2048",
        Rsa3072 => "RSA_3072",
        Rsa4096 => "RSA_4096",
        EccNistP256 => "ECC_NIST_P256",
        EccNistP384 => "ECC_NIST_P384",
        EccNistP521 => "ECC_NIST_P521",
        EccSecgP256k1 => "ECC_SECG_P256K1",
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
    }
);

/// Largest `Message` of Sign, Verify, GenerateMac and VerifyMac, in bytes (the smallest is 1).
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Length of an ML-DSA external μ (`MessageType::ExternalMu`), in bytes.
pub const EXTERNAL_MU_LEN: usize = 64;

/// The algorithm lists of one key, as DescribeKey and GetPublicKey show them: each list is empty
/// unless the key's usage is the one the list belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlgorithmLists {
    /// `EncryptionAlgorithms` (ENCRYPT_DECRYPT keys).
    pub encryption: &'static [EncryptionAlgorithmSpec],
    /// `SigningAlgorithms` (SIGN_VERIFY keys).
    pub signing: &'static [SigningAlgorithmSpec],
    /// `MacAlgorithms` (GENERATE_VERIFY_MAC keys).
    pub mac: &'static [MacAlgorithmSpec],
    /// `KeyAgreementAlgorithms` (KEY_AGREEMENT keys).
    pub key_agreement: &'static [KeyAgreementAlgorithmSpec],
}

const RSA_SIGNING: &[SigningAlgorithmSpec] = &[
    SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha384,
    SigningAlgorithmSpec::RsassaPkcs1V15Sha512,
    SigningAlgorithmSpec::RsassaPssSha256,
    SigningAlgorithmSpec::RsassaPssSha384,
    SigningAlgorithmSpec::RsassaPssSha512,
];
const RSA_ENCRYPTION: &[EncryptionAlgorithmSpec] = &[
    EncryptionAlgorithmSpec::RsaesOaepSha1,
    EncryptionAlgorithmSpec::RsaesOaepSha256,
];
const ECDH: &[KeyAgreementAlgorithmSpec] = &[KeyAgreementAlgorithmSpec::Ecdh];

impl KeySpec {
    /// The key usages a key of this spec may be created with, in the order AWS documents them.
    pub fn key_usages(self) -> &'static [KeyUsage] {
        use KeySpec::*;
        match self {
            Rsa2048 | Rsa3072 | Rsa4096 => &[KeyUsage::EncryptDecrypt, KeyUsage::SignVerify],
            EccNistP256 | EccNistP384 | EccNistP521 => {
                &[KeyUsage::SignVerify, KeyUsage::KeyAgreement]
            }
            EccSecgP256k1 | EccNistEdwards25519 | MlDsa44 | MlDsa65 | MlDsa87 => {
                &[KeyUsage::SignVerify]
            }
            Hmac224 | Hmac256 | Hmac384 | Hmac512 => &[KeyUsage::GenerateVerifyMac],
        }
    }

    /// Whether a key of this spec may have `usage`.
    pub fn supports_usage(self, usage: KeyUsage) -> bool {
        self.key_usages().contains(&usage)
    }

    /// The signing algorithms of this spec (empty if it cannot sign).
    pub fn signing_algorithms(self) -> &'static [SigningAlgorithmSpec] {
        use KeySpec::*;
        use SigningAlgorithmSpec as S;
        match self {
            Rsa2048 | Rsa3072 | Rsa4096 => RSA_SIGNING,
            EccNistP256 | EccSecgP256k1 => &[S::EcdsaSha256],
            EccNistP384 => &[S::EcdsaSha384],
            EccNistP521 => &[S::EcdsaSha512],
            EccNistEdwards25519 => &[S::Ed25519Sha512, S::Ed25519PhSha512],
            MlDsa44 | MlDsa65 | MlDsa87 => &[S::MlDsaShake256],
            Hmac224 | Hmac256 | Hmac384 | Hmac512 => &[],
        }
    }

    /// The encryption algorithms of this spec (RSA only).
    pub fn encryption_algorithms(self) -> &'static [EncryptionAlgorithmSpec] {
        match self {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => RSA_ENCRYPTION,
            _ => &[],
        }
    }

    /// The MAC algorithm of an HMAC spec: exactly the one of the same size.
    pub fn mac_algorithms(self) -> &'static [MacAlgorithmSpec] {
        match self {
            KeySpec::Hmac224 => &[MacAlgorithmSpec::HmacSha224],
            KeySpec::Hmac256 => &[MacAlgorithmSpec::HmacSha256],
            KeySpec::Hmac384 => &[MacAlgorithmSpec::HmacSha384],
            KeySpec::Hmac512 => &[MacAlgorithmSpec::HmacSha512],
            _ => &[],
        }
    }

    /// The key-agreement algorithms of this spec (ECDH on the NIST curves).
    pub fn key_agreement_algorithms(self) -> &'static [KeyAgreementAlgorithmSpec] {
        match self {
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => ECDH,
            _ => &[],
        }
    }

    /// The algorithm lists DescribeKey shows for a key of this spec and `usage`: only the list
    /// of that usage is filled (all are empty if the pair is not valid).
    pub fn algorithms(self, usage: KeyUsage) -> AlgorithmLists {
        if !self.supports_usage(usage) {
            return AlgorithmLists::default();
        }
        match usage {
            KeyUsage::SignVerify => AlgorithmLists {
                signing: self.signing_algorithms(),
                ..AlgorithmLists::default()
            },
            KeyUsage::EncryptDecrypt => AlgorithmLists {
                encryption: self.encryption_algorithms(),
                ..AlgorithmLists::default()
            },
            KeyUsage::GenerateVerifyMac => AlgorithmLists {
                mac: self.mac_algorithms(),
                ..AlgorithmLists::default()
            },
            KeyUsage::KeyAgreement => AlgorithmLists {
                key_agreement: self.key_agreement_algorithms(),
                ..AlgorithmLists::default()
            },
        }
    }

    /// HMAC specs: their material is random bytes rather than a key pair.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512
        )
    }

    /// Length in bytes of the HMAC key material KMS generates for an HMAC spec (the number in
    /// the spec's name is its length in bits); `None` for the other specs.
    pub fn hmac_key_len(self) -> Option<usize> {
        match self {
            KeySpec::Hmac224 => Some(28),
            KeySpec::Hmac256 => Some(32),
            KeySpec::Hmac384 => Some(48),
            KeySpec::Hmac512 => Some(64),
            _ => None,
        }
    }

    /// RSA modulus size in bits; `None` for the other specs.
    pub fn rsa_modulus_bits(self) -> Option<usize> {
        match self {
            KeySpec::Rsa2048 => Some(2048),
            KeySpec::Rsa3072 => Some(3072),
            KeySpec::Rsa4096 => Some(4096),
            _ => None,
        }
    }
}

impl SigningAlgorithmSpec {
    /// The message types this algorithm accepts, as AWS documents them: RSA and ECDSA take RAW
    /// or DIGEST; ED25519_SHA_512 only RAW; ED25519_PH_SHA_512 only DIGEST (a SHA-512 hash);
    /// ML_DSA_SHAKE_256 RAW or EXTERNAL_MU.
    pub fn message_types(self) -> &'static [MessageType] {
        use SigningAlgorithmSpec::*;
        match self {
            RsassaPssSha256 | RsassaPssSha384 | RsassaPssSha512 | RsassaPkcs1V15Sha256
            | RsassaPkcs1V15Sha384 | RsassaPkcs1V15Sha512 | EcdsaSha256 | EcdsaSha384
            | EcdsaSha512 => &[MessageType::Raw, MessageType::Digest],
            Ed25519Sha512 => &[MessageType::Raw],
            Ed25519PhSha512 => &[MessageType::Digest],
            MlDsaShake256 => &[MessageType::Raw, MessageType::ExternalMu],
        }
    }

    /// Whether `message_type` is valid with this algorithm.
    pub fn supports_message_type(self, message_type: MessageType) -> bool {
        self.message_types().contains(&message_type)
    }

    /// Length in bytes a `DIGEST` message must have (the hash size: 32 for *_256, 48 for
    /// *_384, 64 for *_512 and ED25519_PH_SHA_512); `None` where DIGEST is not accepted.
    pub fn digest_len(self) -> Option<usize> {
        use SigningAlgorithmSpec::*;
        match self {
            RsassaPssSha256 | RsassaPkcs1V15Sha256 | EcdsaSha256 => Some(32),
            RsassaPssSha384 | RsassaPkcs1V15Sha384 | EcdsaSha384 => Some(48),
            RsassaPssSha512 | RsassaPkcs1V15Sha512 | EcdsaSha512 | Ed25519PhSha512 => Some(64),
            Ed25519Sha512 | MlDsaShake256 => None,
        }
    }
}

impl MacAlgorithmSpec {
    /// Length of the MAC in bytes.
    pub fn mac_len(self) -> usize {
        match self {
            MacAlgorithmSpec::HmacSha224 => 28,
            MacAlgorithmSpec::HmacSha256 => 32,
            MacAlgorithmSpec::HmacSha384 => 48,
            MacAlgorithmSpec::HmacSha512 => 64,
        }
    }
}

impl EncryptionAlgorithmSpec {
    /// Largest plaintext RSA OAEP encrypts under a key of `spec`: modulus bytes − 2·hash bytes
    /// − 2 (AWS's table: RSA_2048 214/190, RSA_3072 342/318, RSA_4096 470/446 for SHA-1 /
    /// SHA-256). `None` for specs that cannot encrypt.
    pub fn max_plaintext_len(self, spec: KeySpec) -> Option<usize> {
        let modulus_bytes = spec.rsa_modulus_bits()? / 8;
        let hash_bytes = match self {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => 20,
            EncryptionAlgorithmSpec::RsaesOaepSha256 => 32,
        };
        Some(modulus_bytes - 2 * hash_bytes - 2)
    }
}

impl DataKeyPairSpec {
    /// The key spec of the same name (whose key generation a data key pair uses).
    pub fn key_spec(self) -> KeySpec {
        match self {
            DataKeyPairSpec::Rsa2048 => KeySpec::Rsa2048,
            DataKeyPairSpec::Rsa3072 => KeySpec::Rsa3072,
            DataKeyPairSpec::Rsa4096 => KeySpec::Rsa4096,
            DataKeyPairSpec::EccNistP256 => KeySpec::EccNistP256,
            DataKeyPairSpec::EccNistP384 => KeySpec::EccNistP384,
            DataKeyPairSpec::EccNistP521 => KeySpec::EccNistP521,
            DataKeyPairSpec::EccSecgP256k1 => KeySpec::EccSecgP256k1,
            DataKeyPairSpec::EccNistEdwards25519 => KeySpec::EccNistEdwards25519,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! round_trips {
        ($($t:ty),+) => {$(
            for v in <$t>::ALL {
                assert_eq!(v.as_str().parse::<$t>(), Ok(*v));
                assert_eq!(v.to_string(), v.as_str());
            }
            assert_eq!(<$t>::ALL.len(), <$t>::wire_values().len());
        )+};
    }

    #[test]
    fn wire_strings_round_trip() {
        round_trips!(
            KeySpec,
            KeyUsage,
            SigningAlgorithmSpec,
            MessageType,
            MacAlgorithmSpec,
            KeyAgreementAlgorithmSpec,
            EncryptionAlgorithmSpec,
            DataKeyPairSpec
        );
        assert_eq!(KeySpec::ALL.len(), 15);
        assert_eq!(SigningAlgorithmSpec::ALL.len(), 12);
        assert_eq!(DataKeyPairSpec::ALL.len(), 8);
    }

    #[test]
    fn values_outside_the_subset_are_refused() {
        for (bad, name) in [
            ("SYMMETRIC_DEFAULT", "KeySpec"),
            ("SM2", "KeySpec"),
            ("rsa_2048", "KeySpec"),
            ("", "KeySpec"),
        ] {
            let err = bad.parse::<KeySpec>().unwrap_err();
            assert_eq!(err.enum_name, name);
            assert_eq!(err.value, bad);
        }
        assert!("SM2DSA".parse::<SigningAlgorithmSpec>().is_err());
        assert!(
            "SYMMETRIC_DEFAULT"
                .parse::<EncryptionAlgorithmSpec>()
                .is_err()
        );
        assert!("SM2PKE".parse::<EncryptionAlgorithmSpec>().is_err());
        assert!("SM2".parse::<DataKeyPairSpec>().is_err());
        assert!("raw".parse::<MessageType>().is_err());
    }

    #[test]
    fn usages_per_spec() {
        use KeyUsage::*;
        for spec in KeySpec::ALL {
            let expected: &[KeyUsage] = match spec.as_str() {
                "RSA_2048" | "RSA_3072" | "RSA_4096" => &[EncryptDecrypt, SignVerify],
                "ECC_NIST_P256" | "ECC_NIST_P384" | "ECC_NIST_P521" => &[SignVerify, KeyAgreement],
                s if s.starts_with("HMAC_") => &[GenerateVerifyMac],
                _ => &[SignVerify],
            };
            assert_eq!(spec.key_usages(), expected, "{spec}");
            for usage in KeyUsage::ALL {
                assert_eq!(spec.supports_usage(*usage), expected.contains(usage));
            }
        }
    }

    #[test]
    fn describe_key_lists_match_the_reference() {
        let names = |l: &[SigningAlgorithmSpec]| l.iter().map(|a| a.as_str()).collect::<Vec<_>>();
        let rsa = KeySpec::Rsa3072.algorithms(KeyUsage::SignVerify);
        assert_eq!(
            names(rsa.signing),
            [
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512"
            ]
        );
        assert!(rsa.encryption.is_empty() && rsa.mac.is_empty() && rsa.key_agreement.is_empty());
        let rsa_enc = KeySpec::Rsa2048.algorithms(KeyUsage::EncryptDecrypt);
        assert_eq!(
            rsa_enc.encryption,
            [
                EncryptionAlgorithmSpec::RsaesOaepSha1,
                EncryptionAlgorithmSpec::RsaesOaepSha256
            ]
        );
        assert!(rsa_enc.signing.is_empty());
        assert_eq!(
            names(
                KeySpec::EccNistP256
                    .algorithms(KeyUsage::SignVerify)
                    .signing
            ),
            ["ECDSA_SHA_256"]
        );
        assert_eq!(
            names(
                KeySpec::EccNistP384
                    .algorithms(KeyUsage::SignVerify)
                    .signing
            ),
            ["ECDSA_SHA_384"]
        );
        assert_eq!(
            names(
                KeySpec::EccNistP521
                    .algorithms(KeyUsage::SignVerify)
                    .signing
            ),
            ["ECDSA_SHA_512"]
        );
        assert_eq!(
            names(
                KeySpec::EccSecgP256k1
                    .algorithms(KeyUsage::SignVerify)
                    .signing
            ),
            ["ECDSA_SHA_256"]
        );
        assert_eq!(
            names(
                KeySpec::EccNistEdwards25519
                    .algorithms(KeyUsage::SignVerify)
                    .signing
            ),
            ["ED25519_SHA_512", "ED25519_PH_SHA_512"]
        );
        for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
            assert_eq!(
                names(spec.algorithms(KeyUsage::SignVerify).signing),
                ["ML_DSA_SHAKE_256"]
            );
        }
        let ka = KeySpec::EccNistP384.algorithms(KeyUsage::KeyAgreement);
        assert_eq!(ka.key_agreement, [KeyAgreementAlgorithmSpec::Ecdh]);
        assert!(ka.signing.is_empty());
        assert_eq!(
            KeySpec::Hmac384.algorithms(KeyUsage::GenerateVerifyMac).mac,
            [MacAlgorithmSpec::HmacSha384]
        );
        // An invalid pair lists nothing.
        assert_eq!(
            KeySpec::EccSecgP256k1.algorithms(KeyUsage::KeyAgreement),
            AlgorithmLists::default()
        );
        assert_eq!(
            KeySpec::Hmac256.algorithms(KeyUsage::SignVerify),
            AlgorithmLists::default()
        );
    }

    #[test]
    fn oaep_plaintext_limits_match_the_reference_table() {
        use EncryptionAlgorithmSpec::*;
        let table = [
            (KeySpec::Rsa2048, 214, 190),
            (KeySpec::Rsa3072, 342, 318),
            (KeySpec::Rsa4096, 470, 446),
        ];
        for (spec, sha1, sha256) in table {
            assert_eq!(RsaesOaepSha1.max_plaintext_len(spec), Some(sha1));
            assert_eq!(RsaesOaepSha256.max_plaintext_len(spec), Some(sha256));
        }
        assert_eq!(RsaesOaepSha1.max_plaintext_len(KeySpec::EccNistP256), None);
    }

    #[test]
    fn digest_lengths_and_message_types() {
        use SigningAlgorithmSpec::*;
        assert_eq!(EcdsaSha256.digest_len(), Some(32));
        assert_eq!(RsassaPssSha384.digest_len(), Some(48));
        assert_eq!(RsassaPkcs1V15Sha512.digest_len(), Some(64));
        assert_eq!(Ed25519PhSha512.digest_len(), Some(64));
        assert_eq!(Ed25519Sha512.digest_len(), None);
        assert_eq!(MlDsaShake256.digest_len(), None);
        for alg in SigningAlgorithmSpec::ALL {
            assert_eq!(
                alg.supports_message_type(MessageType::Digest),
                alg.digest_len().is_some(),
                "{alg}"
            );
            assert_eq!(
                alg.supports_message_type(MessageType::ExternalMu),
                *alg == MlDsaShake256
            );
        }
        assert!(!Ed25519PhSha512.supports_message_type(MessageType::Raw));
    }

    #[test]
    fn hmac_and_data_key_pair_tables() {
        assert_eq!(KeySpec::Hmac224.hmac_key_len(), Some(28));
        assert_eq!(KeySpec::Hmac512.hmac_key_len(), Some(64));
        assert_eq!(KeySpec::Rsa2048.hmac_key_len(), None);
        for spec in KeySpec::ALL {
            assert_eq!(spec.is_hmac(), spec.hmac_key_len().is_some());
            for mac in spec.mac_algorithms() {
                assert_eq!(Some(mac.mac_len()), spec.hmac_key_len());
            }
        }
        for spec in DataKeyPairSpec::ALL {
            assert_eq!(spec.key_spec().as_str(), spec.as_str());
        }
    }
}
