//! SigV4 authentication at the edge: who signed this request, and did they really.
//!
//! Credentials come from three places, tried in this order: the account roots of the
//! configuration (in memory), STS session tokens (stateless, sealed under the domain key), and
//! IAM users' access keys (the IAM service, cached and invalidated in-process).

use kmsd_model::Principal;
use kmsd_service::Kms;
use kmsd_service::identity::Iam;
use kmsd_service::sts::{Sts, StsError};
use kmsd_sigv4::{RequestParts, SigV4Error, SigningKeyCache, parse_authorization};
use std::time::{SystemTime, UNIX_EPOCH};
use zeroize::Zeroizing;

/// Why a request is not authenticated. Each protocol words these its own way.
#[derive(Debug)]
pub(crate) enum AuthError {
    MissingToken,
    UnrecognizedClient,
    Expired(String),
    Signature(SigV4Error),
    Internal(String),
}

impl From<SigV4Error> for AuthError {
    fn from(e: SigV4Error) -> AuthError {
        AuthError::Signature(e)
    }
}

/// An authenticated caller and the service its signature is scoped to.
pub(crate) struct Authenticated {
    pub principal: Principal,
    pub service: String,
}

/// Which services a request on this endpoint may be signed for, and in which regions.
pub(crate) struct Scope<'a> {
    pub services: &'a [&'a str],
    pub region: &'a str,
}

/// Authenticates a request: a known access key, a scope naming this region and an allowed
/// service, a fresh `X-Amz-Date`, and a matching signature.
///
/// The freshness check uses the machine's wall clock, not the service clock: the dev clock may
/// run days ahead, but a signature's age is about the network. Session expiry, by contrast, is
/// service time.
pub(crate) async fn authenticate(
    kms: &Kms,
    iam: &Iam,
    sts: &Sts,
    signing_keys: &SigningKeyCache,
    parts: &hyper::http::request::Parts,
    body: &[u8],
    scope: &Scope<'_>,
) -> Result<Authenticated, AuthError> {
    let Some(header) = parts.headers.get(hyper::header::AUTHORIZATION) else {
        return Err(AuthError::MissingToken);
    };
    let header = header.to_str().map_err(|_| AuthError::MissingToken)?;
    let auth = parse_authorization(header)?;
    let session_token = match parts.headers.get("x-amz-security-token") {
        Some(v) => Some(v.to_str().map_err(|_| AuthError::UnrecognizedClient)?),
        None => None,
    };
    let (secret, principal) = credential(kms, iam, sts, &auth.access_key_id, session_token).await?;
    let service = scope
        .services
        .iter()
        .find(|s| **s == auth.service)
        .copied()
        .unwrap_or(scope.services.first().copied().unwrap_or("kms"));
    // IAM and STS are global services too: clients sign them for us-east-1.
    let region = if matches!(service, "iam" | "sts") && auth.region == "us-east-1" {
        "us-east-1"
    } else {
        scope.region
    };
    auth.check_scope(region, service)?;
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_bytes()))
        .collect();
    let request = RequestParts {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body,
    };
    let key = signing_keys.get_or_derive(
        &auth.access_key_id,
        &secret,
        &auth.date,
        &auth.region,
        &auth.service,
    );
    kmsd_sigv4::verify(&request, &auth, &key, wall_clock_seconds())?;
    Ok(Authenticated {
        principal,
        service: service.to_owned(),
    })
}

async fn credential(
    kms: &Kms,
    iam: &Iam,
    sts: &Sts,
    access_key_id: &str,
    session_token: Option<&str>,
) -> Result<(Zeroizing<Vec<u8>>, Principal), AuthError> {
    if let Some(root) = kms.credentials().lookup(access_key_id) {
        // Long-term credentials carry no session token; one sent with them names a temporary
        // credential this deployment never issued.
        if session_token.is_some() {
            return Err(AuthError::UnrecognizedClient);
        }
        return Ok((root.secret_access_key.clone(), root.principal.clone()));
    }
    if let Some(token) = session_token {
        return match sts.session(access_key_id, token) {
            Ok(session) => Ok((session.secret_access_key, session.principal)),
            Err(StsError::ExpiredToken(message)) => Err(AuthError::Expired(message)),
            Err(_) => Err(AuthError::UnrecognizedClient),
        };
    }
    match iam.access_key(access_key_id).await {
        Ok(Some(identity)) => Ok((identity.secret_access_key, identity.principal)),
        Ok(None) => Err(AuthError::UnrecognizedClient),
        Err(e) => Err(AuthError::Internal(e.to_string())),
    }
}

fn wall_clock_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
