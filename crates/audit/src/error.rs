//! The writer's errors. (Verification has [`crate::TrailViolation`], lookups
//! [`crate::LookupError`].)

use std::fmt::Display;
use std::io;

/// Why an append, flush or open failed. Clone, so one failed group commit can answer every
/// request in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("audit trail I/O error ({context}): {message}")]
    Io { context: String, message: String },
    /// Opening found a trail it must not continue (not a crash artefact): run the verifier.
    #[error("the audit trail cannot be continued: {file} line {line}: {reason}")]
    Corrupt {
        file: String,
        line: u64,
        reason: String,
    },
    /// A write or fsync failed; the log refuses everything after it (a failed fsync cannot be
    /// retried safely). Reopen to continue.
    #[error("the audit log failed and accepts no more events: {0}")]
    Failed(String),
    /// Another writer (another kmsd process, or an `AuditLog` not yet shut down) holds the
    /// trail directory.
    #[error("another writer holds the audit trail in {0}")]
    Locked(String),
    #[error("the audit log is closed")]
    Closed,
    #[error("could not serialise an audit record: {0}")]
    Serialize(String),
    #[error("the random generator failed")]
    Random,
    #[error("invalid audit configuration: {0}")]
    Config(String),
}

impl AuditError {
    pub(crate) fn io(context: impl Display, error: &io::Error) -> AuditError {
        AuditError::Io {
            context: context.to_string(),
            message: error.to_string(),
        }
    }
}
