//! The process contract and the dev-only endpoints: /health, /dev/advance-clock, stdout.

use crate::harness::*;

#[tokio::test]
async fn health_is_ok() {
    let kmsd = Kmsd::start();
    let response = kmsd.http("GET", "/health", &[], b"");
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn advance_clock_moves_creation_dates() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let before = ok(kms.create_key().send().await);
    let before = *before
        .key_metadata()
        .and_then(|m| m.creation_date())
        .expect("CreationDate");

    let response = kmsd.http("POST", "/dev/advance-clock?seconds=86400", &[], b"");
    assert_eq!(response.status, 200, "{}", response.text());

    // Requests are still signed with the real time: they must keep working.
    let after = ok(kms.create_key().send().await);
    let after = *after
        .key_metadata()
        .and_then(|m| m.creation_date())
        .expect("CreationDate");
    let gap = after.as_secs_f64() - before.as_secs_f64();
    assert!(
        gap >= 86400.0,
        "a key created after advancing a day must be at least a day younger (gap {gap}s)"
    );
    assert!(gap < 86400.0 + 300.0, "advanced far too much: {gap}s");
}

#[tokio::test]
async fn ready_line_is_the_only_stdout_and_sigterm_exits_cleanly() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    create_key(&kms).await;
    let response = kmsd.http("GET", "/health", &[], b"");
    assert_eq!(response.status, 200);
    kmsd.terminate();
    // Let the reader thread see EOF.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        kmsd.stdout_lines(),
        1,
        "stdout must hold exactly the ready line"
    );
}
