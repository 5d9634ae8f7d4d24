//! IAM entities as the operations return them.

use kmsd_model::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub path: String,
    pub user_id: String,
    pub arn: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    pub path: String,
    pub group_id: String,
    pub arn: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub name: String,
    pub path: String,
    pub role_id: String,
    pub arn: String,
    pub created_at: Timestamp,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    /// Seconds, 3600–43200.
    pub max_session_duration: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicyInfo {
    pub name: String,
    pub path: String,
    pub policy_id: String,
    pub arn: String,
    pub default_version_id: String,
    pub attachment_count: usize,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionInfo {
    pub document: String,
    pub version_id: String,
    pub is_default: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
}
