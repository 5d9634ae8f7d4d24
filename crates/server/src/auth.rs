//! SigV4 authentication at the edge: who signed this request, and did they really.

use crate::error::ApiError;
use kmsd_model::Principal;
use kmsd_service::Kms;
use kmsd_sigv4::{RequestParts, SigningKeyCache, parse_authorization};
use std::time::{SystemTime, UNIX_EPOCH};

/// Authenticates a request for `service` (e.g. `kms`): a known access key, a scope naming this
/// region and service, a fresh `X-Amz-Date`, and a matching signature.
///
/// The freshness check uses the machine's wall clock, not the service clock: the dev clock may
/// run days ahead, but a signature's age is about the network, not about service time.
pub(crate) fn authenticate(
    kms: &Kms,
    signing_keys: &SigningKeyCache,
    parts: &hyper::http::request::Parts,
    body: &[u8],
    service: &str,
) -> Result<Principal, ApiError> {
    let Some(header) = parts.headers.get(hyper::header::AUTHORIZATION) else {
        return Err(ApiError::MissingAuthenticationToken);
    };
    let header = header
        .to_str()
        .map_err(|_| ApiError::MissingAuthenticationToken)?;
    let auth = parse_authorization(header)?;
    let credential = kms
        .credentials()
        .lookup(&auth.access_key_id)
        .ok_or(ApiError::UnrecognizedClient)?;
    // Long-term credentials carry no session token; a request that sends one names a
    // temporary credential this deployment never issued.
    if parts.headers.contains_key("x-amz-security-token") {
        return Err(ApiError::UnrecognizedClient);
    }
    auth.check_scope(kms.region().as_str(), service)?;
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
        &credential.secret_access_key,
        &auth.date,
        &auth.region,
        &auth.service,
    );
    kmsd_sigv4::verify(&request, &auth, &key, wall_clock_seconds())?;
    Ok(credential.principal.clone())
}

fn wall_clock_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
