//! The listener, routing, the audit trail's place in the request path, and the response
//! envelope (`x-amzn-RequestId`, content type, errors).
//!
//! Every KMS, IAM, STS and CloudTrail request — allowed, refused (also at authentication) or
//! failed — becomes an audit event, appended before the answer is sent; if the trail cannot
//! record it, the caller gets an internal error instead of the answer (fail closed).

use crate::audit_events::{self, Call, Caller, QueryOutcome};
use crate::auth::{AuthError, Scope};
use crate::aws_query::{self as query, QueryService};
use crate::cloudtrail::{self, CloudTrailError};
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
use kmsd_audit::{AuditLog, EVENT_SOURCE_CLOUDTRAIL, EVENT_SOURCE_KMS};
use kmsd_model::Principal;
use kmsd_service::identity::Iam;
use kmsd_service::sts::Sts;
use kmsd_service::{InternalError, Kms, KmsError, RequestContext};
use kmsd_sigv4::SigningKeyCache;
use serde_json::Value;
use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;

const JSON_1_1: &str = "application/x-amz-json-1.1";

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Serve `/dev/advance-clock`. Only ever true in a `--dev` deployment.
    pub dev_endpoints: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The audit trail every request is recorded in before it is answered; `None` records
    /// nothing (the trail switched off).
    pub audit: Option<AuditLog>,
    /// The trail's directory, which `LookupEvents` reads (also when the trail is off, so
    /// earlier events stay visible); `None`: lookups find nothing.
    pub audit_dir: Option<PathBuf>,
    /// KMS requests each account may make per second (AWS's quotas); over it, requests are
    /// answered `ThrottlingException` at once. 0: no limit.
    pub requests_per_second: u32,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        // The largest legitimate KMS request is a 128 Ki-character policy, JSON-escaped.
        ServerOptions {
            dev_endpoints: false,
            max_body_bytes: 1024 * 1024,
            audit: None,
            audit_dir: None,
            requests_per_second: crate::throttle::DEFAULT_REQUESTS_PER_SECOND,
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
    limiter: crate::throttle::RateLimiter,
    options: ServerOptions,
}

/// What every audit event of one request shares, taken when it arrives.
struct Arrival<'a> {
    request_id: &'a str,
    source_ip: IpAddr,
    /// `source_ip` as text, formatted once per connection.
    source_ip_text: &'a str,
    /// Seconds since the epoch (the wall clock: the dev clock may be moved).
    time_secs: i64,
    user_agent: String,
}

impl Edge {
    fn auditing(&self) -> bool {
        self.options.audit.is_some()
    }

