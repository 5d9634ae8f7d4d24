//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, and the look-up SigV4
//! makes on every request signed with an IAM user's key.

use super::IdentityKind;
use super::documents::UserDoc;
use super::{Iam, IamError, Listing, MAX_ACCESS_KEYS_PER_USER, page};
use crate::RequestContext;
use kmsd_model::{AccountId, Principal, PrincipalKind, Timestamp};
use kmsd_store::{AccessKeyRecord, IamEntityKind, StoreError};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use zeroize::Zeroizing;

/// An access key as the IAM API shows it. `secret_access_key` only from CreateAccessKey.
#[derive(Debug)]
pub struct AccessKeyInfo {
    pub user_name: String,
    pub access_key_id: String,
    pub active: bool,
    pub created_at: Timestamp,
    pub secret_access_key: Option<Zeroizing<String>>,
}

/// A verified access key: the secret that checks its signatures and the user it authenticates.
pub struct AccessKeyIdentity {
    pub secret_access_key: Zeroizing<Vec<u8>>,
    pub principal: Principal,
}

pub(crate) struct CachedAccessKey {
    secret: Zeroizing<Vec<u8>>,
    principal: Principal,
}

/// Bound on the in-memory access key cache.
const CACHE_CAPACITY: usize = 100_000;

fn purpose(access_key_id: &str) -> Vec<u8> {
    format!("iam-access-key:{access_key_id}").into_bytes()
}

fn info(k: &AccessKeyRecord) -> AccessKeyInfo {
    AccessKeyInfo {
        user_name: k.user_name.clone(),
        access_key_id: k.access_key_id.clone(),
        active: k.active,
        created_at: k.created_at,
        secret_access_key: None,
    }
}

fn random_from(
    rng: &kmsd_crypto::SystemRandom,
    alphabet: &[u8],
    len: usize,
) -> Result<String, IamError> {
    let bytes = kmsd_crypto::random_secret(rng, len)?;
    Ok(bytes
        .iter()
        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
        .collect())
}

impl Iam {
    /// The user a key operation is about: the named one, or the calling user.
    fn key_owner(ctx: &RequestContext, user_name: Option<&str>) -> Result<String, IamError> {
        match (user_name, &ctx.principal.kind) {
            (Some(name), _) => Ok(name.to_owned()),
            (None, PrincipalKind::User { name, .. }) => Ok(name.clone()),
            (None, _) => Err(IamError::Validation(
                "Must specify userName when calling with non-User credentials".to_owned(),
            )),
        }
    }

