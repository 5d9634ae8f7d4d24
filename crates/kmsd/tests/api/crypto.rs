//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.

use std::collections::HashMap;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, EncryptionAlgorithmSpec};

use crate::harness::*;

fn ctx(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn encrypt(
    kms: &Client,
    key_id: &str,
    plaintext: &[u8],
    context: Option<HashMap<String, String>>,
) -> Blob {
    let out = ok(kms
        .encrypt()
        .key_id(key_id)
        .plaintext(Blob::new(plaintext))
        .set_encryption_context(context)
        .send()
        .await);
    out.ciphertext_blob.expect("CiphertextBlob")
}

async fn decrypt(kms: &Client, blob: &Blob, context: Option<HashMap<String, String>>) -> Vec<u8> {
    let out = ok(kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .set_encryption_context(context)
        .send()
        .await);
    out.plaintext.expect("Plaintext").into_inner()
}

#[tokio::test]
async fn encrypt_decrypt_round_trip() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let plaintext = b"attack at dawn \x00\xff binary ok";

    let out = ok(kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(&plaintext[..]))
        .send()
        .await);
    assert_eq!(
        out.key_id(),
        Some(key_arn(&id).as_str()),
        "KeyId is the key ARN"
    );
    assert_eq!(
        out.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let blob = out.ciphertext_blob.expect("CiphertextBlob");
    assert!(blob.as_ref().len() <= 6144);
    assert!(
        !blob
            .as_ref()
            .windows(plaintext.len())
            .any(|w| w == plaintext),
        "ciphertext contains the plaintext"
    );

    // Decrypt needs no KeyId: the blob names its key.
    let dec = ok(kms.decrypt().ciphertext_blob(blob.clone()).send().await);
    assert_eq!(dec.plaintext().map(|b| b.as_ref()), Some(&plaintext[..]));
    assert_eq!(dec.key_id(), Some(key_arn(&id).as_str()));
    assert_eq!(
        dec.encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );

    // Explicit EncryptionAlgorithm SYMMETRIC_DEFAULT is accepted on both sides.
    let again = ok(kms
        .encrypt()
        .key_id(&id)
        .plaintext(Blob::new(&plaintext[..]))
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await)
    .ciphertext_blob
    .expect("CiphertextBlob");
    assert_ne!(again, blob, "two encryptions of one plaintext must differ");
    let dec = ok(kms
        .decrypt()
        .ciphertext_blob(again)
        .encryption_algorithm(EncryptionAlgorithmSpec::SymmetricDefault)
        .send()
        .await);
    assert_eq!(dec.plaintext().map(|b| b.as_ref()), Some(&plaintext[..]));
}

#[tokio::test]
async fn encrypt_with_every_key_id_form_and_decrypt_with_matching_key_id() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (id, alias) = create_key_with_alias(&kms, "forms").await;
    let forms = [id.clone(), key_arn(&id), alias.clone(), alias_arn(&alias)];

    for form in &forms {
        let out = ok(kms
            .encrypt()
            .key_id(form)
            .plaintext(Blob::new("p"))
            .send()
            .await);
        assert_eq!(out.key_id(), Some(key_arn(&id).as_str()), "Encrypt({form})");
    }

    let blob = encrypt(&kms, &id, b"named", None).await;
    for form in &forms {
        let dec = ok(kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .key_id(form)
            .send()
            .await);
        assert_eq!(
            dec.plaintext().map(|b| b.as_ref()),
            Some(&b"named"[..]),
            "Decrypt(KeyId={form})"
        );
        assert_eq!(dec.key_id(), Some(key_arn(&id).as_str()));
    }
}

#[tokio::test]
async fn decrypt_with_another_key_is_incorrect_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let (other, other_alias) = create_key_with_alias(&kms, "other").await;
    let blob = encrypt(&kms, &id, b"mine", None).await;

    for wrong in [other.clone(), key_arn(&other), other_alias.clone()] {
        let result = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .key_id(&wrong)
            .send()
            .await;
        assert!(
            result
                .as_ref()
                .err()
                .and_then(|e| e.as_service_error())
                .is_some_and(|e| e.is_incorrect_key_exception()),
            "typed IncorrectKeyException expected for KeyId={wrong}: {result:?}"
        );
        expect_error(result, "IncorrectKeyException");
    }

    // A KeyId that names no key at all is NotFound.
    expect_error(
        kms.decrypt()
            .ciphertext_blob(blob)
            .key_id(random_uuid())
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn encryption_context_round_trips() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let context = ctx(&[
        ("purpose", "test"),
        ("tenant", "acme"),
        ("ünïcødé", "✓ value with spaces"),
        ("empty", ""),
    ]);
    let blob = encrypt(&kms, &id, b"with context", Some(context.clone())).await;
    assert_eq!(decrypt(&kms, &blob, Some(context)).await, b"with context");

    // Order is irrelevant: rebuild the map in another insertion order.
    let reordered = ctx(&[
        ("empty", ""),
        ("ünïcødé", "✓ value with spaces"),
        ("tenant", "acme"),
        ("purpose", "test"),
    ]);
    assert_eq!(decrypt(&kms, &blob, Some(reordered)).await, b"with context");
}

