//! The writer: one thread that owns the newest trail file and group-commits.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::error::AuditError;
use crate::event::AuditEvent;
use crate::files;
use crate::hex;
use crate::queue::{Queue, Taken};
use crate::record::{DigestRecord, EVENT_LINE_OVERHEAD, digest_line, digest_message, event_line};
use crate::recover::{self, Recovered};
use crate::signer::DigestSigner;
use crate::time::{format_event_time, now_secs};

/// How far ahead of its lines the writer extends a file with zeros (see `files`): one
/// extension per ~1,000 events of CloudTrail's size.
const PREALLOCATE_BYTES: u64 = 1024 * 1024;

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// When `append` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Once the event's line is written and fdatasync'ed (group commit: one write and one
    /// fdatasync for every event waiting). The default.
    Durable,
    /// Once the event is queued; lines are written in batches and fdatasync'ed every
    /// [`AuditConfig::flush_interval`]. A crash loses the events of that window — say so loudly.
    Buffered,
}

impl std::fmt::Display for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Durability::Durable => "durable",
            Durability::Buffered => "buffered",
        })
    }
}

/// How the trail is written. [`AuditConfig::new`] has the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// The trail directory, `<data-dir>/audit`. Created (mode 0700) if missing.
    pub dir: PathBuf,
    pub durability: Durability,
    /// A file is closed (rotated) before a line would take it past this size.
    pub max_file_bytes: u64,
    /// A digest after this many events…
    pub digest_every_events: u64,
    /// …or once the oldest unsigned event is this old, whichever comes first (so no event
    /// stays unsigned longer; nothing is written when idle).
    pub digest_interval: Duration,
    /// Buffered only: how often written lines are fdatasync'ed.
    pub flush_interval: Duration,
    /// Appends that may wait for the writer before `append` itself waits (backpressure).
    pub queue_capacity: usize,
    /// A group commit stops waiting for more events once it has this many.
    pub max_batch_events: usize,
    /// Once a group holds two or more events (so requests are arriving concurrently), wait up
    /// to this long for more before writing it (and, when durable, its fdatasync) — stopping
    /// early as soon as a pause brings none. Fewer, larger groups: each fdatasync costs far
    /// more CPU (in a VM, a disk kick is a VM exit) than waking a request, and a lone request
    /// on an idle server is never delayed. Buffered appends do not wait for the group at all,
    /// so there it only saves the writer's wake-ups and writes. Zero: write what is queued at
    /// once.
    pub commit_delay: Duration,
}

impl AuditConfig {
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
    pub const DEFAULT_DIGEST_EVERY_EVENTS: u64 = 1000;
    pub const DEFAULT_DIGEST_INTERVAL: Duration = Duration::from_secs(10);
    pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
    pub const DEFAULT_QUEUE_CAPACITY: usize = 8192;
    pub const DEFAULT_MAX_BATCH_EVENTS: usize = 4096;
    pub const DEFAULT_COMMIT_DELAY: Duration = Duration::from_millis(1);

    /// Durable, 32 MiB files, a digest every 1000 events or 10 s, a queue of 8192, a commit
    /// delay of 1 ms.
    pub fn new(dir: impl Into<PathBuf>) -> AuditConfig {
        AuditConfig {
            dir: dir.into(),
            durability: Durability::Durable,
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
            digest_every_events: Self::DEFAULT_DIGEST_EVERY_EVENTS,
            digest_interval: Self::DEFAULT_DIGEST_INTERVAL,
            flush_interval: Self::DEFAULT_FLUSH_INTERVAL,
            queue_capacity: Self::DEFAULT_QUEUE_CAPACITY,
            max_batch_events: Self::DEFAULT_MAX_BATCH_EVENTS,
            commit_delay: Self::DEFAULT_COMMIT_DELAY,
        }
    }

