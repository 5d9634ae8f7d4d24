//! The verifier names the file and line of every kind of tampering.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use kmsd_audit::{
    AuditConfig, DigestKeySet, HmacDigestSigner, TrailViolation, ViolationKind, verify_trail,
};

/// A trail of 100 events in several small files (about 20 lines each), each closed by a
/// digest, with a digest every 7 events.
async fn trail(dir: &Path) -> Vec<PathBuf> {
    let mut c = AuditConfig::new(dir);
    c.max_file_bytes = 16 * 1024;
    c.digest_every_events = 7;
    write_trail(c, 100).await;
    verify_trail(dir, signer().as_ref()).unwrap();
    let files = trail_files(dir);
    assert!(files.len() >= 3);
    files
}

fn violation(dir: &Path) -> TrailViolation {
    match verify_trail(dir, signer().as_ref()) {
        Ok(report) => panic!("tampering not detected: {report:?}"),
        Err(v) => v,
    }
}

/// 0-based index of an event line (not a digest) in the middle of the file, with events
/// around it.
fn middle_event(lines: &[String]) -> usize {
    (3..lines.len())
        .find(|&i| !is_digest(&lines[i]) && !is_digest(&lines[i - 1]) && !is_digest(&lines[i + 1]))
        .unwrap()
}

#[tokio::test]
async fn an_edited_event_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    lines[i] = lines[i].replace("\"Op", "\"Xp");
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.as_str(), v.line),
        (file_name(file).as_str(), i as u64 + 1),
        "{v}"
    );
    assert!(matches!(v.kind, ViolationKind::Edited(_)), "{v}");
    assert!(
        v.to_string()
            .starts_with(&format!("{} line {}: edited", file_name(file), i + 1))
    );
}

#[tokio::test]
async fn an_edited_event_just_before_a_digest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[0];
    let mut lines = read_lines(file);
    let i = (1..lines.len()).find(|&i| is_digest(&lines[i])).unwrap() - 1;
    lines[i] = lines[i].replace("alice", "mallory");
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert!(matches!(v.kind, ViolationKind::Edited(_)), "{v}");
}

#[tokio::test]
async fn an_edited_previous_hash_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let mut v = json(&lines[i]);
    v["previousHash"] = sha256_hex(b"forged").into();
    lines[i] = v.to_string();
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert!(matches!(v.kind, ViolationKind::Edited(_)), "{v}");
}

#[tokio::test]
async fn an_altered_sequence_number_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let mut v = json(&lines[i]);
    v["sequence"] = 999.into();
    // Re-serialising reorders nothing the chain cares about; the line's hash changes either way.
    lines[i] = v.to_string();
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
}

#[tokio::test]
async fn a_deleted_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let seq = json(&lines[i])["sequence"].as_u64().unwrap();
    lines.remove(i);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert_eq!(
        v.kind,
        ViolationKind::Removed {
            first: seq,
            last: seq
        },
        "{v}"
    );
}

#[tokio::test]
async fn reordered_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let seq = json(&lines[i])["sequence"].as_u64().unwrap();
    lines.swap(i, i + 1);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert_eq!(
        v.kind,
        ViolationKind::Reordered {
            expected: seq,
            found: seq + 1,
            expected_at: Some(i as u64 + 2)
        },
        "{v}"
    );
}

#[tokio::test]
async fn a_line_moved_further_down_is_named_where_the_order_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let moved = lines.remove(i);
    lines.insert(i + 2, moved);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert!(matches!(v.kind, ViolationKind::Reordered { .. }), "{v}");
}

#[tokio::test]
async fn an_inserted_forgery_that_links_correctly_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    // A forger who knows the format: right sequence number, right previousHash.
    let mut forged = json(&lines[i]);
    forged["event"]["eventName"] = "ScheduleKeyDeletion".into();
    forged["event"]["eventID"] = "00000000-0000-4000-8000-000000000000".into();
    let forged = forged.to_string();
    lines.insert(i, forged);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert_eq!(v.kind, ViolationKind::Inserted, "{v}");
}

#[tokio::test]
async fn an_inserted_duplicate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let copy = lines[i].clone();
    lines.insert(i + 1, copy);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 2),
        "{v}"
    );
    assert_eq!(v.kind, ViolationKind::Inserted, "{v}");
}

#[tokio::test]
async fn an_inserted_line_with_a_made_up_link_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    let mut forged = json(&lines[i]);
    forged["previousHash"] = sha256_hex(b"made up").into();
    lines.insert(i, forged.to_string());
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert_eq!(v.kind, ViolationKind::Inserted, "{v}");
}

#[tokio::test]
async fn a_deleted_middle_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    std::fs::remove_file(&files[1]).unwrap();
    let v = violation(dir.path());
    let closing_line = read_lines(&files[0]).len() as u64;
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(&files[0]), closing_line),
        "{v}"
    );
    assert_eq!(
        v.kind,
        ViolationKind::MissingFile {
            name: Some(file_name(&files[1]))
        },
        "{v}"
    );
}

#[tokio::test]
async fn a_deleted_newest_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let n = files.len();
    std::fs::remove_file(&files[n - 1]).unwrap();
    let v = violation(dir.path());
    assert_eq!(v.file, file_name(&files[n - 2]), "{v}");
    assert_eq!(
        v.kind,
        ViolationKind::MissingFile {
            name: Some(file_name(&files[n - 1]))
        },
        "{v}"
    );
}

