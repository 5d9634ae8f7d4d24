//! From a request's key reference to a key in memory, with AWS's scoping rules: a bare key id
//! or alias is looked up in the caller's account and this region; an ARN names its own.

use crate::asymmetric::KeyMaterial;
use crate::key_cache::CachedKey;
use crate::{Kms, KmsError, RequestContext};
use kmsd_crypto::EktBinding;
use kmsd_crypto::EncryptedKeyToken;
use kmsd_model::{AccountId, AliasName, KeyArn, KeyId, KeyReference, KeySpec};
use std::collections::HashMap;
use std::sync::Arc;

/// Whether an operation accepts an alias where it takes a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aliases {
    Allowed,
    Refused,
}

impl Kms {
    pub(crate) fn key_arn(&self, account: &AccountId, key_id: KeyId) -> String {
        KeyArn {
            partition: self.partition.to_owned(),
            region: self.region.clone(),
            account: account.clone(),
            key_id,
        }
        .to_string()
    }

    pub(crate) fn alias_arn(&self, account: &AccountId, alias: &AliasName) -> String {
        format!(
            "arn:{}:kms:{}:{}:{}",
            self.partition, self.region, account, alias
        )
    }

    /// The key a request names. `NotFound` when it does not exist for this caller.
    pub(crate) async fn resolve(
        &self,
        ctx: &RequestContext,
        reference: &KeyReference,
        aliases: Aliases,
    ) -> Result<Arc<CachedKey>, KmsError> {
        let caller = &ctx.principal.account;
        let (account, key_id) = match reference {
            KeyReference::Id(id) => (caller.clone(), *id),
            KeyReference::Arn(arn) => {
                if arn.region != self.region || arn.partition != self.partition {
                    return Err(self.key_not_found_arn(&arn.to_string()));
                }
                (arn.account.clone(), arn.key_id)
            }
            KeyReference::Alias(name) => {
                if aliases == Aliases::Refused {
                    return Err(KmsError::NotFound(format!("Invalid keyId '{name}'")));
                }
                (caller.clone(), self.alias_target(caller, name).await?)
            }
            KeyReference::AliasArn(arn) => {
                if aliases == Aliases::Refused {
                    return Err(KmsError::NotFound(format!("Invalid keyId '{arn}'")));
                }
                if arn.region != self.region || arn.partition != self.partition {
                    return Err(KmsError::NotFound(format!("Alias {arn} is not found.")));
                }
                (
                    arn.account.clone(),
                    self.alias_target(&arn.account, &arn.alias).await?,
                )
            }
        };
        let key = self
            .key_by_id(key_id)
            .await?
            .filter(|k| k.record.account == account && k.record.region == self.region)
            .ok_or_else(|| self.key_not_found_arn(&self.key_arn(&account, key_id)))?;
        // A key of another account is returned; `authorize` decides whether its key policy and
        // the caller's own IAM policies let the caller use it.
        Ok(key)
    }

    pub(crate) fn key_not_found_arn(&self, arn: &str) -> KmsError {
        KmsError::NotFound(format!("Key '{arn}' does not exist"))
    }

    async fn alias_target(&self, account: &AccountId, name: &AliasName) -> Result<KeyId, KmsError> {
        self.store
            .alias(account, &self.region, name)
            .await?
            .map(|a| a.target_key_id)
            .ok_or_else(|| {
                KmsError::NotFound(format!(
                    "Alias {} is not found.",
                    self.alias_arn(account, name)
                ))
            })
    }

    /// A key by id from the cache, loading (and unwrapping its backing keys) on a miss.
    pub(crate) async fn key_by_id(
        &self,
        key_id: KeyId,
    ) -> Result<Option<Arc<CachedKey>>, KmsError> {
        if let Some(hit) = self.keys.get(&key_id) {
            return Ok(Some(hit));
        }
        let epoch = self.keys.epoch();
        let Some(record) = self.store.key(key_id).await? else {
            return Ok(None);
        };
        let arn = self.key_arn(&record.account, key_id);
        let mut backing_keys = HashMap::new();
        let mut material = KeyMaterial::Symmetric;
        for stored in self.store.backing_keys(key_id).await? {
            if record.key_spec != KeySpec::SymmetricDefault {
                // Asymmetric and HMAC keys have one material, never rotated.
                if stored.backing_key_id == record.current_backing_key {
                    material = KeyMaterial::open(
                        &*self.keyring,
                        &arn,
                        stored.backing_key_id,
                        record.key_spec,
                        record.key_usage,
                        &stored.encrypted_key_token,
                    )?;
                }
                continue;
            }
            let binding = EktBinding {
                key_arn: &arn,
                backing_key_id: stored.backing_key_id,
            };
            let token = EncryptedKeyToken(stored.encrypted_key_token);
            let key = self.keyring.unwrap(&binding, &token)?;
            backing_keys.insert(stored.backing_key_id, key);
        }
        if record.key_spec != KeySpec::SymmetricDefault
            && matches!(material, KeyMaterial::Symmetric)
        {
            tracing::error!(key = %arn, "the key's material is missing from the store");
            return Err(KmsError::Internal(crate::InternalError::Unavailable));
        }
        let policy = crate::policy_document::parse_stored(&record.policy, &arn);
        let grants = crate::grants::KeyGrants::new(self.store.grants(key_id).await?);
        let tags = self.store.tags(key_id).await?;
        let aliases = self
            .store
            .list_aliases(
                &record.account,
                &record.region,
                Some(key_id),
                None,
                crate::operations::MAX_ALIASES_PER_KEY,
            )
            .await?
            .into_iter()
            .map(|a| a.name.to_string())
            .collect();
        let entry = Arc::new(CachedKey {
            record,
            arn,
            backing_keys,
            material,
            policy,
            grants,
            tags,
            aliases,
            generation: epoch,
        });
        self.keys.insert_if_unchanged(entry.clone(), epoch);
        Ok(Some(entry))
    }
}
