//! Identity end to end: IAM and STS over the Query protocol (hand-signed forms), and the KMS
//! API called with IAM user keys and STS session credentials through the Rust SDK — the
//! signature edge cases of temporary credentials above all.

use crate::harness::{Kmsd, expect_error, now_secs, ok};
use crate::sigv4::{amz_date, hex, hmac_sha256, sha256};
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};

pub(crate) const OTHER_ACCOUNT: &str = "098765432109";
pub(crate) const OTHER_ROOT_KEY: &str = "AKIA0987654321ROOT01";
pub(crate) const OTHER_ROOT_SECRET: &str = "rootsecret0987654321rootsecret0987654321";

pub(crate) fn two_accounts() -> Kmsd {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("kmsd.toml"),
        format!(
            "[[accounts]]\nid = \"{OTHER_ACCOUNT}\"\nroot_access_key_id = \"{OTHER_ROOT_KEY}\"\nroot_secret_access_key = \"{OTHER_ROOT_SECRET}\"\n"
        ),
    )
    .unwrap();
    Kmsd::start_in(root)
}

/// Credentials to sign with.
#[derive(Clone)]
pub(crate) struct Creds {
    pub key: String,
    pub secret: String,
    pub token: Option<String>,
}

pub(crate) fn creds(key: &str, secret: &str) -> Creds {
    Creds {
        key: key.into(),
        secret: secret.into(),
        token: None,
    }
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A signed Query request (`service` is `iam` or `sts`); returns (status, body).
pub(crate) fn query(
    kmsd: &Kmsd,
    service: &str,
    c: &Creds,
    params: &[(&str, &str)],
) -> (u16, String) {
    let body: String = params
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&");
    let date_time = amz_date(now_secs());
    let date = &date_time[..8];
    let mut headers = vec![
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
        ),
        ("host", kmsd.addr().to_owned()),
        ("x-amz-date", date_time.clone()),
    ];
    if let Some(t) = &c.token {
        headers.push(("x-amz-security-token", t.clone()));
    }
    let canonical_headers: String = headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed: String = headers
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
        hex(&sha256(body.as_bytes()))
    );
    let scope = format!("{date}/us-east-1/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{date_time}\n{scope}\n{}",
        hex(&sha256(canonical.as_bytes()))
    );
    let mut k = hmac_sha256(format!("AWS4{}", c.secret).as_bytes(), date.as_bytes());
    for part in ["us-east-1", service, "aws4_request"] {
        k = hmac_sha256(&k, part.as_bytes());
    }
    let signature = hex(&hmac_sha256(&k, to_sign.as_bytes()));
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
        c.key
    );
    let mut sent: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(n, _)| *n != "host")
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    sent.push(("authorization", &auth));
    let response = kmsd.http("POST", "/", &sent, body.as_bytes());
    (response.status, response.text())
}

/// The text of the first `<tag>` in an XML answer.
pub(crate) fn xml(body: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = body
        .find(&open)
        .map(|i| i + open.len())
        .unwrap_or_else(|| panic!("no <{tag}> in {body}"));
    let end = body[start..]
        .find(&format!("</{tag}>"))
        .expect("closing tag")
        + start;
    body[start..end].to_owned()
}

pub(crate) fn ok_query(kmsd: &Kmsd, service: &str, c: &Creds, params: &[(&str, &str)]) -> String {
    let (status, body) = query(kmsd, service, c, params);
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

pub(crate) fn kms_client(kmsd: &Kmsd, c: &Creds) -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{}", kmsd.addr()))
        .credentials_provider(Credentials::new(
            &c.key,
            &c.secret,
            c.token.clone(),
            None,
            "test",
        ))
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

pub(crate) fn root() -> Creds {
    creds("test", "test")
}

/// Creates user `name` in the dev account with an inline policy and one access key.
pub(crate) fn user_with_policy(kmsd: &Kmsd, name: &str, policy: &str) -> Creds {
    ok_query(
        kmsd,
        "iam",
        &root(),
        &[("Action", "CreateUser"), ("UserName", name)],
    );
    ok_query(
        kmsd,
        "iam",
        &root(),
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "p"),
            ("PolicyDocument", policy),
        ],
    );
    let body = ok_query(
        kmsd,
        "iam",
        &root(),
        &[("Action", "CreateAccessKey"), ("UserName", name)],
    );
    creds(&xml(&body, "AccessKeyId"), &xml(&body, "SecretAccessKey"))
}

const KMS_USER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateKey","kms:Encrypt","kms:Decrypt","kms:ListKeys","sts:AssumeRole"],"Resource":"*"}]}"#;