    /// Appends a call's events; `false` when they could not be recorded (the cause is logged)
    /// and the request must be refused.
    async fn record(&self, call: Call<'_>) -> bool {
        let Some(log) = &self.options.audit else {
            return true;
        };
        let request_id = call.request_id.to_owned();
        let result = match audit_events::events(call) {
            Ok(events) if events.len() == 1 => log.append(&events[0]).await,
            Ok(events) => log.append_all(&events).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(request_id, error = %e, "the audit trail did not record the request; refusing it");
                false
            }
        }
    }

    /// Who a request that failed authentication claimed to be: the owner of the access key
    /// it named, if this deployment knows it (the signature did not prove it).
    async fn claimed(&self, parts: &hyper::http::request::Parts) -> Caller {
        let access_key_id = parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|h| kmsd_sigv4::parse_authorization(h).ok())
            .map(|a| a.access_key_id);
        let claimed = match &access_key_id {
            Some(id) => self.owner_of(parts, id).await,
            None => None,
        };
        Caller::Refused {
            claimed,
            access_key_id,
        }
    }

    async fn owner_of(&self, parts: &hyper::http::request::Parts, id: &str) -> Option<Principal> {
        let s = &self.services;
        if let Some(root) = s.kms.credentials().lookup(id) {
            return Some(root.principal.clone());
        }
        if let Some(token) = parts
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
        {
            return s
                .sts
                .session(id, token)
                .ok()
                .map(|session| session.principal);
        }
        s.iam
            .access_key(id)
            .await
            .ok()
            .flatten()
            .map(|k| k.principal)
    }
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
        limiter: crate::throttle::RateLimiter::new(options.requests_per_second),
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
        let source_ip_text: Arc<str> = Arc::from(source_ip.to_string());
        let service = service_fn(move |req| {
            let edge = edge.clone();
            let text = Arc::clone(&source_ip_text);
            async move { Ok::<_, Infallible>(handle(&edge, req, source_ip, &text).await) }
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
    source_ip_text: &str,
) -> Response<Full<Bytes>> {
    let request_id = new_request_id();
    let arrival = Arrival {
        request_id: &request_id,
        source_ip,
        source_ip_text,
        time_secs: wall_clock_seconds(),
        user_agent: match req.headers().get(hyper::header::USER_AGENT) {
            Some(v) if edge.auditing() => String::from_utf8_lossy(v.as_bytes()).into_owned(),
            _ => String::new(),
        },
    };
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => json_response(
            StatusCode::OK,
            br#"{"status":"ok"}"#.to_vec(),
            "application/json",
        ),
        (&Method::POST, "/dev/advance-clock") if edge.options.dev_endpoints => {
            advance_clock(edge, &req).await
        }
        (&Method::POST, "/") if is_cloudtrail(&req) => {
            cloudtrail_request(edge, req, &arrival).await
        }
        (&Method::POST, "/") if is_json_protocol(&req) => kms_request(edge, req, &arrival).await,
        (&Method::POST, "/") => query_request(edge, req, &arrival).await,
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
    arrival: &Arrival<'_>,
) -> Response<Full<Bytes>> {
    let request_id = arrival.request_id;
    let (parts, body) = req.into_parts();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let s = &edge.services;
    let mut read: Option<Bytes> = None;
    let mut principal: Option<Principal> = None;
    let result = async {
        let body = read_body(body, edge.options.max_body_bytes).await?;
        read = Some(body.clone());
        let scope = Scope {
            services: &["kms"],
            region: s.kms.region().as_str(),
        };
        let authenticated = auth::authenticate(
            &s.kms,
            &s.iam,
            &s.sts,
            &edge.signing_keys,
            &parts,
            &body,
            &scope,
        )
        .await?;
        let ctx = RequestContext {
            principal: authenticated.principal,
            request_id: request_id.to_owned(),
            source_ip: Some(arrival.source_ip),
        };
        let out = if !edge.limiter.admit(ctx.principal.account.as_str()) {
            Err(ApiError::Throttling)
        } else {
            match operation.strip_prefix(kms::TARGET_PREFIX) {
                Some(op) => kms::dispatch(&s.kms, &ctx, op, &body).await,
                None => Err(ApiError::UnknownOperation(String::new())),
            }
        };
        principal = Some(ctx.principal);
        out
    }
    .await;
    if edge.auditing() {
        let caller = match principal {
            Some(p) => Caller::Authenticated(p),
            None => edge.claimed(&parts).await,
        };
        let name = event_name(
            operation
                .strip_prefix(kms::TARGET_PREFIX)
                .unwrap_or(&operation),
        );
        let error = result.as_ref().err().map(|e| {
            let wire = e.to_wire();
            (wire.code.to_owned(), wire.message)
        });
        let region = s.kms.region().as_str();
        let record = audit_events::kms_call(
            name,
            caller.account().as_deref(),
            region,
            read.as_deref(),
            result.as_ref().ok(),
        );
        let call = Call {
            event_source: EVENT_SOURCE_KMS,
            operation: name,
            region,
            caller: &caller,
            time_secs: arrival.time_secs,
            source_ip: arrival.source_ip_text,
            user_agent: &arrival.user_agent,
            request_id,
            record,
            error,
        };
        if !edge.record(call).await {
            let unrecorded = ApiError::Kms(KmsError::Internal(InternalError::Unavailable));
            return error_response(&unrecorded, request_id, &operation);
        }
    }
    let encoded = result.and_then(|out| {
        serde_json::to_vec(&out).map_err(|e| ApiError::Serialization(e.to_string()))
    });
    match encoded {
        Ok(body) => {
            tracing::debug!(request_id, operation, "ok");
            json_response(StatusCode::OK, body, JSON_1_1)
        }
        Err(e) => error_response(&e, request_id, &operation),
    }
}

/// A CloudTrail request (JSON 1.1, signed for `cloudtrail`): `LookupEvents` over the trail.
async fn cloudtrail_request(
    edge: &Edge,
    req: Request<Incoming>,
    arrival: &Arrival<'_>,
) -> Response<Full<Bytes>> {
    let request_id = arrival.request_id;
    let (parts, body) = req.into_parts();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = event_name(
        target
            .strip_prefix(cloudtrail::TARGET_PREFIX)
            .unwrap_or(target),
    )
    .to_owned();
    let s = &edge.services;
    let mut read: Option<Bytes> = None;
    let mut principal: Option<Principal> = None;
    let result = async {
        let body = read_body(body, edge.options.max_body_bytes)
            .await
            .map_err(|e| wire_error(&e))?;
        read = Some(body.clone());
        let scope = Scope {
            services: &["cloudtrail"],
            region: s.kms.region().as_str(),
        };
        let authenticated = auth::authenticate(
            &s.kms,
            &s.iam,
            &s.sts,
            &edge.signing_keys,
            &parts,
            &body,
            &scope,
        )
        .await
        .map_err(|e| wire_error(&ApiError::from(e)))?;
        let ctx = RequestContext {
            principal: authenticated.principal,
            request_id: request_id.to_owned(),
            source_ip: Some(arrival.source_ip),
        };
        let out = cloudtrail::dispatch(
            &s.iam,
            &ctx,
            edge.options.audit_dir.clone(),
            &operation,
            &body,
        )
        .await;
        principal = Some(ctx.principal);
        out
    }
    .await;
    if edge.auditing() {
        let caller = match principal {
            Some(p) => Caller::Authenticated(p),
            None => edge.claimed(&parts).await,
        };
        let record = audit_events::Record {
            request_parameters: read
                .as_deref()
                .map_or(Value::Null, audit_events::json_parameters),
            read_only: true,
            ..audit_events::Record::default()
        };
        let call = Call {
            event_source: EVENT_SOURCE_CLOUDTRAIL,
            operation: &operation,
            region: s.kms.region().as_str(),
            caller: &caller,
            time_secs: arrival.time_secs,
            source_ip: arrival.source_ip_text,
            user_agent: &arrival.user_agent,
            request_id,
            record,
            error: result
                .as_ref()
                .err()
                .map(|e| (e.code.to_owned(), e.message.clone())),
        };
        if !edge.record(call).await {
            return cloudtrail_error(&CloudTrailError::internal(), request_id);
        }
    }
    let encoded = result.and_then(|out| {
        serde_json::to_vec(&out).map_err(|e| {
            tracing::error!(request_id, error = %e, "encoding LookupEvents failed");
            CloudTrailError::internal()
        })
    });
    match encoded {
        Ok(body) => json_response(StatusCode::OK, body, JSON_1_1),
        Err(e) => cloudtrail_error(&e, request_id),
    }
}

fn wire_error(e: &ApiError) -> CloudTrailError {
    let wire = e.to_wire();
    CloudTrailError {
        status: wire.status,
        code: wire.code,
        message: wire.message,
    }
}

fn cloudtrail_error(e: &CloudTrailError, request_id: &str) -> Response<Full<Bytes>> {
    if e.status >= 500 {
        tracing::error!(request_id, code = e.code, "CloudTrail request failed");
    } else {
        tracing::debug!(request_id, code = e.code, "CloudTrail request refused");
    }
    json_error(e.status, e.code, &e.message)
}

/// The operation as recorded: what the request named, or `Unknown` when it named none.
fn event_name(operation: &str) -> &str {
    if operation.is_empty() {
        "Unknown"
    } else {
        operation
    }
}

/// An AWS Query protocol request (IAM or STS); which one is told by the signature's scope.
async fn query_request(
    edge: &Edge,
    req: Request<Incoming>,
    arrival: &Arrival<'_>,
) -> Response<Full<Bytes>> {
    let request_id = arrival.request_id;
    let (parts, body) = req.into_parts();
    let (body, response, principal, service) =
        match read_body(body, edge.options.max_body_bytes).await {
            Ok(body) => {
                let (response, principal, service) =
                    query_answer(edge, &parts, &body, request_id, arrival.source_ip).await;
                (Some(body), response, principal, service)
            }
            Err(e) => {
                let wire = e.to_wire();
                let response = query::error_response(
                    QueryService::Iam,
                    wire.status,
                    wire.code,
                    &wire.message,
                    request_id,
                );
                (None, response, None, QueryService::Iam)
            }
        };
    if !edge.auditing() {
        return response;
    }
    let caller = match principal {
        Some(p) => Caller::Authenticated(p),
        None => edge.claimed(&parts).await,
    };
    let (head, answer) = response.into_parts();
    let answer = match answer.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    let sts = service == QueryService::Sts;
    let action = body
        .as_deref()
        .and_then(audit_events::form_action)
        .unwrap_or_default();
    let action = event_name(&action).to_owned();
    let (record, error) = audit_events::query_call(
        sts,
        &action,
        body.as_deref(),
        Some(QueryOutcome {
            status: head.status.as_u16(),
            body: &answer,
        }),
    );
    let call = Call {
        event_source: if sts {
            kmsd_audit::EVENT_SOURCE_STS
        } else {
            kmsd_audit::EVENT_SOURCE_IAM
        },
        operation: &action,
        // IAM and STS are global services: AWS records their calls in us-east-1.
        region: "us-east-1",
        caller: &caller,
        time_secs: arrival.time_secs,
        source_ip: arrival.source_ip_text,
        user_agent: &arrival.user_agent,
        request_id,
        record,
        error,
    };
    if !edge.record(call).await {
        let code = if sts {
            "InternalFailure"
        } else {
            "ServiceFailure"
        };
        return query::error_response(
            service,
            500,
            code,
            "An internal error occurred.",
            request_id,
        );
    }
    Response::from_parts(head, Full::new(answer))
}

/// Authenticates and runs a Query request; returns the answer, who was authenticated, and
/// which service the request was for.
async fn query_answer(
    edge: &Edge,
    parts: &hyper::http::request::Parts,
    body: &Bytes,
    request_id: &str,
    source_ip: IpAddr,
) -> (Response<Full<Bytes>>, Option<Principal>, QueryService) {
    let s = &edge.services;
    let scope = Scope {
        services: &["iam", "sts"],
        region: s.kms.region().as_str(),
    };
    let guessed = if form_action(body).is_some_and(is_sts_action) {
        QueryService::Sts
    } else {
        QueryService::Iam
    };
    match auth::authenticate(
        &s.kms,
        &s.iam,
        &s.sts,
        &edge.signing_keys,
        parts,
        body,
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
            let response = query::handle(&s.iam, &s.sts, &ctx, service, body).await;
            (response, Some(ctx.principal), service)
        }
        Err(e) => {
            let (status, code, message) = query_auth_error(e);
            tracing::debug!(request_id, code, "query request not authenticated");
            let response = query::error_response(guessed, status, code, &message, request_id);
            (response, None, guessed)
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

/// CloudTrail is told by its target header.
fn is_cloudtrail(req: &Request<Incoming>) -> bool {
    req.headers().get("x-amz-target").is_some_and(|v| {
        v.as_bytes()
            .starts_with(cloudtrail::TARGET_PREFIX.as_bytes())
    })
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
    json_error(wire.status, wire.code, &wire.message)
}

/// A JSON 1.1 error: `{"__type": code, "message": …}` and `x-amzn-ErrorType`.
fn json_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "__type": code, "message": message });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_response(status, bytes, JSON_1_1);
    if let Ok(v) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-ErrorType", v);
    }
    response
}

fn wall_clock_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
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

/// A random version-4 UUID (the audit trail's generator: the same form as event ids).
fn new_request_id() -> String {
    // The CSPRNG failing is not a reason to refuse a request; its id then only needs to be
    // unique within this process.
    kmsd_audit::new_event_id().unwrap_or_else(|_| {
        static FALLBACK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = FALLBACK.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("00000000-0000-4000-8000-{n:012x}")
    })
}
