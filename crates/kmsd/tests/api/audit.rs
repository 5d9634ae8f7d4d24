//! The audit trail end to end: every KMS, IAM and STS request — allowed, refused, failed, or
//! refused at authentication — is an event in `<data-dir>/audit/`, in CloudTrail's shape,
//! without secrets, durable before the answer (also across `kill -9`), and `kmsd audit verify`
//! names the file and line of any edit, removal or reordering.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_kms::operation::RequestId;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;

use crate::harness::*;
use crate::identity::{
    Creds, OTHER_ACCOUNT, OTHER_ROOT_KEY, OTHER_ROOT_SECRET, creds, kms_client, ok_query, query,
    two_accounts, user_with_policy, xml,
};
use crate::json::Json;

// ---------------------------------------------------------------------------------------------
// Reading the trail

/// The trail's files, oldest first.
fn trail_files(data_dir: &Path) -> Vec<PathBuf> {
    let dir = data_dir.join("audit");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {dir:?}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no trail files in {dir:?}");
    files
}

/// Every event record in the trail, in order (complete lines only).
fn trail_events(data_dir: &Path) -> Vec<Json> {
    let mut events = Vec::new();
    for file in trail_files(data_dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let record =
                Json::parse(line.trim_end()).unwrap_or_else(|e| panic!("{file:?}: {e}: {line}"));
            if record.get("recordType").and_then(Json::as_str) == Some("Event") {
                events.push(record.get("event").expect("event member").clone());
            }
        }
    }
    events
}

/// The events of request `request_id` (one per account it was delivered to).
fn events_of(data_dir: &Path, request_id: &str) -> Vec<Json> {
    trail_events(data_dir)
        .into_iter()
        .filter(|e| s(e, "requestID") == request_id)
        .collect()
}

/// The one event of `request_id` in the trail of `account`.
#[track_caller]
fn event_of(data_dir: &Path, request_id: &str, account: &str) -> Json {
    let mut found: Vec<Json> = events_of(data_dir, request_id)
        .into_iter()
        .filter(|e| s(e, "recipientAccountId") == account)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one event of request {request_id} for account {account}, found {found:?}"
    );
    found.remove(0)
}

/// A string member at a `/`-separated path ("" when absent or not a string).
fn s(value: &Json, path: &str) -> String {
    at(value, path)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn at<'a>(value: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('/')
        .try_fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) => v.as_array().and_then(|a| a.get(i)),
            Err(_) => v.get(key),
        })
}

fn bool_at(value: &Json, path: &str) -> Option<bool> {
    match at(value, path) {
        Some(Json::Bool(b)) => Some(*b),
        _ => None,
    }
}

/// The members every event has, with CloudTrail's constant values.
#[track_caller]
fn assert_cloudtrail_shape(event: &Json, source: &str, name: &str) {
    assert_eq!(s(event, "eventVersion"), "1.08", "{event:?}");
    assert_eq!(s(event, "eventSource"), source, "{event:?}");
    assert_eq!(s(event, "eventName"), name, "{event:?}");
    assert_eq!(s(event, "eventType"), "AwsApiCall");
    assert_eq!(s(event, "eventCategory"), "Management");
    assert_eq!(bool_at(event, "managementEvent"), Some(true));
    assert_eq!(s(event, "sourceIPAddress"), "127.0.0.1");
    assert!(is_lowercase_uuid(&s(event, "eventID")), "{event:?}");
    let time = s(event, "eventTime");
    assert!(
        time.len() == 20 && time.ends_with('Z') && time.as_bytes()[10] == b'T',
        "eventTime {time:?}"
    );
    for member in [
        "requestParameters",
        "responseElements",
        "resources",
        "readOnly",
    ] {
        assert!(event.get(member).is_some(), "{member} missing: {event:?}");
    }
}

