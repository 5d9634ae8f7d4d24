//! Opening a trail for appending: find the newest file, cut a torn tail, continue the chain.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use crate::error::AuditError;
use crate::files::{self, TrailFile};
use crate::hex;
use crate::record::{GENESIS, LineKind, parse_line};
use crate::writer::TornTail;

/// Where the chain stands in the file to continue.
pub(crate) struct Recovered {
    pub file: File,
    pub file_name: String,
    pub file_len: u64,
    pub next_seq: u64,
    pub head: [u8; 32],
    pub last_digest_seq: u64,
    pub events_since_digest: u64,
    pub min_time: Option<i64>,
    pub max_time: Option<i64>,
    pub torn: Option<TornTail>,
    /// A rotation a crash interrupted after creating the next file (empty) but before writing
    /// the closing digest of this one: the writer finishes it.
    pub rotate_into: Option<(String, File)>,
    pub created: bool,
    /// Held (an exclusive `flock`) while the writer runs: one writer per trail.
    pub lock: File,
}

/// The lock file in the trail directory (not a trail file: listings ignore it).
pub(crate) const LOCK_FILE: &str = "writer.lock";

/// What a scan of one file found.
struct FileScan {
    len: u64,
    lines: u64,
    next_seq: u64,
    head: [u8; 32],
    last_digest_seq: Option<u64>,
    first_seq: Option<u64>,
    events_since_digest: u64,
    min_time: Option<i64>,
    max_time: Option<i64>,
    closing_next_file: Option<String>,
    torn: Option<TornTail>,
}

/// Opens a trail file for the writer. Not in append mode: the writer writes at the end of the
/// content, before its preallocated padding.
pub(crate) fn open_file_for_append(path: &Path, create: bool) -> Result<File, AuditError> {
    let mut options = OpenOptions::new();
    options.write(true).read(true);
    if create {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| AuditError::io(format!("opening {}", path.display()), &e))
}

fn create_dir(dir: &Path) -> Result<(), AuditError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| AuditError::io(format!("creating {}", dir.display()), &e))
}

pub(crate) fn create_trail_file(dir: &Path, name: &str) -> Result<File, AuditError> {
    let file = open_file_for_append(&dir.join(name), true)?;
    files::sync_dir(dir).map_err(|e| AuditError::io(format!("syncing {}", dir.display()), &e))?;
    Ok(file)
}

fn lock(dir: &Path) -> Result<File, AuditError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| AuditError::io(format!("opening {}", path.display()), &e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(AuditError::Locked(dir.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(AuditError::io(format!("locking {}", path.display()), &e))
        }
    }
}

pub(crate) fn recover(dir: &Path) -> Result<Recovered, AuditError> {
    create_dir(dir)?;
    let lock = self::lock(dir)?;
    let list =
        files::list(dir).map_err(|e| AuditError::io(format!("listing {}", dir.display()), &e))?;
    let Some(last) = list.last() else {
        let name = files::file_name(1, crate::time::now_secs());
        let file = create_trail_file(dir, &name)?;
        return Ok(Recovered {
            file,
            file_name: name,
            file_len: 0,
            next_seq: 1,
            head: GENESIS,
            last_digest_seq: 0,
            events_since_digest: 0,
            min_time: None,
            max_time: None,
            torn: None,
            rotate_into: None,
            created: true,
            lock,
        });
    };
    let scan = scan(last)?;
    if scan.lines > 0 {
        if let Some(next) = scan.closing_next_file {
            return Err(AuditError::Corrupt {
                file: last.name.clone(),
                line: scan.lines,
                reason: format!(
                    "the file ends with a closing digest naming {next}, which is missing"
                ),
            });
        }
        return continue_in(last, scan, None, lock);
    }
    // The newest file is empty: a crash during rotation, or a brand-new trail.
    let corrupt = |reason: String| AuditError::Corrupt {
        file: last.name.clone(),
        line: 1,
        reason,
    };
    let Some(prev) = list.len().checked_sub(2).and_then(|i| list.get(i)) else {
        if last.first_sequence != 1 {
            return Err(corrupt(
                "the only trail file is empty but does not start the chain".into(),
            ));
        }
        let mut scan = scan;
        scan.next_seq = 1;
        scan.head = GENESIS;
        scan.last_digest_seq = Some(0);
        return continue_in(last, scan, None, lock);
    };
    // Nothing after this file was ever written, so its own unterminated tail (the closing
    // digest, or events staged just before the rotation) was never acknowledged: cut it too.
    let prev_scan = self::scan(prev)?;
    if prev_scan.lines == 0 {
        return Err(corrupt(format!("{} before it is empty too", prev.name)));
    }
    match prev_scan.closing_next_file.as_deref() {
        Some(next) if next == last.name => {
            let mut scan = scan;
            scan.next_seq = prev_scan.next_seq;
            scan.head = prev_scan.head;
            scan.last_digest_seq = Some(prev_scan.next_seq - 1);
            continue_in(last, scan, None, lock)
        }
        Some(next) => Err(corrupt(format!(
            "{} closes with a digest naming {next}, not this file",
            prev.name
        ))),
        None if last.first_sequence == prev_scan.next_seq + 1 => {
            let next = open_file_for_append(&last.path, false)?;
            continue_in(prev, prev_scan, Some((last.name.clone(), next)), lock).map(|r| Recovered {
                torn: r.torn.or(scan.torn),
                ..r
            })
        }
        // The events the newest file's name counted were cut from the file before it: no
        // durable line names the empty file, so it goes, and the chain continues where it ends.
        None if prev_scan.torn.is_some() => {
            fs::remove_file(&last.path)
                .and_then(|()| files::sync_dir(dir))
                .map_err(|e| AuditError::io(format!("removing {}", last.name), &e))?;
            continue_in(prev, prev_scan, None, lock)
        }
        None => Err(corrupt(format!(
            "the file name's sequence number does not follow {}",
            prev.name
        ))),
    }
}

