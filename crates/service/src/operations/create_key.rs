use crate::asymmetric::KeyMaterial;
use crate::key_cache::CachedKey;
use crate::operations::{MAX_TAGS_PER_KEY, check_tag_key_not_reserved};
use crate::{KeyMetadata, Kms, KmsError, RequestContext, policy_document};
use kmsd_crypto::{BackingKey, EktBinding};
use kmsd_model::{BackingKeyId, KeyId, KeySpec, KeyState, KeyUsage, Origin};
use kmsd_store::{BackingKeyRecord, KeyRecord, Tag};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// CreateKey, with every member already parsed and range-checked at the edge.
#[derive(Debug, Clone, Default)]
pub struct CreateKeyRequest {
    pub policy: Option<String>,
    pub description: Option<String>,
    pub key_usage: Option<KeyUsage>,
    pub key_spec: Option<KeySpec>,
    pub origin: Option<Origin>,
    pub custom_key_store_id: Option<String>,
    pub bypass_policy_lockout_safety_check: bool,
    pub tags: Vec<Tag>,
    pub multi_region: bool,
    pub xks_key_id: Option<String>,
}

impl Kms {
    pub async fn create_key(
        &self,
        ctx: &RequestContext,
        req: CreateKeyRequest,
    ) -> Result<KeyMetadata, KmsError> {
        let key_spec = req.key_spec.unwrap_or(KeySpec::SymmetricDefault);
        let key_usage = req.key_usage.unwrap_or(KeyUsage::EncryptDecrypt);
        let origin = req.origin.unwrap_or(Origin::AwsKms);
        self.authorize_by_iam_with(ctx, "kms:CreateKey", "*", |context| {
            context
                .insert("kms:KeySpec", key_spec.as_str())
                .insert("kms:CustomerMasterKeySpec", key_spec.as_str())
                .insert("kms:KeyUsage", key_usage.as_str())
                .insert("kms:KeyOrigin", origin.as_str())
                .insert("kms:MultiRegion", req.multi_region.to_string())
                .insert(
                    "kms:BypassPolicyLockoutSafetyCheck",
                    req.bypass_policy_lockout_safety_check.to_string(),
                );
            crate::authorize::add_request_tags(context, &req.tags);
        })
        .await?;
        check_spec_and_usage(key_spec, key_usage)?;
        if let Some(store_id) = &req.custom_key_store_id {
            return Err(KmsError::CustomKeyStoreNotFound(format!(
                "Custom key store '{store_id}' does not exist."
            )));
        }
        if req.xks_key_id.is_some() {
            return Err(KmsError::validation(
                "XksKeyId can only be specified with a CustomKeyStoreId of an external key store",
            ));
        }
        if origin != Origin::AwsKms {
            return Err(KmsError::UnsupportedOperation(format!(
                "Origin {origin} is not supported by this kmsd release; only AWS_KMS keys can be created."
            )));
        }
        if req.multi_region {
            return Err(KmsError::UnsupportedOperation(
                "Multi-Region keys are not supported by this kmsd release.".to_owned(),
            ));
        }
        let account = ctx.principal.account.clone();
        let (policy, custom_policy) = match req.policy {
            Some(policy) => {
                let parsed = policy_document::check(&policy)?;
                self.check_policy_principals(&parsed).await?;
                (policy, Some(parsed))
            }
            None => (policy_document::default_policy(&account), None),
        };
        check_tags(&req.tags)?;

        let key_id = KeyId::from_random(kmsd_crypto::random_array(&self.rng)?);
        let arn = self.key_arn(&account, key_id);
        // SYMMETRIC_DEFAULT material is a backing key; other keys get a material id of their own.
        let backing_key = match key_spec {
            KeySpec::SymmetricDefault => Some(BackingKey::generate(&self.rng)?),
            _ => None,
        };
        let material_id = match &backing_key {
            Some(b) => b.id(),
            None => BackingKeyId(kmsd_crypto::random_array(&self.rng)?),
        };
        let now = self.clock.now();
        let record = KeyRecord {
            key_id,
            account,
            region: self.region.clone(),
            description: req.description.unwrap_or_default(),
            key_spec,
            key_usage,
            origin,
            state: KeyState::Enabled,
            created_at: now,
            deletion_date: None,
            policy,
            current_backing_key: material_id,
            rotation: None,
        };
        if let Some(parsed) = custom_policy
            && !req.bypass_policy_lockout_safety_check
        {
            self.check_policy_lockout(ctx, &record, &arn, parsed)
                .await?;
        }
        let (token, backing_keys, material) = match backing_key {
            Some(backing_key) => {
                let binding = EktBinding {
                    key_arn: &arn,
                    backing_key_id: material_id,
                };
                let token = self.keyring.wrap(&binding, &backing_key)?;
                let backing_keys = HashMap::from([(material_id, backing_key)]);
                (token.0, backing_keys, KeyMaterial::Symmetric)
            }
            None => {
                // Asymmetric and HMAC material is sealed whole under the domain key.
                let material = KeyMaterial::generate(key_spec, key_usage, &self.rng).await?;
                let token = material.seal(&*self.keyring, &arn, material_id)?;
                (token, HashMap::new(), material)
            }
        };
        let stored = BackingKeyRecord {
            key_id,
            backing_key_id: material_id,
            encrypted_key_token: token,
            created_at: now,
            rotation_type: None,
        };
        self.store.create_key(&record, &stored, &req.tags).await?;
        let epoch = self.keys.epoch();
        let entry = CachedKey {
            policy: crate::policy_document::parse_stored(&record.policy, &arn),
            record,
            arn,
            backing_keys,
            material,
            grants: Default::default(),
            tags: req.tags,
            aliases: Vec::new(),
            generation: epoch,
        };
        let metadata = KeyMetadata::of(&entry);
        self.keys.insert_if_unchanged(Arc::new(entry), epoch);
        Ok(metadata)
    }
}

impl From<kmsd_crypto::CryptoError> for KmsError {
    fn from(e: kmsd_crypto::CryptoError) -> KmsError {
        KmsError::Internal(e.into())
    }
}

/// The key spec / key usage pairs of the reference (§4). SM2 keys exist only in China Regions.
fn check_spec_and_usage(spec: KeySpec, usage: KeyUsage) -> Result<(), KmsError> {
    if spec == KeySpec::Sm2 {
        return Err(KmsError::UnsupportedOperation(
            "KeySpec SM2 is offered only in the AWS China Regions; kmsd does not support it."
                .to_owned(),
        ));
    }
    let fits = match spec {
        KeySpec::SymmetricDefault => usage == KeyUsage::EncryptDecrypt,
        _ => crate::asymmetric::supports(spec, usage),
    };
    if !fits {
        return Err(KmsError::validation(format!(
            "KeyUsage {usage} is not compatible with KeySpec {spec}"
        )));
    }
    Ok(())
}

/// Tag rules shared by CreateKey and TagResource: no reserved keys, no key twice.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(), KmsError> {
    let mut seen = HashSet::new();
    for tag in tags {
        check_tag_key_not_reserved(&tag.key)?;
        if !seen.insert(tag.key.as_str()) {
            return Err(KmsError::Tag(format!("Duplicate tag key: {}", tag.key)));
        }
    }
    if tags.len() > MAX_TAGS_PER_KEY {
        return Err(KmsError::LimitExceeded(format!(
            "A key can have at most {MAX_TAGS_PER_KEY} tags."
        )));
    }
    Ok(())
}