#[tokio::test]
async fn an_iam_user_is_authorized_by_its_policies_and_refused_once_its_key_is_inactive() {
    let kmsd = two_accounts();
    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    assert!(alice.key.starts_with("AKIA") && alice.key.len() == 20);
    assert_eq!(alice.secret.len(), 40);
    let kms = kms_client(&kmsd, &alice);
    let key = ok(kms.create_key().send().await)
        .key_metadata
        .unwrap()
        .key_id;
    let blob = ok(kms
        .encrypt()
        .key_id(&key)
        .plaintext(b"hi".to_vec().into())
        .send()
        .await)
    .ciphertext_blob
    .unwrap();
    let plain = ok(kms.decrypt().ciphertext_blob(blob).send().await)
        .plaintext
        .unwrap();
    assert_eq!(plain.as_ref(), b"hi");
    let message = expect_error(
        kms.disable_key().key_id(&key).send().await,
        "AccessDeniedException",
    );
    assert!(message.starts_with("User: arn:aws:iam::111122223333:user/alice is not authorized to perform: kms:DisableKey"), "{message}");
    let (status, body) = query(
        &kmsd,
        "iam",
        &alice,
        &[("Action", "CreateUser"), ("UserName", "bob")],
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(xml(&body, "Code"), "AccessDenied");

    ok_query(
        &kmsd,
        "iam",
        &root(),
        &[
            ("Action", "UpdateAccessKey"),
            ("UserName", "alice"),
            ("AccessKeyId", &alice.key),
            ("Status", "Inactive"),
        ],
    );
    expect_error(kms.list_keys().send().await, "UnrecognizedClientException");
    let (status, body) = query(&kmsd, "sts", &alice, &[("Action", "GetCallerIdentity")]);
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "InvalidClientTokenId".to_owned()),
        "{body}"
    );
    let (status, body) = query(
        &kmsd,
        "iam",
        &root(),
        &[("Action", "DeleteUser"), ("UserName", "alice")],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (409, "DeleteConflict".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn role_sessions_work_across_accounts_until_they_expire() {
    let kmsd = two_accounts();
    let other_root = creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "admin"),
            ("AssumeRolePolicyDocument", trust),
        ],
    );
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "PutRolePolicy"),
            ("RoleName", "admin"),
            ("PolicyName", "kms"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
            ),
        ],
    );
    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    let role_arn = format!("arn:aws:iam::{OTHER_ACCOUNT}:role/admin");
    let body = ok_query(
        &kmsd,
        "sts",
        &alice,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "s1"),
        ],
    );
    assert_eq!(
        xml(&body, "Arn"),
        format!("arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/admin/s1")
    );
    let session = Creds {
        key: xml(&body, "AccessKeyId"),
        secret: xml(&body, "SecretAccessKey"),
        token: Some(xml(&body, "SessionToken")),
    };
    assert!(session.key.starts_with("ASIA"));
    let whoami = ok_query(&kmsd, "sts", &session, &[("Action", "GetCallerIdentity")]);
    assert_eq!(xml(&whoami, "Account"), OTHER_ACCOUNT);
    let kms = kms_client(&kmsd, &session);
    let metadata = ok(kms.create_key().send().await).key_metadata.unwrap();
    assert_eq!(metadata.aws_account_id.as_deref(), Some(OTHER_ACCOUNT));

    // The token is bound to its access key and to every byte of itself.
    let token = session.token.clone().unwrap();
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let bad = |c: Creds| kms_client(&kmsd, &c);
    expect_error(
        bad(Creds {
            token: Some(tampered),
            ..session.clone()
        })
        .list_keys()
        .send()
        .await,
        "UnrecognizedClientException",
    );
    let other_key = Creds {
        key: "ASIAAAAAAAAAAAAAAAAA".into(),
        ..session.clone()
    };
    expect_error(
        bad(other_key).list_keys().send().await,
        "UnrecognizedClientException",
    );
    let without_token = Creds {
        token: None,
        ..session.clone()
    };
    expect_error(
        bad(without_token).list_keys().send().await,
        "UnrecognizedClientException",
    );
    let long_term_with_token = Creds {
        token: Some(token),
        ..alice.clone()
    };
    expect_error(
        bad(long_term_with_token).list_keys().send().await,
        "UnrecognizedClientException",
    );

    // Root credentials cannot assume roles; longer than the role allows is invalid.
    let (status, body) = query(
        &kmsd,
        "sts",
        &root(),
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "s2"),
        ],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "AccessDenied".to_owned()),
        "{body}"
    );
    let (status, body) = query(
        &kmsd,
        "sts",
        &alice,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "s3"),
            ("DurationSeconds", "7200"),
        ],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (400, "ValidationError".to_owned()),
        "{body}"
    );

    // Expiry is service time: the dev clock ends the session.
    let advanced = kmsd.http("POST", "/dev/advance-clock?seconds=3601", &[], b"");
    assert_eq!(advanced.status, 200);
    expect_error(kms.list_keys().send().await, "ExpiredTokenException");
    let (status, body) = query(&kmsd, "sts", &session, &[("Action", "GetCallerIdentity")]);
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "ExpiredToken".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn a_trust_policy_that_does_not_name_the_caller_refuses_it() {
    let kmsd = two_accounts();
    let other_root = creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::098765432109:root"},"Action":"sts:AssumeRole"}]}"#;
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "internal"),
            ("AssumeRolePolicyDocument", trust),
        ],
    );
    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    let (status, body) = query(
        &kmsd,
        "sts",
        &alice,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", "arn:aws:iam::098765432109:role/internal"),
            ("RoleSessionName", "s1"),
        ],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "AccessDenied".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn iam_signature_failures_use_query_error_codes() {
    let kmsd = Kmsd::start();
    let (status, body) = query(
        &kmsd,
        "iam",
        &creds("AKIANOTAKEY000000000", "x"),
        &[("Action", "ListUsers")],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "InvalidClientTokenId".to_owned()),
        "{body}"
    );
    let (status, body) = query(
        &kmsd,
        "iam",
        &creds("test", "wrong"),
        &[("Action", "ListUsers")],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "SignatureDoesNotMatch".to_owned()),
        "{body}"
    );
    // A request signed for KMS is not an IAM request.
    let (status, body) = query(&kmsd, "kms", &root(), &[("Action", "ListUsers")]);
    assert_eq!(
        (status, xml(&body, "Code")),
        (403, "SignatureDoesNotMatch".to_owned()),
        "{body}"
    );
    let (status, body) = query(&kmsd, "iam", &root(), &[("Action", "MakeCoffee")]);
    assert_eq!(
        (status, xml(&body, "Code")),
        (400, "InvalidAction".to_owned()),
        "{body}"
    );
}