/// Runs `kmsd audit verify --data-dir DIR`; returns (exit code, stdout + stderr).
fn verify(data_dir: &Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kmsd"))
        .args(["audit", "verify", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run kmsd audit verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn request_id_of(body: &str) -> String {
    xml(body, "RequestId")
}

const ALICE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateKey","kms:Encrypt"],"Resource":"*"}]}"#;
/// Roots may not assume roles: a user that may.
const ASSUMER_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn allowed_refused_and_failed_kms_calls_are_events_with_cloudtrail_shape() {
    let kmsd = Kmsd::start();
    let data = kmsd.data_dir();
    let user = format!("alice-{}", unique());
    let alice = user_with_policy(&kmsd, &user, ALICE_POLICY);
    let kms = kms_client(&kmsd, &alice);

    // Allowed: CreateKey (a change: its response is recorded) and Encrypt (a crypto
    // operation: read-only, no response elements).
    let created = ok(kms.create_key().description("audited").send().await);
    let key_id = created.key_metadata().unwrap().key_id().to_owned();
    let arn = key_arn(&key_id);
    let event = event_of(&data, created.request_id().unwrap(), ACCOUNT);
    assert_cloudtrail_shape(&event, "kms.amazonaws.com", "CreateKey");
    assert_eq!(s(&event, "userIdentity/type"), "IAMUser");
    assert_eq!(s(&event, "userIdentity/userName"), user);
    assert_eq!(s(&event, "userIdentity/accessKeyId"), alice.key);
    assert_eq!(
        s(&event, "userIdentity/arn"),
        format!("arn:aws:iam::{ACCOUNT}:user/{user}")
    );
    assert!(s(&event, "userIdentity/principalId").starts_with("AIDA"));
    assert_eq!(s(&event, "userIdentity/accountId"), ACCOUNT);
    assert_eq!(s(&event, "recipientAccountId"), ACCOUNT);
    assert_eq!(s(&event, "awsRegion"), REGION);
    assert!(s(&event, "userAgent").contains("aws-sdk-rust"), "{event:?}");
    assert_eq!(bool_at(&event, "readOnly"), Some(false));
    assert_eq!(s(&event, "requestParameters/description"), "audited");
    assert_eq!(s(&event, "responseElements/keyMetadata/keyId"), key_id);
    assert_eq!(s(&event, "responseElements/keyMetadata/arn"), arn);
    assert_eq!(s(&event, "resources/0/ARN"), arn);
    assert_eq!(s(&event, "resources/0/type"), "AWS::KMS::Key");
    assert_eq!(s(&event, "resources/0/accountId"), ACCOUNT);
    assert!(event.get("errorCode").is_none());

    let encrypted = ok(kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(b"audited plaintext".to_vec()))
        .encryption_context("purpose", "audit-test")
        .send()
        .await);
    let event = event_of(&data, encrypted.request_id().unwrap(), ACCOUNT);
    assert_cloudtrail_shape(&event, "kms.amazonaws.com", "Encrypt");
    assert_eq!(bool_at(&event, "readOnly"), Some(true));
    assert_eq!(at(&event, "responseElements"), Some(&Json::Null));
    assert_eq!(s(&event, "requestParameters/keyId"), key_id);
    assert_eq!(
        s(&event, "requestParameters/encryptionContext/purpose"),
        "audit-test"
    );
    assert!(at(&event, "requestParameters/plaintext").is_none());
    assert_eq!(s(&event, "resources/0/ARN"), arn);

    // Refused by policy: AccessDeniedException, recorded with the caller and the key.
    let refused = kms.disable_key().key_id(&key_id).send().await;
    let request_id = refused
        .as_ref()
        .err()
        .and_then(|e| e.request_id())
        .unwrap()
        .to_owned();
    let message = expect_error(refused, "AccessDeniedException");
    let event = event_of(&data, &request_id, ACCOUNT);
    assert_cloudtrail_shape(&event, "kms.amazonaws.com", "DisableKey");
    assert_eq!(s(&event, "errorCode"), "AccessDeniedException");
    assert_eq!(s(&event, "errorMessage"), message);
    assert_eq!(s(&event, "userIdentity/userName"), user);
    assert_eq!(bool_at(&event, "readOnly"), Some(false));
    assert_eq!(s(&event, "resources/0/ARN"), arn);
    assert_eq!(at(&event, "responseElements"), Some(&Json::Null));

    // Failed: NotFoundException for a key that does not exist, named by the caller's account.
    let missing = random_uuid();
    let failed = kmsd.client().describe_key().key_id(&missing).send().await;
    let request_id = failed
        .as_ref()
        .err()
        .and_then(|e| e.request_id())
        .unwrap()
        .to_owned();
    expect_error(failed, "NotFoundException");
    let event = event_of(&data, &request_id, ACCOUNT);
    assert_cloudtrail_shape(&event, "kms.amazonaws.com", "DescribeKey");
    assert_eq!(s(&event, "errorCode"), "NotFoundException");
    assert!(!s(&event, "errorMessage").is_empty());
    assert_eq!(s(&event, "userIdentity/type"), "Root");
    assert_eq!(
        s(&event, "userIdentity/arn"),
        format!("arn:aws:iam::{ACCOUNT}:root")
    );
    assert_eq!(s(&event, "resources/0/ARN"), key_arn(&missing));
    assert_eq!(bool_at(&event, "readOnly"), Some(true));
}

#[tokio::test]
async fn requests_refused_at_authentication_are_events_too() {
    let kmsd = Kmsd::start();
    let data = kmsd.data_dir();

    // A known access key with a wrong signature: recorded for the key's owner.
    let forged = kmsd
        .client_with("test", "not-the-secret")
        .list_keys()
        .send()
        .await;
    let request_id = forged
        .as_ref()
        .err()
        .and_then(|e| e.request_id())
        .unwrap()
        .to_owned();
    let failure = failure(forged);
    let event = event_of(&data, &request_id, ACCOUNT);
    assert_cloudtrail_shape(&event, "kms.amazonaws.com", "ListKeys");
    assert_eq!(s(&event, "errorCode"), failure.code);
    assert_eq!(s(&event, "userIdentity/accessKeyId"), "test");
    assert_eq!(s(&event, "userIdentity/type"), "Root");

    // An access key nobody has: in the trail, but in no account's.
    let unknown_key = format!("AKIA{}", unique().to_uppercase());
    let unknown = kmsd.client_with(&unknown_key, "x").list_keys().send().await;
    let request_id = unknown
        .as_ref()
        .err()
        .and_then(|e| e.request_id())
        .unwrap()
        .to_owned();
    expect_error(unknown, "UnrecognizedClientException");
    let event = event_of(&data, &request_id, "");
    assert_eq!(s(&event, "userIdentity/type"), "Unknown");
    assert_eq!(s(&event, "userIdentity/accessKeyId"), unknown_key);
    assert_eq!(s(&event, "errorCode"), "UnrecognizedClientException");

    // A Query request without any signature.
    let response = kmsd.http(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=ListUsers&Version=2010-05-08",
    );
    assert_eq!(response.status, 403, "{}", response.text());
    let request_id = response.header("x-amzn-RequestId").unwrap().to_owned();
    let event = event_of(&data, &request_id, "");
    assert_cloudtrail_shape(&event, "iam.amazonaws.com", "ListUsers");
    assert_eq!(s(&event, "errorCode"), "MissingAuthenticationToken");
}

#[tokio::test]
async fn iam_and_sts_calls_are_events_and_a_cross_account_role_is_in_both_trails() {
    let kmsd = two_accounts();
    let data = kmsd.data_dir();
    let other_root = creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET);
    let role = format!("audited-{}", unique());

    // IAM: a change in the other account, recorded there with its response.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let body = ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", &role),
            ("AssumeRolePolicyDocument", &trust),
        ],
    );
    let event = event_of(&data, &request_id_of(&body), OTHER_ACCOUNT);
    assert_cloudtrail_shape(&event, "iam.amazonaws.com", "CreateRole");
    assert_eq!(s(&event, "requestParameters/roleName"), role);
    assert_eq!(s(&event, "responseElements/role/roleName"), role);
    assert_eq!(bool_at(&event, "readOnly"), Some(false));
    assert_eq!(s(&event, "userIdentity/type"), "Root");
    assert_eq!(s(&event, "userIdentity/accountId"), OTHER_ACCOUNT);
    assert!(events_of(&data, &request_id_of(&body)).len() == 1);

    // IAM read, refused: AccessDenied for a user without the permission.
    let user = format!("nobody-{}", unique());
    let nobody = user_with_policy(&kmsd, &user, ALICE_POLICY);
    let (status, body) = query(&kmsd, "iam", &nobody, &[("Action", "ListUsers")]);
    assert_eq!(status, 403, "{body}");
    let event = event_of(&data, &request_id_of(&body), ACCOUNT);
    assert_cloudtrail_shape(&event, "iam.amazonaws.com", "ListUsers");
    assert_eq!(s(&event, "errorCode"), "AccessDenied");
    assert!(s(&event, "errorMessage").contains("iam:ListUsers"));
    assert_eq!(bool_at(&event, "readOnly"), Some(true));

    // STS: AssumeRole across accounts is delivered to both, with one sharedEventID.
    let role_arn = format!("arn:aws:iam::{OTHER_ACCOUNT}:role/{role}");
    let session = format!("s-{}", unique());
    let assumer = user_with_policy(&kmsd, &format!("assumer-{}", unique()), ASSUMER_POLICY);
    let body = ok_query(
        &kmsd,
        "sts",
        &assumer,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", &session),
        ],
    );
    let request_id = request_id_of(&body);
    let mine = event_of(&data, &request_id, ACCOUNT);
    let theirs = event_of(&data, &request_id, OTHER_ACCOUNT);
    assert_cloudtrail_shape(&mine, "sts.amazonaws.com", "AssumeRole");
    assert_eq!(s(&mine, "requestParameters/roleArn"), role_arn);
    assert_eq!(s(&mine, "requestParameters/roleSessionName"), session);
    assert_eq!(s(&mine, "resources/0/ARN"), role_arn);
    assert_eq!(s(&mine, "resources/0/type"), "AWS::IAM::Role");
    let session_key = xml(&body, "AccessKeyId");
    assert_eq!(
        s(&mine, "responseElements/credentials/accessKeyId"),
        session_key
    );
    assert!(at(&mine, "responseElements/credentials/sessionToken").is_none());
    assert!(at(&mine, "responseElements/credentials/secretAccessKey").is_none());
    let shared = s(&mine, "sharedEventID");
    assert!(is_lowercase_uuid(&shared), "{mine:?}");
    assert_eq!(s(&theirs, "sharedEventID"), shared);
    assert_ne!(s(&theirs, "eventID"), s(&mine, "eventID"));

    // A call with the session's credentials names the role session.
    let session_creds = Creds {
        key: session_key.clone(),
        secret: xml(&body, "SecretAccessKey"),
        token: Some(xml(&body, "SessionToken")),
    };
    let body = ok_query(
        &kmsd,
        "sts",
        &session_creds,
        &[("Action", "GetCallerIdentity")],
    );
    let event = event_of(&data, &request_id_of(&body), OTHER_ACCOUNT);
    assert_cloudtrail_shape(&event, "sts.amazonaws.com", "GetCallerIdentity");
    assert_eq!(s(&event, "userIdentity/type"), "AssumedRole");
    assert_eq!(s(&event, "userIdentity/accessKeyId"), session_key);
    assert_eq!(
        s(&event, "userIdentity/arn"),
        format!("arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/{role}/{session}")
    );
    assert!(s(&event, "userIdentity/principalId").ends_with(&format!(":{session}")));
    assert_eq!(
        s(&event, "userIdentity/sessionContext/sessionIssuer/arn"),
        role_arn
    );
    assert_eq!(
        s(&event, "userIdentity/sessionContext/sessionIssuer/userName"),
        role
    );
    assert_eq!(
        s(
            &event,
            "userIdentity/sessionContext/attributes/mfaAuthenticated"
        ),
        "false"
    );
}

