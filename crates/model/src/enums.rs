//! The closed value sets of the KMS API, as Rust enums.

use std::fmt;
use std::str::FromStr;

/// A string that is not in an enum's value set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid value")]
pub struct UnknownEnumValue {
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order the API model lists them.
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
                    _ => Err(UnknownEnumValue { value: s.to_owned() }),
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

string_enum!(
    /// `KeySpec`: what kind of key material a KMS key holds.
    KeySpec {
        Rsa2048 => "RSA_2048",
        Rsa3072 => "RSA_3072",
        Rsa4096 => "RSA_4096",
        EccNistP256 => "ECC_NIST_P256",
        EccNistP384 => "ECC_NIST_P384",
        EccNistP521 => "ECC_NIST_P521",
        EccSecgP256k1 => "ECC_SECG_P256K1",
        SymmetricDefault => "SYMMETRIC_DEFAULT",
        Hmac224 => "HMAC_224",
        Hmac256 => "HMAC_256",
        Hmac384 => "HMAC_384",
        Hmac512 => "HMAC_512",
        Sm2 => "SM2",
        MlDsa44 => "ML_DSA_44",
        MlDsa65 => "ML_DSA_65",
        MlDsa87 => "ML_DSA_87",
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
    }
);

impl KeySpec {
    /// Values of the deprecated `CustomerMasterKeySpec` twin (no ML-DSA, no Ed25519).
    pub fn is_customer_master_key_spec(self) -> bool {
        !matches!(
            self,
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 | KeySpec::EccNistEdwards25519
        )
    }

    /// The wire values of `CustomerMasterKeySpec`, in model order (for validation messages).
    pub fn customer_master_key_spec_values() -> Vec<&'static str> {
        KeySpec::ALL
            .iter()
            .filter(|s| s.is_customer_master_key_spec())
            .map(|s| s.as_str())
            .collect()
    }
}

string_enum!(
    /// `KeyUsageType`.
    KeyUsage {
        SignVerify => "SIGN_VERIFY",
        EncryptDecrypt => "ENCRYPT_DECRYPT",
        GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        KeyAgreement => "KEY_AGREEMENT",
    }
);

string_enum!(
    /// `KeyState`.
    KeyState {
        Creating => "Creating",
        Enabled => "Enabled",
        Disabled => "Disabled",
        PendingDeletion => "PendingDeletion",
        PendingImport => "PendingImport",
        PendingReplicaDeletion => "PendingReplicaDeletion",
        Unavailable => "Unavailable",
        Updating => "Updating",
    }
);

string_enum!(
    /// `OriginType`: where a key's material comes from.
    Origin {
        AwsKms => "AWS_KMS",
        External => "EXTERNAL",
        AwsCloudHsm => "AWS_CLOUDHSM",
        ExternalKeyStore => "EXTERNAL_KEY_STORE",
    }
);

string_enum!(
    /// `KeyManagerType`.
    KeyManager {
        Aws => "AWS",
        Customer => "CUSTOMER",
    }
);

string_enum!(
    /// `EncryptionAlgorithmSpec`.
    EncryptionAlgorithm {
        SymmetricDefault => "SYMMETRIC_DEFAULT",
        RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
        RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        Sm2Pke => "SM2PKE",
    }
);

string_enum!(
    /// `SigningAlgorithmSpec`.
    SigningAlgorithm {
        RsassaPssSha256 => "RSASSA_PSS_SHA_256",
        RsassaPssSha384 => "RSASSA_PSS_SHA_384",
        RsassaPssSha512 => "RSASSA_PSS_SHA_512",
        RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
        RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
        RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
        EcdsaSha256 => "ECDSA_SHA_256",
        EcdsaSha384 => "ECDSA_SHA_384",
        EcdsaSha512 => "ECDSA_SHA_512",
        Sm2Dsa => "SM2DSA",
        MlDsaShake256 => "ML_DSA_SHAKE_256",
        Ed25519Sha512 => "ED25519_SHA_512",
        Ed25519PhSha512 => "ED25519_PH_SHA_512",
    }
);

string_enum!(
    /// `MessageType` of Sign and Verify (`RAW` when absent).
    MessageType {
        Raw => "RAW",
        Digest => "DIGEST",
        ExternalMu => "EXTERNAL_MU",
    }
);

string_enum!(
    /// `MacAlgorithmSpec`.
    MacAlgorithm {
        HmacSha224 => "HMAC_SHA_224",
        HmacSha256 => "HMAC_SHA_256",
        HmacSha384 => "HMAC_SHA_384",
        HmacSha512 => "HMAC_SHA_512",
    }
);

string_enum!(
    /// `KeyAgreementAlgorithmSpec`.
    KeyAgreementAlgorithm {
        Ecdh => "ECDH",
    }
);

string_enum!(
    /// `DataKeyPairSpec`: the key pair GenerateDataKeyPair makes.
    DataKeyPairSpec {
        Rsa2048 => "RSA_2048",
        Rsa3072 => "RSA_3072",
        Rsa4096 => "RSA_4096",
        EccNistP256 => "ECC_NIST_P256",
        EccNistP384 => "ECC_NIST_P384",
        EccNistP521 => "ECC_NIST_P521",
        EccSecgP256k1 => "ECC_SECG_P256K1",
        Sm2 => "SM2",
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
    }
);

