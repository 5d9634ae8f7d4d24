//! `kmsd audit verify`: walks every file, line by line, and names the first line where the
//! trail is not what the writer wrote.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use crate::files::{self, TrailFile};
use crate::hex;
use crate::record::{DigestRecord, GENESIS, LineKind, digest_message, parse_line};
use crate::signer::DigestKeys;
use crate::time::format_event_time;
use crate::writer::TornTail;

/// A trail that verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// The trail files, oldest first.
    pub files: Vec<String>,
    pub lines: u64,
    pub events: u64,
    pub digests: u64,
    /// The sequence number of the newest line (0 for an empty trail).
    pub last_sequence: u64,
    /// Lower-case hex SHA-256 of the newest line ([`crate::GENESIS_HASH`] for an empty trail).
    pub head_hash: String,
    /// Events after the newest digest. The chain orders them, but nothing signed covers them
    /// yet: the end of a trail can be cut or rewritten without a trace (as any log's can) up
    /// to its newest digest. 0 after a clean shutdown.
    pub unsigned_events: u64,
    /// An unterminated last line in the newest file (a crash mid-write; the writer cuts it
    /// away when it next opens the trail). Not a violation.
    pub torn_tail: Option<TornTail>,
    /// The keys that signed the digests.
    pub key_ids: Vec<String>,
}

/// The first place where the trail differs from what the writer wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {kind}")]
pub struct TrailViolation {
    /// The trail file's name (within the trail directory).
    pub file: String,
    /// 1-based line number; 0 when the whole file is concerned.
    pub line: u64,
    pub kind: ViolationKind,
}

/// What is wrong at the line a [`TrailViolation`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViolationKind {
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("not a trail record ({0}): the line was edited or damaged")]
    Malformed(String),
    #[error("edited: {0}")]
    Edited(String),
    #[error("{} record(s) removed before this line (sequence {first} to {last} missing)", last - first + 1)]
    Removed { first: u64, last: u64 },
    #[error("out of order: sequence {found} where sequence {expected} belongs{}",
        .expected_at.map(|l| format!(" (sequence {expected} is at line {l})")).unwrap_or_default())]
    Reordered {
        expected: u64,
        found: u64,
        /// Where the line that belongs here is, if it is in this file.
        expected_at: Option<u64>,
    },
    #[error("inserted: this line is not part of the chain")]
    Inserted,
    #[error("the digest's signature does not verify under key {key_id}")]
    BadDigestSignature { key_id: String },
    #[error("the digest is signed by key {key_id}, which the verifier does not have")]
    UnknownDigestKey { key_id: String },
    #[error("the digest does not match the records it covers: {0}")]
    DigestMismatch(String),
    #[error("the file ends without its closing digest: records were removed from its end")]
    TruncatedFile,
    #[error("the first line does not continue the last line of the previous file")]
    BrokenFileLink,
    #[error("{}", match .name {
        Some(name) => format!("the next file, {name}, named by this closing digest, is missing"),
        None => "the files before this one are missing: the chain does not start here".to_owned(),
    })]
    MissingFile { name: Option<String> },
    #[error("this file is not the one the previous file's closing digest names")]
    UnexpectedFile,
}

/// Checks the whole trail in `dir`: every line's link to the one before, sequence numbers,
/// links across files, every digest's signature (keys looked up by key id in `keys`; a single
/// [`crate::DigestSigner`] will do) and what each digest states. Blocking; reads each file
/// whole, one at a time.
pub fn verify_trail<K: DigestKeys + ?Sized>(
    dir: &Path,
    keys: &K,
) -> Result<VerifyReport, TrailViolation> {
    let list = files::list(dir).map_err(|e| TrailViolation {
        file: dir.display().to_string(),
        line: 0,
        kind: ViolationKind::Unreadable(e.to_string()),
    })?;
    let mut state = Chain {
        head: GENESIS,
        next_seq: 1,
        last_digest_seq: 0,
        events_since_digest: 0,
        expected_next: None,
    };
    let mut key_ids = BTreeSet::new();
    let mut report = VerifyReport::default();
    // A crash in the middle of a rotation leaves an empty newest file, and the file before it
    // possibly without its closing digest: that file is then the end of the chain.
    let empty_tail = list.last().is_some_and(|f| {
        fs::File::open(&f.path).is_ok_and(|h| files::content_len(&h).is_ok_and(|len| len == 0))
    });
    for (fi, file) in list.iter().enumerate() {
        if let Some(expected) = state.expected_next.take() {
            if expected.name != file.name {
                if list.iter().any(|f| f.name == expected.name) {
                    return Err(violation(&file.name, 1, ViolationKind::UnexpectedFile));
                }
                return Err(violation(
                    &expected.named_by,
                    expected.line,
                    ViolationKind::MissingFile {
                        name: Some(expected.name),
                    },
                ));
            }
        } else if fi == 0 && file.first_sequence != 1 {
            return Err(violation(
                &file.name,
                1,
                ViolationKind::MissingFile { name: None },
            ));
        }
        let is_last = fi + 1 == list.len() || (empty_tail && fi + 2 == list.len());
        verify_file(file, is_last, keys, &mut state, &mut report, &mut key_ids)?;
        report.files.push(file.name.clone());
    }
    if let Some(expected) = state.expected_next {
        return Err(violation(
            &expected.named_by,
            expected.line,
            ViolationKind::MissingFile {
                name: Some(expected.name),
            },
        ));
    }
    report.last_sequence = state.next_seq - 1;
    report.head_hash = hex::encode(&state.head);
    report.unsigned_events = state.events_since_digest;
    report.key_ids = key_ids.into_iter().collect();
    Ok(report)
}

