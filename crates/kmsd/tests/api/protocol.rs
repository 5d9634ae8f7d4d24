//! The AWS JSON 1.1 edge: malformed, mistyped and incomplete requests that no SDK would send,
//! produced by rewriting a correctly built request just before it is signed (so the signature
//! is valid and only the body or target is wrong).

use std::sync::{Arc, Mutex};

use aws_sdk_kms::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::BoxError;
use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;

use crate::harness::*;
use crate::json::Json;

/// Replaces the body and/or the `X-Amz-Target` of a request before it is signed.
#[derive(Debug, Clone)]
struct Rewrite {
    body: Option<String>,
    target: Option<&'static str>,
}

impl Rewrite {
    fn body(body: impl Into<String>) -> Rewrite {
        Rewrite {
            body: Some(body.into()),
            target: None,
        }
    }

    fn target(target: &'static str) -> Rewrite {
        Rewrite {
            body: None,
            target: Some(target),
        }
    }
}

/// Assigns without naming the SDK's body type (it is not re-exported).
fn replace_body<B: From<Vec<u8>>>(slot: &mut B, bytes: Vec<u8>) {
    *slot = B::from(bytes);
}

impl Intercept for Rewrite {
    fn name(&self) -> &'static str {
        "Rewrite"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(body) = &self.body {
            let bytes = body.clone().into_bytes();
            request
                .headers_mut()
                .insert("content-length", bytes.len().to_string());
            replace_body(request.body_mut(), bytes);
        }
        if let Some(target) = self.target {
            request.headers_mut().insert("x-amz-target", target);
        }
        Ok(())
    }
}

#[tokio::test]
async fn malformed_json_is_serialization_exception() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    for body in ["{not json", "[]", "{\"Limit\": 10"] {
        let result = kms
            .list_keys()
            .customize()
            .interceptor(Rewrite::body(body))
            .send()
            .await;
        let failure = failure(result);
        assert_eq!(
            (failure.code.as_str(), failure.status),
            ("SerializationException", 400),
            "body {body:?}: {failure:?}"
        );
    }
}

#[tokio::test]
async fn mistyped_members_are_serialization_exception() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    for body in [
        r#"{"Limit":"ten"}"#,
        r#"{"Limit":{}}"#,
        r#"{"Marker":["x"]}"#,
    ] {
        let failure = failure(
            kms.list_keys()
                .customize()
                .interceptor(Rewrite::body(body))
                .send()
                .await,
        );
        assert_eq!(
            (failure.code.as_str(), failure.status),
            ("SerializationException", 400),
            "body {body}: {failure:?}"
        );
    }
    let failure = failure(
        kms.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("x"))
            .customize()
            .interceptor(Rewrite::body(format!(
                r#"{{"KeyId":"{id}","Plaintext":"eA==","EncryptionContext":["not","a","map"]}}"#
            )))
            .send()
            .await,
    );
    assert_eq!(
        (failure.code.as_str(), failure.status),
        ("SerializationException", 400),
        "{failure:?}"
    );
}

#[tokio::test]
async fn invalid_base64_blob_is_rejected() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    expect_error_in(
        kms.encrypt()
            .key_id(&id)
            .plaintext(Blob::new("x"))
            .customize()
            .interceptor(Rewrite::body(format!(
                r#"{{"KeyId":"{id}","Plaintext":"!!not base64!!"}}"#
            )))
            .send()
            .await,
        &["SerializationException", "ValidationException"],
    );
}

#[tokio::test]
async fn missing_required_member_is_validation_exception() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let message = expect_error(
        kms.describe_key()
            .key_id("placeholder")
            .customize()
            .interceptor(Rewrite::body("{}"))
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn unknown_operation_is_rejected() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let failure = failure(
        kms.list_keys()
            .customize()
            .interceptor(Rewrite::target("TrentService.MakeCoffee"))
            .send()
            .await,
    );
    assert_eq!(
        (failure.code.as_str(), failure.status),
        ("UnknownOperationException", 400),
        "{failure:?}"
    );
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let created = ok(kms.create_key().send().await);
    let first = created.request_id().expect("x-amzn-RequestId on success");
    assert!(!first.is_empty());
    let listed = ok(kms.list_keys().send().await);
    let second = listed.request_id().expect("x-amzn-RequestId on success");
    assert_ne!(first, second, "request IDs are unique");

    let err = kms
        .describe_key()
        .key_id(random_uuid())
        .send()
        .await
        .expect_err("unknown key");
    assert!(
        err.request_id().is_some_and(|id| !id.is_empty()),
        "x-amzn-RequestId on errors"
    );
}

