//! The IAM API (identity and access management): users, groups, roles, inline and managed policies, access keys — each account's
//! IAM world separate — authorised by the policy engine.
//!
//! Entities are stored as JSON documents (`documents.rs`) through [`IamStore`]. Writes that
//! read-modify-write a document are serialised by one lock, so concurrent IAM changes on one
//! node never lose an update.

mod access_keys;
mod authority;
mod documents;
mod entities;
mod groups;
mod names;
mod policies;
mod roles;
mod users;

pub use access_keys::{AccessKeyIdentity, AccessKeyInfo};
pub use authority::IdentityKind;
pub(crate) use authority::{IdentityVerdict, verdict_of};
pub use entities::{
    AttachedPolicy, GroupInfo, ManagedPolicyInfo, PolicyVersionInfo, RoleInfo, UserInfo,
};
pub use roles::CreateRoleRequest;

use crate::ServiceClock;
use kmsd_keyring::Keyring;
use kmsd_store::{IamStore, StoreError};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, RwLock};

/// The most access keys a user may have, as in AWS.
pub const MAX_ACCESS_KEYS_PER_USER: usize = 2;

/// An IAM failure, one variant per AWS error code. `Display` is AWS's message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IamError {
    #[error("{0}")]
    NoSuchEntity(String),
    #[error("{0}")]
    EntityAlreadyExists(String),
    #[error("{0}")]
    DeleteConflict(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    MalformedPolicyDocument(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("An internal error occurred.")]
    ServiceFailure(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl IamError {
    /// The AWS error code.
    pub fn code(&self) -> &'static str {
        match self {
            IamError::NoSuchEntity(_) => "NoSuchEntity",
            IamError::EntityAlreadyExists(_) => "EntityAlreadyExists",
            IamError::DeleteConflict(_) => "DeleteConflict",
            IamError::LimitExceeded(_) => "LimitExceeded",
            IamError::MalformedPolicyDocument(_) => "MalformedPolicyDocument",
            IamError::InvalidInput(_) => "InvalidInput",
            IamError::Validation(_) => "ValidationError",
            IamError::AccessDenied(_) => "AccessDenied",
            IamError::ServiceFailure(_) => "ServiceFailure",
        }
    }

    /// The HTTP status AWS sends with it.
    pub fn status(&self) -> u16 {
        match self {
            IamError::NoSuchEntity(_) => 404,
            IamError::EntityAlreadyExists(_)
            | IamError::DeleteConflict(_)
            | IamError::LimitExceeded(_) => 409,
            IamError::AccessDenied(_) => 403,
            IamError::ServiceFailure(_) => 500,
            _ => 400,
        }
    }
}

impl From<StoreError> for IamError {
    fn from(e: StoreError) -> IamError {
        IamError::ServiceFailure(Box::new(e))
    }
}

impl From<kmsd_keyring::KeyringError> for IamError {
    fn from(e: kmsd_keyring::KeyringError) -> IamError {
        IamError::ServiceFailure(Box::new(e))
    }
}

impl From<kmsd_crypto::CryptoError> for IamError {
    fn from(e: kmsd_crypto::CryptoError) -> IamError {
        IamError::ServiceFailure(Box::new(e))
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Present exactly when truncated.
    pub marker: Option<String>,
}

/// The IAM service.
pub struct Iam {
    store: Arc<dyn IamStore>,
    keyring: Arc<dyn Keyring>,
    clock: Arc<ServiceClock>,
    rng: kmsd_crypto::SystemRandom,
    /// Serialises read-modify-write changes of entity documents.
    writes: tokio::sync::Mutex<()>,
    /// Access key id → verified identity, for SigV4. Invalidated on every key or user change.
    access_keys: RwLock<HashMap<String, Arc<access_keys::CachedAccessKey>>>,
    /// Bumped on every invalidation, so a look-up that raced one does not cache stale state.
    access_key_epoch: AtomicU64,
    /// Principal ARN → its parsed identity policies, for the KMS hot path. Emptied whenever an
    /// IAM write finishes (they are rare); `policies_epoch` stops a racing load re-caching.
    policies: RwLock<HashMap<String, Arc<Vec<kmsd_policy::PolicyDocument>>>>,
    policies_epoch: AtomicU64,
}

/// Holds the IAM write lock; when dropped (after the write is durable) the cached identity
/// policies are forgotten.
pub(crate) struct WriteGuard<'a> {
    _lock: tokio::sync::MutexGuard<'a, ()>,
    iam: &'a Iam,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.iam.forget_identity_policies();
    }
}

impl Iam {
    pub(crate) async fn write_lock(&self) -> WriteGuard<'_> {
        WriteGuard {
            _lock: self.writes.lock().await,
            iam: self,
        }
    }

    fn forget_identity_policies(&self) {
        if let Ok(mut cache) = self.policies.write() {
            self.policies_epoch
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            cache.clear();
        }
    }
}

impl Iam {
    pub fn new(
        store: Arc<dyn IamStore>,
        keyring: Arc<dyn Keyring>,
        clock: Arc<ServiceClock>,
    ) -> Iam {
        Iam {
            store,
            keyring,
            clock,
            rng: kmsd_crypto::SystemRandom::new(),
            writes: tokio::sync::Mutex::new(()),
            access_keys: RwLock::new(HashMap::new()),
            access_key_epoch: AtomicU64::new(0),
            policies: RwLock::new(HashMap::new()),
            policies_epoch: AtomicU64::new(0),
        }
    }
}

/// Pages a name-ordered list: `marker` is the last name of the previous page.
pub(crate) fn page<T>(
    items: Vec<T>,
    name: impl Fn(&T) -> &str,
    marker: Option<&str>,
    max_items: Option<usize>,
) -> Listing<T> {
    let max = max_items.unwrap_or(100);
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|i| marker.is_none_or(|m| name(i) > m))
        .collect();
    let truncated = rest.len() > max;
    rest.truncate(max);
    let marker = if truncated {
        rest.last().map(|i| name(i).to_owned())
    } else {
        None
    };
    Listing {
        items: rest,
        marker,
    }
}