struct Chain {
    head: [u8; 32],
    next_seq: u64,
    last_digest_seq: u64,
    events_since_digest: u64,
    expected_next: Option<ExpectedFile>,
}

struct ExpectedFile {
    name: String,
    named_by: String,
    line: u64,
}

/// One line, reduced to what the chain needs.
struct Info {
    seq: u64,
    prev: [u8; 32],
    hash: [u8; 32],
    kind: LineKind,
}

fn violation(file: &str, line: u64, kind: ViolationKind) -> TrailViolation {
    TrailViolation {
        file: file.to_owned(),
        line,
        kind,
    }
}

fn verify_file<K: DigestKeys + ?Sized>(
    file: &TrailFile,
    is_last: bool,
    keys: &K,
    state: &mut Chain,
    report: &mut VerifyReport,
    key_ids: &mut BTreeSet<String>,
) -> Result<(), TrailViolation> {
    let name = file.name.as_str();
    let bytes = fs::read(&file.path)
        .map_err(|e| violation(name, 0, ViolationKind::Unreadable(e.to_string())))?;
    // Lines end at the padding (see `files`); what follows a torn line, or lies in the padding,
    // is the newest file's unacknowledged write.
    let (content, _) = files::split_content(&bytes);
    let split = files::split_lines(content);
    let n = split.lines.len();
    let torn = split.torn.map_or(0, <[u8]>::len);
    let after_lines = &bytes[content.len() - torn..];
    let torn_bytes = after_lines
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i + 1);
    if torn_bytes > 0 {
        if !is_last {
            let what = if torn > 0 {
                "the line is not terminated"
            } else {
                "bytes after the padding that ends the file"
            };
            return Err(violation(
                name,
                n as u64 + 1,
                ViolationKind::Malformed(what.into()),
            ));
        }
        report.torn_tail = Some(TornTail {
            file: name.to_owned(),
            line: n as u64 + 1,
            bytes: torn_bytes as u64,
        });
    }
    if n == 0 {
        // An empty newest file is what a crash right after a rotation leaves.
        return if is_last {
            Ok(())
        } else {
            Err(violation(name, 1, ViolationKind::TruncatedFile))
        };
    }
    let mut infos = Vec::with_capacity(n);
    for (i, line) in split.lines.iter().enumerate() {
        let parsed = parse_line(line)
            .map_err(|r| violation(name, i as u64 + 1, ViolationKind::Malformed(r)))?;
        infos.push(Info {
            seq: parsed.sequence,
            prev: parsed.previous_hash,
            hash: hex::sha256(line),
            kind: parsed.kind,
        });
    }
    let (mut min_time, mut max_time) = (None::<i64>, None::<i64>);
    for (i, info) in infos.iter().enumerate() {
        if info.prev != state.head || info.seq != state.next_seq {
            return Err(classify(file, &infos, i, state));
        }
        match &info.kind {
            LineKind::Event { time } => {
                state.events_since_digest += 1;
                report.events += 1;
                if let Some(t) = *time {
                    min_time = Some(min_time.map_or(t, |m| m.min(t)));
                    max_time = Some(max_time.map_or(t, |m| m.max(t)));
                }
            }
            LineKind::Digest(digest) => {
                check_digest(name, i, info, digest, keys, state, (min_time, max_time))?;
                key_ids.insert(digest.key_id.clone());
                report.digests += 1;
                if let Some(next) = &digest.next_file {
                    if i + 1 != n {
                        return Err(violation(name, i as u64 + 2, ViolationKind::Inserted));
                    }
                    state.expected_next = Some(ExpectedFile {
                        name: next.clone(),
                        named_by: name.to_owned(),
                        line: i as u64 + 1,
                    });
                }
                state.last_digest_seq = info.seq;
                state.events_since_digest = 0;
            }
        }
        state.head = info.hash;
        state.next_seq += 1;
        report.lines += 1;
    }
    if !is_last && state.expected_next.is_none() {
        return Err(violation(name, n as u64 + 1, ViolationKind::TruncatedFile));
    }
    Ok(())
}