    fn validate(&self) -> Result<(), AuditError> {
        let problem = if self.max_file_bytes < 4096 {
            "max_file_bytes must be at least 4096"
        } else if self.digest_every_events == 0 {
            "digest_every_events must be at least 1"
        } else if self.digest_interval.is_zero() || self.flush_interval.is_zero() {
            "digest_interval and flush_interval must be positive"
        } else if self.queue_capacity == 0 || self.max_batch_events == 0 {
            "queue_capacity and max_batch_events must be at least 1"
        } else {
            return Ok(());
        };
        Err(AuditError::Config(problem.to_owned()))
    }
}

/// The newest line of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Its sequence number (0 for an empty trail).
    pub sequence: u64,
    /// Lower-case hex SHA-256 of its bytes ([`crate::GENESIS_HASH`] for an empty trail).
    pub hash: String,
    /// The file being written.
    pub file: String,
}

/// An unterminated last line — what a crash in the middle of a write leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub file: String,
    /// 1-based line number of the torn line.
    pub line: u64,
    pub bytes: u64,
}

/// What [`AuditLog::open`] found and did. Log a torn tail and an interrupted rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// The file now being appended to.
    pub file: String,
    /// The sequence number the next line will get.
    pub next_sequence: u64,
    /// A torn last line that was cut away (it was never acknowledged: its fsync never
    /// finished).
    pub torn_tail: Option<TornTail>,
    /// Events after the last digest when the writer stopped, now covered by a digest written
    /// at open.
    pub sealed_events: u64,
    /// A rotation interrupted by a crash was completed.
    pub completed_rotation: bool,
    /// The trail was empty and a first file was created.
    pub created: bool,
}

/// Counters since open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    pub events: u64,
    pub digests: u64,
    /// `write` calls (one per group commit, plus one per rotation).
    pub writes: u64,
    /// fdatasync calls.
    pub syncs: u64,
    pub rotations: u64,
}

#[derive(Default)]
struct Shared {
    failed: OnceLock<String>,
    events: AtomicU64,
    digests: AtomicU64,
    writes: AtomicU64,
    syncs: AtomicU64,
    rotations: AtomicU64,
}

type Ack = oneshot::Sender<Result<(), AuditError>>;
type HeadAck = oneshot::Sender<Result<ChainHead, AuditError>>;

enum Command {
    Append {
        json: String,
        time: Option<i64>,
        ack: Option<Ack>,
    },
    Flush(HeadAck),
    Shutdown(HeadAck),
}

/// The appenders' end of the queue; when the last [`AuditLog`] clone drops it, the writer
/// seals the trail and stops.
struct Appenders {
    queue: Arc<Queue<Command>>,
}

impl Drop for Appenders {
    fn drop(&mut self) {
        self.queue.orphan();
    }
}

