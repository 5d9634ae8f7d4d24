//! The stored form of IAM entities: one JSON document per entity.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct UserDoc {
    /// The name as created (the store key is its lower-case form: IAM names are unique
    /// regardless of case).
    #[serde(default)]
    pub name: String,
    pub user_id: String,
    pub path: String,
    pub created_at: i64,
    /// Names of the groups the user belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    /// ARNs of attached managed policies.
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GroupDoc {
    /// The name as created (the store key is its lower-case form: IAM names are unique
    /// regardless of case).
    #[serde(default)]
    pub name: String,
    pub group_id: String,
    pub path: String,
    pub created_at: i64,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RoleDoc {
    /// The name as created (the store key is its lower-case form: IAM names are unique
    /// regardless of case).
    #[serde(default)]
    pub name: String,
    pub role_id: String,
    pub path: String,
    pub created_at: i64,
    pub assume_role_policy_document: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: u32,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, String>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PolicyVersionDoc {
    pub version_id: String,
    pub document: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ManagedPolicyDoc {
    /// The name as created (the store key is its lower-case form: IAM names are unique
    /// regardless of case).
    #[serde(default)]
    pub name: String,
    pub policy_id: String,
    pub path: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub default_version_id: String,
    pub versions: Vec<PolicyVersionDoc>,
}