fn check_digest<K: DigestKeys + ?Sized>(
    name: &str,
    i: usize,
    info: &Info,
    digest: &DigestRecord,
    keys: &K,
    state: &Chain,
    (min_time, max_time): (Option<i64>, Option<i64>),
) -> Result<(), TrailViolation> {
    let line = i as u64 + 1;
    let key_id = digest.key_id.clone();
    let Some(signer) = keys.signer_for(&digest.key_id) else {
        return Err(violation(
            name,
            line,
            ViolationKind::UnknownDigestKey { key_id },
        ));
    };
    let message = digest_message(info.seq, &hex::encode(&info.prev), digest)
        .map_err(|e| violation(name, line, ViolationKind::Malformed(e.to_string())))?;
    let signature_ok = digest.signature_algorithm == signer.algorithm()
        && hex::decode(&digest.signature).is_some_and(|sig| signer.verify(&message, &sig));
    if !signature_ok {
        return Err(violation(
            name,
            line,
            ViolationKind::BadDigestSignature { key_id },
        ));
    }
    let expected = (
        state.last_digest_seq + 1,
        info.seq - 1,
        state.events_since_digest,
        min_time.map(format_event_time),
        max_time.map(format_event_time),
    );
    let stated = (
        digest.first_sequence,
        digest.last_sequence,
        digest.event_count,
        digest.min_event_time.clone(),
        digest.max_event_time.clone(),
    );
    if stated != expected {
        return Err(violation(
            name,
            line,
            ViolationKind::DigestMismatch(format!(
                "it states sequence {}..={}, {} events, times {:?}..{:?}; the file has {}..={}, {} events, times {:?}..{:?}",
                stated.0,
                stated.1,
                stated.2,
                stated.3,
                stated.4,
                expected.0,
                expected.1,
                expected.2,
                expected.3,
                expected.4
            )),
        ));
    }
    Ok(())
}

/// Line `i` does not continue the chain (`state` is the chain up to line `i - 1`). Works out
/// from the lines around it what was done, and which line to name.
fn classify(file: &TrailFile, infos: &[Info], i: usize, state: &Chain) -> TrailViolation {
    let name = file.name.as_str();
    let at = |k: usize, kind| violation(name, k as u64 + 1, kind);
    let cur = &infos[i];
    let head = state.head;
    let expected = state.next_seq;
    let n = infos.len();

    if cur.prev == head {
        // It follows the head, so only its own sequence number can be wrong.
        return at(
            i,
            ViolationKind::Edited("its sequence number was altered".into()),
        );
    }
    let linked_elsewhere = infos
        .iter()
        .enumerate()
        .any(|(j, l)| j != i && l.hash == cur.prev);
    let sharing_predecessor = infos.iter().filter(|l| l.prev == cur.prev).count();
    let duplicate = infos
        .iter()
        .enumerate()
        .any(|(j, l)| j != i && l.hash == cur.hash);
    let genuine_elsewhere = linked_elsewhere && sharing_predecessor == 1 && !duplicate;

    // The line that should come here is further down: line i (and maybe more) is out of place.
    if let Some(m) = (i + 1..n).find(|&m| infos[m].prev == head && infos[m].seq == expected) {
        if genuine_elsewhere {
            return at(
                i,
                ViolationKind::Reordered {
                    expected,
                    found: cur.seq,
                    expected_at: Some(m as u64 + 1),
                },
            );
        }
        return at(i, ViolationKind::Inserted);
    }
    // Nothing follows the head. Two lines claiming the same predecessor: the head is a forgery.
    if i > 0 && cur.prev == infos[i - 1].prev {
        return at(i - 1, ViolationKind::Inserted);
    }
    if cur.seq == expected {
        if i == 0 {
            return at(
                0,
                if state.next_seq == 1 {
                    ViolationKind::Edited("previousHash is not the genesis value".into())
                } else {
                    ViolationKind::BrokenFileLink
                },
            );
        }
        if i + 1 < n && infos[i + 1].prev != cur.hash {
            return at(
                i,
                ViolationKind::Edited("its previousHash was altered".into()),
            );
        }
        return at(
            i - 1,
            ViolationKind::Edited(
                "its bytes no longer hash to the previousHash recorded on the next line".into(),
            ),
        );
    }
    if cur.seq > expected {
        if let Some(m) = (i + 1..n).find(|&m| infos[m].seq == expected) {
            return at(
                i,
                ViolationKind::Reordered {
                    expected,
                    found: cur.seq,
                    expected_at: Some(m as u64 + 1),
                },
            );
        }
        return at(
            i,
            ViolationKind::Removed {
                first: expected,
                last: cur.seq - 1,
            },
        );
    }
    // The sequence goes back.
    if genuine_elsewhere {
        return at(
            i,
            ViolationKind::Reordered {
                expected,
                found: cur.seq,
                expected_at: None,
            },
        );
    }
    at(i, ViolationKind::Inserted)
}
