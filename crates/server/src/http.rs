//! The listener, routing, and the response envelope (`x-amzn-RequestId`, content type, errors).

use crate::auth::{AuthError, Scope};
use crate::aws_query::{self as query, QueryService};
use crate::error::ApiError;
use crate::{auth, kms};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use kmsd_service::identity::Iam;
use kmsd_service::sts::Sts;
use kmsd_service::{Kms, RequestContext};
use kmsd_sigv4::SigningKeyCache;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

const JSON_1_1: &str = "application/x-amz-json-1.1";

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Serve `/dev/advance-clock`. Only ever true in a `--dev` deployment.
    pub dev_endpoints: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        // The largest legitimate KMS request is a 128 Ki-character policy, JSON-escaped.
        ServerOptions {
            dev_endpoints: false,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// The services one listener serves.
pub struct Services {
    pub kms: Arc<Kms>,
    pub iam: Arc<Iam>,
    pub sts: Arc<Sts>,
}

struct Edge {
    services: Services,
    signing_keys: SigningKeyCache,
    options: ServerOptions,
}

/// Serves connections from `listener` until `shutdown` completes, then lets requests in flight
/// finish (connections close after their current request).
pub async fn serve(
    listener: TcpListener,
    services: Services,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) {
    let edge = Arc::new(Edge {
        services,
        signing_keys: SigningKeyCache::new(10_000),
        options,
    });
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let edge = edge.clone();
        let source_ip = peer.ip();
        let service = service_fn(move |req| {
            let edge = edge.clone();
            async move { Ok::<_, Infallible>(handle(&edge, req, source_ip).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {
            tracing::warn!("connections still open after 10 s; stopping anyway");
        }
    }
}

async fn handle(
    edge: &Edge,
    req: Request<Incoming>,
    source_ip: std::net::IpAddr,
) -> Response<Full<Bytes>> {
    let request_id = new_request_id();
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => json_response(
            StatusCode::OK,
            br#"{"status":"ok"}"#.to_vec(),
            "application/json",
        ),
        (&Method::POST, "/dev/advance-clock") if edge.options.dev_endpoints => {
            advance_clock(edge, &req).await
        }
        (&Method::POST, "/") if is_json_protocol(&req) => {
            kms_request(edge, req, &request_id, source_ip).await
        }
        (&Method::POST, "/") => query_request(edge, req, &request_id, source_ip).await,
        _ => json_response(
            StatusCode::NOT_FOUND,
            br#"{"message":"Not Found"}"#.to_vec(),
            "application/json",
        ),
    };
    with_request_id(response, &request_id)
}

async fn kms_request(
    edge: &Edge,
    req: Request<Incoming>,
    request_id: &str,
    source_ip: std::net::IpAddr,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let result = async {
        let body = read_body(body, edge.options.max_body_bytes).await?;
        let s = &edge.services;
        let scope = Scope {
            services: &["kms"],
            region: s.kms.region().as_str(),
        };
        let principal = auth::authenticate(
            &s.kms,
            &s.iam,
            &s.sts,
            &edge.signing_keys,
            &parts,
            &body,
            &scope,
        )
        .await?
        .principal;
        let Some(op) = operation.strip_prefix(kms::TARGET_PREFIX) else {
            return Err(ApiError::UnknownOperation(String::new()));
        };
        let ctx = RequestContext {
            principal,
            request_id: request_id.to_owned(),
            source_ip: Some(source_ip),
        };
        let out = kms::dispatch(&s.kms, &ctx, op, &body).await?;
        serde_json::to_vec(&out).map_err(|e| ApiError::Serialization(e.to_string()))
    }
    .await;
    match result {
        Ok(body) => {
            tracing::debug!(request_id, operation, "ok");
            json_response(StatusCode::OK, body, JSON_1_1)
        }
        Err(e) => error_response(&e, request_id, &operation),
    }
}

/// An AWS Query protocol request (IAM or STS); which one is told by the signature's scope.
async fn query_request(
    edge: &Edge,
    req: Request<Incoming>,
    request_id: &str,
    source_ip: std::net::IpAddr,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match read_body(body, edge.options.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => {
            let wire = e.to_wire();
            return query::error_response(
                QueryService::Iam,
                wire.status,
                wire.code,
                &wire.message,
                request_id,
            );
        }
    };
    let s = &edge.services;
    let scope = Scope {
        services: &["iam", "sts"],
        region: s.kms.region().as_str(),
    };
    let guessed = if form_action(&body).is_some_and(is_sts_action) {
        QueryService::Sts
    } else {
        QueryService::Iam
    };
    match auth::authenticate(
        &s.kms,
        &s.iam,
        &s.sts,
        &edge.signing_keys,
        &parts,
        &body,
        &scope,
    )
    .await
    {
        Ok(authenticated) => {
            let service = if authenticated.service == "sts" {
                QueryService::Sts
            } else {
                QueryService::Iam
            };
            let ctx = RequestContext {
                principal: authenticated.principal,
                request_id: request_id.to_owned(),
                source_ip: Some(source_ip),
            };
            query::handle(&s.iam, &s.sts, &ctx, service, &body).await
        }
        Err(e) => {
            let (status, code, message) = query_auth_error(e);
            tracing::debug!(request_id, code, "query request not authenticated");
            query::error_response(guessed, status, code, &message, request_id)
        }
    }
}

/// The Query protocol's names for authentication failures.
fn query_auth_error(e: AuthError) -> (u16, &'static str, String) {
    match e {
        AuthError::MissingToken => (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token".to_owned(),
        ),
        AuthError::UnrecognizedClient => (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.".to_owned(),
        ),
        AuthError::Expired(message) => (403, "ExpiredToken", message),
        AuthError::Signature(e) if e.aws_code() == "IncompleteSignatureException" => {
            (400, "IncompleteSignature", e.to_string())
        }
        AuthError::Signature(e) => (403, "SignatureDoesNotMatch", e.to_string()),
        AuthError::Internal(cause) => {
            tracing::error!(cause, "credential lookup failed");
            (
                500,
                "ServiceFailure",
                "An internal error occurred.".to_owned(),
            )
        }
    }
}

/// AWS JSON 1.1 (KMS) is told by its target header or content type; everything else on `/` is
/// the Query protocol (IAM, STS).
fn is_json_protocol(req: &Request<Incoming>) -> bool {
    req.headers().contains_key("x-amz-target")
        || req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-amz-json"))
}

/// The `Action` of a form body, if it has one.
fn form_action(body: &[u8]) -> Option<&str> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
}

fn is_sts_action(action: &str) -> bool {
    matches!(
        action,
        "GetCallerIdentity"
            | "AssumeRole"
            | "GetSessionToken"
            | "AssumeRoleWithWebIdentity"
            | "AssumeRoleWithSAML"
            | "DecodeAuthorizationMessage"
            | "GetAccessKeyInfo"
            | "GetFederationToken"
    )
}

async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ApiError::RequestTooLarge(limit))
        }
        Err(_) => Err(ApiError::Serialization(
            "The request body could not be read.".to_owned(),
        )),
    }
}

