//! Writing: round trip, restart, torn tails, rotation, group commit, buffered mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use kmsd_audit::{
    AuditConfig, AuditError, AuditEvent, AuditLog, Durability, GENESIS_HASH, verify_trail,
};

#[tokio::test]
async fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let events = write_trail(config(dir.path()), 12).await;

    let files = trail_files(dir.path());
    assert_eq!(files.len(), 1);
    let name = file_name(&files[0]);
    assert!(name.starts_with("audit-00000000000000000001-") && name.ends_with("Z.jsonl"));
    let lines = read_lines(&files[0]);
    // 12 events, a digest after every 5, and one at shutdown for the last 2.
    assert_eq!(lines.len(), 15);
    let back: Vec<AuditEvent> = lines
        .iter()
        .filter(|l| !is_digest(l))
        .map(|l| serde_json::from_value(json(l)["event"].clone()).unwrap())
        .collect();
    assert_eq!(back, events);

    let mut previous = GENESIS_HASH.to_owned();
    for (i, line) in lines.iter().enumerate() {
        let v = json(line);
        assert_eq!(v["sequence"], i as u64 + 1);
        assert_eq!(v["previousHash"], previous.as_str());
        previous = sha256_hex(line.as_bytes());
    }
    assert!(is_digest(&lines[5]) && is_digest(&lines[11]) && is_digest(&lines[14]));
    let last = json(&lines[14]);
    assert_eq!(last["digest"]["firstSequence"], 13);
    assert_eq!(last["digest"]["lastSequence"], 14);
    assert_eq!(last["digest"]["eventCount"], 2);
    assert_eq!(last["digest"]["keyId"], "test-key/v1");
    assert_eq!(last["digest"]["minEventTime"], "2026-11-23T09:15:08Z");

    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!(report.events, 12);
    assert_eq!(report.digests, 3);
    assert_eq!(report.last_sequence, 15);
    assert_eq!(report.unsigned_events, 0);
    assert_eq!(report.head_hash, previous);
    assert_eq!(report.key_ids, vec!["test-key/v1".to_owned()]);
    assert!(report.torn_tail.is_none());
}

#[tokio::test]
async fn restart_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (log, report) = open(config(dir.path()));
    assert!(report.created);
    for i in 0..3 {
        log.append(&event(ACCOUNT_A, "Encrypt", T0 + i, "k1"))
            .await
            .unwrap();
    }
    let head = log.flush().await.unwrap();
    assert_eq!(head.sequence, 3);
    // No shutdown: the writer seals and stops when the last handle goes; until then it holds
    // the trail's lock.
    drop(log);
    let (log, report) = reopen(config(dir.path()));
    assert!(!report.created);
    assert!(report.torn_tail.is_none());
    for i in 0..4 {
        log.append(&event(ACCOUNT_A, "Decrypt", T0 + 10 + i, "k1"))
            .await
            .unwrap();
    }
    log.shutdown().await.unwrap();

    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!(report.events, 7);
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.unsigned_events, 0);
}

/// Opens once the previous writer has let go of the lock.
fn reopen(c: AuditConfig) -> (AuditLog, kmsd_audit::OpenReport) {
    for _ in 0..500 {
        match AuditLog::open(c.clone(), signer()) {
            Err(AuditError::Locked(_)) => std::thread::sleep(Duration::from_millis(10)),
            other => return other.unwrap(),
        }
    }
    panic!("the previous writer never released the trail");
}

#[tokio::test]
async fn one_writer_per_trail() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(config(dir.path()));
    assert!(matches!(
        AuditLog::open(config(dir.path()), signer()),
        Err(AuditError::Locked(_))
    ));
    log.shutdown().await.unwrap();
    // Shutdown releases the lock before it returns.
    let (log, _) = open(config(dir.path()));
    log.shutdown().await.unwrap();
}

#[tokio::test]
async fn open_seals_unsigned_events_left_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(config(dir.path()), 3).await;
    // Cut the shutdown digest away: three events, no digest — what a crash leaves.
    let file = &trail_files(dir.path())[0];
    let lines = read_lines(file);
    assert!(is_digest(&lines[3]));
    write_lines(file, &lines[..3]);
    assert_eq!(
        verify_trail(dir.path(), signer().as_ref())
            .unwrap()
            .unsigned_events,
        3
    );

    let (log, report) = open(config(dir.path()));
    assert_eq!(report.sealed_events, 3);
    assert_eq!(report.next_sequence, 5);
    log.shutdown().await.unwrap();
    let lines = read_lines(file);
    assert_eq!(lines.len(), 4);
    assert_eq!(json(&lines[3])["digest"]["eventCount"], 3);
    assert_eq!(
        verify_trail(dir.path(), signer().as_ref())
            .unwrap()
            .unsigned_events,
        0
    );
}

