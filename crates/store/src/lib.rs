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
pub use records::{
    AliasRecord, BackingKeyRecord, GrantRecord, KeyRecord, KeyUsageRecord, RotationSchedule, Tag,
};
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

    /// Sets (or, with `None`, clears) a key's automatic rotation. `NotFound` without the key.
    async fn set_rotation(
        &self,
        key_id: KeyId,
        rotation: Option<RotationSchedule>,
    ) -> Result<(), StoreError>;

    /// Makes `backing_key` the key's current material, in one transaction and only if the
    /// key's rotation schedule is still `expected` (so that of several processes racing to run
    /// the same due rotation, exactly one does); the schedule becomes `next`. Returns whether
    /// this call rotated. On-demand rotations beyond `max_on_demand` are `LimitExceeded`.
    async fn rotate_key(
        &self,
        backing_key: &BackingKeyRecord,
        expected: Option<RotationSchedule>,
        next: Option<RotationSchedule>,
        max_on_demand: usize,
    ) -> Result<bool, StoreError>;

    /// Enabled keys whose automatic rotation is due at `now`, soonest first.
    async fn due_rotations(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(KeyId, RotationSchedule)>, StoreError>;

    /// Keys pending deletion whose deletion date has passed at `now`.
    async fn due_deletions(&self, now: Timestamp, limit: usize) -> Result<Vec<KeyId>, StoreError>;

    /// Erases a key that is pending deletion with a deletion date at or before `now`: its
    /// backing keys (the encrypted key tokens), grants, aliases, tags and usage record, and
    /// the key itself, in one transaction; then makes sure no copy survives in the database's
    /// free pages or journal. Returns whether this call deleted it (false: not due, or another
    /// process already did).
    async fn delete_key_if_due(&self, key_id: KeyId, now: Timestamp) -> Result<bool, StoreError>;

    /// Records the last use of keys (a batch; keys that no longer exist are skipped).
    async fn record_key_usage(&self, usage: &[KeyUsageRecord]) -> Result<(), StoreError>;

    /// The last recorded use of a key.
    async fn key_usage(&self, key_id: KeyId) -> Result<Option<KeyUsageRecord>, StoreError>;
}
