//! What an audit append costs: appends per second with N concurrent tasks, durable (group
//! commit: one write + one fdatasync per batch) and buffered.
//!
//! `cargo run --release -p kmsd-audit --example append_cost [DIR]` — DIR defaults to a fresh
//! temporary directory (put it on the disk the data directory will live on).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kmsd_audit::{
    AuditConfig, AuditEvent, AuditLog, Durability, EVENT_SOURCE_KMS, HmacDigestSigner,
    IDENTITY_IAM_USER, Resource, UserIdentity, verify_trail,
};

fn event(i: u64) -> AuditEvent {
    let identity = UserIdentity {
        identity_type: IDENTITY_IAM_USER.into(),
        principal_id: "AIDAEXAMPLEUSER".into(),
        arn: "arn:aws:iam::111122223333:user/alice".into(),
        account_id: "111122223333".into(),
        access_key_id: Some("AKIAEXAMPLEACCESSKEY".into()),
        user_name: Some("alice".into()),
        session_context: None,
        invoked_by: None,
    };
    let key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let mut e = AuditEvent::api_call(
        1_795_425_308 + i as i64,
        EVENT_SOURCE_KMS,
        "Encrypt",
        "eu-west-1",
        identity,
    )
    .unwrap();
    e.source_ip_address = "10.0.0.1".into();
    e.user_agent = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 botocore/2.4.5".into();
    e.request_id = kmsd_audit::new_event_id().unwrap();
    e.request_parameters = serde_json::json!({
        "keyId": key,
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "encryptionContext": { "purpose": "benchmark" }
    });
    e.resources.push(Resource {
        account_id: "111122223333".into(),
        resource_type: "AWS::KMS::Key".into(),
        arn: key.into(),
    });
    e
}

async fn run(dir: &std::path::Path, durability: Durability, tasks: u64, duration: Duration) {
    let _ = std::fs::remove_dir_all(dir);
    let mut config = AuditConfig::new(dir);
    config.durability = durability;
    let signer = Arc::new(HmacDigestSigner::new("bench", &[7u8; 32]));
    let (log, _) = AuditLog::open(config, signer.clone()).unwrap();
    let start = Instant::now();
    let deadline = start + duration;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let log = log.clone();
        handles.push(tokio::spawn(async move {
            // One event per task, built outside the loop: the figures are the cost of
            // `append` (serialisation included), not of building events.
            let e = event(t);
            let mut n = 0u64;
            let mut worst = Duration::ZERO;
            while Instant::now() < deadline {
                let began = Instant::now();
                log.append(&e).await.unwrap();
                worst = worst.max(began.elapsed());
                n += 1;
            }
            (n, worst)
        }));
    }
    let mut total = 0;
    let mut worst = Duration::ZERO;
    for h in handles {
        let (n, w) = h.await.unwrap();
        total += n;
        worst = worst.max(w);
    }
    let elapsed = start.elapsed();
    let stats = log.stats();
    log.shutdown().await.unwrap();
    let report = verify_trail(dir, &signer).unwrap();
    assert_eq!(report.events, total);
    let bytes: u64 = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!(
        "{:<9} {:>5} tasks  {:>9.0} appends/s  {:>7.1} µs/append  {:>6.1} events/fsync  {:>5} fsyncs  max latency {:>6.2} ms  {:>4} B/event",
        durability.to_string(),
        tasks,
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / total as f64,
        stats.events as f64 / stats.syncs.max(1) as f64,
        stats.syncs,
        worst.as_secs_f64() * 1e3,
        bytes / total.max(1),
    );
}

#[tokio::main]
async fn main() {
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_owned())
        .join("audit-bench");
    let duration = Duration::from_secs(2);
    println!(
        "trail in {}; {} s per run",
        dir.display(),
        duration.as_secs()
    );
    for durability in [Durability::Durable, Durability::Buffered] {
        for tasks in [1, 8, 64, 256] {
            run(&dir, durability, tasks, duration).await;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