/// The append side of the trail. Cheap to clone; every clone feeds the same writer thread.
/// The writer stops (after a final digest and fdatasync) on [`shutdown`](AuditLog::shutdown)
/// or when the last clone is dropped.
#[derive(Clone)]
pub struct AuditLog {
    appenders: Arc<Appenders>,
    shared: Arc<Shared>,
    durability: Durability,
    dir: Arc<Path>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("dir", &self.dir)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the trail in `config.dir` and starts the writer thread. Blocking
    /// (it reads the newest file): call it at startup or from `spawn_blocking`. Needs no
    /// tokio runtime; `append` works from any.
    pub fn open(
        config: AuditConfig,
        signer: Arc<dyn DigestSigner>,
    ) -> Result<(AuditLog, OpenReport), AuditError> {
        config.validate()?;
        let recovered = recover::recover(&config.dir)?;
        let shared = Arc::new(Shared::default());
        let Recovered {
            file,
            file_name,
            file_len,
            next_seq,
            head,
            last_digest_seq,
            events_since_digest,
            min_time,
            max_time,
            torn,
            rotate_into,
            created,
            lock,
        } = recovered;
        let background = match config.durability {
            Durability::Durable => None,
            Durability::Buffered => Some(BackgroundSync::start(Arc::clone(&shared))?),
        };
        let mut file = file;
        file.seek(SeekFrom::Start(file_len))
            .map_err(|e| AuditError::io(format!("opening {file_name}"), &e))?;
        let mut writer = Writer {
            background,
            file,
            file_name,
            file_len,
            allocated: file_len,
            next_seq,
            head,
            last_digest_seq,
            events_since_digest,
            min_time,
            max_time,
            staged: Vec::with_capacity(64 * 1024),
            dirty: false,
            first_unsigned_at: None,
            last_sync: Instant::now(),
            failed: None,
            lock: Some(lock),
            signer,
            shared: Arc::clone(&shared),
            config: config.clone(),
        };
        let sealed_events = writer.events_since_digest;
        let completed_rotation = rotate_into.is_some();
        if let Some((name, next)) = rotate_into {
            writer.close_into(name, next)?;
        } else if sealed_events > 0 {
            writer.stage_digest(None)?;
            writer.write_staged()?;
            writer.sync()?;
        }
        let report = OpenReport {
            file: writer.file_name.clone(),
            next_sequence: writer.next_seq,
            torn_tail: torn,
            sealed_events,
            completed_rotation,
            created,
        };
        let queue = Arc::new(Queue::new(config.queue_capacity));
        let writer_queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name("kmsd-audit-writer".into())
            .spawn(move || writer.run(&writer_queue))
            .map_err(|e| AuditError::io("starting the audit writer", &e))?;
        let log = AuditLog {
            appenders: Arc::new(Appenders { queue }),
            shared,
            durability: config.durability,
            dir: Arc::from(config.dir.as_path()),
        };
        Ok((log, report))
    }

    /// Appends an event. [`Durability::Durable`]: returns once its line is on disk (fdatasync);
    /// [`Durability::Buffered`]: once it is queued. Waits while the queue is full. An error
    /// means the event may not be recorded: refuse the request (fail closed).
    pub async fn append(&self, event: &AuditEvent) -> Result<(), AuditError> {
        if let Some(message) = self.shared.failed.get() {
            return Err(AuditError::Failed(message.clone()));
        }
        let json =
            serde_json::to_string(event).map_err(|e| AuditError::Serialize(e.to_string()))?;
        let time = event.event_time_secs();
        match self.durability {
            Durability::Durable => {
                let (ack, done) = oneshot::channel();
                let command = Command::Append {
                    json,
                    time,
                    ack: Some(ack),
                };
                self.send(command).await?;
                done.await.map_err(|_| self.gone())?
            }
            Durability::Buffered => {
                let command = Command::Append {
                    json,
                    time,
                    ack: None,
                };
                self.send(command).await
            }
        }
    }

    /// Appends several events (e.g. both copies of a cross-account call) in this order, all in
    /// the same or consecutive group commits: with [`Durability::Durable`] it returns once all
    /// are on disk, at the cost of about one fdatasync rather than one each.
    pub async fn append_all(&self, events: &[AuditEvent]) -> Result<(), AuditError> {
        if let Some(message) = self.shared.failed.get() {
            return Err(AuditError::Failed(message.clone()));
        }
        let mut commands = Vec::with_capacity(events.len());
        let mut waits = Vec::with_capacity(events.len());
        for event in events {
            let json =
                serde_json::to_string(event).map_err(|e| AuditError::Serialize(e.to_string()))?;
            let ack = match self.durability {
                Durability::Durable => {
                    let (ack, done) = oneshot::channel();
                    waits.push(done);
                    Some(ack)
                }
                Durability::Buffered => None,
            };
            commands.push(Command::Append {
                json,
                time: event.event_time_secs(),
                ack,
            });
        }
        for command in commands {
            self.send(command).await?;
        }
        for done in waits {
            done.await.map_err(|_| self.gone())??;
        }
        Ok(())
    }

