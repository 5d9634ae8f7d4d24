//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kmsd_audit::{
    AuditConfig, AuditEvent, AuditLog, DigestSigner, EVENT_SOURCE_KMS, HmacDigestSigner,
    IDENTITY_IAM_USER, OpenReport, Resource, UserIdentity,
};

pub const ACCOUNT_A: &str = "111122223333";
pub const ACCOUNT_B: &str = "444455556666";
pub const T0: i64 = 1_795_425_308;

pub fn signer() -> Arc<dyn DigestSigner> {
    Arc::new(HmacDigestSigner::new("test-key/v1", &[42u8; 32]))
}

pub fn user(account: &str, name: &str) -> UserIdentity {
    UserIdentity {
        identity_type: IDENTITY_IAM_USER.into(),
        principal_id: format!("AIDA{name}"),
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        account_id: account.into(),
        access_key_id: Some(format!("AKIA{}", name.to_uppercase())),
        user_name: Some(name.into()),
        session_context: None,
        invoked_by: None,
    }
}

pub fn key_arn(account: &str, key: &str) -> String {
    format!("arn:aws:kms:eu-west-1:{account}:key/{key}")
}

/// An Encrypt-like event of `account`'s user `alice` on key `key`.
pub fn event(account: &str, name: &str, secs: i64, key: &str) -> AuditEvent {
    let mut e = AuditEvent::api_call(
        secs,
        EVENT_SOURCE_KMS,
        name,
        "eu-west-1",
        user(account, "alice"),
    )
    .unwrap();
    e.source_ip_address = "127.0.0.1".into();
    e.user_agent = "aws-cli/2".into();
    e.request_id = kmsd_audit::new_event_id().unwrap();
    e.read_only = name.starts_with("Describe") || name.starts_with("List");
    e.request_parameters =
        serde_json::json!({ "keyId": key, "encryptionAlgorithm": "SYMMETRIC_DEFAULT" });
    e.resources.push(Resource {
        account_id: account.into(),
        resource_type: "AWS::KMS::Key".into(),
        arn: key_arn(account, key),
    });
    e
}

/// A small config: tiny files when `max_file_bytes` is small, digests every `every` events.
pub fn config(dir: &Path) -> AuditConfig {
    let mut c = AuditConfig::new(dir);
    c.digest_every_events = 5;
    c
}

pub fn open(c: AuditConfig) -> (AuditLog, OpenReport) {
    AuditLog::open(c, signer()).unwrap()
}

pub fn trail_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    files
}

pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_owned()
}

/// The lines of a file, without newlines: its content ends at the writer's zero padding.
pub fn read_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let content = text.split('\0').next().unwrap_or_default();
    content.lines().map(str::to_owned).collect()
}

pub fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

pub fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap()
}

pub fn is_digest(line: &str) -> bool {
    json(line)["recordType"] == "Digest"
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `count` events (eventName `Op<i>`, one second apart from `T0`) and shuts down.
pub async fn write_trail(c: AuditConfig, count: usize) -> Vec<AuditEvent> {
    let (log, _) = open(c);
    let mut events = Vec::new();
    for i in 0..count {
        let e = event(ACCOUNT_A, &format!("Op{i}"), T0 + i as i64, "k1");
        log.append(&e).await.unwrap();
        events.push(e);
    }
    log.shutdown().await.unwrap();
    events
}
