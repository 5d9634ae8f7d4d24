//! Persistence of kmsd state behind one async trait.
//!
//! The service layer holds an `Arc<dyn Store>` and never sees SQL. Every write method returns
//! only after the write is durable. SQL is kept portable so a PostgreSQL backend can share it.
#![forbid(unsafe_code)]

#[cfg(test)]
mod conformance;
mod identity;
mod records;
mod sqlite;

pub use identity::{AccessKeyRecord, IamEntity, IamEntityKind, IamStore};
pub use records::{AliasRecord, BackingKeyRecord, GrantRecord, KeyRecord, Tag};
pub use sqlite::{SchemaTooNew, SqliteStore};

use async_trait::async_trait;
use kmsd_model::{AccountId, AliasName, GrantId, KeyId, KeyState, Region, Timestamp};

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The key or alias the call names does not exist.
    #[error("not found")]
    NotFound,
    /// A unique name (alias) is already taken.
    #[error("already exists")]
    AlreadyExists,
    /// A per-key quota (aliases, tags) would be exceeded.
    #[error("limit exceeded")]
    LimitExceeded,
    /// A stored row does not parse back into domain types.
    #[error("corrupt stored value in {column}")]
    Corrupt { column: &'static str },
    /// The database itself failed (IO, locking, a closed connection).
    #[error("storage backend failure")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Durable kmsd state. Implementations: [`SqliteStore`].
///
/// Lists are ordered and paged by keyset: `after` is the last item of the previous page
/// (exclusive), `limit` the most items to return.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Inserts a new key with its first backing key and its tags, atomically.
    async fn create_key(
        &self,
        key: &KeyRecord,
        backing_key: &BackingKeyRecord,
        tags: &[Tag],
    ) -> Result<(), StoreError>;

    async fn key(&self, key_id: KeyId) -> Result<Option<KeyRecord>, StoreError>;

    /// Every backing key of a key, oldest first.
    async fn backing_keys(&self, key_id: KeyId) -> Result<Vec<BackingKeyRecord>, StoreError>;

    /// Key ids of one account and region, ordered by their string form.
    async fn list_keys(
        &self,
        account: &AccountId,
        region: &Region,
        after: Option<KeyId>,
        limit: usize,
    ) -> Result<Vec<KeyId>, StoreError>;

    /// `NotFound` when the key does not exist.
    async fn update_key_description(
        &self,
        key_id: KeyId,
        description: &str,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the key does not exist.
    async fn update_key_state(
        &self,
        key_id: KeyId,
        state: KeyState,
        deletion_date: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the key does not exist.
    async fn update_key_policy(&self, key_id: KeyId, policy: &str) -> Result<(), StoreError>;

    /// `AlreadyExists` when the name is taken in the account and region; `LimitExceeded` when
    /// the target key already has `max_per_key` aliases.
    async fn create_alias(&self, alias: &AliasRecord, max_per_key: usize)
    -> Result<(), StoreError>;

    /// Points an existing alias at another key. `NotFound` when the alias does not exist;
    /// `LimitExceeded` when the new target already has `max_per_key` aliases.
    async fn update_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
        target: KeyId,
        now: Timestamp,
        max_per_key: usize,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the alias does not exist.
    async fn delete_alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<(), StoreError>;

    async fn alias(
        &self,
        account: &AccountId,
        region: &Region,
        name: &AliasName,
    ) -> Result<Option<AliasRecord>, StoreError>;

    /// Aliases of one account and region ordered by name, optionally only those of one key.
    async fn list_aliases(
        &self,
        account: &AccountId,
        region: &Region,
        target: Option<KeyId>,
        after: Option<&AliasName>,
        limit: usize,
    ) -> Result<Vec<AliasRecord>, StoreError>;

    /// Tags of a key ordered by tag key.
    async fn tags(&self, key_id: KeyId) -> Result<Vec<Tag>, StoreError>;

    /// Adds or overwrites tags. `LimitExceeded` (and nothing written) when the key would end up
    /// with more than `max_tags` tags; `NotFound` when the key does not exist.
    async fn tag_key(&self, key_id: KeyId, tags: &[Tag], max_tags: usize)
    -> Result<(), StoreError>;

    /// Removes tags; keys that are not there are ignored. `NotFound` when the key does not exist.
    async fn untag_key(&self, key_id: KeyId, tag_keys: &[String]) -> Result<(), StoreError>;

    /// Adds a grant to its key. `LimitExceeded` (writing nothing) when the key already has
    /// `max_per_key` grants; `NotFound` without the key; `AlreadyExists` for a used id.
    async fn create_grant(&self, grant: &GrantRecord, max_per_key: usize)
    -> Result<(), StoreError>;

    /// Every grant on a key, oldest first (ties by grant id).
    async fn grants(&self, key_id: KeyId) -> Result<Vec<GrantRecord>, StoreError>;

    /// One grant by id, on whichever key.
    async fn grant(&self, grant_id: GrantId) -> Result<Option<GrantRecord>, StoreError>;

    /// The grants whose retiring principal is exactly `retiring_principal`, on keys of any
    /// account, in grant id order after `after`.
    async fn retirable_grants(
        &self,
        retiring_principal: &str,
        after: Option<GrantId>,
        limit: usize,
    ) -> Result<Vec<GrantRecord>, StoreError>;

    /// Removes a grant. `NotFound` if the key has no such grant.
    async fn delete_grant(&self, key_id: KeyId, grant_id: GrantId) -> Result<(), StoreError>;
}
