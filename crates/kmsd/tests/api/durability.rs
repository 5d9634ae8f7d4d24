//! State survives `kill -9` and SIGTERM restarts; no plaintext key material reaches the disk.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeyState};

use crate::harness::*;

/// Everything a restart must preserve.
struct Fixture {
    enabled_key: String,
    disabled_key: String,
    /// Every key the server must list.
    all_keys: Vec<String>,
    alias: String,
    description: String,
    policy: String,
    tags: BTreeMap<String, String>,
    context: HashMap<String, String>,
    plaintext: Vec<u8>,
    ciphertext: Blob,
    data_key: Vec<u8>,
    data_key_blob: Blob,
}

async fn populate(kms: &Client) -> Fixture {
    let description = format!("durable {}", unique());
    let out = ok(kms
        .create_key()
        .description(&description)
        .tags(tag("owner", "durability"))
        .tags(tag("empty", ""))
        .send()
        .await);
    let enabled_key = out.key_metadata().expect("KeyMetadata").key_id().to_owned();
    let alias = format!("alias/durable-{}", unique());
    ok(kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&enabled_key)
        .send()
        .await);
    ok(kms
        .tag_resource()
        .key_id(&enabled_key)
        .tags(tag("added", "later"))
        .send()
        .await);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Id":"durable","Statement":[{{"Sid":"Root","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    ok(kms
        .put_key_policy()
        .key_id(&enabled_key)
        .policy_name("default")
        .policy(&policy)
        .send()
        .await);

    let disabled_key = create_key(kms).await;
    ok(kms.disable_key().key_id(&disabled_key).send().await);

    let context: HashMap<String, String> =
        HashMap::from([("app".to_owned(), "durability".to_owned())]);
    let plaintext = ok(kms.generate_random().number_of_bytes(48).send().await)
        .plaintext
        .expect("Plaintext")
        .into_inner();
    let ciphertext = ok(kms
        .encrypt()
        .key_id(&alias)
        .plaintext(Blob::new(plaintext.clone()))
        .set_encryption_context(Some(context.clone()))
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");

    let data = ok(kms
        .generate_data_key()
        .key_id(&enabled_key)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await);
    let data_key = data.plaintext().expect("Plaintext").as_ref().to_vec();
    let data_key_blob = data.ciphertext_blob().expect("CiphertextBlob").clone();

    Fixture {
        all_keys: vec![enabled_key.clone(), disabled_key.clone()],
        enabled_key,
        disabled_key,
        alias,
        description,
        policy,
        tags: BTreeMap::from([
            ("owner".to_owned(), "durability".to_owned()),
            ("empty".to_owned(), String::new()),
            ("added".to_owned(), "later".to_owned()),
        ]),
        context,
        plaintext,
        ciphertext,
        data_key,
        data_key_blob,
    }
}

async fn verify(kms: &Client, f: &Fixture) {
    let keys = ok(kms.list_keys().send().await);
    let mut ids: Vec<&str> = keys.keys().iter().filter_map(|k| k.key_id()).collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = f.all_keys.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected, "ListKeys after restart");

    let md = ok(kms.describe_key().key_id(&f.alias).send().await);
    let md = md.key_metadata().expect("KeyMetadata");
    assert_eq!(md.key_id(), f.enabled_key, "alias survives");
    assert_eq!(md.description(), Some(f.description.as_str()));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));

    let md = ok(kms.describe_key().key_id(&f.disabled_key).send().await);
    assert_eq!(
        md.key_metadata().and_then(|m| m.key_state()),
        Some(&KeyState::Disabled),
        "disabled state survives"
    );

    let tags = ok(kms.list_resource_tags().key_id(&f.enabled_key).send().await);
    let tags: BTreeMap<String, String> = tags
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
        .collect();
    assert_eq!(tags, f.tags, "tags survive");

    let policy = ok(kms
        .get_key_policy()
        .key_id(&f.enabled_key)
        .policy_name("default")
        .send()
        .await);
    assert_eq!(policy.policy(), Some(f.policy.as_str()), "policy survives");

    let dec = ok(kms
        .decrypt()
        .ciphertext_blob(f.ciphertext.clone())
        .set_encryption_context(Some(f.context.clone()))
        .send()
        .await);
    assert_eq!(
        dec.plaintext().map(|b| b.as_ref()),
        Some(f.plaintext.as_slice()),
        "old ciphertext decrypts"
    );
    let dec = ok(kms
        .decrypt()
        .ciphertext_blob(f.data_key_blob.clone())
        .send()
        .await);
    assert_eq!(
        dec.plaintext().map(|b| b.as_ref()),
        Some(f.data_key.as_slice()),
        "data key decrypts"
    );

    // The restarted server still encrypts with the same key.
    let blob = ok(kms
        .encrypt()
        .key_id(&f.alias)
        .plaintext(Blob::new("after restart"))
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");
    let dec = ok(kms.decrypt().ciphertext_blob(blob).send().await);
    assert_eq!(dec.key_id(), Some(key_arn(&f.enabled_key).as_str()));

    expect_error(
        kms.encrypt()
            .key_id(&f.disabled_key)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "DisabledException",
    );
}

