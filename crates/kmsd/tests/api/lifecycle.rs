//! The key lifecycle over service time: automatic and on-demand rotation, scheduled deletion
//! that erases, cancel, last usage — driven by the dev clock (never by sleeping) and checked
//! across restarts.

use crate::harness::*;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{IncludeKeyMaterial, KeyState, RotationType};

const DAY: u64 = 86_400;

fn advance(kmsd: &Kmsd, seconds: u64) {
    let response = kmsd.http(
        "POST",
        &format!("/dev/advance-clock?seconds={seconds}"),
        &[],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
}

async fn encrypt(kms: &aws_sdk_kms::Client, key: &str, text: &str) -> Blob {
    ok(kms
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(text.as_bytes().to_vec()))
        .send()
        .await)
    .ciphertext_blob
    .unwrap()
}

async fn decrypt(kms: &aws_sdk_kms::Client, blob: &Blob) -> String {
    let plain = ok(kms.decrypt().ciphertext_blob(blob.clone()).send().await)
        .plaintext
        .unwrap();
    String::from_utf8(plain.into_inner()).unwrap()
}

async fn current_material(kms: &aws_sdk_kms::Client, key: &str) -> String {
    ok(kms.describe_key().key_id(key).send().await)
        .key_metadata
        .unwrap()
        .current_key_material_id
        .unwrap()
}

#[tokio::test]
async fn automatic_rotation_every_90_days_keeps_old_ciphertexts_readable() {
    let mut kmsd = Kmsd::start();
    let mut kms = kmsd.client();
    let key = create_key(&kms).await;
    let first = current_material(&kms, &key).await;
    let status = ok(kms.get_key_rotation_status().key_id(&key).send().await);
    assert!(!status.key_rotation_enabled);
    ok(kms
        .enable_key_rotation()
        .key_id(&key)
        .rotation_period_in_days(90)
        .send()
        .await);
    let status = ok(kms.get_key_rotation_status().key_id(&key).send().await);
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    let next = status.next_rotation_date.unwrap().secs();
    assert!(
        (next - now_secs() - 90 * 86_400).abs() < 600,
        "next rotation {next}"
    );

    let mut blobs = vec![(encrypt(&kms, &key, "v0").await, "v0".to_owned())];
    // 89 days: nothing yet.
    advance(&kmsd, 89 * DAY);
    assert_eq!(current_material(&kms, &key).await, first);
    // Day 90 (and restarts in between): exactly one rotation per period.
    let mut seen = vec![first.clone()];
    for period in 1..=3 {
        advance(&kmsd, if period == 1 { DAY } else { 90 * DAY });
        kmsd.restart();
        kms = kmsd.client();
        let material = current_material(&kms, &key).await;
        assert!(!seen.contains(&material), "period {period} did not rotate");
        seen.push(material);
        let text = format!("v{period}");
        blobs.push((encrypt(&kms, &key, &text).await, text));
    }
    let rotations = ok(kms.list_key_rotations().key_id(&key).send().await);
    let entries = rotations.rotations();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|r| r.rotation_type == Some(RotationType::Automatic))
    );
    let all = ok(kms
        .list_key_rotations()
        .key_id(&key)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await);
    assert_eq!(all.rotations().len(), 4);
    // Every ciphertext, from every material, still decrypts.
    for (blob, text) in &blobs {
        assert_eq!(&decrypt(&kms, blob).await, text);
    }
    ok(kms.disable_key_rotation().key_id(&key).send().await);
    advance(&kmsd, 400 * DAY);
    assert_eq!(current_material(&kms, &key).await, seen[3]);
}

