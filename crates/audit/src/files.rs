//! Trail file names, listing, and reading lines (forwards and backwards).
//!
//! The writer preallocates: it extends the file it writes with zeros ahead of its lines, so an
//! append's fdatasync writes data blocks only and not the inode (the file's size does not
//! change). A file's *content* is therefore its bytes before the first NUL — no line holds one,
//! JSON escapes control characters — and what follows is padding. A closed file, and the
//! newest one after a clean shutdown, has none.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const PREFIX: &str = "audit-";
const SUFFIX: &str = ".jsonl";
const SEQ_DIGITS: usize = 20;
const TIME_CHARS: usize = 16;

/// `audit-<first sequence, 20 digits>-<creation time, YYYYMMDDTHHMMSSZ>.jsonl`. Names sort in
/// chain order (the sequence number leads), and the time is there for people.
pub(crate) fn file_name(first_sequence: u64, unix_secs: i64) -> String {
    format!(
        "{PREFIX}{first_sequence:020}-{}{SUFFIX}",
        crate::time::format_compact(unix_secs)
    )
}

/// The first sequence number a trail file name promises, if it is one.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let body = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    if body.len() != SEQ_DIGITS + 1 + TIME_CHARS || !body.is_ascii() {
        return None;
    }
    let (seq, rest) = body.split_at(SEQ_DIGITS);
    let time = rest.strip_prefix('-')?;
    let tb = time.as_bytes();
    let time_ok =
        tb[8] == b'T' && tb[15] == b'Z' && tb[..8].iter().chain(&tb[9..15]).all(u8::is_ascii_digit);
    if !time_ok || !seq.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    seq.parse().ok()
}

/// One trail file in a directory listing.
#[derive(Debug, Clone)]
pub(crate) struct TrailFile {
    pub name: String,
    pub path: PathBuf,
    pub first_sequence: u64,
}

/// The trail files of `dir` in chain order; other files are ignored. A missing directory is an
/// empty trail.
pub(crate) fn list(dir: &Path) -> io::Result<Vec<TrailFile>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(first_sequence) = parse_file_name(&name)
            && entry.file_type()?.is_file()
        {
            files.push(TrailFile {
                path: entry.path(),
                name,
                first_sequence,
            });
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// A file's bytes split at the first NUL: its content and the rest (padding; after a crash
/// possibly also the unacknowledged remains of a write).
pub(crate) fn split_content(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.split_at(end)
}

/// The length of an open trail file's content, found by reading backwards over the padding
/// (at most the writer's preallocation). It ends at the last non-NUL byte, which is the first
/// NUL's position in any file the writer opened since a crash.
pub(crate) fn content_len(file: &File) -> io::Result<u64> {
    let mut file = file;
    let mut end = file.metadata()?.len();
    let mut chunk = vec![0u8; usize::try_from(CHUNK).unwrap_or(usize::MAX)];
    while end > 0 {
        let n = CHUNK.min(end);
        let start = end - n;
        let piece = &mut chunk[..usize::try_from(n).unwrap_or(usize::MAX)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(piece)?;
        if let Some(i) = piece.iter().rposition(|&b| b != 0) {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// A file's bytes cut into newline-terminated lines (newlines removed), and the unterminated
/// tail, if any — what a crash mid-write leaves.
pub(crate) struct SplitLines<'a> {
    pub lines: Vec<&'a [u8]>,
    pub torn: Option<&'a [u8]>,
}

pub(crate) fn split_lines(bytes: &[u8]) -> SplitLines<'_> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while let Some(i) = rest.iter().position(|&b| b == b'\n') {
        lines.push(&rest[..i]);
        rest = &rest[i + 1..];
    }
    SplitLines {
        lines,
        torn: (!rest.is_empty()).then_some(rest),
    }
}

/// Reads the complete lines of a file backwards from a byte offset, in chunks, so a lookup
/// touches only as much of a file as it pages through.
pub(crate) struct RevLines {
    file: File,
    /// Bytes before `pos` are unread; `buf` holds `[pos, pos + buf.len())`.
    pos: u64,
    buf: Vec<u8>,
    /// Whether an unterminated tail at the end of the region has been dropped.
    trimmed: bool,
}

const CHUNK: u64 = 64 * 1024;

impl RevLines {
    /// The complete lines that end at or before `end` (an unterminated tail before `end` — a
    /// line being written — is skipped).
    pub fn new(file: File, end: u64) -> RevLines {
        RevLines {
            file,
            pos: end,
            buf: Vec::new(),
            trimmed: false,
        }
    }

    /// The previous line: its starting offset and its bytes without the newline.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        loop {
            if !self.trimmed {
                if let Some(i) = self.buf.iter().rposition(|&b| b == b'\n') {
                    self.buf.truncate(i + 1);
                    self.trimmed = true;
                } else if self.pos == 0 {
                    self.buf.clear();
                    self.trimmed = true;
                    return Ok(None);
                } else {
                    self.fill()?;
                }
                continue;
            }
            if self.buf.is_empty() {
                if self.pos == 0 {
                    return Ok(None);
                }
                self.fill()?;
                continue;
            }
            let body_len = self.buf.len() - 1;
            match self.buf[..body_len].iter().rposition(|&b| b == b'\n') {
                Some(i) => {
                    let line = self.buf[i + 1..body_len].to_vec();
                    let start = self.pos + (i as u64) + 1;
                    self.buf.truncate(i + 1);
                    return Ok(Some((start, line)));
                }
                None if self.pos == 0 => {
                    let line = self.buf[..body_len].to_vec();
                    self.buf.clear();
                    return Ok(Some((0, line)));
                }
                None => self.fill()?,
            }
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let n = CHUNK.min(self.pos);
        let start = self.pos - n;
        let mut chunk = vec![0u8; usize::try_from(n).unwrap_or(usize::MAX)];
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&self.buf);
        self.buf = chunk;
        self.pos = start;
        Ok(())
    }
}

