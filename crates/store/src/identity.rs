//! IAM state in the store.
//!
//! IAM entities (users, groups, roles, managed policies) are few, small and read far less often
//! than keys, so the store keeps each as an opaque document owned by the service, keyed by
//! (account, kind, name). Access keys are rows of their own: SigV4 finds them by id, and their
//! secret is stored only sealed under the domain key.

use crate::StoreError;
use async_trait::async_trait;
use kmsd_model::{AccountId, Timestamp};

/// The kinds of IAM entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamEntityKind {
    User,
    Group,
    Role,
    Policy,
}

impl IamEntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IamEntityKind::User => "user",
            IamEntityKind::Group => "group",
            IamEntityKind::Role => "role",
            IamEntityKind::Policy => "policy",
        }
    }
}

/// One IAM entity: its name within its account and kind, and the service's document for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamEntity {
    pub account: AccountId,
    pub kind: IamEntityKind,
    pub name: String,
    pub document: String,
}

/// An IAM user's access key. The secret is sealed by the keyring, never stored in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    pub access_key_id: String,
    pub account: AccountId,
    pub user_name: String,
    pub sealed_secret: Vec<u8>,
    pub active: bool,
    pub created_at: Timestamp,
}

/// Durable IAM state. Every write is durable when it returns.
#[async_trait]
pub trait IamStore: Send + Sync + 'static {
    /// `AlreadyExists` when the name is taken for this account and kind.
    async fn insert_entity(&self, entity: &IamEntity) -> Result<(), StoreError>;

    async fn entity(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
    ) -> Result<Option<IamEntity>, StoreError>;

    /// Every entity of one kind in one account, ordered by name.
    async fn entities(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
    ) -> Result<Vec<IamEntity>, StoreError>;

    /// Replaces the documents of existing entities, all or nothing. `NotFound` if one is gone.
    async fn update_entities(&self, entities: &[IamEntity]) -> Result<(), StoreError>;

    /// `NotFound` when it does not exist.
    async fn delete_entity(
        &self,
        account: &AccountId,
        kind: IamEntityKind,
        name: &str,
    ) -> Result<(), StoreError>;

    /// `LimitExceeded` (nothing written) when the user already has `max_per_user` keys.
    async fn insert_access_key(
        &self,
        key: &AccessKeyRecord,
        max_per_user: usize,
    ) -> Result<(), StoreError>;

    async fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKeyRecord>, StoreError>;

    /// A user's access keys, oldest first.
    async fn access_keys_of(
        &self,
        account: &AccountId,
        user_name: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError>;

    /// `NotFound` unless the key exists and belongs to that user.
    async fn set_access_key_active(
        &self,
        account: &AccountId,
        user_name: &str,
        access_key_id: &str,
        active: bool,
    ) -> Result<(), StoreError>;

    /// `NotFound` unless the key exists and belongs to that user.
    async fn delete_access_key(
        &self,
        account: &AccountId,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), StoreError>;
}