string_enum!(
    /// `DataKeySpec`.
    DataKeySpec {
        Aes256 => "AES_256",
        Aes128 => "AES_128",
    }
);

impl DataKeySpec {
    /// The data key length in bytes.
    pub fn byte_len(self) -> usize {
        match self {
            DataKeySpec::Aes256 => 32,
            DataKeySpec::Aes128 => 16,
        }
    }
}

string_enum!(
    /// `RotationType`: how a rotation came about.
    RotationType {
        Automatic => "AUTOMATIC",
        OnDemand => "ON_DEMAND",
    }
);

string_enum!(
    /// `KeyLastUsageTrackingOperation`: the cryptographic operations GetKeyLastUsage reports.
    KeyUsageOperation {
        Decrypt => "Decrypt",
        DeriveSharedSecret => "DeriveSharedSecret",
        Encrypt => "Encrypt",
        GenerateDataKey => "GenerateDataKey",
        GenerateDataKeyPair => "GenerateDataKeyPair",
        GenerateDataKeyPairWithoutPlaintext => "GenerateDataKeyPairWithoutPlaintext",
        GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
        GenerateMac => "GenerateMac",
        ReEncrypt => "ReEncrypt",
        Sign => "Sign",
        Verify => "Verify",
        VerifyMac => "VerifyMac",
    }
);

string_enum!(
    /// `GrantOperation`: an operation a grant may allow.
    GrantOperation {
        Decrypt => "Decrypt",
        Encrypt => "Encrypt",
        GenerateDataKey => "GenerateDataKey",
        GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
        ReEncryptFrom => "ReEncryptFrom",
        ReEncryptTo => "ReEncryptTo",
        Sign => "Sign",
        Verify => "Verify",
        GetPublicKey => "GetPublicKey",
        CreateGrant => "CreateGrant",
        RetireGrant => "RetireGrant",
        DescribeKey => "DescribeKey",
        GenerateDataKeyPair => "GenerateDataKeyPair",
        GenerateDataKeyPairWithoutPlaintext => "GenerateDataKeyPairWithoutPlaintext",
        GenerateMac => "GenerateMac",
        VerifyMac => "VerifyMac",
        DeriveSharedSecret => "DeriveSharedSecret",
    }
);

impl GrantOperation {
    /// Whether the operation takes an encryption context, so that a grant constraint can
    /// apply to it (AWS ignores constraints for DescribeKey and RetireGrant, and refuses them
    /// on grants for operations that take no context).
    pub fn takes_encryption_context(self) -> bool {
        matches!(
            self,
            GrantOperation::Decrypt
                | GrantOperation::Encrypt
                | GrantOperation::GenerateDataKey
                | GrantOperation::GenerateDataKeyWithoutPlaintext
                | GrantOperation::ReEncryptFrom
                | GrantOperation::ReEncryptTo
                | GrantOperation::CreateGrant
                | GrantOperation::GenerateDataKeyPair
                | GrantOperation::GenerateDataKeyPairWithoutPlaintext
        )
    }

    /// The operation's action name in policies (`kms:Decrypt`).
    pub fn action(self) -> &'static str {
        match self {
            GrantOperation::Decrypt => "kms:Decrypt",
            GrantOperation::Encrypt => "kms:Encrypt",
            GrantOperation::GenerateDataKey => "kms:GenerateDataKey",
            GrantOperation::GenerateDataKeyWithoutPlaintext => {
                "kms:GenerateDataKeyWithoutPlaintext"
            }
            GrantOperation::ReEncryptFrom => "kms:ReEncryptFrom",
            GrantOperation::ReEncryptTo => "kms:ReEncryptTo",
            GrantOperation::Sign => "kms:Sign",
            GrantOperation::Verify => "kms:Verify",
            GrantOperation::GetPublicKey => "kms:GetPublicKey",
            GrantOperation::CreateGrant => "kms:CreateGrant",
            GrantOperation::RetireGrant => "kms:RetireGrant",
            GrantOperation::DescribeKey => "kms:DescribeKey",
            GrantOperation::GenerateDataKeyPair => "kms:GenerateDataKeyPair",
            GrantOperation::GenerateDataKeyPairWithoutPlaintext => {
                "kms:GenerateDataKeyPairWithoutPlaintext"
            }
            GrantOperation::GenerateMac => "kms:GenerateMac",
            GrantOperation::VerifyMac => "kms:VerifyMac",
            GrantOperation::DeriveSharedSecret => "kms:DeriveSharedSecret",
        }
    }

    /// The grant operation behind a policy action, if grants can allow it.
    pub fn from_action(action: &str) -> Option<GrantOperation> {
        GrantOperation::ALL
            .iter()
            .copied()
            .find(|op| op.action() == action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_wire_value() {
        for spec in KeySpec::ALL {
            assert_eq!(spec.as_str().parse::<KeySpec>(), Ok(*spec));
        }
        for state in KeyState::ALL {
            assert_eq!(state.as_str().parse::<KeyState>(), Ok(*state));
        }
        assert!("symmetric_default".parse::<KeySpec>().is_err());
        assert_eq!(SigningAlgorithm::ALL.len(), 13);
        assert_eq!(DataKeyPairSpec::ALL.len(), 9);
        assert_eq!(KeySpec::customer_master_key_spec_values().len(), 13);
        assert!(!KeySpec::customer_master_key_spec_values().contains(&"ML_DSA_65"));
    }
}