#[tokio::test]
async fn a_running_trail_is_padded_ahead_and_read_to_its_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(config(dir.path()));
    for i in 0..3 {
        log.append(&event(ACCOUNT_A, "Encrypt", T0 + i, "k1"))
            .await
            .unwrap();
    }
    let file = &trail_files(dir.path())[0];
    let lines = read_lines(file);
    let content: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    // The writer extended the file with zeros past its lines (so an append's fdatasync need
    // not grow the file)…
    assert!(std::fs::metadata(file).unwrap().len() > content);
    // …and every reader stops at them: the verifier, a lookup, and the next writer.
    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!((report.events, report.torn_tail), (3, None));
    let query = kmsd_audit::LookupQuery {
        account_id: ACCOUNT_A.into(),
        ..kmsd_audit::LookupQuery::default()
    };
    assert_eq!(
        kmsd_audit::lookup(dir.path(), &query).unwrap().events.len(),
        3
    );
    // A clean shutdown cuts the padding off.
    log.shutdown().await.unwrap();
    let lines = read_lines(file);
    let content: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    assert_eq!(std::fs::metadata(file).unwrap().len(), content);
}

/// What a crash mid-write leaves after the last complete line — half a line; or, of a write
/// only some of whose pages reached the disk, half a line, a page still zero, a later part,
/// then the writer's padding — is reported by the verifier, cut away at open (never
/// acknowledged: its fdatasync never finished), and the chain continues.
#[tokio::test]
async fn what_a_crash_leaves_after_the_last_line_is_cut_away_and_reported() {
    let half_line: &[u8] = br#"{"recordType":"Event","sequence":5,"previousHash":"ab"#;
    let scattered = [half_line, &[0; 100], br#"Time":"2026-11-23T09:15:08Z"}}"#].concat();
    for (leftover, padding) in [(half_line.to_vec(), 0), (scattered, 5000)] {
        let dir = tempfile::tempdir().unwrap();
        write_trail(config(dir.path()), 3).await;
        let file = &trail_files(dir.path())[0];
        let before = std::fs::read(file).unwrap();
        let mut crashed = before.clone();
        crashed.extend_from_slice(&leftover);
        crashed.resize(crashed.len() + padding, 0);
        std::fs::write(file, &crashed).unwrap();
        let torn = (file_name(file), 5, leftover.len() as u64);

        let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
        assert_eq!(report.events, 3);
        let tail = report.torn_tail.unwrap();
        assert_eq!((tail.file, tail.line, tail.bytes), torn);

        let (log, report) = open(config(dir.path()));
        let tail = report.torn_tail.unwrap();
        assert_eq!((tail.file, tail.line, tail.bytes), torn);
        assert_eq!(report.next_sequence, 5);
        assert_eq!(std::fs::read(file).unwrap(), before);
        log.append(&event(ACCOUNT_A, "Encrypt", T0, "k1"))
            .await
            .unwrap();
        log.shutdown().await.unwrap();
        let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
        assert_eq!((report.events, report.torn_tail), (4, None));
    }
}

#[tokio::test]
async fn a_complete_but_broken_last_line_is_refused_not_accepted() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(config(dir.path()), 3).await;
    let file = &trail_files(dir.path())[0];
    let mut lines = read_lines(file);
    lines.push("{\"recordType\":\"Event\",\"garbage\":true}".into());
    write_lines(file, &lines);
    match AuditLog::open(config(dir.path()), signer()) {
        Err(AuditError::Corrupt { file: f, line, .. }) => {
            assert_eq!((f, line), (file_name(file), 5));
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }

    // A well-formed last line that does not link to the one before is refused too.
    lines.pop();
    let mut forged = json(&lines[1]);
    forged["sequence"] = 5.into();
    lines.push(forged.to_string());
    write_lines(file, &lines);
    assert!(matches!(
        AuditLog::open(config(dir.path()), signer()),
        Err(AuditError::Corrupt { line: 5, .. })
    ));
}

fn small_files(dir: &std::path::Path) -> AuditConfig {
    let mut c = config(dir);
    c.max_file_bytes = 4096;
    c.digest_every_events = 1000;
    c
}

#[tokio::test]
async fn rotation_chains_across_files_with_closing_digests() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(small_files(dir.path()), 40).await;
    let files = trail_files(dir.path());
    assert!(files.len() >= 4, "{} files", files.len());

    let mut previous = GENESIS_HASH.to_owned();
    let mut sequence = 0;
    for (i, file) in files.iter().enumerate() {
        assert!(std::fs::metadata(file).unwrap().len() <= 4096 + 1024);
        let lines = read_lines(file);
        let first = json(&lines[0]);
        assert_eq!(first["previousHash"], previous.as_str(), "link into {i}");
        assert_eq!(
            file_name(file),
            format!(
                "audit-{:020}-{}",
                first["sequence"].as_u64().unwrap(),
                &file_name(file)[27..]
            )
        );
        for line in &lines {
            sequence += 1;
            assert_eq!(json(line)["sequence"], sequence);
            previous = sha256_hex(line.as_bytes());
        }
        let last = json(lines.last().unwrap());
        assert_eq!(last["recordType"], "Digest");
        if i + 1 < files.len() {
            assert_eq!(
                last["digest"]["nextFile"],
                file_name(&files[i + 1]).as_str()
            );
        } else {
            assert!(last["digest"]["nextFile"].is_null());
        }
    }
    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!(report.events, 40);
    assert_eq!(report.files.len(), files.len());
}