/// Every way a secret could be spelled in a file.
fn spellings(secret: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("raw", secret.to_vec()),
        (
            "base64",
            base64(secret).trim_end_matches('=').as_bytes().to_vec(),
        ),
        ("hex", hex.clone().into_bytes()),
        ("HEX", hex.to_uppercase().into_bytes()),
    ]
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        out.extend_from_slice(&random_u64().to_le_bytes());
    }
    out.truncate(n);
    out
}

#[tokio::test]
async fn no_secret_reaches_the_audit_files() {
    let kmsd = two_accounts();
    let data = kmsd.data_dir();
    let kms = kmsd.client();
    let key_id = create_key(&kms).await;
    let mut secrets: Vec<(String, Vec<u8>)> = Vec::new();
    let mut audited: Vec<String> = Vec::new();

    let plaintext = random_bytes(48);
    let encrypted = ok(kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new(plaintext.clone()))
        .send()
        .await);
    audited.push(encrypted.request_id().unwrap().to_owned());
    let blob = encrypted.ciphertext_blob().unwrap().clone();
    let decrypted = ok(kms.decrypt().ciphertext_blob(blob.clone()).send().await);
    audited.push(decrypted.request_id().unwrap().to_owned());
    assert_eq!(
        decrypted.plaintext().unwrap().as_ref(),
        plaintext.as_slice()
    );
    secrets.push(("Encrypt/Decrypt plaintext".into(), plaintext));
    secrets.push(("ciphertext blob".into(), blob.into_inner()));

    let data_key = ok(kms
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await);
    audited.push(data_key.request_id().unwrap().to_owned());
    secrets.push((
        "data key".into(),
        data_key.plaintext().unwrap().as_ref().to_vec(),
    ));
    let random = ok(kms.generate_random().number_of_bytes(64).send().await);
    audited.push(random.request_id().unwrap().to_owned());
    secrets.push((
        "GenerateRandom output".into(),
        random.plaintext().unwrap().as_ref().to_vec(),
    ));

    // A user's secret access key (CreateAccessKey) and a role session's credentials.
    let user = format!("keyed-{}", unique());
    let alice = user_with_policy(&kmsd, &user, ALICE_POLICY);
    secrets.push((
        "secret access key".into(),
        alice.secret.clone().into_bytes(),
    ));
    let other_root = creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET);
    let role = format!("r-{}", unique());
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", &role),
            ("AssumeRolePolicyDocument", &trust),
        ],
    );
    let assumer = user_with_policy(&kmsd, &format!("assumer-{}", unique()), ASSUMER_POLICY);
    let body = ok_query(
        &kmsd,
        "sts",
        &assumer,
        &[
            ("Action", "AssumeRole"),
            (
                "RoleArn",
                &format!("arn:aws:iam::{OTHER_ACCOUNT}:role/{role}"),
            ),
            ("RoleSessionName", "secretive"),
        ],
    );
    audited.push(request_id_of(&body));
    secrets.push((
        "session secret access key".into(),
        xml(&body, "SecretAccessKey").into_bytes(),
    ));
    secrets.push((
        "session token".into(),
        xml(&body, "SessionToken").into_bytes(),
    ));
    // The session signs a call: its token travels in a header, never into the trail.
    let session = Creds {
        key: xml(&body, "AccessKeyId"),
        secret: xml(&body, "SecretAccessKey"),
        token: Some(xml(&body, "SessionToken")),
    };
    let body = ok_query(&kmsd, "sts", &session, &[("Action", "GetCallerIdentity")]);
    audited.push(request_id_of(&body));

    // Every call above is in the trail…
    for request_id in &audited {
        assert!(
            !events_of(&data, request_id).is_empty(),
            "request {request_id} is not in the trail"
        );
    }
    // …and no secret is, in any spelling.
    let files = trail_files(&data);
    for file in &files {
        let content = std::fs::read(file).unwrap();
        for (what, secret) in &secrets {
            for (encoding, needle) in spellings(secret) {
                assert!(
                    !content
                        .windows(needle.len())
                        .any(|w| w == needle.as_slice()),
                    "{what} ({encoding}) found in {file:?}"
                );
            }
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A copy of `data` (trail and domain key) with the trail's one file's lines changed by
/// `edit`; returns the copy's data directory and the file's name.
fn tampered(
    scratch: &Path,
    data: &Path,
    name: &str,
    edit: impl FnOnce(&mut Vec<String>),
) -> (PathBuf, String) {
    let copy = scratch.join(name);
    copy_dir(data, &copy);
    let files = trail_files(&copy);
    assert_eq!(files.len(), 1, "one trail file expected");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edit(&mut lines);
    std::fs::write(&files[0], lines.join("\n") + "\n").unwrap();
    let file = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    (copy, file)
}

#[tokio::test]
async fn kmsd_audit_verify_names_the_file_and_line_of_an_edit_a_removal_and_a_reordering() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key_id = create_key(&kms).await;
    for i in 0..6 {
        ok(kms
            .encrypt()
            .key_id(&key_id)
            .plaintext(Blob::new(format!("message {i}").into_bytes()))
            .send()
            .await);
    }
    kmsd.terminate();
    let data = kmsd.data_dir();
    let (code, text) = verify(&data);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("OK"), "{text}");
    assert!(
        !text.contains("not signed"),
        "shutdown seals the trail: {text}"
    );
    let scratch = tempfile::tempdir().unwrap();

    // An edited event (line 3): the operation it names changed.
    let (copy, file) = tampered(scratch.path(), &data, "edited", |lines| {
        assert!(
            lines[2].contains("\"eventName\":\"Encrypt\""),
            "{}",
            lines[2]
        );
        lines[2] = lines[2].replace("\"eventName\":\"Encrypt\"", "\"eventName\":\"Decrypt\"");
    });
    let (code, text) = verify(&copy);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("{file} line 3")), "{text}");
    assert!(text.contains("edited"), "{text}");

    // A removed event (line 4).
    let (copy, file) = tampered(scratch.path(), &data, "removed", |lines| {
        lines.remove(3);
    });
    let (code, text) = verify(&copy);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("{file} line 4")), "{text}");
    assert!(text.contains("removed"), "{text}");

    // Two events swapped (lines 4 and 5).
    let (copy, file) = tampered(scratch.path(), &data, "reordered", |lines| {
        lines.swap(3, 4);
    });
    let (code, text) = verify(&copy);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("{file} line 4")), "{text}");
    assert!(text.contains("out of order"), "{text}");

    // An inserted line (a copy of line 1 as line 3).
    let (copy, file) = tampered(scratch.path(), &data, "inserted", |lines| {
        let copy_of_first = lines[0].clone();
        lines.insert(2, copy_of_first);
    });
    let (code, text) = verify(&copy);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("{file} line 3")), "{text}");
}