    /// Writes and fdatasyncs everything queued before it; returns the chain head.
    pub async fn flush(&self) -> Result<ChainHead, AuditError> {
        let (ack, done) = oneshot::channel();
        self.send(Command::Flush(ack)).await?;
        done.await.map_err(|_| self.gone())?
    }

    /// Writes everything queued before it, seals it with a digest, fdatasyncs and stops the
    /// writer; later appends fail with [`AuditError::Closed`]. Returns the final head.
    pub async fn shutdown(&self) -> Result<ChainHead, AuditError> {
        let (ack, done) = oneshot::channel();
        self.send(Command::Shutdown(ack)).await?;
        done.await.map_err(|_| self.gone())?
    }

    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The failure that stopped the writer, if one did.
    pub fn failure(&self) -> Option<String> {
        self.shared.failed.get().cloned()
    }

    pub fn stats(&self) -> AuditStats {
        let s = &self.shared;
        AuditStats {
            events: s.events.load(Ordering::Relaxed),
            digests: s.digests.load(Ordering::Relaxed),
            writes: s.writes.load(Ordering::Relaxed),
            syncs: s.syncs.load(Ordering::Relaxed),
            rotations: s.rotations.load(Ordering::Relaxed),
        }
    }

    async fn send(&self, command: Command) -> Result<(), AuditError> {
        self.appenders
            .queue
            .push(command)
            .await
            .map_err(|_| self.gone())
    }

    fn gone(&self) -> AuditError {
        match self.shared.failed.get() {
            Some(message) => AuditError::Failed(message.clone()),
            None => AuditError::Closed,
        }
    }
}

/// Buffered mode's periodic fdatasync, on a thread of its own so the writer keeps draining
/// the queue meanwhile (a second's worth of lines can take a while to reach the disk).
struct BackgroundSync {
    tx: std::sync::mpsc::Sender<File>,
    busy: Arc<AtomicBool>,
}

impl BackgroundSync {
    fn start(shared: Arc<Shared>) -> Result<BackgroundSync, AuditError> {
        let (tx, rx) = std::sync::mpsc::channel::<File>();
        let busy = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&busy);
        std::thread::Builder::new()
            .name("kmsd-audit-sync".into())
            .spawn(move || {
                while let Ok(file) = rx.recv() {
                    match file.sync_data() {
                        Ok(()) => {
                            shared.syncs.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let _ = shared.failed.set(format!("syncing the audit trail: {e}"));
                        }
                    }
                    done.store(false, Ordering::Release);
                }
            })
            .map_err(|e| AuditError::io("starting the audit sync thread", &e))?;
        Ok(BackgroundSync { tx, busy })
    }

    fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }
}

/// One group commit's waiters.
#[derive(Default)]
struct Batch {
    events: usize,
    acks: Vec<Ack>,
    heads: Vec<HeadAck>,
    shutdown: bool,
}

struct Writer {
    config: AuditConfig,
    /// Buffered mode only.
    background: Option<BackgroundSync>,
    signer: Arc<dyn DigestSigner>,
    shared: Arc<Shared>,
    /// Positioned at `file_len`.
    file: File,
    file_name: String,
    /// Bytes of lines written to `file` (not counting `staged`).
    file_len: u64,
    /// The file's size: its lines, then zeros up to here (see `files`).
    allocated: u64,
    next_seq: u64,
    /// SHA-256 of the newest line (staged or written).
    head: [u8; 32],
    last_digest_seq: u64,
    events_since_digest: u64,
    /// `eventTime` bounds of this file's events.
    min_time: Option<i64>,
    max_time: Option<i64>,
    /// Lines built but not yet written.
    staged: Vec<u8>,
    /// Written since the last fdatasync.
    dirty: bool,
    /// When the oldest event not yet covered by a digest was staged.
    first_unsigned_at: Option<Instant>,
    last_sync: Instant,
    failed: Option<AuditError>,
    /// The trail's lock, released before shutdown is acknowledged so a new writer can start.
    lock: Option<File>,
}