/// Rotations a crash interrupted after the next file was created (so it is empty). The file
/// before it then lacks its closing digest, or holds half of it, or — cut mid-write — half of
/// an event written just before the rotation, which the new file's name already counts. None
/// of it was acknowledged, and none of it is tampering (the verifier accepts each): open cuts
/// the torn line and completes the rotation, or, when the name no longer follows, drops the
/// empty file and continues in the one before.
#[tokio::test]
async fn an_interrupted_rotation_is_completed_on_open() {
    #[derive(Clone, Copy, PartialEq)]
    enum Crash {
        BeforeTheClosingDigest,
        InTheClosingDigest,
        InTheLastEvent,
    }
    use Crash::*;
    for crash in [BeforeTheClosingDigest, InTheClosingDigest, InTheLastEvent] {
        let dir = tempfile::tempdir().unwrap();
        write_trail(small_files(dir.path()), 40).await;
        let files = trail_files(dir.path());
        let n = files.len();
        std::fs::write(&files[n - 1], b"").unwrap();
        let mut lines = read_lines(&files[n - 2]);
        let closing = lines.pop().unwrap();
        assert!(is_digest(&closing));
        let torn = match crash {
            BeforeTheClosingDigest => String::new(),
            InTheClosingDigest => closing,
            InTheLastEvent => lines.pop().unwrap(),
        };
        write_lines(&files[n - 2], &lines);
        let mut bytes = std::fs::read(&files[n - 2]).unwrap();
        bytes.extend_from_slice(&torn.as_bytes()[..torn.len() / 2]);
        std::fs::write(&files[n - 2], &bytes).unwrap();
        verify_trail(dir.path(), signer().as_ref()).unwrap();

        let (log, report) = open(small_files(dir.path()));
        let tail = report.torn_tail.map(|t| (t.file, t.bytes));
        let expected = (crash != BeforeTheClosingDigest)
            .then(|| (file_name(&files[n - 2]), (torn.len() / 2) as u64));
        assert_eq!(tail, expected);
        assert_eq!(report.completed_rotation, crash != InTheLastEvent);
        let newest = if crash == InTheLastEvent {
            n - 2
        } else {
            n - 1
        };
        assert_eq!(report.file, file_name(&files[newest]));
        assert_eq!(trail_files(dir.path()).len(), newest + 1);
        log.append(&event(ACCOUNT_A, "Encrypt", T0, "k1"))
            .await
            .unwrap();
        log.shutdown().await.unwrap();
        let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
        assert_eq!(report.torn_tail, None);
    }
}

