//! The last successful cryptographic use of each key (GetKeyLastUsage), kept in memory on the
//! hot path and written to the store in batches, never one write per request.
//!
//! A crash loses at most the uses since the last flush (the periodic pass flushes every few
//! seconds, and a graceful stop flushes); GetKeyLastUsage answers from memory first.

use kmsd_model::{KeyId, KeyUsageOperation, Timestamp};
use kmsd_store::KeyUsageRecord;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// One key's newest unflushed use. Its own lock, so uses of different keys never contend.
#[derive(Default)]
struct UsageCell {
    latest: Mutex<Option<KeyUsageRecord>>,
}

/// Unflushed uses, newest per key.
///
/// The hot path takes the map's read lock and the key's cell with `try_lock`: if another
/// request is recording a use of the same key at this very moment, this one is skipped — the
/// other is just as recent — so requests never wait on each other here.
#[derive(Default)]
pub(crate) struct UsageTracker {
    cells: RwLock<HashMap<KeyId, Arc<UsageCell>>>,
}

impl UsageTracker {
    pub fn record(
        &self,
        key_id: KeyId,
        at: Timestamp,
        operation: KeyUsageOperation,
        request_id: &str,
    ) {
        let cell = match self.cells.read().ok().and_then(|c| c.get(&key_id).cloned()) {
            Some(cell) => cell,
            None => match self.cells.write() {
                Ok(mut cells) => cells.entry(key_id).or_default().clone(),
                Err(_) => return,
            },
        };
        let Ok(mut latest) = cell.latest.try_lock() else {
            return;
        };
        match latest.as_mut() {
            Some(existing) if existing.used_at > at => {}
            Some(existing) => {
                existing.used_at = at;
                existing.operation = operation;
                existing.request_id.clear();
                existing.request_id.push_str(request_id);
            }
            None => {
                *latest = Some(KeyUsageRecord {
                    key_id,
                    used_at: at,
                    operation,
                    request_id: request_id.to_owned(),
                });
            }
        }
    }

    pub fn pending(&self, key_id: &KeyId) -> Option<KeyUsageRecord> {
        let cell = self.cells.read().ok()?.get(key_id).cloned()?;
        cell.latest.lock().ok()?.clone()
    }

    /// Takes every unflushed use (the caller writes them, and puts them back on failure).
    /// Keys without a new use since the last flush leave the map, so it holds only keys in use.
    pub fn take(&self) -> Vec<KeyUsageRecord> {
        let Ok(mut cells) = self.cells.write() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        cells.retain(|_, cell| match cell.latest.lock() {
            Ok(mut latest) => match latest.take() {
                Some(record) => {
                    out.push(record);
                    true
                }
                None => false,
            },
            Err(_) => false,
        });
        out
    }

    /// Puts back uses a failed flush could not write (newer ones recorded meanwhile win).
    pub fn restore(&self, usage: Vec<KeyUsageRecord>) {
        for u in usage {
            self.record(u.key_id, u.used_at, u.operation, &u.request_id);
        }
    }

    pub fn forget(&self, key_id: &KeyId) {
        if let Ok(mut cells) = self.cells.write() {
            cells.remove(key_id);
        }
    }
}

impl crate::Kms {
    /// Writes the uses recorded since the last flush, in one store transaction.
    pub async fn flush_key_usage(&self) -> Result<usize, crate::KmsError> {
        let batch = self.usage.take();
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len();
        if let Err(e) = self.store.record_key_usage(&batch).await {
            self.usage.restore(batch);
            return Err(e.into());
        }
        Ok(n)
    }

    /// Notes a successful cryptographic operation on a key.
    pub(crate) fn note_use(&self, key_id: KeyId, operation: KeyUsageOperation, request_id: &str) {
        self.usage
            .record(key_id, self.clock.now(), operation, request_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_use_wins_and_take_empties() {
        let tracker = UsageTracker::default();
        let key = KeyId::from_random([1; 16]);
        tracker.record(key, Timestamp(10), KeyUsageOperation::Encrypt, "a");
        tracker.record(key, Timestamp(5), KeyUsageOperation::Decrypt, "b");
        assert_eq!(tracker.pending(&key).unwrap().request_id, "a");
        tracker.record(key, Timestamp(11), KeyUsageOperation::Decrypt, "c");
        assert_eq!(
            tracker.pending(&key).unwrap().operation,
            KeyUsageOperation::Decrypt
        );
        assert_eq!(tracker.take().len(), 1);
        assert!(tracker.pending(&key).is_none());
    }
}
