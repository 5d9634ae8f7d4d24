//! AssumeRole: the role's trust policy and the caller's own permissions decide; the answer is
//! a set of temporary credentials for a role session.

use super::{Sts, StsError, session_token};
use crate::RequestContext;
use crate::caller::{CallerArns, global_context};
use kmsd_model::{AccountId, Timestamp};
use kmsd_policy::{AllowedPrincipalMatch, PolicyDocument, PolicyKind, Request};
use zeroize::Zeroizing;

#[derive(Debug, Clone)]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub role_session_name: String,
    pub duration_seconds: Option<u32>,
    pub external_id: Option<String>,
    pub policy: Option<String>,
}

pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: Zeroizing<String>,
    pub session_token: String,
    pub expiration: Timestamp,
}

pub struct AssumeRoleResponse {
    pub credentials: TemporaryCredentials,
    /// `AROA…:<session name>`.
    pub assumed_role_id: String,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub assumed_role_arn: String,
}

const DEFAULT_DURATION: u32 = 3600;
const ACTION: &str = "sts:AssumeRole";

impl Sts {
    pub async fn assume_role(
        &self,
        ctx: &RequestContext,
        req: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, StsError> {
        let caller = &ctx.principal;
        let session_name = &req.role_session_name;
        if !(2..=64).contains(&session_name.len()) {
            return Err(StsError::Validation(format!(
                "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64"
            )));
        }
        if !session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
        {
            return Err(StsError::Validation(format!(
                "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )));
        }
        let duration = req.duration_seconds.unwrap_or(DEFAULT_DURATION);
        if !(900..=43_200).contains(&duration) {
            let bound = if duration < 900 {
                "greater than or equal to 900"
            } else {
                "less than or equal to 43200"
            };
            return Err(StsError::Validation(format!(
                "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value {bound}"
            )));
        }
        if let Some(external_id) = &req.external_id
            && !(2..=1224).contains(&external_id.len())
        {
            return Err(StsError::Validation(
                    "1 validation error detected: Value at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224".to_owned(),
                ));
        }
        if req.policy.is_some() {
            // Session policies would narrow the session's permissions; refusing them is honest,
            // ignoring them would grant more than the caller asked for.
            return Err(StsError::Validation(
                "Session policies (the Policy parameter) are not supported by kmsd.".to_owned(),
            ));
        }
        let (role_account, role_name) = parse_role_arn(&req.role_arn)?;
        let denied = || {
            StsError::AccessDenied(format!(
                "User: {} is not authorized to perform: {ACTION} on resource: {}",
                caller.arn(),
                req.role_arn
            ))
        };
        if caller.is_root() {
            return Err(StsError::AccessDenied(
                "Roles may not be assumed by root accounts.".to_owned(),
            ));
        }
        let role = self
            .iam
            .role(&role_account, &role_name)
            .await
            .map_err(|e| StsError::Internal(Box::new(e)))?
            .ok_or_else(denied)?;
        let role_arn = format!(
            "arn:aws:iam::{}:role{}{}",
            role_account, role.path, role.name
        );
        if duration > role.max_session_duration {
            return Err(StsError::Validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                    .to_string(),
            ));
        }

        let now = self.clock.now();
        let arns = CallerArns::of(caller);
        let mut context = global_context(ctx, now);
        if let Some(external_id) = &req.external_id {
            context.insert("sts:ExternalId", external_id.clone());
        }
        context.insert("sts:RoleSessionName", session_name.clone());
        let identity = self
            .iam
            .identity_policies(caller)
            .await
            .map_err(|e| StsError::Internal(Box::new(e)))?;
        let request = Request::new(arns.policy_principal(), ACTION, &role_arn, &context);

        // The trust policy must name the caller (or its account).
        let trust = PolicyDocument::parse(&role.assume_role_policy_document, PolicyKind::Resource)
            .map_err(|e| StsError::Internal(e.message().to_owned().into()))?;
        let trust_eval = trust.evaluate(&request);
        if trust_eval.explicit_deny {
            return Err(denied());
        }
        let Some(matched) = trust_eval.allow else {
            return Err(denied());
        };
        // The caller's own permissions must allow it too, unless the trust policy names this
        // very principal in the same account.
        let same_account = caller.account == role_account;
        let evaluations: Vec<_> = identity.iter().map(|p| p.evaluate(&request)).collect();
        if evaluations.iter().any(|e| e.explicit_deny) {
            return Err(denied());
        }
        let identity_allows = evaluations.iter().any(|e| e.allow.is_some());
        if !(identity_allows || (same_account && matched == AllowedPrincipalMatch::Principal)) {
            return Err(denied());
        }

        let access_key_id = format!("ASIA{}", random_base32(&self.rng, 16)?);
        let secret = Zeroizing::new(random_secret_key(&self.rng)?);
        let expiration = now.plus_seconds(i64::from(duration));
        let session_token = session_token::seal(
            self.keyring.as_ref(),
            &access_key_id,
            &role_account,
            &role.path,
            &role.name,
            &role.role_id,
            session_name,
            expiration,
            &secret,
        )?;
        Ok(AssumeRoleResponse {
            credentials: TemporaryCredentials {
                access_key_id,
                secret_access_key: secret,
                session_token,
                expiration,
            },
            assumed_role_id: format!("{}:{session_name}", role.role_id),
            assumed_role_arn: format!(
                "arn:aws:sts::{role_account}:assumed-role/{}/{session_name}",
                role.name
            ),
        })
    }
}

/// `arn:aws:iam::<account>:role[/path/]<name>` → (account, name).
fn parse_role_arn(arn: &str) -> Result<(AccountId, String), StsError> {
    let invalid = || StsError::Validation(format!("{arn} is invalid"));
    let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
    let (account, resource) = rest.split_once(':').ok_or_else(invalid)?;
    let account: AccountId = account.parse().map_err(|_| invalid())?;
    let path_and_name = resource.strip_prefix("role/").ok_or_else(invalid)?;
    let name = path_and_name.rsplit('/').next().unwrap_or_default();
    if name.is_empty() {
        return Err(invalid());
    }
    Ok((account, name.to_owned()))
}

fn random_base32(rng: &kmsd_crypto::SystemRandom, len: usize) -> Result<String, StsError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes =
        kmsd_crypto::random_secret(rng, len).map_err(|e| StsError::Internal(Box::new(e)))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect())
}

fn random_secret_key(rng: &kmsd_crypto::SystemRandom) -> Result<String, StsError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = kmsd_crypto::random_secret(rng, 40).map_err(|e| StsError::Internal(Box::new(e)))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b & 63)] as char)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_role_arns() {
        let (account, name) = parse_role_arn("arn:aws:iam::098765432109:role/admin").unwrap();
        assert_eq!(account.as_str(), "098765432109");
        assert_eq!(name, "admin");
        assert_eq!(
            parse_role_arn("arn:aws:iam::098765432109:role/ops/admin")
                .unwrap()
                .1,
            "admin"
        );
        assert!(parse_role_arn("arn:aws:iam::098765432109:user/admin").is_err());
        assert!(parse_role_arn("arn:aws:iam::0987:role/admin").is_err());
        assert!(parse_role_arn("arn:aws:iam::098765432109:role/").is_err());
    }
}