fn error_response(e: &ApiError, request_id: &str, operation: &str) -> Response<Full<Bytes>> {
    let wire = e.to_wire();
    if wire.status >= 500 {
        tracing::error!(request_id, operation, code = wire.code, error = ?e, "request failed");
    } else {
        tracing::debug!(request_id, operation, code = wire.code, "request refused");
    }
    let body = serde_json::json!({ "__type": wire.code, "message": wire.message });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let status = StatusCode::from_u16(wire.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_response(status, bytes, JSON_1_1);
    if let Ok(v) = HeaderValue::from_str(wire.code) {
        response.headers_mut().insert("x-amzn-ErrorType", v);
    }
    response
}

async fn advance_clock(edge: &Edge, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let seconds = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("seconds="))
        .and_then(|s| s.parse::<u64>().ok());
    let Some(seconds) = seconds else {
        let body = br#"{"message":"seconds must be a non-negative integer"}"#.to_vec();
        return json_response(StatusCode::BAD_REQUEST, body, "application/json");
    };
    match edge.services.kms.advance_clock(seconds).await {
        Ok(()) => {
            let now = edge.services.kms.clock().now();
            let body = serde_json::json!({ "now": now.epoch_seconds() });
            json_response(
                StatusCode::OK,
                serde_json::to_vec(&body).unwrap_or_default(),
                "application/json",
            )
        }
        Err(e) => error_response(&ApiError::Kms(e), "", "advance-clock"),
    }
}

fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn with_request_id(mut response: Response<Full<Bytes>>, request_id: &str) -> Response<Full<Bytes>> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-RequestId", v);
    }
    response
}

/// A random version-4 UUID.
fn new_request_id() -> String {
    let bytes: [u8; 16] = random_id_bytes();
    kmsd_model::KeyId::from_random(bytes).to_string()
}

fn random_id_bytes() -> [u8; 16] {
    use std::sync::OnceLock;
    static RNG: OnceLock<aws_lc_rs::rand::SystemRandom> = OnceLock::new();
    let rng = RNG.get_or_init(aws_lc_rs::rand::SystemRandom::new);
    let mut out = [0u8; 16];
    let _ = aws_lc_rs::rand::SecureRandom::fill(rng, &mut out);
    out
}
