//! One file per AWS operation. Each reads like the reference: the request, the checks in the
//! order AWS makes them, the effect, the response.

mod create_alias;
mod create_grant;
mod create_key;
mod decrypt;
mod delete_alias;
mod derive_shared_secret;
mod describe_key;
mod enable_disable_key;
mod encrypt;
mod generate_data_key;
mod generate_data_key_pair;
mod generate_mac;
mod generate_random;
mod get_key_last_usage;
mod get_public_key;
mod key_deletion;
mod key_policies;
mod key_rotation;
mod list_aliases;
mod list_grants;
mod list_key_rotations;
mod list_keys;
mod list_resource_tags;
mod re_encrypt;
mod retire_grant;
mod revoke_grant;
mod rotate_key_on_demand;
mod sign;
mod tag_resource;
mod untag_resource;
mod update_alias;
mod update_key_description;
mod verify;
mod verify_mac;

pub use create_alias::CreateAliasRequest;
pub use create_grant::{CreateGrantRequest, CreateGrantResponse};
pub use create_key::CreateKeyRequest;
pub use decrypt::{DecryptRequest, DecryptResponse};
pub use derive_shared_secret::{DeriveSharedSecretRequest, DeriveSharedSecretResponse};
pub use describe_key::DescribeKeyRequest;
pub use encrypt::{EncryptRequest, EncryptResponse};
pub use generate_data_key::{DataKeyLength, GenerateDataKeyRequest, GenerateDataKeyResponse};
pub use generate_data_key_pair::{GenerateDataKeyPairRequest, GenerateDataKeyPairResponse};
pub use generate_mac::{GenerateMacRequest, GenerateMacResponse};
pub use generate_random::GenerateRandomRequest;
pub use get_key_last_usage::KeyLastUsage;
pub use get_public_key::{GetPublicKeyRequest, GetPublicKeyResponse};
pub use key_deletion::{
    DEFAULT_PENDING_WINDOW_DAYS, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse,
};
pub use key_policies::{GetKeyPolicyRequest, ListKeyPoliciesRequest, PutKeyPolicyRequest};
pub use key_rotation::{DEFAULT_ROTATION_PERIOD_DAYS, EnableKeyRotationRequest, KeyRotationStatus};
pub use list_aliases::{AliasListEntry, ListAliasesRequest};
pub use list_grants::{GrantListEntry, ListGrantsRequest, ListRetirableGrantsRequest};
pub use list_key_rotations::{KeyRotationEntry, ListKeyRotationsRequest};
pub use list_keys::{KeyListEntry, ListKeysRequest};
pub use list_resource_tags::ListResourceTagsRequest;
pub use re_encrypt::{ReEncryptRequest, ReEncryptResponse};
pub use retire_grant::RetireGrantRequest;
pub use revoke_grant::RevokeGrantRequest;
pub use sign::{SignRequest, SignResponse};
pub use tag_resource::TagResourceRequest;
pub use untag_resource::UntagResourceRequest;
pub use update_alias::UpdateAliasRequest;
pub use update_key_description::UpdateKeyDescriptionRequest;
pub use verify::{VerifyRequest, VerifyResponse};
pub use verify_mac::{VerifyMacRequest, VerifyMacResponse};

use crate::KmsError;

/// One page of a list operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present exactly when the list is truncated.
    pub next_marker: Option<String>,
}

/// Tag keys beginning with `aws:` belong to AWS.
pub(crate) fn check_tag_key_not_reserved(key: &str) -> Result<(), KmsError> {
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(KmsError::Tag(
            "Tags beginning with aws: are reserved".to_owned(),
        ));
    }
    Ok(())
}

/// The most tags one key may carry.
pub(crate) const MAX_TAGS_PER_KEY: usize = 50;
/// The most aliases one key may have.
pub(crate) const MAX_ALIASES_PER_KEY: usize = 50;