#[tokio::test]
async fn secret_access_keys_are_not_stored_in_clear() {
    let kmsd = Kmsd::start();
    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    let mut stack = vec![kmsd.data_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes
                        .windows(alice.secret.len())
                        .any(|w| w == alice.secret.as_bytes()),
                    "secret access key in clear in {}",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test]
async fn a_key_of_another_account_needs_its_key_policy_and_the_callers_iam_policy() {
    let kmsd = two_accounts();
    let other = kms_client(&kmsd, &creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET));
    let shared_policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Sid":"owner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Sid":"partner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::111122223333:root"}},"Action":["kms:Encrypt","kms:Decrypt","kms:DescribeKey"],"Resource":"*"}}]}}"#
    );
    let shared = ok(other.create_key().policy(shared_policy).send().await)
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let private = ok(other.create_key().send().await)
        .key_metadata
        .unwrap()
        .arn
        .unwrap();

    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    let kms = kms_client(&kmsd, &alice);
    let blob = ok(kms
        .encrypt()
        .key_id(&shared)
        .plaintext(b"x".to_vec().into())
        .send()
        .await)
    .ciphertext_blob
    .unwrap();
    // Decrypt without a KeyId finds the other account's key from the blob.
    let plain = ok(kms.decrypt().ciphertext_blob(blob).send().await)
        .plaintext
        .unwrap();
    assert_eq!(plain.as_ref(), b"x");
    // The default policy of the other key trusts only its own account.
    let message = expect_error(
        kms.encrypt()
            .key_id(&private)
            .plaintext(b"x".to_vec().into())
            .send()
            .await,
        "AccessDeniedException",
    );
    assert!(
        message.contains("no resource-based policy allows the kms:Encrypt action"),
        "{message}"
    );
    // Management never crosses accounts.
    let message = expect_error(
        kms.disable_key().key_id(&shared).send().await,
        "AccessDeniedException",
    );
    assert!(message.contains("kms:DisableKey"), "{message}");
    // The key policy trusts the account, but bob's own IAM policies allow nothing.
    let bob = user_with_policy(
        &kmsd,
        "bob",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}"#,
    );
    let message = expect_error(
        kms_client(&kmsd, &bob)
            .encrypt()
            .key_id(&shared)
            .plaintext(b"x".to_vec().into())
            .send()
            .await,
        "AccessDeniedException",
    );
    assert!(
        message.contains("no identity-based policy allows the kms:Encrypt action"),
        "{message}"
    );
}

#[tokio::test]
async fn a_caller_without_permission_cannot_tell_whether_an_entity_exists() {
    let kmsd = Kmsd::start();
    let alice = user_with_policy(&kmsd, "alice", KMS_USER);
    ok_query(
        &kmsd,
        "iam",
        &root(),
        &[("Action", "CreateUser"), ("UserName", "bob")],
    );
    for name in ["bob", "nobody"] {
        for action in ["GetUser", "DeleteUser", "ListUserPolicies"] {
            let (status, body) = query(
                &kmsd,
                "iam",
                &alice,
                &[("Action", action), ("UserName", name)],
            );
            assert_eq!(
                (status, xml(&body, "Code")),
                (403, "AccessDenied".to_owned()),
                "{action} {name}: {body}"
            );
        }
    }
    let (status, body) = query(
        &kmsd,
        "iam",
        &root(),
        &[("Action", "GetUser"), ("UserName", "nobody")],
    );
    assert_eq!(
        (status, xml(&body, "Code")),
        (404, "NoSuchEntity".to_owned()),
        "{body}"
    );
}