    pub async fn create_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
    ) -> Result<AccessKeyInfo, IamError> {
        let user = Self::key_owner(ctx, user_name)?;
        let account = &ctx.principal.account;
        // Under the write lock, so DeleteUser cannot remove the user between this check and
        // the insert (which would leave a key that outlives its user).
        let _write = self.write_lock().await;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, &user, "iam:CreateAccessKey")
            .await?;
        let user = super::authority::display(&user, &doc.name).to_owned();
        let access_key_id = format!(
            "AKIA{}",
            random_from(&self.rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)?
        );
        let secret = Zeroizing::new(random_from(
            &self.rng,
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        )?);
        let sealed_secret = self
            .keyring
            .seal_secret(&purpose(&access_key_id), secret.as_bytes())?;
        let record = AccessKeyRecord {
            access_key_id,
            account: account.clone(),
            user_name: user.clone(),
            sealed_secret,
            active: true,
            created_at: self.clock.now(),
        };
        match self
            .store
            .insert_access_key(&record, MAX_ACCESS_KEYS_PER_USER)
            .await
        {
            Ok(()) => {}
            Err(StoreError::LimitExceeded) => {
                return Err(IamError::LimitExceeded(format!(
                    "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS_PER_USER}"
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let mut out = info(&record);
        out.secret_access_key = Some(secret);
        Ok(out)
    }

    pub async fn list_access_keys(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> Result<Listing<AccessKeyInfo>, IamError> {
        let user = Self::key_owner(ctx, user_name)?;
        let account = &ctx.principal.account;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, &user, "iam:ListAccessKeys")
            .await?;
        let user = super::authority::display(&user, &doc.name).to_owned();
        let keys: Vec<AccessKeyInfo> = self
            .store
            .access_keys_of(account, &user)
            .await?
            .iter()
            .map(info)
            .collect();
        Ok(page(keys, |k| &k.access_key_id, marker, max_items))
    }

    pub async fn update_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        access_key_id: &str,
        active: bool,
    ) -> Result<(), IamError> {
        let user = Self::key_owner(ctx, user_name)?;
        let account = &ctx.principal.account;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, &user, "iam:UpdateAccessKey")
            .await?;
        let user = super::authority::display(&user, &doc.name).to_owned();
        match self
            .store
            .set_access_key_active(account, &user, access_key_id, active)
            .await
        {
            Ok(()) => {
                self.forget_access_key(access_key_id);
                Ok(())
            }
            Err(StoreError::NotFound) => Err(IamError::NoSuchEntity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_access_key(
        &self,
        ctx: &RequestContext,
        user_name: Option<&str>,
        access_key_id: &str,
    ) -> Result<(), IamError> {
        let user = Self::key_owner(ctx, user_name)?;
        let account = &ctx.principal.account;
        let doc = self
            .authorized::<UserDoc>(ctx, IdentityKind::User, &user, "iam:DeleteAccessKey")
            .await?;
        let user = super::authority::display(&user, &doc.name).to_owned();
        match self
            .store
            .delete_access_key(account, &user, access_key_id)
            .await
        {
            Ok(()) => {
                self.forget_access_key(access_key_id);
                Ok(())
            }
            Err(StoreError::NotFound) => Err(IamError::NoSuchEntity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The identity behind an IAM user's access key, for SigV4. `None` when the key is unknown,
    /// inactive, or its user is gone. Cached; every change to keys or users invalidates.
    pub async fn access_key(
        &self,
        access_key_id: &str,
    ) -> Result<Option<AccessKeyIdentity>, IamError> {
        if let Some(hit) = self
            .access_keys
            .read()
            .ok()
            .and_then(|m| m.get(access_key_id).cloned())
        {
            return Ok(Some(AccessKeyIdentity {
                secret_access_key: hit.secret.clone(),
                principal: hit.principal.clone(),
            }));
        }
        let epoch = self.access_key_epoch.load(Ordering::Acquire);
        let Some(record) = self.store.access_key(access_key_id).await? else {
            return Ok(None);
        };
        if !record.active {
            return Ok(None);
        }
        let Some(user) = self
            .load::<UserDoc>(&record.account, IamEntityKind::User, &record.user_name)
            .await?
        else {
            return Ok(None);
        };
        let secret = self
            .keyring
            .open_secret(&purpose(access_key_id), &record.sealed_secret)?;
        let principal = Principal {
            account: record.account.clone(),
            kind: PrincipalKind::User {
                path: user.path,
                name: record.user_name.clone(),
                user_id: user.user_id,
            },
            access_key_id: access_key_id.to_owned(),
        };
        let entry = Arc::new(CachedAccessKey {
            secret: secret.clone(),
            principal: principal.clone(),
        });
        if let Ok(mut cache) = self.access_keys.write() {
            if self.access_key_epoch.load(Ordering::Acquire) != epoch {
                // A key or user changed while this look-up read the store: answer, don't cache.
                return Ok(Some(AccessKeyIdentity {
                    secret_access_key: secret,
                    principal,
                }));
            }
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(access_key_id.to_owned(), entry);
        }
        Ok(Some(AccessKeyIdentity {
            secret_access_key: secret,
            principal,
        }))
    }

    fn forget_access_key(&self, access_key_id: &str) {
        if let Ok(mut cache) = self.access_keys.write() {
            self.access_key_epoch.fetch_add(1, Ordering::AcqRel);
            cache.remove(access_key_id);
        }
    }

    pub(crate) fn forget_access_keys_of(&self, account: &AccountId, user_name: &str) {
        if let Ok(mut cache) = self.access_keys.write() {
            self.access_key_epoch.fetch_add(1, Ordering::AcqRel);
            cache.retain(|_, k| {
                !(k.principal.account == *account
                    && matches!(&k.principal.kind, PrincipalKind::User { name, .. } if name == user_name))
            });
        }
    }
}
