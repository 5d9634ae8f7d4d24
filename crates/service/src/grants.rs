//! Grants as the authorizer sees them: a key's grants indexed by grantee, the rule that says
//! whether one of them allows a request, and the grant token that names a grant.
//!
//! Grants are stored before CreateGrant answers and the key's cache entry is replaced at once,
//! so a grant is in force on the very next request, with or without its token. A token is the
//! grant id and key id sealed under the domain key: it proves it was issued here, and RetireGrant
//! can find its grant from it.

use crate::KmsError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kmsd_keyring::Keyring;
use kmsd_model::{EncryptionContext, GrantConstraints, GrantId, GrantOperation, KeyId, Principal};
use kmsd_store::GrantRecord;
use std::collections::HashMap;
use std::sync::Arc;

/// A key's grants.
#[derive(Debug, Default)]
pub(crate) struct KeyGrants {
    /// Oldest first, as ListGrants shows them.
    all: Vec<Arc<GrantRecord>>,
    /// Grantee principal ARN → its grants.
    by_grantee: HashMap<String, Vec<Arc<GrantRecord>>>,
}

impl KeyGrants {
    pub fn new(records: Vec<GrantRecord>) -> KeyGrants {
        let all: Vec<Arc<GrantRecord>> = records.into_iter().map(Arc::new).collect();
        let mut by_grantee: HashMap<String, Vec<Arc<GrantRecord>>> = HashMap::new();
        for grant in &all {
            by_grantee
                .entry(grant.grantee_principal.clone())
                .or_default()
                .push(grant.clone());
        }
        KeyGrants { all, by_grantee }
    }

    pub fn all(&self) -> &[Arc<GrantRecord>] {
        &self.all
    }

    pub fn len(&self) -> usize {
        self.all.len()
    }

    pub fn by_id(&self, id: GrantId) -> Option<&Arc<GrantRecord>> {
        self.all.iter().find(|g| g.grant_id == id)
    }

    pub fn for_grantee(&self, grantee: &str) -> &[Arc<GrantRecord>] {
        self.by_grantee
            .get(grantee)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// What a CreateGrant request asks for, when the request itself is authorized by a grant.
pub(crate) struct RequestedGrant<'a> {
    pub operations: &'a [GrantOperation],
    pub constraints: &'a GrantConstraints,
    pub grantee: &'a str,
    pub retiring: Option<&'a str>,
}

/// Whether `grant` allows `operation` for a request with `context` (and, for CreateGrant, the
/// grant it asks for).
pub(crate) fn grant_covers(
    grant: &GrantRecord,
    operation: GrantOperation,
    context: Option<&EncryptionContext>,
    requested: Option<&RequestedGrant<'_>>,
) -> bool {
    if !grant.operations.contains(&operation) {
        return false;
    }
    match operation {
        // Constraints don't apply to operations without an encryption context.
        GrantOperation::DescribeKey | GrantOperation::RetireGrant => true,
        // A grant that allows CreateGrant allows only grants within itself: no operation it
        // does not have, and constraints at least as strict as its own.
        GrantOperation::CreateGrant => requested.is_some_and(|child| {
            child
                .operations
                .iter()
                .all(|op| grant.operations.contains(op))
                && grant.constraints.is_implied_by(child.constraints)
        }),
        _ if grant.constraints.is_empty() => true,
        _ => {
            let empty = EncryptionContext::default();
            grant.constraints.allow(context.unwrap_or(&empty))
        }
    }
}

/// The grantee ARNs that stand for `caller` in a grant: its own ARN, its role's ARN for a role
/// session, and its account (which delegates onward through IAM policies).
pub(crate) fn grantee_names(caller: &Principal) -> (Vec<String>, String) {
    let mut own = vec![caller.arn()];
    if let Some(role) = caller.role_arn() {
        own.push(role);
    }
    let account_root = format!("arn:aws:iam::{}:root", caller.account);
    (own, account_root)
}

const TOKEN_PREFIX: &str = "kmsdgrant1.";
const TOKEN_PURPOSE: &[u8] = b"kms-grant-token";

/// A new token for a grant. Each call gives a different token; all of them name the grant.
pub(crate) fn seal_token(
    keyring: &dyn Keyring,
    key_id: KeyId,
    grant_id: GrantId,
) -> Result<String, KmsError> {
    let mut payload = Vec::with_capacity(49);
    payload.extend_from_slice(&grant_id.0);
    payload.extend_from_slice(key_id.bytes());
    payload.push(u8::from(key_id.is_multi_region()));
    let sealed = keyring.seal_secret(TOKEN_PURPOSE, &payload)?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)))
}