#[tokio::test]
async fn twenty_five_on_demand_rotations_then_limit_exceeded() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key = create_key(&kms).await;
    let mut blobs = Vec::new();
    for n in 0..25 {
        blobs.push(encrypt(&kms, &key, &format!("m{n}")).await);
        let out = ok(kms.rotate_key_on_demand().key_id(&key).send().await);
        assert!(out.key_id.is_some());
    }
    expect_error(
        kms.rotate_key_on_demand().key_id(&key).send().await,
        "LimitExceededException",
    );
    let page = ok(kms.list_key_rotations().key_id(&key).limit(10).send().await);
    assert_eq!(page.rotations().len(), 10);
    assert!(page.truncated);
    let mut total = page.rotations().len();
    let mut marker = page.next_marker;
    while let Some(m) = marker {
        let next = ok(kms.list_key_rotations().key_id(&key).marker(m).send().await);
        total += next.rotations().len();
        marker = next.next_marker;
    }
    assert_eq!(total, 25);
    for (n, blob) in blobs.iter().enumerate() {
        assert_eq!(decrypt(&kms, blob).await, format!("m{n}"));
    }
    // A disabled key can't rotate; a scheduled automatic rotation within 20 minutes conflicts.
    let other = create_key(&kms).await;
    ok(kms.disable_key().key_id(&other).send().await);
    expect_error(
        kms.rotate_key_on_demand().key_id(&other).send().await,
        "DisabledException",
    );
    expect_error(
        kms.enable_key_rotation().key_id(&other).send().await,
        "DisabledException",
    );
    ok(kms.enable_key().key_id(&other).send().await);
    ok(kms
        .enable_key_rotation()
        .key_id(&other)
        .rotation_period_in_days(90)
        .send()
        .await);
    advance(&kmsd, 90 * DAY - 600);
    expect_error(
        kms.rotate_key_on_demand().key_id(&other).send().await,
        "ConflictException",
    );
    expect_error(
        kms.enable_key_rotation()
            .key_id(&other)
            .rotation_period_in_days(89)
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn a_seven_day_deletion_erases_the_key_and_its_aliases() {
    let mut kmsd = Kmsd::start();
    let mut kms = kmsd.client();
    let (key, alias) = create_key_with_alias(&kms, "doomed").await;
    let blob = encrypt(&kms, &key, "gone soon").await;
    let scheduled = ok(kms
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await);
    assert_eq!(scheduled.key_state, Some(KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days, Some(7));
    assert_eq!(scheduled.key_id.as_deref(), Some(key_arn(&key).as_str()));
    let metadata = ok(kms.describe_key().key_id(&key).send().await)
        .key_metadata
        .unwrap();
    assert_eq!(metadata.key_state, Some(KeyState::PendingDeletion));
    assert!(metadata.deletion_date.is_some());
    let message = expect_error(
        kms.encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert!(message.ends_with("is pending deletion."), "{message}");
    expect_error(
        kms.decrypt().ciphertext_blob(blob.clone()).send().await,
        "KMSInvalidStateException",
    );
    expect_error(
        kms.schedule_key_deletion().key_id(&key).send().await,
        "KMSInvalidStateException",
    );
    expect_error(
        kms.schedule_key_deletion()
            .key_id(&key)
            .pending_window_in_days(6)
            .send()
            .await,
        "ValidationException",
    );
    advance(&kmsd, 6 * DAY);
    kmsd.restart();
    kms = kmsd.client();
    ok(kms.describe_key().key_id(&key).send().await);
    advance(&kmsd, DAY);
    for result in [
        kms.describe_key().key_id(&key).send().await.map(drop),
        kms.describe_key().key_id(&alias).send().await.map(drop),
    ] {
        expect_error(result, "NotFoundException");
    }
    assert!(
        ok(kms.list_aliases().send().await)
            .aliases()
            .iter()
            .all(|a| a.alias_name() != Some(alias.as_str()))
    );
    expect_error_in(
        kms.decrypt().ciphertext_blob(blob).send().await,
        &["InvalidCiphertextException", "NotFoundException"],
    );
    kmsd.restart();
    let kms = kmsd.client();
    expect_error(
        kms.describe_key().key_id(&key).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn a_deletion_that_came_due_while_stopped_runs_at_start() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key = create_key(&kms).await;
    let keeper = create_key(&kms).await;
    ok(kms
        .schedule_key_deletion()
        .key_id(&key)
        .pending_window_in_days(7)
        .send()
        .await);
    kmsd.terminate();
    // Eight days pass while kmsd is down.
    let offset_file = kmsd.data_dir().join("dev-clock-offset");
    let offset: i64 = std::fs::read_to_string(&offset_file)
        .map(|s| s.trim().parse().unwrap())
        .unwrap_or(0);
    std::fs::write(&offset_file, format!("{}\n", offset + 8 * 86_400_000)).unwrap();
    kmsd.restart();
    let kms = kmsd.client();
    expect_error(
        kms.describe_key().key_id(&key).send().await,
        "NotFoundException",
    );
    ok(kms.describe_key().key_id(&keeper).send().await);
}

#[tokio::test]
async fn canceling_brings_the_key_back_disabled() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key = create_key(&kms).await;
    let blob = encrypt(&kms, &key, "kept").await;
    expect_error(
        kms.cancel_key_deletion().key_id(&key).send().await,
        "KMSInvalidStateException",
    );
    ok(kms.schedule_key_deletion().key_id(&key).send().await);
    advance(&kmsd, 29 * DAY);
    let canceled = ok(kms.cancel_key_deletion().key_id(&key).send().await);
    assert_eq!(canceled.key_id.as_deref(), Some(key_arn(&key).as_str()));
    kmsd.restart();
    let kms = kmsd.client();
    let metadata = ok(kms.describe_key().key_id(&key).send().await)
        .key_metadata
        .unwrap();
    assert_eq!(metadata.key_state, Some(KeyState::Disabled));
    assert!(metadata.deletion_date.is_none());
    advance(&kmsd, 10 * DAY);
    ok(kms.enable_key().key_id(&key).send().await);
    assert_eq!(decrypt(&kms, &blob).await, "kept");
}

#[tokio::test]
async fn last_usage_is_tracked_and_survives_a_restart() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key = create_key(&kms).await;
    let fresh = ok(kms.get_key_last_usage().key_id(&key).send().await);
    assert!(fresh.key_last_usage.unwrap().operation.is_none());
    assert!(fresh.tracking_start_date.is_some());
    let blob = encrypt(&kms, &key, "x").await;
    let used = ok(kms.get_key_last_usage().key_id(&key).send().await);
    assert_eq!(
        used.key_last_usage
            .unwrap()
            .operation
            .map(|o| o.as_str().to_owned()),
        Some("Encrypt".to_owned())
    );
    decrypt(&kms, &blob).await;
    kmsd.terminate();
    kmsd.restart();
    let kms = kmsd.client();
    let after = ok(kms.get_key_last_usage().key_id(&key).send().await);
    let usage = after.key_last_usage.unwrap();
    assert_eq!(
        usage.operation.map(|o| o.as_str().to_owned()),
        Some("Decrypt".to_owned())
    );
    assert!(usage.kms_request_id.is_some());
    expect_error(
        kms.get_key_last_usage().key_id("alias/nope").send().await,
        "NotFoundException",
    );
}
