//! IAM state in the store: users, groups, roles, inline and managed policies, access keys.
//!
//! Everything is scoped by account: each account's IAM world is separate, and the same name
//! may exist in two accounts. Names of users, groups, roles and policies are unique within an
//! account *ignoring ASCII case*, as in IAM (`Alice` and `alice` cannot both exist); look-ups
//! by name ignore case too, and records carry the name as it was created.
//!
//! Every method that changes more than one row, or checks before it writes, is one
//! transaction: "delete only if nothing depends on it" ([`StoreError::Conflict`]), "at most
//! two access keys per user" ([`StoreError::LimitExceeded`]) and uniqueness
//! ([`StoreError::AlreadyExists`]) hold across concurrent callers and processes.
//!
//! Lists are ordered by lower-cased name and paged by keyset: `after` is the last name of the
//! previous page (exclusive, any case), `limit` the most items to return; `path_prefix` keeps
//! only entities whose path starts with it.

use async_trait::async_trait;
use kmsd_model::{AccountId, Timestamp};

use crate::StoreError;

/// The IAM identities that can hold policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityKind {
    User,
    Group,
    Role,
}

impl IdentityKind {
    /// `user`, `group`, `role`: the stored form, and the noun in IAM's messages and ARNs.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::User => "user",
            IdentityKind::Group => "group",
            IdentityKind::Role => "role",
        }
    }
}

/// What an entity still has that stops its deletion ([`StoreError::Conflict`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependents {
    /// A user still has access keys.
    AccessKeys,
    /// A user, group or role still has inline policies.
    InlinePolicies,
    /// A user, group or role still has managed policies attached.
    AttachedPolicies,
    /// A user is still a member of groups.
    GroupMemberships,
    /// A group still has members.
    GroupMembers,
    /// A managed policy is still attached to users, groups or roles.
    Attachments,
}

impl std::fmt::Display for Dependents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dependents::AccessKeys => "access keys",
            Dependents::InlinePolicies => "inline policies",
            Dependents::AttachedPolicies => "attached policies",
            Dependents::GroupMemberships => "group memberships",
            Dependents::GroupMembers => "group members",
            Dependents::Attachments => "attachments",
        })
    }
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub account: AccountId,
    pub name: String,
    /// `/` or `/division/team/`.
    pub path: String,
    /// `AIDA…`, unique across accounts.
    pub user_id: String,
    pub created_at: Timestamp,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub account: AccountId,
    pub name: String,
    pub path: String,
    /// `AGPA…`.
    pub group_id: String,
    pub created_at: Timestamp,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    pub account: AccountId,
    pub name: String,
    pub path: String,
    /// `AROA…`.
    pub role_id: String,
    /// The trust policy, as the caller gave it.
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    /// Seconds, 3600–43200.
    pub max_session_duration: u32,
    pub created_at: Timestamp,
}

/// A customer managed policy. `attachment_count` is computed when read (ignored on create).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyRecord {
    pub account: AccountId,
    pub name: String,
    pub path: String,
    /// `ANPA…`.
    pub policy_id: String,
    /// `arn:aws:iam::<account>:policy<path><name>`; unique.
    pub arn: String,
    pub description: Option<String>,
    /// `v1` for a new policy.
    pub default_version_id: String,
    pub attachment_count: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRecord {
    pub version_id: String,
    pub document: String,
    pub is_default: bool,
    pub created_at: Timestamp,
}

/// An inline policy of a user, group or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePolicyRecord {
    pub policy_name: String,
    pub document: String,
}

/// Whether an access key may sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    Active,
    Inactive,
}

impl AccessKeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// `Active` or `Inactive`, exactly.
    pub fn parse(s: &str) -> Option<AccessKeyStatus> {
        match s {
            "Active" => Some(AccessKeyStatus::Active),
            "Inactive" => Some(AccessKeyStatus::Inactive),
            _ => None,
        }
    }
}

/// An IAM user's access key. The secret is stored only sealed by the keyring.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyRecord {
    /// `AKIA…`, unique across accounts.
    pub access_key_id: String,
    pub account: AccountId,
    /// The owning user's name (as the user was created, whatever case the caller used).
    pub user_name: String,
    /// The secret access key sealed under the domain key (never plaintext).
    pub sealed_secret: Vec<u8>,
    pub status: AccessKeyStatus,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for AccessKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKeyRecord")
            .field("access_key_id", &self.access_key_id)
            .field("account", &self.account)
            .field("user_name", &self.user_name)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// Durable IAM state. Implementations: [`crate::SqliteStore`]. Every write is durable when it