#[tokio::test]
async fn every_acknowledged_call_is_in_the_trail_after_kill_9() {
    let mut kmsd = Kmsd::start();
    let key_id = create_key(&kmsd.client()).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let kms = kmsd.client();
        let key_id = key_id.clone();
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let sent = kms
                    .encrypt()
                    .key_id(&key_id)
                    .plaintext(Blob::new(format!("{worker}/{i}").into_bytes()))
                    .send()
                    .await;
                match sent {
                    // Acknowledged: its event must survive whatever happens next.
                    Ok(out) => {
                        if tx.send(out.request_id().unwrap().to_owned()).is_err() {
                            return;
                        }
                    }
                    // The server is gone.
                    Err(_) => return,
                }
            }
        }));
    }
    drop(tx);
    let mut acknowledged = HashSet::new();
    while acknowledged.len() < 300 {
        acknowledged.insert(rx.recv().await.expect("workers run until the kill"));
    }
    // Calls are still in flight: kill -9 in the middle of them.
    kmsd.kill9();
    for task in tasks {
        task.await.unwrap();
    }
    while let Ok(id) = rx.try_recv() {
        acknowledged.insert(id);
    }

    let recorded: HashSet<String> = trail_events(&kmsd.data_dir())
        .iter()
        .map(|e| s(e, "requestID"))
        .collect();
    let lost: Vec<&String> = acknowledged.difference(&recorded).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged calls have no event after kill -9: {lost:?}",
        lost.len(),
        acknowledged.len()
    );

    // The restarted server continues the chain (sealing what the crash left unsigned), and the
    // whole trail verifies.
    kmsd.restart();
    let after = ok(kmsd.client().list_keys().send().await);
    let data = kmsd.data_dir();
    assert_eq!(events_of(&data, after.request_id().unwrap()).len(), 1);
    kmsd.terminate();
    let (code, text) = verify(&data);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("not signed"), "{text}");
}