#[tokio::test]
async fn error_bodies_have_the_aws_json_shape() {
    // Unsigned, so the raw body can be inspected: {"__type": "...", "message": "..."}.
    let kmsd = Kmsd::start();
    let response = kmsd.http(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "TrentService.ListKeys"),
        ],
        b"{}",
    );
    assert!(response.status >= 400, "{}", response.status);
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.1")
    );
    let text = response.text();
    let body =
        Json::parse(&text).unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let kind = body
        .get("__type")
        .and_then(Json::as_str)
        .unwrap_or_else(|| panic!("no __type: {text}"));
    assert!(!kind.is_empty());
    assert!(
        body.get("message").and_then(Json::as_str).is_some(),
        "the message member is lowercase `message`: {text}"
    );
}

/// A raw response: status, content type, body.
type RawResponse = (u16, Option<String>, Vec<u8>);

/// Records the raw status, content type and body of every response.
#[derive(Debug, Clone, Default)]
struct Capture {
    seen: Arc<Mutex<Vec<RawResponse>>>,
}

impl Capture {
    fn take(&self) -> (u16, Option<String>, Json, String) {
        let (status, content_type, body) = self
            .seen
            .lock()
            .expect("capture lock")
            .pop()
            .expect("a captured response");
        let text = String::from_utf8(body).expect("response body is UTF-8");
        let json =
            Json::parse(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text:?}"));
        (status, content_type, json, text)
    }
}

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "Capture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let body = response.body().bytes().unwrap_or_default().to_vec();
        let content_type = response.headers().get("content-type").map(str::to_owned);
        self.seen.lock().expect("capture lock").push((
            response.status().as_u16(),
            content_type,
            body,
        ));
        Ok(())
    }
}

/// JSON `null` anywhere in a response: AWS omits absent members instead.
fn find_null(value: &Json, path: &str) -> Option<String> {
    match value {
        Json::Null => Some(path.to_owned()),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_null(v, &format!("{path}[{i}]"))),
        Json::Object(members) => members
            .iter()
            .find_map(|(k, v)| find_null(v, &format!("{path}.{k}"))),
        _ => None,
    }
}

#[tokio::test]
async fn success_bodies_have_the_aws_json_shape() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let capture = Capture::default();

    let created = ok(kms
        .create_key()
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let id = created
        .key_metadata()
        .expect("KeyMetadata")
        .key_id()
        .to_owned();
    let (status, content_type, body, text) = capture.take();
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("application/x-amz-json-1.1"));
    assert_eq!(find_null(&body, "$"), None, "null member in {text}");
    let metadata = body.get("KeyMetadata").expect("KeyMetadata");
    assert!(
        matches!(metadata.get("CreationDate"), Some(Json::Number(n)) if *n > 1.5e9),
        "CreationDate is epoch seconds as a JSON number: {text}"
    );
    assert_eq!(
        metadata.get("Description").and_then(Json::as_str),
        Some(""),
        "Description is sent even when empty: {text}"
    );
    assert_eq!(metadata.get("Enabled"), Some(&Json::Bool(true)), "{text}");
    assert_eq!(
        metadata.get("MultiRegion"),
        Some(&Json::Bool(false)),
        "{text}"
    );

    // List operations always send Truncated, and NextMarker only when truncated.
    ok(kms
        .list_keys()
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let (_, _, body, text) = capture.take();
    assert_eq!(body.get("Truncated"), Some(&Json::Bool(false)), "{text}");
    assert!(body.get("NextMarker").is_none(), "{text}");
    assert_eq!(find_null(&body, "$"), None, "null member in {text}");

    ok(kms
        .list_aliases()
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let (_, _, body, text) = capture.take();
    assert_eq!(body.get("Truncated"), Some(&Json::Bool(false)), "{text}");
    assert_eq!(find_null(&body, "$"), None, "null member in {text}");

    ok(kms
        .list_resource_tags()
        .key_id(&id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let (_, _, body, text) = capture.take();
    assert_eq!(body.get("Truncated"), Some(&Json::Bool(false)), "{text}");
    assert!(
        body.get("Tags").and_then(Json::as_array).is_some(),
        "Tags is sent even when empty: {text}"
    );

    // Operations without output members answer with an (empty) JSON object.
    ok(kms
        .disable_key()
        .key_id(&id)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let (status, _, body, text) = capture.take();
    assert_eq!(status, 200);
    assert!(matches!(body, Json::Object(_)), "{text}");

    // Blobs are standard padded base64.
    ok(kms
        .generate_random()
        .number_of_bytes(1)
        .customize()
        .interceptor(capture.clone())
        .send()
        .await);
    let (_, _, body, text) = capture.take();
    let plaintext = body
        .get("Plaintext")
        .and_then(Json::as_str)
        .expect("Plaintext");
    assert_eq!(
        plaintext.len(),
        4,
        "one byte is 4 padded base64 characters: {text}"
    );
    assert!(plaintext.ends_with("=="), "{text}");
}