fn continue_in(
    file: &TrailFile,
    scan: FileScan,
    rotate_into: Option<(String, File)>,
    lock: File,
) -> Result<Recovered, AuditError> {
    let handle = open_file_for_append(&file.path, false)?;
    let last_digest_seq = match (scan.last_digest_seq, scan.first_seq) {
        (Some(seq), _) => seq,
        (None, Some(first)) => first.saturating_sub(1),
        (None, None) => scan.next_seq.saturating_sub(1),
    };
    Ok(Recovered {
        file: handle,
        file_name: file.name.clone(),
        file_len: scan.len,
        next_seq: scan.next_seq,
        head: scan.head,
        last_digest_seq,
        events_since_digest: scan.events_since_digest,
        min_time: scan.min_time,
        max_time: scan.max_time,
        torn: scan.torn,
        rotate_into,
        created: false,
        lock,
    })
}

/// Reads a whole file: cuts an unterminated tail — and whatever a crash left in the padding
/// after it — trims the padding, checks that the last line parses and continues the line
/// before it, and tallies what the writer needs. Only the newest file with lines, or the one
/// before an empty newest file, is scanned: their tails were never acknowledged. Lines
/// before the last are not checked (that is the verifier's work): a damaged line in the middle
/// must not keep the service from starting.
fn scan(file: &TrailFile) -> Result<FileScan, AuditError> {
    let bytes =
        fs::read(&file.path).map_err(|e| AuditError::io(format!("reading {}", file.name), &e))?;
    let (content, _) = files::split_content(&bytes);
    let split = files::split_lines(content);
    let lines = split.lines.len() as u64;
    let corrupt = |line: u64, reason: String| AuditError::Corrupt {
        file: file.name.clone(),
        line,
        reason,
    };
    // Everything after the last complete line: a torn line, padding, and (in the padding) the
    // parts of an unacknowledged write that reached the disk.
    let complete = content.len() - split.torn.map_or(0, <[u8]>::len);
    let cut = &bytes[complete..];
    let len = complete as u64;
    let torn_bytes = cut
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |i| i as u64 + 1);
    let mut torn = None;
    if torn_bytes > 0 {
        torn = Some(TornTail {
            file: file.name.clone(),
            line: lines + 1,
            bytes: torn_bytes,
        });
    }
    if !cut.is_empty() {
        let handle = OpenOptions::new()
            .write(true)
            .open(&file.path)
            .map_err(|e| AuditError::io(format!("opening {}", file.name), &e))?;
        handle
            .set_len(len)
            .and_then(|()| handle.sync_all())
            .map_err(|e| AuditError::io(format!("truncating {}", file.name), &e))?;
    }
    let mut scan = FileScan {
        len,
        lines,
        next_seq: 0,
        head: GENESIS,
        last_digest_seq: None,
        first_seq: None,
        events_since_digest: 0,
        min_time: None,
        max_time: None,
        closing_next_file: None,
        torn,
    };
    let count = split.lines.len();
    for (i, line) in split.lines.iter().enumerate() {
        let parsed = match parse_line(line) {
            Ok(parsed) => parsed,
            Err(reason) if i + 1 == count => return Err(corrupt(lines, reason)),
            Err(_) => continue,
        };
        scan.first_seq.get_or_insert(parsed.sequence);
        match &parsed.kind {
            LineKind::Event { time } => {
                scan.events_since_digest += 1;
                if let Some(t) = *time {
                    scan.min_time = Some(scan.min_time.map_or(t, |m| m.min(t)));
                    scan.max_time = Some(scan.max_time.map_or(t, |m| m.max(t)));
                }
            }
            LineKind::Digest(d) => {
                scan.last_digest_seq = Some(parsed.sequence);
                scan.events_since_digest = 0;
                if i + 1 == count {
                    scan.closing_next_file = d.next_file.clone();
                }
            }
        }
        if i + 1 == count {
            if i > 0 {
                let before = split.lines[i - 1];
                let links = hex::sha256(before) == parsed.previous_hash
                    && parse_line(before).is_ok_and(|p| p.sequence + 1 == parsed.sequence);
                if !links {
                    return Err(corrupt(
                        lines,
                        "the last line does not continue the line before it".into(),
                    ));
                }
            }
            scan.next_seq = parsed.sequence.saturating_add(1);
            scan.head = hex::sha256(line);
        }
    }
    Ok(scan)
}
