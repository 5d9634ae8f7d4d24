//! Group commit: concurrent writes share one transaction, so one WAL fsync makes many of them
//! durable.
//!
//! [`submit`] queues a job (the caller's closure, type-erased) and starts a *leader attempt* on
//! the blocking pool. A leader locks the connection, takes up to [`MAX_GROUP`] queued jobs,
//! opens `BEGIN IMMEDIATE`, runs each job inside its own `SAVEPOINT` (rolled back when the job
//! fails, so a failed job leaves nothing and the others are unaffected) and commits once. Only
//! then does any caller get its result; when BEGIN or COMMIT fails (or the transaction is lost
//! midway), every job of the group gets [`StoreError::Backend`] and nothing of the group stays.
//!
//! No job is stranded: every queued job comes with exactly one leader attempt, and an attempt
//! that finds jobs queued takes at least one. So there are never more queued jobs than pending
//! attempts; an attempt that finds the queue empty returns at once.
//!
//! A job must not end the transaction itself, and must not return `Ok` with deferred
//! foreign-key violations outstanding: SQLite checks those only at the group's COMMIT, which
//! then fails for the whole group. (A job that returns `Err` is rolled back to its savepoint,
//! which also drops the violations it caused.)
//!
//! A panicking job unwinds the leader: the group's transaction is rolled back, the connection
//! mutex is poisoned (every later call is `Backend`, as before group commit) and the group's
//! callers see their answer channels close, which is `Backend` too.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::backend_msg;
use crate::StoreError;

/// The most jobs one transaction carries; the rest go to the next leader.
pub(super) const MAX_GROUP: usize = 256;

/// The savepoint around each job (the jobs' own nested savepoints have rusqlite's names).
const JOB_SAVEPOINT: &str = "kmsd_job";

/// One queued write: runs the caller's closure, holds its result until the group's outcome is
/// known, then answers the caller.
trait Job: Send {
    /// Runs the work; true when it returned `Ok`.
    fn run(&mut self, conn: &mut Connection) -> bool;
    /// Answers the caller: its own result once the group committed, else the group's failure.
    fn answer(self: Box<Self>, group: Result<(), &GroupAborted>);
}

struct Call<T, F> {
    work: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Call<T, F>
where
    T: Send,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send,
{
    fn run(&mut self, conn: &mut Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn),
            None => Err(backend_msg("a store write was run twice")),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, group: Result<(), &GroupAborted>) {
        let reply = match group {
            Ok(()) => self
                .result
                .unwrap_or_else(|| Err(backend_msg("a store write was never run"))),
            // Even a job's own error is withdrawn: it may rest on writes of the group that are
            // now rolled back (an alias "already" taken by an earlier job of the group).
            Err(aborted) => Err(StoreError::Backend(Box::new(aborted.clone()))),
        };
        // A closed channel means the caller stopped waiting; there is no one to tell.
        let _ = self.reply.send(reply);
    }
}

/// Why a group was not committed; every job of the group gets a copy, as the source of its
/// [`StoreError::Backend`].
#[derive(Debug, Clone)]
pub(crate) struct GroupAborted {
    what: &'static str,
    cause: Option<Arc<rusqlite::Error>>,
}

impl GroupAborted {
    fn new(what: &'static str, cause: rusqlite::Error) -> GroupAborted {
        GroupAborted {
            what,
            cause: Some(Arc::new(cause)),
        }
    }

    fn msg(what: &'static str) -> GroupAborted {
        GroupAborted { what, cause: None }
    }
}

