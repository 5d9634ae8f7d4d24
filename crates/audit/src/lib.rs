//! The audit trail of kmsd: every KMS, IAM and STS request becomes a CloudTrail-shaped
//! [`AuditEvent`], appended to hash-chained JSON Lines files under `<data-dir>/audit/`, sealed
//! by signed digest records, checked by [`verify_trail`] and queried by [`lookup`]
//! (CloudTrail's `LookupEvents`).
//!
//! **Architecture Invariant:** this crate knows files, not requests. It never sees a
//! request body: the server builds each event (without secrets) and hands it over. No HTTP, no
//! keyring (the digest key arrives as a [`DigestSigner`]).
//!
//! # Using it (for the server and the CLI)
//!
//! * **Startup.** Derive a 32-byte key from the keyring's domain key (e.g. HKDF-SHA-256 with
//!   info `kmsd audit digest v<domain-key version>`), make an
//!   `Arc::new(HmacDigestSigner::new("domain-key/v<N>", &key))`, then
//!   `AuditLog::open(AuditConfig::new(data_dir.join("audit")), signer)`. `open` is blocking;
//!   log the returned [`OpenReport`] (a torn tail cut away, a rotation completed, events sealed).
//!   With [`Durability::Buffered`] print a loud warning: a crash loses up to
//!   [`AuditConfig::flush_interval`] of events.
//! * **Each request.** Build the event ([`AuditEvent::api_call`], then fill `sourceIPAddress`,
//!   `userAgent`, `requestID`, `requestParameters` (secrets removed), `resources`,
//!   `errorCode`/`errorMessage`, `readOnly`), `log.append(&event).await`, and only then send
//!   the response. If `append` fails, answer with an internal error instead (fail closed): an
//!   unrecorded call must not succeed. After an fsync failure every later append fails
//!   ([`AuditError::Failed`]) until the process reopens the trail. A cross-account call is
//!   appended once per account (same `sharedEventID`, each with its `recipientAccountId`).
//! * **Shutdown.** `log.shutdown().await` seals the tail with a digest, so nothing is unsigned.
//! * **`LookupEvents`.** Authorise `cloudtrail:LookupEvents`, map the request onto a
//!   [`LookupQuery`] (the caller's account; at most one attribute, parsed with
//!   [`LookupAttributeKey::from_str`](std::str::FromStr)), run [`lookup`] under
//!   `spawn_blocking`, and map each [`LookupEvent`] to the response: `EventId` = `eventID`,
//!   `EventName`, `ReadOnly` (`"true"`/`"false"`), `AccessKeyId`, `EventTime` (epoch seconds of
//!   [`AuditEvent::event_time_secs`]), `EventSource`, `Username`
//!   ([`AuditEvent::lookup_username`]), `Resources` (`ResourceType` = `type`, `ResourceName` =
//!   `ARN`), `CloudTrailEvent` = [`LookupEvent::cloud_trail_event`]. [`LookupError`]'s variants
//!   name the CloudTrail exception for each refusal.
//! * **`kmsd audit verify --data-dir DIR`.** `verify_trail(&dir.join("audit"), &keys)` with a
//!   [`DigestKeySet`] of the signer of every domain-key version; print the [`VerifyReport`]
//!   (warn about `unsigned_events` and a `torn_tail`) or the [`TrailViolation`] (its `Display`
//!   is `FILE line N: what`) and exit non-zero.
//!
//! # The file format
//!
//! A trail is a directory of files named `audit-<S>-<T>.jsonl`: `S` is the sequence number of
//! the file's first line, 20 digits zero-padded, `T` the creation time `YYYYMMDDTHHMMSSZ`. The
//! names sort in chain order. Files are mode 0600, the directory 0700. The directory also
//! holds `writer.lock`, which the one writer holds an exclusive lock on.
//!
//! Each line is one compact JSON object terminated by `\n`, of one of two record types:
//!
//! ```text
//! {"recordType":"Event","sequence":7,"previousHash":"<hex>","event":{…CloudTrail record…}}
//! {"recordType":"Digest","sequence":8,"previousHash":"<hex>","digest":{"digestTime":"…",
//!   "firstSequence":1,"lastSequence":7,"eventCount":7,"nextFile":null,
//!   "minEventTime":"…","maxEventTime":"…","keyId":"…","signatureAlgorithm":"HMAC-SHA256",
//!   "signature":"<hex>"}}
//! ```
//!
//! * `sequence` counts lines of either type across the whole trail: 1, 2, 3, … with no gap,
//!   continuing from file to file.
//! * `previousHash` is the lower-case hex SHA-256 of the exact bytes of the previous line (its
//!   newline excluded). The first line of a file carries the hash of the last line of the
//!   previous file; the very first line of the trail carries [`GENESIS_HASH`] (64 zeros).
//! * A digest is written after every [`AuditConfig::digest_every_events`] events, once the
//!   oldest unsigned event is [`AuditConfig::digest_interval`] old, at shutdown, at open when the
//!   newest file ends with unsigned events, and as the last line of every file but the newest
//!   (the *closing digest*, whose `nextFile` names the file that continues the chain). It
//!   covers the chain head (its own `previousHash`). `firstSequence..=lastSequence` are the
//!   lines since the previous digest, `eventCount` the events among them, `min/maxEventTime`
//!   bound the `eventTime`s of the file's events so far. Its `signature` is the hex
//!   [`DigestSigner::sign`] of the compact JSON
//!   `{"format":"kmsd-audit-digest-v1","sequence":…,"previousHash":…,` followed by every
//!   digest member but `signature`, in the order above.
//! * While a file is written it is padded with zeros up to 1 MiB past its last line (so an
//!   append's fdatasync does not have to grow the file). A file's lines end at its first NUL;
//!   a closed file, and the newest after a clean shutdown, has no padding.
//! * Files rotate before a line would take one past [`AuditConfig::max_file_bytes`]. The next
//!   file is created (and its directory entry fsynced) before the closing digest naming it is
//!   written.
//!
//! What the verifier thereby detects, naming file and line: an edited line (its hash no longer
//! matches the next line's `previousHash`; a digest's signature fails), a removed line (a gap
//! in `sequence`), reordered and inserted lines, a file cut short (no closing digest), a
//! missing or foreign file (the closing digest names another), missing older files (the first
//! file does not start at sequence 1). What no log without an outside anchor can detect: the
//! newest lines after the newest digest being cut or rewritten — which is why the writer digests
//! often and at shutdown, and [`VerifyReport::unsigned_events`] says how many lines that is.
//!
//! # Writing
//!
//! [`AuditLog`] feeds one writer thread through a bounded queue
//! ([`AuditConfig::queue_capacity`]: `append` waits when it is full, so memory stays bounded).
//! The thread takes every waiting append (under load lingering up to
//! [`AuditConfig::commit_delay`] for more, at most [`AuditConfig::max_batch_events`]), writes
//! their lines with one `write` and one `fdatasync`, then wakes them all: group commit. On
//! open it continues the newest file: an unterminated last line (a crash mid-write, never
//! acknowledged) is cut away and reported in [`OpenReport::torn_tail`]; a last line that is
//! complete but does not parse or link is refused ([`AuditError::Corrupt`]); unsigned events
//! left by a crash are sealed with a digest; a rotation a crash interrupted is completed (its
//! torn closing digest cut first; if the events the new file's name counted were torn, the
//! still-empty new file is dropped and the chain continues in the file before it).
//! Buffered mode writes each batch as soon as it is gathered (a crash of the process loses
//! only what is still queued, at most a commit delay's worth) and leaves the periodic
//! fdatasync to a second thread, so the writer never stalls on it.
#![forbid(unsafe_code)]

