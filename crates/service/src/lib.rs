//! The KMS operations: key states, aliases, the crypto operations, tags and policies, over a
//! store, a keyring and one service clock.
//!
//! **API Boundary:** [`Kms`] and the request/response types of [`operations`]. Callers (the
//! server crate) hand in typed requests and an authenticated [`RequestContext`]; nothing here
//! knows HTTP, JSON field names or AWS error codes.
#![forbid(unsafe_code)]

mod accounts;
mod asymmetric;
mod authorize;
mod caller;
mod clock;
mod decision_cache;
mod error;
mod grants;
pub mod identity;
mod key_cache;
mod key_state;
mod key_usage;
mod lifecycle;
mod marker;
mod metadata;
pub mod operations;
mod policy_document;
mod resolve;
pub mod sts;

pub use accounts::{AccountConfig, Credential, CredentialDirectory};
pub use asymmetric::AlgorithmLists;
pub use clock::ServiceClock;
pub use error::{InternalError, KmsError};
pub use lifecycle::{DueWork, MAINTENANCE_INTERVAL, spawn_maintenance};
pub use metadata::KeyMetadata;

use identity::Iam;
use key_cache::KeyCache;
use kmsd_crypto::SystemRandom;
use kmsd_keyring::Keyring;
use kmsd_model::{Principal, Region};
use kmsd_store::Store;
use std::sync::Arc;

/// The most keys whose metadata and unwrapped backing keys stay in memory at once.
pub const DEFAULT_KEY_CACHE_CAPACITY: usize = 100_000;

/// The most cached policy verdicts (principal × key × action) at once.
pub const DEFAULT_DECISION_CACHE_CAPACITY: usize = 100_000;

/// Who is calling, established by the server before an operation runs.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub request_id: String,
    /// The client's address (`aws:SourceIp`), when the request came over the network.
    pub source_ip: Option<std::net::IpAddr>,
}

/// The KMS service of one deployment in one region.
pub struct Kms {
    store: Arc<dyn Store>,
    keyring: Arc<dyn Keyring>,
    clock: Arc<ServiceClock>,
    rng: SystemRandom,
    region: Region,
    partition: &'static str,
    keys: KeyCache,
    decisions: decision_cache::DecisionCache,
    usage: key_usage::UsageTracker,
    credentials: CredentialDirectory,
    iam: Arc<Iam>,
}

impl Kms {
    pub fn new(
        store: Arc<dyn Store>,
        keyring: Arc<dyn Keyring>,
        clock: Arc<ServiceClock>,
        region: Region,
        credentials: CredentialDirectory,
        iam: Arc<Iam>,
    ) -> Kms {
        Kms {
            store,
            keyring,
            clock,
            rng: SystemRandom::new(),
            region,
            partition: "aws",
            keys: KeyCache::new(DEFAULT_KEY_CACHE_CAPACITY),
            decisions: decision_cache::DecisionCache::new(DEFAULT_DECISION_CACHE_CAPACITY),
            usage: key_usage::UsageTracker::default(),
            credentials,
            iam,
        }
    }

    pub fn region(&self) -> &Region {
        &self.region
    }

    pub fn clock(&self) -> &ServiceClock {
        &self.clock
    }

    /// The long-term credentials this deployment knows (account roots for now).
    pub fn credentials(&self) -> &CredentialDirectory {
        &self.credentials
    }

    /// Moves the service clock forward and runs every job that came due. Dev mode only: the
    /// server exposes it only when the deployment runs with `--dev`.
    pub async fn advance_clock(&self, seconds: u64) -> Result<(), KmsError> {
        self.clock.advance(seconds).map_err(|e| {
            tracing::error!(error = %e, "could not persist the dev clock offset");
            KmsError::Internal(InternalError::Unavailable)
        })?;
        self.run_due_jobs().await.map(drop)
    }
}