/// The grant a token names, or `InvalidGrantToken` for anything this deployment did not issue.
pub(crate) fn open_token(keyring: &dyn Keyring, token: &str) -> Result<(KeyId, GrantId), KmsError> {
    let invalid = || KmsError::InvalidGrantToken("Invalid grant token.".to_owned());
    let body = token.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    let sealed = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid())?;
    let payload = keyring
        .open_secret(TOKEN_PURPOSE, &sealed)
        .map_err(|_| invalid())?;
    let (grant, rest) = payload.split_at_checked(32).ok_or_else(invalid)?;
    let (key, flag) = rest.split_at_checked(16).ok_or_else(invalid)?;
    let grant_id = GrantId(grant.try_into().map_err(|_| invalid())?);
    let key_id = KeyId::from_bytes(
        key.try_into().map_err(|_| invalid())?,
        flag.first() == Some(&1),
    );
    Ok((key_id, grant_id))
}

impl crate::Kms {
    /// Checks the `GrantTokens` of a request: each must be a token this deployment issued.
    /// Grants are in force as soon as CreateGrant answers, so a valid token adds nothing
    /// beyond that; an invalid one is refused with `InvalidGrantTokenException`, as AWS does.
    pub fn check_grant_tokens(&self, tokens: &[String]) -> Result<(), KmsError> {
        for token in tokens {
            open_token(&*self.keyring, token)?;
        }
        Ok(())
    }
}

/// A grantee or retiring principal must be the ARN of an account, IAM user, IAM role, role
/// session or federated user; not a group, a service principal, or anything else.
pub(crate) fn check_principal_arn(arn: &str) -> Result<(), KmsError> {
    let invalid =
        || KmsError::InvalidArn(format!("ARN does not refer to a valid principal: {arn}"));
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some("aws"), Some(service), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let named = |prefix: &str, min_parts: usize| {
        resource.strip_prefix(prefix).is_some_and(|rest| {
            rest.split('/').filter(|p| !p.is_empty()).count() >= min_parts && !rest.ends_with('/')
        })
    };
    let valid = match service {
        "iam" => resource == "root" || named("user/", 1) || named("role/", 1),
        "sts" => named("assumed-role/", 2) || named("federated-user/", 1),
        _ => false,
    };
    if valid { Ok(()) } else { Err(invalid()) }
}