impl Writer {
    fn run(mut self, queue: &Queue<Command>) {
        loop {
            let commands = match queue.wait(self.next_deadline()) {
                Taken::Commands(commands) => commands,
                Taken::Timeout => {
                    self.on_timer();
                    continue;
                }
                Taken::Orphaned => {
                    // Every AuditLog is gone: seal and stop.
                    let _ = self.seal_and_sync();
                    queue.stop();
                    return;
                }
            };
            let mut batch = Batch::default();
            self.handle_all(commands, &mut batch);
            if self.lingers(&batch) {
                self.linger(queue, &mut batch);
            }
            let shutdown = batch.shutdown;
            self.complete(batch);
            if shutdown {
                // Appends that raced the shutdown are answered `Closed` (their acks drop).
                drop(queue.stop());
                return;
            }
        }
    }

    fn handle_all(&mut self, commands: Vec<Command>, batch: &mut Batch) {
        for command in commands {
            if batch.shutdown {
                // Queued after the shutdown: dropped, so its appender hears `Closed`.
                continue;
            }
            self.handle(command, batch);
        }
    }

    /// Whether to wait for more events before this group's fdatasync (see
    /// [`AuditConfig::commit_delay`]).
    fn lingers(&self, batch: &Batch) -> bool {
        !self.config.commit_delay.is_zero()
            && batch.events >= 2
            && batch.events < self.config.max_batch_events
            && !batch.shutdown
            && self.failed.is_none()
    }

    /// Takes more events for this group for up to the commit delay, in four pauses; stops at
    /// the first pause that brings none.
    fn linger(&mut self, queue: &Queue<Command>, batch: &mut Batch) {
        let until = Instant::now() + self.config.commit_delay;
        let pause = self.config.commit_delay / 4;
        loop {
            std::thread::sleep(pause);
            let more = queue.take_ready();
            let arrived = more.len();
            self.handle_all(more, batch);
            if arrived == 0
                || batch.shutdown
                || batch.events >= self.config.max_batch_events
                || Instant::now() >= until
            {
                return;
            }
        }
    }

    fn handle(&mut self, command: Command, batch: &mut Batch) {
        self.adopt_background_failure();
        match command {
            Command::Append { json, time, ack } => {
                batch.events += 1;
                if self.failed.is_none()
                    && let Err(e) = self.stage_event(&json, time)
                {
                    self.fail(e);
                }
                if let Some(ack) = ack {
                    batch.acks.push(ack);
                }
            }
            Command::Flush(ack) => batch.heads.push(ack),
            Command::Shutdown(ack) => {
                if self.failed.is_none()
                    && self.events_since_digest > 0
                    && let Err(e) = self.stage_digest(None)
                {
                    self.fail(e);
                }
                batch.heads.push(ack);
                batch.shutdown = true;
            }
        }
    }