#[tokio::test]
async fn wrong_missing_or_extra_context_is_invalid_ciphertext() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let good = ctx(&[("purpose", "test"), ("tenant", "acme")]);
    let blob = encrypt(&kms, &id, b"bound", Some(good.clone())).await;

    let wrong_contexts = [
        None,
        Some(ctx(&[("purpose", "test")])),
        Some(ctx(&[
            ("purpose", "test"),
            ("tenant", "acme"),
            ("extra", "x"),
        ])),
        Some(ctx(&[("purpose", "TEST"), ("tenant", "acme")])),
        Some(ctx(&[("Purpose", "test"), ("tenant", "acme")])),
        Some(ctx(&[("purpose", "acme"), ("tenant", "test")])),
    ];
    for wrong in wrong_contexts {
        let result = kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .set_encryption_context(wrong.clone())
            .send()
            .await;
        assert!(
            result
                .as_ref()
                .err()
                .and_then(|e| e.as_service_error())
                .is_some_and(|e| e.is_invalid_ciphertext_exception()),
            "typed InvalidCiphertextException expected for context {wrong:?}: {result:?}"
        );
        expect_error(result, "InvalidCiphertextException");
    }
    assert_eq!(decrypt(&kms, &blob, Some(good)).await, b"bound");

    // No context at encryption: any context at decryption is wrong.
    let plain = encrypt(&kms, &id, b"unbound", None).await;
    expect_error(
        kms.decrypt()
            .ciphertext_blob(plain)
            .set_encryption_context(Some(ctx(&[("a", "b")])))
            .send()
            .await,
        "InvalidCiphertextException",
    );

    // The canonical form must be unambiguous: {"ab":"c"} is not {"a":"bc"}.
    let ab = encrypt(&kms, &id, b"ambiguous", Some(ctx(&[("ab", "c")]))).await;
    expect_error(
        kms.decrypt()
            .ciphertext_blob(ab)
            .set_encryption_context(Some(ctx(&[("a", "bc")])))
            .send()
            .await,
        "InvalidCiphertextException",
    );
}

