//! The queue between appenders (async, any runtime) and the writer thread (plain blocking).
//!
//! Appenders take a place ([`Queue::space`]) before queueing, so the queue is bounded and a
//! full queue makes `append` wait, not grow. The writer is woken only when it is idle: while
//! it writes, syncs or lingers for a group commit, appends are a push under a mutex and no
//! system call — at tens of thousands of appends a second, one futex wake per append was a
//! large share of the trail's cost.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// What [`Queue::wait`] found.
pub(crate) enum Taken<C> {
    /// Everything queued, in order.
    Commands(Vec<C>),
    /// The deadline passed with nothing queued.
    Timeout,
    /// Nothing queued and no appender is left: stop.
    Orphaned,
}

#[derive(Debug)]
struct State<C> {
    commands: Vec<C>,
    /// The writer waits on the condition variable: whoever queues must wake it.
    writer_idle: bool,
    /// The last appender handle is gone.
    orphaned: bool,
    /// The writer stopped; appends are refused.
    stopped: bool,
}

pub(crate) struct Queue<C> {
    state: Mutex<State<C>>,
    arrived: Condvar,
    /// Free places. An appender takes (and forgets) one permit per command; the writer adds
    /// them back as it takes commands. Closed when the writer stops.
    space: tokio::sync::Semaphore,
}

/// Why a command was not queued.
#[derive(Debug)]
pub(crate) struct Refused;

impl<C> Queue<C> {
    pub fn new(capacity: usize) -> Queue<C> {
        Queue {
            state: Mutex::new(State {
                commands: Vec::new(),
                writer_idle: false,
                orphaned: false,
                stopped: false,
            }),
            arrived: Condvar::new(),
            space: tokio::sync::Semaphore::new(capacity),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<C>> {
        // A panic while holding this lock can only come from a push or a `take`: the state
        // is still consistent, so carry on with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a command, waiting for a place while the queue is full.
    pub async fn push(&self, command: C) -> Result<(), Refused> {
        let permit = self.space.acquire().await.map_err(|_| Refused)?;
        permit.forget();
        let wake = {
            let mut state = self.lock();
            if state.stopped {
                drop(state);
                self.space.add_permits(1);
                return Err(Refused);
            }
            state.commands.push(command);
            std::mem::take(&mut state.writer_idle)
        };
        if wake {
            self.arrived.notify_one();
        }
        Ok(())
    }

    /// Writer: waits until something is queued (taking all of it), `deadline` passes, or the
    /// last appender is gone.
    pub fn wait(&self, deadline: Option<Instant>) -> Taken<C> {
        let mut state = self.lock();
        loop {
            if !state.commands.is_empty() {
                state.writer_idle = false;
                let commands = std::mem::take(&mut state.commands);
                drop(state);
                self.space.add_permits(commands.len());
                return Taken::Commands(commands);
            }
            if state.orphaned {
                return Taken::Orphaned;
            }
            state.writer_idle = true;
            state = match deadline {
                None => self
                    .arrived
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        state.writer_idle = false;
                        return Taken::Timeout;
                    }
                    self.arrived
                        .wait_timeout(state, deadline - now)
                        .map(|(guard, _)| guard)
                        .unwrap_or_else(|e| e.into_inner().0)
                }
            };
        }
    }

    /// Writer: whatever is queued now, without waiting (and without asking to be woken).
    pub fn take_ready(&self) -> Vec<C> {
        let commands = std::mem::take(&mut self.lock().commands);
        self.space.add_permits(commands.len());
        commands
    }

    /// The last appender handle was dropped.
    pub fn orphan(&self) {
        self.lock().orphaned = true;
        self.arrived.notify_one();
    }

    /// Writer: stops taking commands. Returns those still queued (their appenders are
    /// answered by dropping them); later pushes are refused.
    pub fn stop(&self) -> Vec<C> {
        let rest = {
            let mut state = self.lock();
            state.stopped = true;
            std::mem::take(&mut state.commands)
        };
        self.space.close();
        rest
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn commands_arrive_in_order_and_places_come_back() {
        let queue = Queue::new(3);
        for i in 0..3 {
            queue.push(i).await.unwrap();
        }
        assert_eq!(queue.space.available_permits(), 0);
        match queue.wait(None) {
            Taken::Commands(c) => assert_eq!(c, vec![0, 1, 2]),
            _ => panic!("expected commands"),
        }
        assert_eq!(queue.space.available_permits(), 3);
        assert!(queue.take_ready().is_empty());
    }

    #[test]
    fn an_idle_writer_times_out_and_an_orphaned_one_stops() {
        let queue: Queue<u8> = Queue::new(1);
        let soon = Instant::now() + Duration::from_millis(1);
        assert!(matches!(queue.wait(Some(soon)), Taken::Timeout));
        queue.orphan();
        assert!(matches!(queue.wait(None), Taken::Orphaned));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_waiting_writer_is_woken_and_a_stopped_queue_refuses() {
        let queue = Arc::new(Queue::new(4));
        let writer = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || match queue.wait(None) {
                Taken::Commands(c) => c,
                _ => Vec::new(),
            })
        };
        queue.push(7u8).await.unwrap();
        assert_eq!(writer.join().unwrap(), vec![7]);
        queue.push(8).await.unwrap();
        assert_eq!(queue.stop(), vec![8]);
        assert!(queue.push(9).await.is_err());
    }
}