#[tokio::test]
async fn state_survives_kill9() {
    let mut kmsd = Kmsd::start();
    let mut fixture = populate(&kmsd.client()).await;
    // The last acknowledged write must be durable too: kill straight after it.
    let last = create_key(&kmsd.client()).await;
    fixture.all_keys.push(last.clone());
    kmsd.kill9();
    kmsd.restart();
    let kms = kmsd.client();
    let md = ok(kms.describe_key().key_id(&last).send().await);
    assert_eq!(md.key_metadata().map(|m| m.key_id()), Some(last.as_str()));
    verify(&kms, &fixture).await;
}

#[tokio::test]
async fn state_survives_sigterm_restart_and_repeated_kill9() {
    let mut kmsd = Kmsd::start();
    let fixture = populate(&kmsd.client()).await;

    kmsd.terminate();
    kmsd.restart();
    verify(&kmsd.client(), &fixture).await;

    // Writes made after a restart are durable as well.
    ok(kmsd
        .client()
        .update_key_description()
        .key_id(&fixture.enabled_key)
        .description("changed after restart")
        .send()
        .await);
    kmsd.kill9();
    kmsd.restart();
    let md = ok(kmsd
        .client()
        .describe_key()
        .key_id(&fixture.enabled_key)
        .send()
        .await);
    assert_eq!(
        md.key_metadata().and_then(|m| m.description()),
        Some("changed after restart")
    );
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}"));
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fails if any file under `root` holds `secret` raw, in base64 or in hex.
fn assert_absent(root: &Path, what: &str, secret: &[u8]) {
    let encodings: Vec<(&str, Vec<u8>)> = vec![
        ("raw", secret.to_vec()),
        (
            "base64",
            base64(secret).trim_end_matches('=').as_bytes().to_vec(),
        ),
        ("hex", hex(secret).into_bytes()),
        ("HEX", hex(secret).to_uppercase().into_bytes()),
    ];
    let mut files = Vec::new();
    files_under(root, &mut files);
    assert!(!files.is_empty());
    for file in files {
        let content = std::fs::read(&file).unwrap_or_else(|e| panic!("read {file:?}: {e}"));
        for (encoding, needle) in &encodings {
            assert!(
                !content
                    .windows(needle.len())
                    .any(|w| w == needle.as_slice()),
                "{what} ({encoding}) found in {file:?}"
            );
        }
    }
}

#[tokio::test]
async fn data_dir_and_logs_hold_no_plaintext() {
    // The most verbose logging kmsd's own crates offer, so a debug line that prints a
    // plaintext or a request body is caught too.
    let mut kmsd = Kmsd::start_with_env(
        tempfile::tempdir().expect("temp dir"),
        &[("RUST_LOG", "trace")],
    );
    let kms = kmsd.client();
    let fixture = populate(&kms).await;
    let wrapped = ok(kms
        .generate_data_key_without_plaintext()
        .key_id(&fixture.enabled_key)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");
    let unwrapped = ok(kms.decrypt().ciphertext_blob(wrapped).send().await)
        .plaintext
        .expect("Plaintext")
        .into_inner();
    assert_eq!(unwrapped.len(), 32);

    // Right after kill -9 the write-ahead state is still on disk: scan it as it is.
    kmsd.kill9();
    assert_absent(kmsd.root(), "GenerateDataKey plaintext", &fixture.data_key);
    assert_absent(kmsd.root(), "Encrypt plaintext", &fixture.plaintext);
    assert_absent(kmsd.root(), "decrypted data key", &unwrapped);

    // And again after a restart, use and a clean shutdown.
    kmsd.restart();
    verify(&kmsd.client(), &fixture).await;
    kmsd.terminate();
    assert_absent(kmsd.root(), "GenerateDataKey plaintext", &fixture.data_key);
    assert_absent(kmsd.root(), "Encrypt plaintext", &fixture.plaintext);
    assert_absent(kmsd.root(), "decrypted data key", &unwrapped);
}