#[tokio::test]
async fn every_single_byte_change_is_invalid_ciphertext() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let context = ctx(&[("k", "v")]);
    let blob = encrypt(&kms, &id, b"z", Some(context.clone())).await;
    let bytes = blob.as_ref().to_vec();
    assert!(!bytes.is_empty());

    let mut failures = Vec::new();
    for index in 0..bytes.len() {
        for mask in [0x01u8, 0x80] {
            let mut tampered = bytes.clone();
            tampered[index] ^= mask;
            let result = kms
                .decrypt()
                .ciphertext_blob(Blob::new(tampered))
                .set_encryption_context(Some(context.clone()))
                .send()
                .await;
            match result {
                Err(err) => {
                    let f = failure::<(), _>(Err(err));
                    if f.code != "InvalidCiphertextException" || f.status != 400 {
                        failures.push(format!("byte {index} ^ {mask:#04x}: {f:?}"));
                    }
                }
                Ok(out) => failures.push(format!(
                    "byte {index} ^ {mask:#04x}: decrypted to {:?}",
                    out.plaintext()
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} tampered blobs were not InvalidCiphertextException:\n{}",
        failures.len(),
        bytes.len() * 2,
        failures.join("\n")
    );

    // Truncated, extended and unrelated blobs.
    let mut variants = vec![
        bytes[..bytes.len() - 1].to_vec(),
        bytes[..bytes.len() / 2].to_vec(),
        bytes[..1].to_vec(),
        [bytes.clone(), vec![0]].concat(),
        vec![0u8; bytes.len()],
    ];
    variants.push(bytes.iter().rev().copied().collect());
    for variant in variants {
        expect_error(
            kms.decrypt()
                .ciphertext_blob(Blob::new(variant))
                .set_encryption_context(Some(context.clone()))
                .send()
                .await,
            "InvalidCiphertextException",
        );
    }

    // The original is still fine.
    assert_eq!(decrypt(&kms, &blob, Some(context)).await, b"z");
}

#[tokio::test]
async fn plaintext_and_ciphertext_size_limits() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    let max = vec![0xa5u8; 4096];
    let blob = encrypt(&kms, &id, &max, None).await;
    assert!(
        blob.as_ref().len() <= 6144,
        "ciphertext fits the 6144-byte limit"
    );
    assert_eq!(decrypt(&kms, &blob, None).await, max);

    let message = expect_error(
        kms.encrypt()
            .key_id(&id)
            .plaintext(Blob::new(vec![0u8; 4097]))
            .send()
            .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"
    );
    expect_error(
        kms.encrypt()
            .key_id(&id)
            .plaintext(Blob::new(Vec::new()))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.decrypt()
            .ciphertext_blob(Blob::new(Vec::new()))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.decrypt()
            .ciphertext_blob(Blob::new(vec![1u8; 6145]))
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn crypto_on_unknown_keys_is_not_found() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let missing = random_uuid();
    expect_error(
        kms.encrypt()
            .key_id(&missing)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.encrypt()
            .key_id("alias/nothing-here")
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.generate_data_key()
            .key_id(&missing)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.generate_data_key_without_plaintext()
            .key_id(&missing)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn re_encrypt_moves_ciphertext_to_the_destination_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let source = create_key(&kms).await;
    let (dest, dest_alias) = create_key_with_alias(&kms, "dest").await;
    let source_ctx = ctx(&[("stage", "source")]);
    let dest_ctx = ctx(&[("stage", "destination")]);
    let blob = encrypt(&kms, &source, b"move me", Some(source_ctx.clone())).await;

    let out = ok(kms
        .re_encrypt()
        .ciphertext_blob(blob.clone())
        .set_source_encryption_context(Some(source_ctx.clone()))
        .destination_key_id(&dest_alias)
        .set_destination_encryption_context(Some(dest_ctx.clone()))
        .send()
        .await);
    assert_eq!(out.source_key_id(), Some(key_arn(&source).as_str()));
    assert_eq!(out.key_id(), Some(key_arn(&dest).as_str()));
    assert_eq!(
        out.source_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    assert_eq!(
        out.destination_encryption_algorithm(),
        Some(&EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let moved = out.ciphertext_blob.expect("CiphertextBlob");

    let dec = ok(kms
        .decrypt()
        .ciphertext_blob(moved.clone())
        .set_encryption_context(Some(dest_ctx.clone()))
        .send()
        .await);
    assert_eq!(dec.plaintext().map(|b| b.as_ref()), Some(&b"move me"[..]));
    assert_eq!(dec.key_id(), Some(key_arn(&dest).as_str()));

    // The new blob is bound to the destination context and key.
    expect_error(
        kms.decrypt()
            .ciphertext_blob(moved.clone())
            .set_encryption_context(Some(source_ctx.clone()))
            .send()
            .await,
        "InvalidCiphertextException",
    );
    expect_error(
        kms.decrypt()
            .ciphertext_blob(moved)
            .key_id(&source)
            .set_encryption_context(Some(dest_ctx.clone()))
            .send()
            .await,
        "IncorrectKeyException",
    );

    // Source checks: wrong source key, wrong source context, unknown destination.
    expect_error(
        kms.re_encrypt()
            .ciphertext_blob(blob.clone())
            .source_key_id(&dest)
            .set_source_encryption_context(Some(source_ctx.clone()))
            .destination_key_id(&dest)
            .send()
            .await,
        "IncorrectKeyException",
    );
    expect_error(
        kms.re_encrypt()
            .ciphertext_blob(blob.clone())
            .destination_key_id(&dest)
            .send()
            .await,
        "InvalidCiphertextException",
    );
    expect_error(
        kms.re_encrypt()
            .ciphertext_blob(blob.clone())
            .set_source_encryption_context(Some(source_ctx.clone()))
            .destination_key_id(random_uuid())
            .send()
            .await,
        "NotFoundException",
    );

    // A disabled destination refuses, and so does a disabled source.
    ok(kms.disable_key().key_id(&dest).send().await);
    expect_error(
        kms.re_encrypt()
            .ciphertext_blob(blob.clone())
            .set_source_encryption_context(Some(source_ctx.clone()))
            .destination_key_id(&dest)
            .send()
            .await,
        "DisabledException",
    );
    ok(kms.enable_key().key_id(&dest).send().await);
    ok(kms.disable_key().key_id(&source).send().await);
    let message = expect_error(
        kms.re_encrypt()
            .ciphertext_blob(blob)
            .set_source_encryption_context(Some(source_ctx))
            .destination_key_id(&dest)
            .send()
            .await,
        "DisabledException",
    );
    assert_eq!(message, format!("{} is disabled.", key_arn(&source)));
}

#[tokio::test]
async fn generate_data_key_lengths_and_round_trip() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let (id, alias) = create_key_with_alias(&kms, "dek").await;
    let context = ctx(&[("object", "s3://bucket/key")]);

    let cases: [(Option<DataKeySpec>, Option<i32>, usize); 5] = [
        (Some(DataKeySpec::Aes256), None, 32),
        (Some(DataKeySpec::Aes128), None, 16),
        (None, Some(1), 1),
        (None, Some(64), 64),
        (None, Some(1024), 1024),
    ];
    for (spec, bytes, len) in cases {
        let out = ok(kms
            .generate_data_key()
            .key_id(&alias)
            .set_key_spec(spec.clone())
            .set_number_of_bytes(bytes)
            .set_encryption_context(Some(context.clone()))
            .send()
            .await);
        assert_eq!(out.key_id(), Some(key_arn(&id).as_str()));
        let plaintext = out.plaintext().expect("Plaintext").as_ref().to_vec();
        assert_eq!(plaintext.len(), len, "{spec:?} / {bytes:?}");
        let blob = out.ciphertext_blob().expect("CiphertextBlob").clone();
        assert_eq!(decrypt(&kms, &blob, Some(context.clone())).await, plaintext);
        expect_error(
            kms.decrypt().ciphertext_blob(blob).send().await,
            "InvalidCiphertextException",
        );
    }

    // Two data keys are different.
    let a = ok(kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await);
    let b = ok(kms
        .generate_data_key()
        .key_id(&id)
        .key_spec(DataKeySpec::Aes256)
        .send()
        .await);
    assert_ne!(a.plaintext(), b.plaintext());
}

#[tokio::test]
async fn generate_data_key_needs_exactly_one_size() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    expect_error(
        kms.generate_data_key()
            .key_id(&id)
            .key_spec(DataKeySpec::Aes256)
            .number_of_bytes(32)
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.generate_data_key().key_id(&id).send().await,
        "ValidationException",
    );
    for bad in [0, 1025, -1] {
        expect_error(
            kms.generate_data_key()
                .key_id(&id)
                .number_of_bytes(bad)
                .send()
                .await,
            "ValidationException",
        );
    }
    expect_error(
        kms.generate_data_key()
            .key_id(&id)
            .key_spec(DataKeySpec::from("AES_512"))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.generate_data_key_without_plaintext()
            .key_id(&id)
            .key_spec(DataKeySpec::Aes128)
            .number_of_bytes(16)
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.generate_data_key_without_plaintext()
            .key_id(&id)
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn generate_data_key_without_plaintext_decrypts_to_a_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let context = ctx(&[("purpose", "wrap")]);
    for (spec, len) in [(DataKeySpec::Aes256, 32), (DataKeySpec::Aes128, 16)] {
        let out = ok(kms
            .generate_data_key_without_plaintext()
            .key_id(key_arn(&id))
            .key_spec(spec.clone())
            .set_encryption_context(Some(context.clone()))
            .send()
            .await);
        assert_eq!(out.key_id(), Some(key_arn(&id).as_str()));
        let blob = out.ciphertext_blob().expect("CiphertextBlob").clone();
        assert_eq!(
            decrypt(&kms, &blob, Some(context.clone())).await.len(),
            len,
            "{spec:?}"
        );
    }
    let out = ok(kms
        .generate_data_key_without_plaintext()
        .key_id(&id)
        .number_of_bytes(7)
        .send()
        .await);
    let blob = out.ciphertext_blob().expect("CiphertextBlob").clone();
    assert_eq!(decrypt(&kms, &blob, None).await.len(), 7);
}

#[tokio::test]
async fn generate_random_lengths_and_limits() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();

    for len in [1, 32, 1024] {
        let out = ok(kms.generate_random().number_of_bytes(len).send().await);
        assert_eq!(
            out.plaintext().map(|b| b.as_ref().len()),
            Some(len as usize)
        );
    }
    let a = ok(kms.generate_random().number_of_bytes(32).send().await);
    let b = ok(kms.generate_random().number_of_bytes(32).send().await);
    assert_ne!(a.plaintext(), b.plaintext(), "random output repeats");

    let message = expect_error(
        kms.generate_random().number_of_bytes(1025).send().await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
    );
    let message = expect_error(
        kms.generate_random().number_of_bytes(0).send().await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    let message = expect_error(kms.generate_random().send().await, "ValidationException");
    assert_eq!(message, "NumberOfBytes is required.");
}