#[tokio::test]
async fn deleted_oldest_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    std::fs::remove_file(&files[0]).unwrap();
    let v = violation(dir.path());
    assert_eq!((v.file.clone(), v.line), (file_name(&files[1]), 1), "{v}");
    assert_eq!(v.kind, ViolationKind::MissingFile { name: None }, "{v}");
}

#[tokio::test]
async fn lines_deleted_at_a_file_boundary_are_named() {
    // The closing digest of a file.
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let mut lines = read_lines(&files[0]);
    lines.pop();
    write_lines(&files[0], &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(&files[0]), lines.len() as u64 + 1),
        "{v}"
    );
    assert_eq!(v.kind, ViolationKind::TruncatedFile, "{v}");

    // The first line of the next file.
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let mut lines = read_lines(&files[1]);
    let seq = json(&lines[0])["sequence"].as_u64().unwrap();
    lines.remove(0);
    write_lines(&files[1], &lines);
    let v = violation(dir.path());
    assert_eq!((v.file.clone(), v.line), (file_name(&files[1]), 1), "{v}");
    assert_eq!(
        v.kind,
        ViolationKind::Removed {
            first: seq,
            last: seq
        },
        "{v}"
    );

    // The event before a closing digest.
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = files
        .iter()
        .find(|f| {
            let lines = read_lines(f);
            !is_digest(&lines[lines.len() - 2])
        })
        .unwrap();
    let mut lines = read_lines(file);
    let n = lines.len();
    lines.remove(n - 2);
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), n as u64 - 1),
        "{v}"
    );
    assert!(matches!(v.kind, ViolationKind::Removed { .. }), "{v}");
}

#[tokio::test]
async fn a_moved_line_across_files_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let mut first = read_lines(&files[0]);
    let mut second = read_lines(&files[1]);
    let moved = second.remove(0);
    let n = first.len();
    first.insert(n - 1, moved);
    write_lines(&files[0], &first);
    write_lines(&files[1], &second);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(&files[0]), n as u64),
        "{v}"
    );
}

#[tokio::test]
async fn a_tampered_digest_signature_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    let i = (0..lines.len()).find(|&i| is_digest(&lines[i])).unwrap();
    let mut v = json(&lines[i]);
    let sig = v["digest"]["signature"].as_str().unwrap().to_owned();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    v["digest"]["signature"] = format!("{flipped}{}", &sig[1..]).into();
    lines[i] = v.to_string();
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert_eq!(
        v.kind,
        ViolationKind::BadDigestSignature {
            key_id: "test-key/v1".into()
        },
        "{v}"
    );
}

#[tokio::test]
async fn an_edited_digest_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[0];
    let mut lines = read_lines(file);
    let i = (0..lines.len()).find(|&i| is_digest(&lines[i])).unwrap();
    let mut v = json(&lines[i]);
    v["digest"]["eventCount"] = 3.into();
    lines[i] = v.to_string();
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), i as u64 + 1),
        "{v}"
    );
    assert!(
        matches!(v.kind, ViolationKind::BadDigestSignature { .. }),
        "{v}"
    );
}

#[tokio::test]
async fn a_rewritten_chain_is_caught_by_the_digest_signature() {
    // Someone with write access edits an event and recomputes every later previousHash: the
    // chain is whole again, but the next digest's signature covers the old head.
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[0];
    let mut lines = read_lines(file);
    let i = middle_event(&lines);
    lines[i] = lines[i].replace("alice", "mallory");
    for k in i + 1..lines.len() {
        let mut v = json(&lines[k]);
        v["previousHash"] = sha256_hex(lines[k - 1].as_bytes()).into();
        lines[k] = v.to_string();
    }
    write_lines(file, &lines);
    let digest = (i..lines.len()).find(|&k| is_digest(&lines[k])).unwrap();
    let v = violation(dir.path());
    assert_eq!(
        (v.file.clone(), v.line),
        (file_name(file), digest as u64 + 1),
        "{v}"
    );
    assert!(
        matches!(v.kind, ViolationKind::BadDigestSignature { .. }),
        "{v}"
    );
}

#[tokio::test]
async fn digests_need_the_right_key() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let other = HmacDigestSigner::new("test-key/v2", &[1u8; 32]);
    let v = verify_trail(dir.path(), &other).unwrap_err();
    assert_eq!(v.file, file_name(&files[0]));
    assert_eq!(
        v.kind,
        ViolationKind::UnknownDigestKey {
            key_id: "test-key/v1".into()
        }
    );
    let impostor = HmacDigestSigner::new("test-key/v1", &[1u8; 32]);
    assert!(matches!(
        verify_trail(dir.path(), &impostor).unwrap_err().kind,
        ViolationKind::BadDigestSignature { .. }
    ));
    let keys = DigestKeySet::new(vec![std::sync::Arc::new(other), signer()]);
    verify_trail(dir.path(), &keys).unwrap();
}

#[tokio::test]
async fn a_garbled_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let files = trail(dir.path()).await;
    let file = &files[1];
    let mut lines = read_lines(file);
    lines[2] = "{ not json".into();
    write_lines(file, &lines);
    let v = violation(dir.path());
    assert_eq!((v.file.clone(), v.line), (file_name(file), 3), "{v}");
    assert!(matches!(v.kind, ViolationKind::Malformed(_)), "{v}");
}
