//! The accounts a deployment serves and the long-term credentials that sign their requests.

use kmsd_model::{AccountId, Principal, PrincipalKind};
use std::collections::HashMap;
use zeroize::Zeroizing;

/// One `[[accounts]]` entry of the configuration (or the dev account).
#[derive(Clone)]
pub struct AccountConfig {
    pub id: AccountId,
    pub root_access_key_id: String,
    pub root_secret_access_key: Zeroizing<String>,
}

impl std::fmt::Debug for AccountConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountConfig")
            .field("id", &self.id)
            .field("root_access_key_id", &self.root_access_key_id)
            .finish_non_exhaustive()
    }
}

/// An access key: its secret (needed to verify SigV4) and the principal it authenticates.
pub struct Credential {
    pub secret_access_key: Zeroizing<Vec<u8>>,
    pub principal: Principal,
}

/// Access key id → credential.
#[derive(Default)]
pub struct CredentialDirectory {
    by_access_key: HashMap<String, Credential>,
}

impl CredentialDirectory {
    pub fn new(accounts: &[AccountConfig]) -> CredentialDirectory {
        let by_access_key = accounts
            .iter()
            .map(|a| {
                let credential = Credential {
                    secret_access_key: Zeroizing::new(a.root_secret_access_key.as_bytes().to_vec()),
                    principal: Principal {
                        account: a.id.clone(),
                        kind: PrincipalKind::Root,
                        access_key_id: a.root_access_key_id.clone(),
                    },
                };
                (a.root_access_key_id.clone(), credential)
            })
            .collect();
        CredentialDirectory { by_access_key }
    }

    pub fn lookup(&self, access_key_id: &str) -> Option<&Credential> {
        self.by_access_key.get(access_key_id)
    }
}