    /// Writes the batch's lines, fdatasyncs if anyone is waiting for durability, and answers.
    fn complete(&mut self, batch: Batch) {
        if self.failed.is_none() {
            let must_sync =
                self.config.durability == Durability::Durable || !batch.heads.is_empty();
            let result = self
                .write_staged()
                .and_then(|()| if batch.shutdown { self.trim() } else { Ok(()) })
                .and_then(|()| if must_sync { self.sync() } else { Ok(()) });
            if let Err(e) = result {
                self.fail(e);
            }
        }
        if batch.shutdown {
            self.lock = None;
        }
        let result = match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        };
        for ack in batch.acks {
            let _ = ack.send(result.clone());
        }
        let head = result.map(|()| self.head());
        for ack in batch.heads {
            let _ = ack.send(head.clone());
        }
    }

    fn head(&self) -> ChainHead {
        ChainHead {
            sequence: self.next_seq.saturating_sub(1),
            hash: hex::encode(&self.head),
            file: self.file_name.clone(),
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        if self.failed.is_some() {
            return None;
        }
        let digest = self
            .first_unsigned_at
            .map(|t| t + self.config.digest_interval);
        let flush = (self.config.durability == Durability::Buffered && self.dirty)
            .then(|| self.last_sync + self.config.flush_interval);
        match (digest, flush) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn adopt_background_failure(&mut self) {
        if self.failed.is_none()
            && let Some(message) = self.shared.failed.get()
        {
            self.failed = Some(AuditError::Failed(message.clone()));
        }
    }

    fn on_timer(&mut self) {
        self.adopt_background_failure();
        if self.failed.is_some() {
            return;
        }
        let now = Instant::now();
        let mut result = Ok(());
        if self
            .first_unsigned_at
            .is_some_and(|t| now >= t + self.config.digest_interval)
        {
            result = self.stage_digest(None).and_then(|()| self.write_staged());
            if result.is_ok() && self.config.durability == Durability::Durable {
                result = self.sync();
            }
        }
        if result.is_ok() && self.dirty && now >= self.last_sync + self.config.flush_interval {
            result = self.sync_in_background();
        }
        if let Err(e) = result {
            self.fail(e);
        }
    }

    fn seal_and_sync(&mut self) -> Result<(), AuditError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.events_since_digest > 0 {
            self.stage_digest(None)?;
        }
        self.write_staged()?;
        self.trim()?;
        self.sync()
    }

    fn fail(&mut self, error: AuditError) {
        let message = error.to_string();
        let _ = self.shared.failed.set(message.clone());
        self.failed = Some(AuditError::Failed(message));
    }

    fn stage_event(&mut self, json: &str, time: Option<i64>) -> Result<(), AuditError> {
        let size = (self.staged.len() + json.len() + EVENT_LINE_OVERHEAD) as u64;
        let has_lines = self.file_len > 0 || !self.staged.is_empty();
        if has_lines && self.file_len + size > self.config.max_file_bytes {
            self.rotate()?;
        }
        let line = event_line(self.next_seq, &self.head, json);
        self.push_line(&line);
        self.events_since_digest += 1;
        self.first_unsigned_at.get_or_insert_with(Instant::now);
        self.shared.events.fetch_add(1, Ordering::Relaxed);
        if let Some(t) = time {
            self.min_time = Some(self.min_time.map_or(t, |m| m.min(t)));
            self.max_time = Some(self.max_time.map_or(t, |m| m.max(t)));
        }
        if self.events_since_digest >= self.config.digest_every_events {
            self.stage_digest(None)?;
        }
        Ok(())
    }

    /// Stages a digest of the chain head; `next_file` makes it the closing digest of the file.
    fn stage_digest(&mut self, next_file: Option<String>) -> Result<(), AuditError> {
        let sequence = self.next_seq;
        let previous_hash = hex::encode(&self.head);
        let mut digest = DigestRecord {
            digest_time: format_event_time(now_secs()),
            first_sequence: self.last_digest_seq + 1,
            last_sequence: sequence - 1,
            event_count: self.events_since_digest,
            next_file,
            min_event_time: self.min_time.map(format_event_time),
            max_event_time: self.max_time.map(format_event_time),
            key_id: self.signer.key_id().to_owned(),
            signature_algorithm: self.signer.algorithm().to_owned(),
            signature: String::new(),
        };
        let message = digest_message(sequence, &previous_hash, &digest)?;
        digest.signature = hex::encode(&self.signer.sign(&message));
        let line = digest_line(sequence, &previous_hash, &digest)?;
        self.push_line(&line);
        self.last_digest_seq = sequence;
        self.events_since_digest = 0;
        self.first_unsigned_at = None;
        self.shared.digests.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn push_line(&mut self, line: &[u8]) {
        self.head = hex::sha256(line);
        self.next_seq += 1;
        self.staged.extend_from_slice(line);
        self.staged.push(b'\n');
    }

    fn write_staged(&mut self) -> Result<(), AuditError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        self.preallocate(self.file_len + self.staged.len() as u64)
            .and_then(|()| self.file.write_all(&self.staged))
            .map_err(|e| AuditError::io(format!("writing {}", self.file_name), &e))?;
        self.file_len += self.staged.len() as u64;
        self.staged.clear();
        self.dirty = true;
        self.shared.writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Makes the file at least `needed` bytes long, extending it with zeros by up to
    /// [`PREALLOCATE_BYTES`] more (not past `max_file_bytes` unless one line needs it). The
    /// extension is written, not `fallocate`d: overwriting an unwritten extent changes the
    /// inode too, and sparing the inode is the point — in a VM an fdatasync that writes only
    /// data blocks took ~110 µs of CPU against ~180 µs for one that also grows the file.
    fn preallocate(&mut self, needed: u64) -> std::io::Result<()> {
        if needed <= self.allocated {
            return Ok(());
        }
        let target = (needed + PREALLOCATE_BYTES).min(self.config.max_file_bytes.max(needed));
        self.file.seek(SeekFrom::Start(self.allocated))?;
        while self.allocated < target {
            let n = (target - self.allocated).min(ZEROS.len() as u64);
            self.file
                .write_all(&ZEROS[..usize::try_from(n).unwrap_or(ZEROS.len())])?;
            self.allocated += n;
        }
        self.file.seek(SeekFrom::Start(self.file_len))?;
        self.dirty = true;
        Ok(())
    }

    /// Cuts the padding off (a closed file, or the newest at shutdown, ends with its last line);
    /// the next fdatasync makes the new size durable.
    fn trim(&mut self) -> Result<(), AuditError> {
        if self.allocated > self.file_len {
            self.file
                .set_len(self.file_len)
                .map_err(|e| AuditError::io(format!("trimming {}", self.file_name), &e))?;
            self.allocated = self.file_len;
            self.dirty = true;
        }
        Ok(())
    }

    /// Hands the periodic fdatasync of buffered mode to the sync thread (or, if it is still
    /// busy with the previous one, tries again next interval).
    fn sync_in_background(&mut self) -> Result<(), AuditError> {
        let Some(background) = &self.background else {
            return self.sync();
        };
        self.last_sync = Instant::now();
        if background.busy() {
            return Ok(());
        }
        let file = self
            .file
            .try_clone()
            .map_err(|e| AuditError::io(format!("syncing {}", self.file_name), &e))?;
        background.busy.store(true, Ordering::Release);
        if background.tx.send(file).is_err() {
            background.busy.store(false, Ordering::Release);
            return self.sync();
        }
        self.dirty = false;
        Ok(())
    }

    /// fdatasync now, in this thread (also covering a background sync still under way).
    fn sync(&mut self) -> Result<(), AuditError> {
        let background_busy = self.background.as_ref().is_some_and(BackgroundSync::busy);
        if !self.dirty && !background_busy {
            return Ok(());
        }
        self.file
            .sync_data()
            .map_err(|e| AuditError::io(format!("syncing {}", self.file_name), &e))?;
        self.dirty = false;
        self.last_sync = Instant::now();
        self.shared.syncs.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Closes this file and continues in a new one. The new file is created (and its
    /// directory entry made durable) before the closing digest naming it is written, so a
    /// crash leaves either no closing digest (and an empty next file the next open completes
    /// the rotation into) or both.
    fn rotate(&mut self) -> Result<(), AuditError> {
        self.write_staged()?;
        // The closing digest takes `next_seq`; the new file starts after it.
        let name = files::file_name(self.next_seq + 1, now_secs());
        let next = recover::create_trail_file(&self.config.dir, &name)?;
        self.close_into(name, next)
    }

    fn close_into(&mut self, name: String, next: File) -> Result<(), AuditError> {
        self.stage_digest(Some(name.clone()))?;
        self.write_staged()?;
        self.trim()?;
        self.sync()?;
        self.file = next;
        self.file_name = name;
        self.file_len = 0;
        self.allocated = 0;
        self.min_time = None;
        self.max_time = None;
        self.shared.rotations.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