/// returns. `NotFound` always means the named entity (or, where two are named, one of them)
/// does not exist in that account.
#[async_trait]
pub trait IamStore: Send + Sync + 'static {
    // --- users -----------------------------------------------------------------------------

    /// `AlreadyExists` when the name (ignoring case) is taken in the account.
    async fn create_user(&self, user: &UserRecord) -> Result<(), StoreError>;

    async fn user(&self, account: &AccountId, name: &str)
    -> Result<Option<UserRecord>, StoreError>;

    async fn list_users(
        &self,
        account: &AccountId,
        path_prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UserRecord>, StoreError>;

    /// `Conflict` while the user has access keys, inline or attached policies, or groups.
    async fn delete_user(&self, account: &AccountId, name: &str) -> Result<(), StoreError>;

    // --- groups ----------------------------------------------------------------------------

    /// `AlreadyExists` when the name (ignoring case) is taken in the account.
    async fn create_group(&self, group: &GroupRecord) -> Result<(), StoreError>;

    async fn group(
        &self,
        account: &AccountId,
        name: &str,
    ) -> Result<Option<GroupRecord>, StoreError>;

    async fn list_groups(
        &self,
        account: &AccountId,
        path_prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GroupRecord>, StoreError>;

    /// `Conflict` while the group has members, inline or attached policies.
    async fn delete_group(&self, account: &AccountId, name: &str) -> Result<(), StoreError>;

    /// Idempotent. `NotFound` when the group or the user does not exist; `LimitExceeded` when
    /// the user is already in `max_groups_per_user` groups.
    async fn add_user_to_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
        max_groups_per_user: usize,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the group or user does not exist or the user is not a member.
    async fn remove_user_from_group(
        &self,
        account: &AccountId,
        group: &str,
        user: &str,
    ) -> Result<(), StoreError>;

    /// A group's members, paged by user name. `NotFound` when the group does not exist.
    async fn group_members(
        &self,
        account: &AccountId,
        group: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<UserRecord>, StoreError>;

    /// The groups a user is in, paged by group name. `NotFound` when the user does not exist.
    async fn groups_for_user(
        &self,
        account: &AccountId,
        user: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<GroupRecord>, StoreError>;

    // --- roles -----------------------------------------------------------------------------

    /// `AlreadyExists` when the name (ignoring case) is taken in the account.
    async fn create_role(&self, role: &RoleRecord) -> Result<(), StoreError>;

    async fn role(&self, account: &AccountId, name: &str)
    -> Result<Option<RoleRecord>, StoreError>;

    async fn list_roles(
        &self,
        account: &AccountId,
        path_prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RoleRecord>, StoreError>;

    /// `Conflict` while the role has inline or attached policies.
    async fn delete_role(&self, account: &AccountId, name: &str) -> Result<(), StoreError>;

    async fn update_assume_role_policy(
        &self,
        account: &AccountId,
        name: &str,
        document: &str,
    ) -> Result<(), StoreError>;

    // --- inline policies -------------------------------------------------------------------

    /// Adds or replaces (policy names ignore case). `NotFound` when the identity does not exist.
    async fn put_inline_policy(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        policy: &InlinePolicyRecord,
    ) -> Result<(), StoreError>;

    async fn inline_policy(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        policy_name: &str,
    ) -> Result<Option<InlinePolicyRecord>, StoreError>;

    /// `NotFound` when the identity or the policy does not exist.
    async fn delete_inline_policy(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        policy_name: &str,
    ) -> Result<(), StoreError>;

    /// Policy names, paged. `NotFound` when the identity does not exist.
    async fn list_inline_policies(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    // --- managed policies ------------------------------------------------------------------

    /// Creates the policy with `document` as its default version `policy.default_version_id`.
    /// `AlreadyExists` when the name (ignoring case) is taken in the account.
    async fn create_policy(
        &self,
        policy: &ManagedPolicyRecord,
        document: &str,
    ) -> Result<(), StoreError>;

    /// The policy with exactly this ARN in `account`.
    async fn policy(
        &self,
        account: &AccountId,
        arn: &str,
    ) -> Result<Option<ManagedPolicyRecord>, StoreError>;

    async fn policy_version(
        &self,
        account: &AccountId,
        arn: &str,
        version_id: &str,
    ) -> Result<Option<PolicyVersionRecord>, StoreError>;

    async fn list_policies(
        &self,
        account: &AccountId,
        path_prefix: Option<&str>,
        only_attached: bool,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicyRecord>, StoreError>;

    /// Deletes the policy and its versions. `Conflict` while it is attached anywhere.
    async fn delete_policy(&self, account: &AccountId, arn: &str) -> Result<(), StoreError>;

    /// Idempotent. `NotFound` when the identity or the policy does not exist; `LimitExceeded`
    /// when the identity already has `max_attached` managed policies.
    async fn attach_policy(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        arn: &str,
        max_attached: usize,
    ) -> Result<(), StoreError>;

    /// `NotFound` when the identity does not exist or the policy is not attached to it.
    async fn detach_policy(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        arn: &str,
    ) -> Result<(), StoreError>;

    /// The managed policies attached to an identity, paged by policy name. `NotFound` when the
    /// identity does not exist.
    async fn attached_policies(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
        path_prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ManagedPolicyRecord>, StoreError>;

    /// Every identity-policy document in force for a user (its inline and attached policies and
    /// those of its groups) or a role (its inline and attached policies), read consistently;
    /// attached policies contribute their default version. Empty when the identity does not
    /// exist; groups are not principals (a `Group` kind reads the group's own policies).
    async fn effective_policies(
        &self,
        account: &AccountId,
        kind: IdentityKind,
        identity: &str,
    ) -> Result<Vec<String>, StoreError>;

    // --- access keys -----------------------------------------------------------------------

    /// `NotFound` when the user does not exist; `LimitExceeded` (nothing written) when it
    /// already has `max_per_user` keys; `AlreadyExists` when the id is taken.
    async fn create_access_key(
        &self,
        key: &AccessKeyRecord,
        max_per_user: usize,
    ) -> Result<(), StoreError>;

    /// Any account's key, by id (SigV4 knows only the id).
    async fn access_key(&self, access_key_id: &str)
    -> Result<Option<AccessKeyRecord>, StoreError>;

    /// A user's keys, oldest first. `NotFound` when the user does not exist.
    async fn access_keys(
        &self,
        account: &AccountId,
        user: &str,
    ) -> Result<Vec<AccessKeyRecord>, StoreError>;

    /// `NotFound` unless the key exists and belongs to that user of that account.
    async fn update_access_key_status(
        &self,
        account: &AccountId,
        user: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), StoreError>;

    /// `NotFound` unless the key exists and belongs to that user of that account.
    async fn delete_access_key(
        &self,
        account: &AccountId,
        user: &str,
        access_key_id: &str,
    ) -> Result<(), StoreError>;
}

#[cfg(test)]
pub(crate) mod conformance;