/// The last complete line of a file, if any.
pub(crate) fn last_line(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let len = content_len(&file)?;
    Ok(RevLines::new(file, len).next_line()?.map(|(_, line)| line))
}

/// Makes a new file's directory entry durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn names_round_trip_and_sort() {
        let a = file_name(1, 1_795_425_308);
        assert_eq!(a, "audit-00000000000000000001-20261123T091508Z.jsonl");
        assert_eq!(parse_file_name(&a), Some(1));
        let b = file_name(10, 0);
        assert!(a < b);
        assert_eq!(parse_file_name(&b), Some(10));
        for bad in [
            "audit-1-20261123T091508Z.jsonl",
            "audit-00000000000000000001-20261123T091508Z.json",
            "x-00000000000000000001-20261123T091508Z.jsonl",
            "audit-00000000000000000001-20261123X091508Z.jsonl",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn reverse_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut f = File::create(&path).unwrap();
        let mut expected = Vec::new();
        let mut offset = 0u64;
        for i in 0..3000 {
            let line = format!("line {i} {}", "x".repeat(i % 200));
            expected.push((offset, line.clone().into_bytes()));
            offset += line.len() as u64 + 1;
            writeln!(f, "{line}").unwrap();
        }
        write!(f, "torn").unwrap();
        drop(f);
        let len = std::fs::metadata(&path).unwrap().len();
        let mut rev = RevLines::new(File::open(&path).unwrap(), len);
        let mut got = Vec::new();
        while let Some(l) = rev.next_line().unwrap() {
            got.push(l);
        }
        got.reverse();
        assert_eq!(got, expected);

        // From the middle: a line boundary.
        let (mid_offset, _) = expected[1500];
        let mut rev = RevLines::new(File::open(&path).unwrap(), mid_offset);
        assert_eq!(rev.next_line().unwrap().unwrap(), expected[1499]);
        assert_eq!(last_line(&path).unwrap().unwrap(), expected[2999].1);

        let split = split_lines(b"a\nb\nc");
        assert_eq!(split.lines, vec![&b"a"[..], &b"b"[..]]);
        assert_eq!(split.torn, Some(&b"c"[..]));
        assert!(split_lines(b"a\n").torn.is_none());
    }
}