/// The operations a grant may allow on a key of this usage.
pub(crate) fn operation_fits_key(
    op: GrantOperation,
    usage: kmsd_model::KeyUsage,
    symmetric: bool,
) -> bool {
    use GrantOperation as G;
    use kmsd_model::KeyUsage as U;
    match op {
        G::CreateGrant | G::RetireGrant | G::DescribeKey => true,
        G::Encrypt | G::Decrypt => usage == U::EncryptDecrypt,
        G::ReEncryptFrom | G::ReEncryptTo => usage == U::EncryptDecrypt,
        G::GenerateDataKey
        | G::GenerateDataKeyWithoutPlaintext
        | G::GenerateDataKeyPair
        | G::GenerateDataKeyPairWithoutPlaintext => usage == U::EncryptDecrypt && symmetric,
        G::GetPublicKey => !symmetric && usage != U::GenerateVerifyMac,
        G::Sign | G::Verify => usage == U::SignVerify,
        G::GenerateMac | G::VerifyMac => usage == U::GenerateVerifyMac,
        G::DeriveSharedSecret => usage == U::KeyAgreement,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kmsd_model::KeyUsage;

    #[test]
    fn principal_arns_are_checked() {
        for ok in [
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:iam::111122223333:user/dev/alice",
            "arn:aws:iam::111122223333:role/reader",
            "arn:aws:sts::111122223333:assumed-role/reader/session-1",
            "arn:aws:sts::111122223333:federated-user/bob",
        ] {
            assert!(check_principal_arn(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "alice",
            "111122223333",
            "arn:aws:iam::111122223333:group/admins",
            "arn:aws:iam::1111:root",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:sts::111122223333:assumed-role/reader",
            "dynamodb.amazonaws.com",
            "arn:aws:s3:::bucket",
        ] {
            assert!(
                matches!(check_principal_arn(bad), Err(KmsError::InvalidArn(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn grant_operations_must_fit_the_key() {
        let symmetric = |op| operation_fits_key(op, KeyUsage::EncryptDecrypt, true);
        assert!(symmetric(GrantOperation::GenerateDataKey));
        assert!(symmetric(GrantOperation::Decrypt));
        assert!(!symmetric(GrantOperation::Sign));
        assert!(!symmetric(GrantOperation::GetPublicKey));
        assert!(!symmetric(GrantOperation::GenerateMac));
        assert!(operation_fits_key(
            GrantOperation::Sign,
            KeyUsage::SignVerify,
            false
        ));
        assert!(!operation_fits_key(
            GrantOperation::GenerateDataKey,
            KeyUsage::EncryptDecrypt,
            false
        ));
    }

    #[test]
    fn constrained_grants_apply_only_to_matching_contexts() {
        let ctx = |k: &str, v: &str| {
            EncryptionContext::new([(k.to_owned(), v.to_owned())].into_iter().collect())
        };
        let grant = GrantRecord {
            grant_id: GrantId([1; 32]),
            key_id: KeyId::from_random([2; 16]),
            name: None,
            grantee_principal: "arn:aws:iam::111122223333:role/r".to_owned(),
            retiring_principal: None,
            issuing_account: "111122223333".parse().unwrap(),
            operations: vec![
                GrantOperation::Decrypt,
                GrantOperation::DescribeKey,
                GrantOperation::CreateGrant,
            ],
            constraints: GrantConstraints {
                encryption_context_subset: Some(ctx("dept", "it")),
                ..Default::default()
            },
            created_at: kmsd_model::Timestamp(0),
        };
        let dept = ctx("dept", "it");
        assert!(grant_covers(
            &grant,
            GrantOperation::Decrypt,
            Some(&dept),
            None
        ));
        assert!(!grant_covers(&grant, GrantOperation::Decrypt, None, None));
        assert!(!grant_covers(
            &grant,
            GrantOperation::Encrypt,
            Some(&dept),
            None
        ));
        // Constraints don't apply to DescribeKey.
        assert!(grant_covers(
            &grant,
            GrantOperation::DescribeKey,
            None,
            None
        ));
        let looser = GrantConstraints::default();
        let child = RequestedGrant {
            operations: &[GrantOperation::Decrypt],
            constraints: &looser,
            grantee: "arn:aws:iam::111122223333:role/x",
            retiring: None,
        };
        assert!(!grant_covers(
            &grant,
            GrantOperation::CreateGrant,
            None,
            Some(&child)
        ));
        let strict = grant.constraints.clone();
        let child = RequestedGrant {
            constraints: &strict,
            ..child
        };
        assert!(grant_covers(
            &grant,
            GrantOperation::CreateGrant,
            None,
            Some(&child)
        ));
        let wider_ops = RequestedGrant {
            operations: &[GrantOperation::Encrypt],
            ..child
        };
        assert!(!grant_covers(
            &grant,
            GrantOperation::CreateGrant,
            None,
            Some(&wider_ops)
        ));
    }

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keyring =
            kmsd_keyring::FileKeyring::open_or_create(&dir.path().join("domain.key")).unwrap();
        let key = KeyId::from_random([3; 16]);
        let grant = GrantId([4; 32]);
        let a = seal_token(&keyring, key, grant).unwrap();
        let b = seal_token(&keyring, key, grant).unwrap();
        assert_ne!(a, b, "every CreateGrant returns a new token");
        assert_eq!(open_token(&keyring, &a).unwrap(), (key, grant));
        assert_eq!(open_token(&keyring, &b).unwrap(), (key, grant));
        let mut forged = a.clone();
        forged.pop();
        forged.push(if a.ends_with('A') { 'B' } else { 'A' });
        for bad in [forged.as_str(), "kmsdgrant1.", "token", ""] {
            assert!(matches!(
                open_token(&keyring, bad),
                Err(KmsError::InvalidGrantToken(_))
            ));
        }
    }
}
