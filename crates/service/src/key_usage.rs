//! The last successful cryptographic use of each key (GetKeyLastUsage), kept in memory on the
//! hot path and written to the store in batches, never one write per request.
//!
//! A crash loses at most the uses since the last flush (the periodic pass flushes every few
//! seconds, and a graceful stop flushes); GetKeyLastUsage answers from memory first.

use kmsd_model::{KeyId, KeyUsageOperation, Timestamp};
use kmsd_store::KeyUsageRecord;
use std::collections::HashMap;
use std::sync::Mutex;

/// Unflushed uses, newest per key.
#[derive(Default)]
pub(crate) struct UsageTracker {
    pending: Mutex<HashMap<KeyId, KeyUsageRecord>>,
}

impl UsageTracker {
    pub fn record(
        &self,
        key_id: KeyId,
        at: Timestamp,
        operation: KeyUsageOperation,
        request_id: &str,
    ) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        match pending.get_mut(&key_id) {
            Some(existing) if existing.used_at > at => {}
            Some(existing) => {
                existing.used_at = at;
                existing.operation = operation;
                existing.request_id.clear();
                existing.request_id.push_str(request_id);
            }
            None => {
                pending.insert(
                    key_id,
                    KeyUsageRecord {
                        key_id,
                        used_at: at,
                        operation,
                        request_id: request_id.to_owned(),
                    },
                );
            }
        }
    }

    pub fn pending(&self, key_id: &KeyId) -> Option<KeyUsageRecord> {
        self.pending.lock().ok()?.get(key_id).cloned()
    }

    /// Takes every unflushed use (the caller writes them, and puts them back on failure).
    pub fn take(&self) -> Vec<KeyUsageRecord> {
        match self.pending.lock() {
            Ok(mut pending) => pending.drain().map(|(_, v)| v).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Puts back uses a failed flush could not write (newer ones recorded meanwhile win).
    pub fn restore(&self, usage: Vec<KeyUsageRecord>) {
        for u in usage {
            self.record(u.key_id, u.used_at, u.operation, &u.request_id);
        }
    }

    pub fn forget(&self, key_id: &KeyId) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(key_id);
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
