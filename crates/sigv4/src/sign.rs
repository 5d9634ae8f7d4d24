//! Signing, the client's half: the `Authorization` header for a request. kmsd itself only
//! verifies; the load generator (and tests) sign with this, so both sides share one
//! canonicalisation.

use crate::canonical::{RequestParts, build_canonical_request, string_to_sign};
use crate::{ALGORITHM, SigningKey, TERMINATOR};

/// What a signature is scoped to.
pub struct SigningScope<'a> {
    pub access_key_id: &'a str,
    /// `yyyymmdd`, the first 8 characters of `x-amz-date`.
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

/// The `Authorization` header value for `req`, signing every header it carries (names must be
/// lowercase; `host` and `x-amz-date` among them). `key` is the derived signing key for the
/// scope ([`crate::derive_signing_key`]).
pub fn authorization_header(
    req: &RequestParts<'_>,
    amz_date: &str,
    scope: &SigningScope<'_>,
    key: &SigningKey,
) -> Option<String> {
    let mut signed: Vec<String> = req
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    signed.sort();
    signed.dedup();
    let hashed_payload = crate::hex::encode(crate::signing_key::sha256(req.body).as_ref());
    let canonical = build_canonical_request(req, &signed, &hashed_payload).ok()?;
    let credential_scope = format!(
        "{}/{}/{}/{TERMINATOR}",
        scope.date, scope.region, scope.service
    );
    let to_sign = string_to_sign(amz_date, &credential_scope, &canonical);
    let signature = crate::hex::encode(&key.sign(to_sign.as_bytes()));
    Some(format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={}, Signature={signature}",
        scope.access_key_id,
        signed.join(";")
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{derive_signing_key, parse_authorization, verify, wire_date_to_epoch};

    #[test]
    fn what_it_signs_verifies() {
        let amz_date = "20261123T120000Z";
        let headers: &[(&str, &[u8])] = &[
            ("host", b"127.0.0.1:4580"),
            ("x-amz-date", amz_date.as_bytes()),
            ("x-amz-target", b"TrentService.Encrypt"),
            ("content-type", b"application/x-amz-json-1.1"),
        ];
        let body = br#"{"KeyId":"alias/x","Plaintext":"aGk="}"#;
        let req = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body,
        };
        let key = derive_signing_key(b"secret", "20261123", "us-east-1", "kms");
        let scope = SigningScope {
            access_key_id: "AKIDTEST",
            date: "20261123",
            region: "us-east-1",
            service: "kms",
        };
        let header = authorization_header(&req, amz_date, &scope, &key).unwrap();
        let auth = parse_authorization(&header).unwrap();
        let now = wire_date_to_epoch(amz_date).unwrap();
        assert_eq!(verify(&req, &auth, &key, now), Ok(()));
        let tampered = RequestParts {
            body: br#"{"KeyId":"alias/y","Plaintext":"aGk="}"#,
            ..req
        };
        assert!(verify(&tampered, &auth, &key, now).is_err());
    }
}