mod error;
mod event;
mod files;
mod hex;
mod lookup;
mod queue;
mod record;
mod recover;
mod signer;
mod time;
mod verify;
mod writer;

pub use error::AuditError;
pub use event::{
    AuditEvent, EVENT_CATEGORY_MANAGEMENT, EVENT_SOURCE_CLOUDTRAIL, EVENT_SOURCE_IAM,
    EVENT_SOURCE_KMS, EVENT_SOURCE_STS, EVENT_TYPE_API_CALL, EVENT_VERSION, IDENTITY_ASSUMED_ROLE,
    IDENTITY_AWS_ACCOUNT, IDENTITY_AWS_SERVICE, IDENTITY_IAM_USER, IDENTITY_ROOT, Resource,
    SessionAttributes, SessionContext, SessionIssuer, UserIdentity, new_event_id,
};
pub use lookup::{
    LOOKUP_DEFAULT_MAX_RESULTS, LookupAttribute, LookupAttributeKey, LookupError, LookupEvent,
    LookupPage, LookupQuery, lookup,
};
pub use record::{DigestRecord, GENESIS_HASH, RecordType};
pub use signer::{DigestKeySet, DigestKeys, DigestSigner, HMAC_SHA256, HmacDigestSigner};
pub use time::{format_event_time, parse_event_time};
pub use verify::{TrailViolation, VerifyReport, ViolationKind, verify_trail};
pub use writer::{AuditConfig, AuditLog, AuditStats, ChainHead, Durability, OpenReport, TornTail};
