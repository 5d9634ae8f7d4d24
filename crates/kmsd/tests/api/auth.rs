//! SigV4 authentication failures.

use crate::harness::*;

#[tokio::test]
async fn wrong_secret_is_invalid_signature() {
    let kmsd = Kmsd::start();
    let bad = kmsd.client_with("test", "not-the-secret");
    let message = expect_error(bad.list_keys().send().await, "InvalidSignatureException");
    assert!(
        message.starts_with(
            "The request signature we calculated does not match the signature you provided."
        ),
        "{message}"
    );
    // A write with a bad signature has no effect.
    expect_error(bad.create_key().send().await, "InvalidSignatureException");
    let keys = ok(kmsd.client().list_keys().send().await);
    assert!(
        keys.keys().is_empty(),
        "an unauthenticated CreateKey created a key"
    );
}

#[tokio::test]
async fn unknown_access_key_is_unrecognized_client() {
    let kmsd = Kmsd::start();
    let bad = kmsd.client_with("AKIAIOSFODNN7EXAMPLE", "test");
    let message = expect_error(bad.list_keys().send().await, "UnrecognizedClientException");
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );
    expect_error(
        bad.generate_random().number_of_bytes(8).send().await,
        "UnrecognizedClientException",
    );
}

#[tokio::test]
async fn unsigned_request_is_rejected() {
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
    assert!(
        matches!(response.status, 400 | 403),
        "unsigned request got {}: {}",
        response.status,
        response.text()
    );
    assert!(
        response.text().contains("\"__type\""),
        "error body must carry __type: {}",
        response.text()
    );
    assert!(
        response.header("x-amzn-RequestId").is_some(),
        "every answer carries x-amzn-RequestId"
    );
    // Signed requests keep working.
    ok(kmsd.client().list_keys().send().await);
}

// ---------------------------------------------------------------------------------------------
// Hand-signed requests (see sigv4.rs): what the SDK never sends.

use crate::json::Json;
use crate::sigv4::{Signing, signed_headers};

/// Sends `body` signed per `signing`, optionally sending `sent_body` instead of the signed one.
fn signed_call(
    kmsd: &Kmsd,
    target: &str,
    body: &str,
    sent_body: Option<&str>,
    signing: &Signing<'_>,
) -> Http {
    let headers = signed_headers(kmsd.addr(), target, body.as_bytes(), signing);
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    kmsd.http("POST", "/", &headers, sent_body.unwrap_or(body).as_bytes())
}

/// (`__type` normalised as botocore does, `message`) of an error answer.
fn error_of(response: &Http) -> (String, String) {
    let text = response.text();
    let body =
        Json::parse(&text).unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let kind = body
        .get("__type")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let kind = kind.rsplit('#').next().unwrap_or_default();
    let kind = kind.split(':').next().unwrap_or_default().to_owned();
    let message = body
        .get("message")
        .or_else(|| body.get("Message"))
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned();
    (kind, message)
}

fn root(unix_time: i64) -> Signing<'static> {
    Signing {
        access_key: "test",
        secret: "test",
        region: REGION,
        service: "kms",
        unix_time,
    }
}

#[tokio::test]
async fn hand_signed_request_is_accepted() {
    // Validates the test's own signer, so the rejections below mean what they say.
    let kmsd = Kmsd::start();
    let response = signed_call(&kmsd, "ListKeys", "{}", None, &root(now_secs()));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = Json::parse(&response.text()).expect("JSON");
    assert!(
        body.get("Keys").and_then(Json::as_array).is_some(),
        "{}",
        response.text()
    );
}

#[tokio::test]
async fn stale_and_future_signatures_are_rejected() {
    let kmsd = Kmsd::start();
    let now = now_secs();

    let response = signed_call(&kmsd, "ListKeys", "{}", None, &root(now - 16 * 60));
    assert_eq!(response.status, 400, "{}", response.text());
    let (kind, message) = error_of(&response);
    assert_eq!(kind, "InvalidSignatureException", "{message}");
    assert!(message.starts_with("Signature expired"), "{message}");

    let response = signed_call(&kmsd, "ListKeys", "{}", None, &root(now + 16 * 60));
    assert_eq!(response.status, 400, "{}", response.text());
    let (kind, message) = error_of(&response);
    assert_eq!(kind, "InvalidSignatureException", "{message}");
    assert!(
        message.starts_with("Signature not yet current"),
        "{message}"
    );

    // The window is ±15 minutes (issue 3 fixes it at that, as most AWS services allow).
    for skew in [-14 * 60, 14 * 60] {
        let response = signed_call(&kmsd, "ListKeys", "{}", None, &root(now + skew));
        assert_eq!(response.status, 200, "skew {skew}s: {}", response.text());
    }
}

#[tokio::test]
async fn foreign_credential_scope_is_rejected() {
    let kmsd = Kmsd::start();
    let now = now_secs();
    for (region, service) in [("eu-west-1", "kms"), (REGION, "s3")] {
        let signing = Signing {
            region,
            service,
            ..root(now)
        };
        let response = signed_call(&kmsd, "ListKeys", "{}", None, &signing);
        assert_eq!(
            response.status,
            400,
            "{region}/{service}: {}",
            response.text()
        );
        let (kind, message) = error_of(&response);
        assert_eq!(
            kind, "InvalidSignatureException",
            "{region}/{service}: {message}"
        );
    }

    // The SDK configured for another Region signs for that Region.
    let other = aws_sdk_kms::Client::from_conf(
        kmsd.client()
            .config()
            .to_builder()
            .region(aws_sdk_kms::config::Region::new("eu-west-1"))
            .build(),
    );
    expect_error(other.list_keys().send().await, "InvalidSignatureException");
}

#[tokio::test]
async fn body_changed_after_signing_is_rejected() {
    let kmsd = Kmsd::start();
    ok(kmsd.client().create_key().send().await);
    let response = signed_call(
        &kmsd,
        "ListKeys",
        "{}",
        Some(r#"{"Limit":1}"#),
        &root(now_secs()),
    );
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_of(&response).0, "InvalidSignatureException");

    // Same length, different content.
    let response = signed_call(
        &kmsd,
        "GenerateRandom",
        r#"{"NumberOfBytes":16}"#,
        Some(r#"{"NumberOfBytes":99}"#),
        &root(now_secs()),
    );
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_of(&response).0, "InvalidSignatureException");
}

#[tokio::test]
async fn incomplete_authorization_header_is_rejected() {
    let kmsd = Kmsd::start();
    let date = crate::sigv4::amz_date(now_secs());
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential=test/{}/{REGION}/kms/aws4_request, SignedHeaders=host;x-amz-date",
        &date[..8]
    );
    let response = kmsd.http(
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "TrentService.ListKeys"),
            ("X-Amz-Date", &date),
            ("Authorization", &authorization),
        ],
        b"{}",
    );
    assert_eq!(response.status, 400, "{}", response.text());
    assert_eq!(error_of(&response).0, "IncompleteSignatureException");
}
