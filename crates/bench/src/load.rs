//! The timed part of a run: every connection replays prepared requests back to back for the
//! duration and records each latency.

use crate::http_client::Connection;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The figures of one timed run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: u64,
    /// Answers with a status other than 200, by status.
    pub failures: Vec<(u16, u64)>,
    pub transport_errors: u64,
    pub seconds: f64,
    /// Sorted latencies in microseconds.
    latencies_us: Vec<u32>,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// The `q` quantile (0–1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * q).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests,
            "seconds": self.seconds,
            "rps": self.rps().round(),
            "p50_ms": self.quantile_ms(0.50),
            "p99_ms": self.quantile_ms(0.99),
            "p999_ms": self.quantile_ms(0.999),
            "non_200": self.failures.iter().map(|(s, n)| serde_json::json!({"status": s, "count": n})).collect::<Vec<_>>(),
            "transport_errors": self.transport_errors,
        })
    }
}

/// Replays `requests` (cycling, each connection from its own offset) over `connections`
/// keep-alive connections to `addr` for `duration`.
pub async fn run(
    addr: &str,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
    duration: Duration,
) -> Outcome {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let addr = addr.to_owned();
        let requests = requests.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let mut failures: Vec<(u16, u64)> = Vec::new();
            let mut transport_errors = 0u64;
            let mut conn = None;
            let mut i = c.wrapping_mul(7919);
            while Instant::now() < deadline {
                if conn.is_none() {
                    match Connection::open(&addr).await {
                        Ok(c) => conn = Some(c),
                        Err(_) => {
                            transport_errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let Some(c) = conn.as_mut() else { continue };
                let request = &requests[i % requests.len()];
                i = i.wrapping_add(1);
                let t0 = Instant::now();
                match c.round_trip(request).await {
                    Ok(reply) => {
                        let us = t0.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                        latencies.push(us);
                        if reply.status != 200 {
                            match failures.iter_mut().find(|(s, _)| *s == reply.status) {
                                Some((_, n)) => *n += 1,
                                None => failures.push((reply.status, 1)),
                            }
                        }
                    }
                    Err(_) => {
                        transport_errors += 1;
                        conn = None;
                    }
                }
            }
            (latencies, failures, transport_errors)
        }));
    }
    let mut latencies_us = Vec::new();
    let mut failures: Vec<(u16, u64)> = Vec::new();
    let mut transport_errors = 0;
    for task in tasks {
        if let Ok((l, f, t)) = task.await {
            latencies_us.extend(l);
            for (status, n) in f {
                match failures.iter_mut().find(|(s, _)| *s == status) {
                    Some((_, m)) => *m += n,
                    None => failures.push((status, n)),
                }
            }
            transport_errors += t;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies_us.sort_unstable();
    Outcome {
        requests: latencies_us.len() as u64,
        failures,
        transport_errors,
        seconds,
        latencies_us,
    }
}