#[tokio::test]
async fn an_empty_newest_file_after_a_closing_digest_is_continued() {
    let dir = tempfile::tempdir().unwrap();
    write_trail(small_files(dir.path()), 40).await;
    let files = trail_files(dir.path());
    std::fs::write(files.last().unwrap(), b"").unwrap();
    // An empty newest file verifies: a crash right after rotating leaves one.
    verify_trail(dir.path(), signer().as_ref()).unwrap();
    let (log, report) = open(small_files(dir.path()));
    assert!(!report.completed_rotation);
    assert_eq!(report.file, file_name(files.last().unwrap()));
    log.append(&event(ACCOUNT_A, "Encrypt", T0, "k1"))
        .await
        .unwrap();
    log.shutdown().await.unwrap();
    verify_trail(dir.path(), signer().as_ref()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commit_makes_every_concurrent_append_durable_in_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.digest_every_events = 100;
    c.max_file_bytes = 256 * 1024;
    let (log, _) = open(c);
    let tasks = 64;
    let per_task = 50;
    let mut handles = Vec::new();
    for t in 0..tasks {
        let log = log.clone();
        handles.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..per_task {
                let e = event(ACCOUNT_A, &format!("T{t}"), T0 + i, "k1");
                log.append(&e).await.unwrap();
                ids.push(e.event_id);
            }
            ids
        }));
    }
    let mut acknowledged = Vec::new();
    for h in handles {
        acknowledged.extend(h.await.unwrap());
    }
    let stats = log.stats();
    assert_eq!(stats.events, tasks * per_task as u64);
    // Group commit: far fewer fsyncs than events.
    assert!(
        stats.syncs < stats.events / 4,
        "{} syncs for {} events",
        stats.syncs,
        stats.events
    );
    // Every acknowledged event is on disk now, before any shutdown.
    let mut on_disk = std::collections::HashSet::new();
    for file in trail_files(dir.path()) {
        for line in read_lines(&file) {
            let v = json(&line);
            if v["recordType"] == "Event" {
                on_disk.insert(v["event"]["eventID"].as_str().unwrap().to_owned());
            }
        }
    }
    assert!(acknowledged.iter().all(|id| on_disk.contains(id)));
    assert_eq!(on_disk.len(), acknowledged.len());
    log.shutdown().await.unwrap();
    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!(report.events, tasks * per_task as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tiny_queue_applies_backpressure_without_losing_events() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.queue_capacity = 2;
    c.max_batch_events = 3;
    let (log, _) = open(c);
    let mut handles = Vec::new();
    for t in 0..16 {
        let log = log.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..20 {
                log.append(&event(ACCOUNT_A, &format!("T{t}"), T0 + i, "k1"))
                    .await
                    .unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    log.shutdown().await.unwrap();
    assert_eq!(
        verify_trail(dir.path(), signer().as_ref()).unwrap().events,
        320
    );
}

#[tokio::test]
async fn buffered_mode_acknowledges_first_and_flushes_on_a_timer() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.durability = Durability::Buffered;
    c.flush_interval = Duration::from_millis(20);
    c.digest_every_events = 1000;
    c.digest_interval = Duration::from_millis(50);
    let (log, _) = open(c);
    assert_eq!(log.durability(), Durability::Buffered);
    for i in 0..100 {
        log.append(&event(ACCOUNT_A, "Encrypt", T0 + i, "k1"))
            .await
            .unwrap();
    }
    // No flush, no shutdown: the writer writes, syncs and digests on its own.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = log.stats();
    assert_eq!(stats.events, 100);
    assert!(stats.syncs >= 1);
    assert!(stats.digests >= 1);
    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!(report.events, 100);
    assert_eq!(report.unsigned_events, 0);
    log.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_digest_is_written_after_the_interval_when_events_wait() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(dir.path());
    c.digest_every_events = 1000;
    c.digest_interval = Duration::from_millis(300);
    let (log, _) = open(c);
    tokio::time::sleep(Duration::from_millis(400)).await;
    log.append(&event(ACCOUNT_A, "Encrypt", T0, "k1"))
        .await
        .unwrap();
    assert_eq!(
        verify_trail(dir.path(), signer().as_ref())
            .unwrap()
            .unsigned_events,
        1
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let report = verify_trail(dir.path(), signer().as_ref()).unwrap();
    assert_eq!((report.digests, report.unsigned_events), (1, 0));
    // Idle: no more digests.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(log.stats().digests, 1);
    log.shutdown().await.unwrap();
}

#[tokio::test]
async fn append_all_writes_in_order_with_one_wait() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(config(dir.path()));
    let mut shared = event(ACCOUNT_A, "Decrypt", T0, "k1");
    shared.shared_event_id = Some(kmsd_audit::new_event_id().unwrap());
    let mut other = shared.clone();
    other.recipient_account_id = ACCOUNT_B.into();
    other.event_id = kmsd_audit::new_event_id().unwrap();
    log.append_all(&[shared.clone(), other.clone()])
        .await
        .unwrap();
    assert!(log.stats().syncs <= 2);
    let lines = read_lines(&trail_files(dir.path())[0]);
    let back: Vec<kmsd_audit::AuditEvent> = lines
        .iter()
        .map(|l| serde_json::from_value(json(l)["event"].clone()).unwrap())
        .collect();
    assert_eq!(back, vec![shared, other]);
    log.shutdown().await.unwrap();
}

#[tokio::test]
async fn appends_after_shutdown_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(config(dir.path()));
    let other = log.clone();
    log.append(&event(ACCOUNT_A, "Encrypt", T0, "k1"))
        .await
        .unwrap();
    let head = log.shutdown().await.unwrap();
    assert_eq!(head.sequence, 2);
    assert_eq!(
        other.append(&event(ACCOUNT_A, "Encrypt", T0, "k1")).await,
        Err(AuditError::Closed)
    );
}

#[test]
fn bad_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = AuditConfig::new(dir.path());
    c.digest_every_events = 0;
    assert!(matches!(
        AuditLog::open(c, Arc::clone(&signer())),
        Err(AuditError::Config(_))
    ));
}
