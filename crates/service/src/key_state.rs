//! Which operations a key's state allows (reference §5.1), and the errors it gives otherwise.
//! Operations that work in every state (DescribeKey, DeleteAlias, the key-policy and list
//! operations) make no check.

use crate::KmsError;
use crate::key_cache::CachedKey;
use kmsd_model::KeyState;

/// The rows of the key-state table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateRule {
    /// Encrypt, Decrypt, ReEncrypt, GenerateDataKey*, GenerateDataKeyPair*, Sign, Verify,
    /// GenerateMac, VerifyMac, DeriveSharedSecret.
    Crypto,
    /// GetPublicKey: as the crypto operations, except that a Disabled key still gives its
    /// public key (what AWS does, though its key-state table says otherwise).
    PublicKey,
    /// CreateGrant: as the crypto operations, except that an Unavailable key takes grants.
    Grant,
    /// EnableKey, DisableKey.
    EnableDisable,
    /// CreateAlias, TagResource, UntagResource, UpdateKeyDescription (and an UpdateAlias target).
    Modify,
    /// EnableKeyRotation, DisableKeyRotation, RotateKeyOnDemand.
    Rotation,
    /// ScheduleKeyDeletion.
    ScheduleDeletion,
}

pub(crate) fn check(rule: StateRule, key: &CachedKey) -> Result<(), KmsError> {
    use KeyState::*;
    let arn = &key.arn;
    let state = key.record.state;
    let invalid = |what: &str| Err(KmsError::InvalidState(format!("{arn} is {what}.")));
    match (rule, state) {
        (_, PendingDeletion | PendingReplicaDeletion) => invalid("pending deletion"),
        (_, Creating) => invalid("creating"),
        (StateRule::Crypto, Enabled | Updating) => Ok(()),
        (StateRule::PublicKey, Enabled | Disabled | Updating) => Ok(()),
        (StateRule::PublicKey, PendingImport) => invalid("pending import"),
        (StateRule::PublicKey, Unavailable) => invalid("unavailable"),
        (StateRule::Grant, Enabled | Updating | Unavailable) => Ok(()),
        (StateRule::Grant, Disabled) => Err(KmsError::Disabled {
            key_arn: arn.clone(),
        }),
        (StateRule::Grant, PendingImport) => invalid("pending import"),
        (StateRule::Crypto, Disabled) => Err(KmsError::Disabled {
            key_arn: arn.clone(),
        }),
        (StateRule::Crypto, PendingImport) => invalid("pending import"),
        (StateRule::Crypto, Unavailable) => invalid("unavailable"),
        (StateRule::EnableDisable, Enabled | Disabled | Unavailable) => Ok(()),
        (StateRule::EnableDisable, PendingImport) => invalid("pending import"),
        (StateRule::EnableDisable, Updating) => invalid("updating"),
        (StateRule::Modify, _) => Ok(()),
        (StateRule::Rotation, Enabled | Updating) => Ok(()),
        (StateRule::Rotation, Disabled) => Err(KmsError::Disabled {
            key_arn: arn.clone(),
        }),
        (StateRule::Rotation, PendingImport | Unavailable) => {
            Err(KmsError::UnsupportedOperation(format!(
                "{arn} is {} which is not valid for this operation.",
                state.as_str()
            )))
        }
        (StateRule::ScheduleDeletion, Updating) => invalid("updating"),
        (StateRule::ScheduleDeletion, _) => Ok(()),
        (_, _) => invalid(state.as_str()),
    }
}
