//! Session tokens: the whole session sealed under the domain key.
//!
//! Format: `kmsd1.` + base64url(sealed), where sealed = `Keyring::seal_secret` of a JSON payload
//! with purpose `sts-session:<access key id>`, so a token only opens for the access key it was
//! issued with. The payload holds the role session and the secret access key.

use super::{SessionIdentity, StsError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kmsd_keyring::Keyring;
use kmsd_model::{AccountId, Principal, PrincipalKind, Timestamp};
use serde_json::{Value, json};
use zeroize::Zeroizing;

const PREFIX: &str = "kmsd1.";
const PURPOSE: &str = "sts-session:";

/// An opened session.
pub(crate) struct Session {
    account: AccountId,
    role_path: String,
    role_name: String,
    role_id: String,
    session_name: String,
    expires_at: Timestamp,
    secret: Zeroizing<String>,
}

impl Session {
    pub fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    pub fn into_identity(self, access_key_id: &str) -> SessionIdentity {
        SessionIdentity {
            secret_access_key: Zeroizing::new(self.secret.as_bytes().to_vec()),
            principal: Principal {
                account: self.account,
                kind: PrincipalKind::AssumedRole {
                    role_path: self.role_path,
                    role_name: self.role_name,
                    role_id: self.role_id,
                    session_name: self.session_name,
                    expires_at: self.expires_at,
                },
                access_key_id: access_key_id.to_owned(),
            },
        }
    }
}

/// Seals a new session for `access_key_id`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn seal(
    keyring: &dyn Keyring,
    access_key_id: &str,
    account: &AccountId,
    role_path: &str,
    role_name: &str,
    role_id: &str,
    session_name: &str,
    expires_at: Timestamp,
    secret: &str,
) -> Result<String, StsError> {
    let payload = Zeroizing::new(
        json!({
            "a": account.as_str(),
            "rp": role_path,
            "rn": role_name,
            "ri": role_id,
            "s": session_name,
            "e": expires_at.millis(),
            "k": secret,
        })
        .to_string(),
    );
    let purpose = format!("{PURPOSE}{access_key_id}");
    let sealed = keyring
        .seal_secret(purpose.as_bytes(), payload.as_bytes())
        .map_err(|e| StsError::Internal(Box::new(e)))?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(sealed)))
}

/// Opens a token for `access_key_id`. Every failure is `InvalidToken`.
pub(crate) fn open(
    keyring: &dyn Keyring,
    access_key_id: &str,
    token: &str,
) -> Result<Session, StsError> {
    let body = token.strip_prefix(PREFIX).ok_or(StsError::InvalidToken)?;
    let sealed = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| StsError::InvalidToken)?;
    let purpose = format!("{PURPOSE}{access_key_id}");
    let plain = keyring
        .open_secret(purpose.as_bytes(), &sealed)
        .map_err(|_| StsError::InvalidToken)?;
    let payload: Value = serde_json::from_slice(&plain).map_err(|_| StsError::InvalidToken)?;
    let text = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(StsError::InvalidToken)
    };
    let secret = Zeroizing::new(text("k")?);
    Ok(Session {
        account: text("a")?.parse().map_err(|_| StsError::InvalidToken)?,
        role_path: text("rp")?,
        role_name: text("rn")?,
        role_id: text("ri")?,
        session_name: text("s")?,
        expires_at: Timestamp(
            payload
                .get("e")
                .and_then(Value::as_i64)
                .ok_or(StsError::InvalidToken)?,
        ),
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kmsd_keyring::FileKeyring;

    #[test]
    fn tokens_open_only_for_their_access_key() {
        let dir = tempfile::tempdir().unwrap();
        let ring = FileKeyring::open_or_create(&dir.path().join("dk")).unwrap();
        let account: AccountId = "098765432109".parse().unwrap();
        let token = seal(
            &ring,
            "ASIAAAAA",
            &account,
            "/",
            "admin",
            "AROAX",
            "s1",
            Timestamp(5),
            "sekrit",
        )
        .unwrap();
        assert!(!token.contains("sekrit"));
        let session = open(&ring, "ASIAAAAA", &token).unwrap();
        assert_eq!(session.expires_at(), Timestamp(5));
        let identity = session.into_identity("ASIAAAAA");
        assert_eq!(&identity.secret_access_key[..], b"sekrit");
        assert_eq!(
            identity.principal.arn(),
            "arn:aws:sts::098765432109:assumed-role/admin/s1"
        );
        assert!(open(&ring, "ASIABBBB", &token).is_err());
        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(open(&ring, "ASIAAAAA", &tampered).is_err());
        assert!(open(&ring, "ASIAAAAA", "bogus").is_err());
    }
}