#[tokio::test]
async fn buffered_and_off_are_loud_and_off_records_nothing() {
    let root_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        root_dir.path().join("kmsd.toml"),
        "[audit]\ndurability = \"off\"\n",
    )
    .unwrap();
    let mut kmsd = Kmsd::start_in(root_dir);
    ok(kmsd.client().list_keys().send().await);
    let log = kmsd.log_tail();
    assert!(log.contains("audit trail is OFF"), "{log}");
    assert!(!kmsd.data_dir().join("audit").exists());
    kmsd.terminate();

    std::fs::write(
        kmsd.root().join("kmsd.toml"),
        "[audit]\ndurability = \"buffered\"\n",
    )
    .unwrap();
    kmsd.restart();
    let listed = ok(kmsd.client().list_keys().send().await);
    kmsd.terminate();
    let log = kmsd.log_tail();
    assert!(log.contains("audit trail is BUFFERED"), "{log}");
    // Buffered still records (a graceful stop writes and seals everything).
    assert_eq!(
        events_of(&kmsd.data_dir(), listed.request_id().unwrap()).len(),
        1
    );
    assert_eq!(verify(&kmsd.data_dir()).0, 0);

    std::fs::write(
        kmsd.root().join("kmsd.toml"),
        "[audit]\ndurability = \"sometimes\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kmsd"))
        .args(["serve", "--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(kmsd.data_dir())
        .arg("--config")
        .arg(kmsd.root().join("kmsd.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("durability 'sometimes'"));
}