impl std::fmt::Display for GroupAborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the write's transaction was not committed: {}",
            self.what
        )?;
        if let Some(cause) = &self.cause {
            write!(f, ": {cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GroupAborted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The queue of writes waiting for a leader, and counters of what was committed.
#[derive(Default)]
pub(super) struct Queue {
    pending: Mutex<Vec<Box<dyn Job>>>,
    groups: AtomicU64,
    jobs: AtomicU64,
}

impl Queue {
    /// The queue itself is never left half-changed (no job runs under its lock), so a poisoned
    /// lock is still a good queue.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Job>>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, job: Box<dyn Job>) {
        self.lock().push(job);
    }

    fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The oldest `max` jobs.
    fn take(&self, max: usize) -> Vec<Box<dyn Job>> {
        let mut pending = self.lock();
        if pending.len() <= max {
            std::mem::take(&mut *pending)
        } else {
            pending.drain(..max).collect()
        }
    }

    /// How many jobs wait (tests stage full groups with it).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Committed groups and the jobs they carried.
    #[cfg(test)]
    pub(super) fn stats(&self) -> (u64, u64) {
        (
            self.groups.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
        )
    }
}

/// Queues `f` for the next group and waits for its answer, which comes only after the group's
/// COMMIT (or with the group's failure).
pub(super) async fn submit<T, F>(
    conn: &Arc<Mutex<Connection>>,
    queue: &Arc<Queue>,
    f: F,
) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    queue.push(Box::new(Call {
        work: Some(f),
        result: None,
        reply,
    }));
    // Detached: the answer comes through the channel, and the job runs even if this caller
    // stops waiting, as a blocking task always did. Weak, so an attempt left over (its job went
    // with an earlier group) does not keep the connection open after the store is dropped; a
    // job still queued then (its caller gone) is dropped unrun, unacknowledged.
    let (conn, queue) = (Arc::downgrade(conn), Arc::downgrade(queue));
    drop(tokio::task::spawn_blocking(move || {
        if let Some(queue) = queue.upgrade()
            && !queue.is_empty()
            && let Some(conn) = conn.upgrade()
        {
            lead(&conn, &queue);
        }
    }));
    answer
        .await
        .map_err(|_| backend_msg("a store write was abandoned: a write of its group panicked"))?
}

/// One leader attempt (when the queue was not empty: else this attempt's job went with an
/// earlier group).
fn lead(conn: &Mutex<Connection>, queue: &Queue) {
    let mut guard = match conn.lock() {
        Ok(guard) => guard,
        Err(_) => {
            tracing::error!("sqlite connection mutex poisoned by an earlier panic");
            let poisoned =
                GroupAborted::msg("sqlite connection mutex poisoned by an earlier panic");
            for job in queue.take(usize::MAX) {
                job.answer(Err(&poisoned));
            }
            return;
        }
    };
    let mut group = queue.take(MAX_GROUP);
    if group.is_empty() {
        return;
    }
    let outcome = run_group(&mut guard, &mut group);
    // Let the next leader in before waking the callers.
    drop(guard);
    match &outcome {
        Ok(()) => {
            queue.groups.fetch_add(1, Ordering::Relaxed);
            queue.jobs.fetch_add(group.len() as u64, Ordering::Relaxed);
        }
        Err(aborted) => {
            tracing::error!(jobs = group.len(), error = %aborted, "store write group failed");
        }
    }
    for job in group {
        job.answer(outcome.as_ref().map(|_| ()));
    }
}

/// BEGIN IMMEDIATE, every job in its savepoint, COMMIT. Whatever ends this early (an error, a
/// panicking job) rolls the transaction back.
fn run_group(conn: &mut Connection, group: &mut [Box<dyn Job>]) -> Result<(), GroupAborted> {
    let open = OpenTransaction(conn);
    open.0
        .execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| GroupAborted::new("BEGIN IMMEDIATE failed", e))?;
    for job in group.iter_mut() {
        run_job(open.0, job.as_mut())?;
    }
    // With synchronous=FULL this fsyncs the WAL: the one fsync of the group.
    open.0
        .execute_batch("COMMIT")
        .map_err(|e| GroupAborted::new("COMMIT failed", e))
}

fn run_job(conn: &mut Connection, job: &mut dyn Job) -> Result<(), GroupAborted> {
    conn.execute_batch(&format!("SAVEPOINT {JOB_SAVEPOINT}"))
        .map_err(|e| GroupAborted::new("SAVEPOINT failed", e))?;
    let ok = job.run(conn);
    if conn.is_autocommit() {
        // SQLite rolled the whole transaction back (after an IO error, a full disk, ...), or
        // the job ended it: the group's earlier work is gone.
        return Err(GroupAborted::msg(
            "the group's transaction ended during a write",
        ));
    }
    let end = if ok {
        format!("RELEASE {JOB_SAVEPOINT}")
    } else {
        format!("ROLLBACK TO {JOB_SAVEPOINT}; RELEASE {JOB_SAVEPOINT}")
    };
    conn.execute_batch(&end)
        .map_err(|e| GroupAborted::new("ending a write's savepoint failed", e))
}

/// Rolls back a transaction still open when dropped: after a failed COMMIT (SQLite keeps the
/// transaction open then), an aborted group, or while a panicking job unwinds.
struct OpenTransaction<'c>(&'c mut Connection);

impl Drop for OpenTransaction<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit()
            && let Err(e) = self.0.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "rolling back a failed write group failed");
        }
    }
}
