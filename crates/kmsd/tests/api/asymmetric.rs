//! Asymmetric, HMAC and key-agreement keys: CreateKey / DescribeKey for every key spec, Sign and
//! Verify for every algorithm, GetPublicKey, RSA OAEP Encrypt / Decrypt / ReEncrypt,
//! GenerateMac / VerifyMac, DeriveSharedSecret, GenerateDataKeyPair(WithoutPlaintext), and the
//! errors AWS answers around them. Digests are computed with the openssl CLI (the test binary
//! has no hash dependency).

// CustomerMasterKeySpec is deprecated in the SDK, but AWS still returns and accepts it.
#![allow(deprecated)]

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    CustomerMasterKeySpec, DataKeyPairSpec, EncryptionAlgorithmSpec, KeyAgreementAlgorithmSpec,
    KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};

use crate::harness::*;

/// Every (KeySpec, KeyUsage) pair of the reference that AWS offers outside China.
fn every_pair() -> Vec<(KeySpec, KeyUsageType)> {
    use KeySpec as S;
    use KeyUsageType as U;
    vec![
        (S::Rsa2048, U::EncryptDecrypt),
        (S::Rsa2048, U::SignVerify),
        (S::Rsa3072, U::EncryptDecrypt),
        (S::Rsa3072, U::SignVerify),
        (S::Rsa4096, U::EncryptDecrypt),
        (S::Rsa4096, U::SignVerify),
        (S::EccNistP256, U::SignVerify),
        (S::EccNistP256, U::KeyAgreement),
        (S::EccNistP384, U::SignVerify),
        (S::EccNistP384, U::KeyAgreement),
        (S::EccNistP521, U::SignVerify),
        (S::EccNistP521, U::KeyAgreement),
        (S::EccSecgP256K1, U::SignVerify),
        (S::EccNistEdwards25519, U::SignVerify),
        (S::MlDsa44, U::SignVerify),
        (S::MlDsa65, U::SignVerify),
        (S::MlDsa87, U::SignVerify),
        (S::Hmac224, U::GenerateVerifyMac),
        (S::Hmac256, U::GenerateVerifyMac),
        (S::Hmac384, U::GenerateVerifyMac),
        (S::Hmac512, U::GenerateVerifyMac),
    ]
}

/// The signing algorithms AWS lists for a key spec, in AWS's order.
fn signing_algorithms(spec: &KeySpec) -> Vec<SigningAlgorithmSpec> {
    use SigningAlgorithmSpec as A;
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => vec![
            A::RsassaPkcs1V15Sha256,
            A::RsassaPkcs1V15Sha384,
            A::RsassaPkcs1V15Sha512,
            A::RsassaPssSha256,
            A::RsassaPssSha384,
            A::RsassaPssSha512,
        ],
        KeySpec::EccNistP256 | KeySpec::EccSecgP256K1 => vec![A::EcdsaSha256],
        KeySpec::EccNistP384 => vec![A::EcdsaSha384],
        KeySpec::EccNistP521 => vec![A::EcdsaSha512],
        KeySpec::EccNistEdwards25519 => vec![A::Ed25519Sha512, A::Ed25519PhSha512],
        KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => vec![A::MlDsaShake256],
        other => panic!("{other:?} does not sign"),
    }
}

fn mac_algorithm(spec: &KeySpec) -> MacAlgorithmSpec {
    match spec {
        KeySpec::Hmac224 => MacAlgorithmSpec::HmacSha224,
        KeySpec::Hmac256 => MacAlgorithmSpec::HmacSha256,
        KeySpec::Hmac384 => MacAlgorithmSpec::HmacSha384,
        KeySpec::Hmac512 => MacAlgorithmSpec::HmacSha512,
        other => panic!("{other:?} is not an HMAC spec"),
    }
}

/// The openssl digest name of an algorithm's hash (for DIGEST messages).
fn hash_name(algorithm: &SigningAlgorithmSpec) -> &'static str {
    let name = algorithm.as_str();
    if name.ends_with("_256") {
        "sha256"
    } else if name.ends_with("_384") {
        "sha384"
    } else {
        "sha512"
    }
}

/// `openssl dgst -<hash> -binary` of `data`.
fn openssl_digest(hash: &str, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", &format!("-{hash}"), "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run openssl dgst");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(data)
        .expect("write to openssl");
    let out = child.wait_with_output().expect("openssl output");
    assert!(out.status.success(), "openssl dgst -{hash} failed");
    out.stdout
}

async fn create(kms: &Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let out = ok(kms
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await);
    out.key_metadata().expect("KeyMetadata").key_id().to_owned()
}

async fn sign(
    kms: &Client,
    key: &str,
    message: &[u8],
    message_type: MessageType,
    algorithm: SigningAlgorithmSpec,
) -> Vec<u8> {
    let out = ok(kms
        .sign()
        .key_id(key)
        .message(Blob::new(message))
        .message_type(message_type)
        .signing_algorithm(algorithm.clone())
        .send()
        .await);
    assert_eq!(out.key_id(), Some(key_arn(key).as_str()));
    assert_eq!(out.signing_algorithm(), Some(&algorithm));
    out.signature.expect("Signature").into_inner()
}

type VerifyResult = Result<
    aws_sdk_kms::operation::verify::VerifyOutput,
    aws_sdk_kms::error::SdkError<aws_sdk_kms::operation::verify::VerifyError>,
>;

async fn verify(
    kms: &Client,
    key: &str,
    message: &[u8],
    message_type: MessageType,
    algorithm: SigningAlgorithmSpec,
    signature: &[u8],
) -> VerifyResult {
    kms.verify()
        .key_id(key)
        .message(Blob::new(message))
        .message_type(message_type)
        .signing_algorithm(algorithm)
        .signature(Blob::new(signature))
        .send()
        .await
}

/// Asserts Verify answered `KMSInvalidSignatureException` (typed, HTTP 400).
#[track_caller]
fn expect_invalid_signature(result: VerifyResult, what: &str) {
    assert!(
        result
            .as_ref()
            .err()
            .and_then(|e| e.as_service_error())
            .is_some_and(|e| e.is_kms_invalid_signature_exception()),
        "{what}: expected KMSInvalidSignatureException, got {result:?}"
    );
    expect_error(result, "KMSInvalidSignatureException");
}

#[tokio::test]
async fn every_key_spec_creates_and_describes_as_aws_does() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    for (spec, usage) in every_pair() {
        let what = format!("{spec:?} {usage:?}");
        let created = ok(kms
            .create_key()
            .key_spec(spec.clone())
            .key_usage(usage.clone())
            .send()
            .await);
        let md = created.key_metadata().expect("KeyMetadata");
        let described = ok(kms.describe_key().key_id(md.key_id()).send().await);
        assert_eq!(described.key_metadata(), Some(md), "{what}");
        assert!(is_lowercase_uuid(md.key_id()), "{what}");
        assert_eq!(md.key_spec(), Some(&spec), "{what}");
        assert_eq!(md.key_usage(), Some(&usage), "{what}");
        assert!(md.enabled(), "{what}");
        // The deprecated twin has no value for ML-DSA and Ed25519 keys.
        let cmk = md.customer_master_key_spec().map(|c| c.as_str().to_owned());
        match spec {
            KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87 => assert_eq!(cmk, None),
            KeySpec::EccNistEdwards25519 => assert_eq!(cmk, None),
            _ => assert_eq!(cmk.as_deref(), Some(spec.as_str()), "{what}"),
        }
        // Only symmetric keys have key material ids (they rotate).
        assert_eq!(md.current_key_material_id(), None, "{what}");
        let (enc, sig, mac, ka) = (
            md.encryption_algorithms(),
            md.signing_algorithms(),
            md.mac_algorithms(),
            md.key_agreement_algorithms(),
        );
        match usage {
            KeyUsageType::EncryptDecrypt => {
                assert_eq!(
                    enc,
                    [
                        EncryptionAlgorithmSpec::RsaesOaepSha1,
                        EncryptionAlgorithmSpec::RsaesOaepSha256
                    ],
                    "{what}"
                );
                assert!(sig.is_empty() && mac.is_empty() && ka.is_empty(), "{what}");
            }
            KeyUsageType::SignVerify => {
                assert_eq!(sig, signing_algorithms(&spec).as_slice(), "{what}");
                assert!(enc.is_empty() && mac.is_empty() && ka.is_empty(), "{what}");
            }
            KeyUsageType::KeyAgreement => {
                assert_eq!(ka, [KeyAgreementAlgorithmSpec::Ecdh], "{what}");
                assert!(enc.is_empty() && sig.is_empty() && mac.is_empty(), "{what}");
            }
            KeyUsageType::GenerateVerifyMac => {
                assert_eq!(mac, [mac_algorithm(&spec)], "{what}");
                assert!(enc.is_empty() && sig.is_empty() && ka.is_empty(), "{what}");
            }
            _ => unreachable!(),
        }
    }
    let keys = ok(kms.list_keys().send().await);
    assert_eq!(keys.keys().len(), every_pair().len());
}

#[tokio::test]
async fn invalid_spec_and_usage_pairs_are_refused() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    use KeySpec as S;
    use KeyUsageType as U;
    for (spec, usage) in [
        (S::Rsa2048, U::KeyAgreement),
        (S::Rsa3072, U::GenerateVerifyMac),
        (S::EccNistP256, U::EncryptDecrypt),
        (S::EccSecgP256K1, U::KeyAgreement),
        (S::EccNistEdwards25519, U::EncryptDecrypt),
        (S::MlDsa65, U::KeyAgreement),
        (S::Hmac256, U::SignVerify),
        (S::SymmetricDefault, U::GenerateVerifyMac),
    ] {
        let message = expect_error(
            kms.create_key()
                .key_spec(spec.clone())
                .key_usage(usage.clone())
                .send()
                .await,
            "ValidationException",
        );
        assert_eq!(
            message,
            format!(
                "KeyUsage {} is not compatible with KeySpec {}",
                usage.as_str(),
                spec.as_str()
            )
        );
    }
    // KeyUsage defaults to ENCRYPT_DECRYPT: right for RSA, wrong for ECC and HMAC.
    let rsa = ok(kms.create_key().key_spec(S::Rsa2048).send().await);
    assert_eq!(
        rsa.key_metadata().and_then(|m| m.key_usage()),
        Some(&U::EncryptDecrypt)
    );
    for spec in [S::EccNistP256, S::Hmac256, S::MlDsa44] {
        expect_error(
            kms.create_key().key_spec(spec).send().await,
            "ValidationException",
        );
    }
    // SM2 exists only in China Regions.
    let message = expect_error(
        kms.create_key()
            .key_spec(S::Sm2)
            .key_usage(U::SignVerify)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    assert!(message.contains("SM2"), "{message}");
    // The deprecated CustomerMasterKeySpec still works, but has no ML-DSA or Ed25519 value.
    let cmk = ok(kms
        .create_key()
        .customer_master_key_spec(CustomerMasterKeySpec::EccNistP384)
        .key_usage(U::SignVerify)
        .send()
        .await);
    assert_eq!(
        cmk.key_metadata().and_then(|m| m.key_spec()),
        Some(&S::EccNistP384)
    );
    expect_error(
        kms.create_key()
            .customer_master_key_spec(CustomerMasterKeySpec::from("ML_DSA_44"))
            .key_usage(U::SignVerify)
            .send()
            .await,
        "ValidationException",
    );
    let keys = ok(kms.list_keys().send().await);
    assert_eq!(keys.keys().len(), 2, "only the RSA and the P-384 key exist");
}

#[tokio::test]
async fn sign_and_verify_every_algorithm_raw_and_digest() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let message = b"kmsd signs this message".to_vec();
    for spec in [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256K1,
        KeySpec::EccNistEdwards25519,
        KeySpec::MlDsa44,
        KeySpec::MlDsa65,
        KeySpec::MlDsa87,
    ] {
        let key = create(&kms, spec.clone(), KeyUsageType::SignVerify).await;
        let other = if matches!(spec, KeySpec::EccNistP256) {
            Some(create(&kms, spec.clone(), KeyUsageType::SignVerify).await)
        } else {
            None
        };
        for algorithm in signing_algorithms(&spec) {
            let what = format!("{spec:?} {algorithm:?}");
            let (message_type, signed) = match algorithm {
                // Ed25519ph signs a SHA-512 digest only.
                SigningAlgorithmSpec::Ed25519PhSha512 => {
                    (MessageType::Digest, openssl_digest("sha512", &message))
                }
                _ => (MessageType::Raw, message.clone()),
            };
            let signature =
                sign(&kms, &key, &signed, message_type.clone(), algorithm.clone()).await;
            let out = ok(verify(
                &kms,
                &key,
                &signed,
                message_type.clone(),
                algorithm.clone(),
                &signature,
            )
            .await);
            assert!(out.signature_valid(), "{what}");
            assert_eq!(out.key_id(), Some(key_arn(&key).as_str()));
            assert_eq!(out.signing_algorithm(), Some(&algorithm));

            // RSA and ECDSA: a RAW signature verifies against the message's digest and back.
            if algorithm.as_str().starts_with("RSASSA") || algorithm.as_str().starts_with("ECDSA") {
                let digest = openssl_digest(hash_name(&algorithm), &message);
                let by_digest = ok(verify(
                    &kms,
                    &key,
                    &digest,
                    MessageType::Digest,
                    algorithm.clone(),
                    &signature,
                )
                .await);
                assert!(by_digest.signature_valid(), "{what} by digest");
                let digest_signature =
                    sign(&kms, &key, &digest, MessageType::Digest, algorithm.clone()).await;
                assert!(
                    ok(verify(
                        &kms,
                        &key,
                        &message,
                        MessageType::Raw,
                        algorithm.clone(),
                        &digest_signature
                    )
                    .await)
                    .signature_valid(),
                    "{what}: DIGEST signature over RAW message"
                );
            }

            // A changed message, a changed signature: KMSInvalidSignatureException.
            let mut tampered = signed.clone();
            tampered[0] ^= 1;
            expect_invalid_signature(
                verify(
                    &kms,
                    &key,
                    &tampered,
                    message_type.clone(),
                    algorithm.clone(),
                    &signature,
                )
                .await,
                &format!("{what} tampered message"),
            );
            let mut bad = signature.clone();
            let last = bad.len() - 1;
            bad[last] ^= 0x40;
            expect_invalid_signature(
                verify(
                    &kms,
                    &key,
                    &signed,
                    message_type.clone(),
                    algorithm.clone(),
                    &bad,
                )
                .await,
                &format!("{what} tampered signature"),
            );
            if let Some(other) = &other {
                expect_invalid_signature(
                    verify(&kms, other, &signed, message_type, algorithm, &signature).await,
                    &format!("{what} another key's signature"),
                );
            }
        }
    }
}

#[tokio::test]
async fn ml_dsa_signs_an_external_mu() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let key = create(&kms, KeySpec::MlDsa65, KeyUsageType::SignVerify).await;
    let mu = [0x5a_u8; 64];
    let signature = sign(
        &kms,
        &key,
        &mu,
        MessageType::ExternalMu,
        SigningAlgorithmSpec::MlDsaShake256,
    )
    .await;
    assert_eq!(signature.len(), 3309, "ML-DSA-65 signatures are 3309 bytes");
    let out = ok(verify(
        &kms,
        &key,
        &mu,
        MessageType::ExternalMu,
        SigningAlgorithmSpec::MlDsaShake256,
        &signature,
    )
    .await);
    assert!(out.signature_valid());
    let mut other_mu = mu;
    other_mu[63] ^= 1;
    expect_invalid_signature(
        verify(
            &kms,
            &key,
            &other_mu,
            MessageType::ExternalMu,
            SigningAlgorithmSpec::MlDsaShake256,
            &signature,
        )
        .await,
        "another mu",
    );
    // μ is exactly 64 bytes; ML-DSA takes no DIGEST.
    let message = expect_error(
        kms.sign()
            .key_id(&key)
            .message(Blob::new(vec![1u8; 32]))
            .message_type(MessageType::ExternalMu)
            .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
            .send()
            .await,
        "ValidationException",
    );
    assert!(message.contains("invalid length"), "{message}");
    expect_error(
        kms.sign()
            .key_id(&key)
            .message(Blob::new(vec![1u8; 32]))
            .message_type(MessageType::Digest)
            .signing_algorithm(SigningAlgorithmSpec::MlDsaShake256)
            .send()
            .await,
        "ValidationException",
    );
}

#[tokio::test]
async fn signing_requests_are_checked_like_aws() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let p256 = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let ed = create(&kms, KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify).await;
    let rsa_enc = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let symmetric = create_key(&kms).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let sign_with = |key: &str, message: Vec<u8>, mt: MessageType, alg: SigningAlgorithmSpec| {
        kms.sign()
            .key_id(key)
            .message(Blob::new(message))
            .message_type(mt)
            .signing_algorithm(alg)
            .send()
    };
    // An algorithm of another spec (or SM2DSA): InvalidKeyUsageException.
    for alg in [
        SigningAlgorithmSpec::EcdsaSha384,
        SigningAlgorithmSpec::RsassaPssSha256,
        SigningAlgorithmSpec::Sm2Dsa,
    ] {
        let message = expect_error(
            sign_with(&p256, b"m".to_vec(), MessageType::Raw, alg.clone()).await,
            "InvalidKeyUsageException",
        );
        assert_eq!(
            message,
            format!(
                "Algorithm {} is incompatible with key spec ECC_NIST_P256.",
                alg.as_str()
            )
        );
    }
    // Keys that do not sign: InvalidKeyUsageException naming the usage and the operation.
    for (key, usage) in [
        (&rsa_enc, "ENCRYPT_DECRYPT"),
        (&symmetric, "ENCRYPT_DECRYPT"),
        (&hmac, "GENERATE_VERIFY_MAC"),
    ] {
        let message = expect_error(
            sign_with(
                key,
                b"m".to_vec(),
                MessageType::Raw,
                SigningAlgorithmSpec::EcdsaSha256,
            )
            .await,
            "InvalidKeyUsageException",
        );
        assert_eq!(
            message,
            format!(
                "{} key usage is {usage} which is not valid for Sign.",
                key_arn(key)
            )
        );
        expect_error(
            verify(
                &kms,
                key,
                b"m",
                MessageType::Raw,
                SigningAlgorithmSpec::EcdsaSha256,
                &[1u8; 64],
            )
            .await,
            "InvalidKeyUsageException",
        );
    }
    // A digest of the wrong length.
    let message = expect_error(
        sign_with(
            &p256,
            vec![0u8; 48],
            MessageType::Digest,
            SigningAlgorithmSpec::EcdsaSha256,
        )
        .await,
        "ValidationException",
    );
    assert_eq!(
        message,
        "Digest is invalid length for algorithm ECDSA_SHA_256."
    );
    // Message types the algorithm does not take.
    for (alg, mt) in [
        (SigningAlgorithmSpec::Ed25519Sha512, MessageType::Digest),
        (SigningAlgorithmSpec::Ed25519PhSha512, MessageType::Raw),
    ] {
        expect_error(
            sign_with(&ed, vec![0u8; 64], mt, alg).await,
            "ValidationException",
        );
    }
    expect_error(
        sign_with(
            &p256,
            vec![0u8; 64],
            MessageType::ExternalMu,
            SigningAlgorithmSpec::EcdsaSha256,
        )
        .await,
        "ValidationException",
    );
    // Message size: 1–4096 bytes.
    ok(sign_with(
        &p256,
        vec![7u8; 4096],
        MessageType::Raw,
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .await);
    expect_error(
        sign_with(
            &p256,
            vec![7u8; 4097],
            MessageType::Raw,
            SigningAlgorithmSpec::EcdsaSha256,
        )
        .await,
        "ValidationException",
    );
    // MessageType defaults to RAW.
    let raw = ok(kms
        .sign()
        .key_id(&p256)
        .message(Blob::new(&b"default"[..]))
        .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
        .send()
        .await);
    let signature = raw.signature.expect("Signature").into_inner();
    assert!(
        ok(verify(
            &kms,
            &p256,
            b"default",
            MessageType::Raw,
            SigningAlgorithmSpec::EcdsaSha256,
            &signature
        )
        .await)
        .signature_valid()
    );
    // DryRun: a would-succeed request answers DryRunOperationException (HTTP 412).
    let dry = failure(
        kms.sign()
            .key_id(&p256)
            .message(Blob::new(&b"m"[..]))
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .dry_run(true)
            .send()
            .await,
    );
    assert_eq!(
        (dry.code.as_str(), dry.status),
        ("DryRunOperationException", 412)
    );
    // An alias works where a key id does; a disabled key does not sign.
    let alias = format!("alias/signer-{}", unique());
    ok(kms
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&p256)
        .send()
        .await);
    ok(sign_with(
        &alias,
        b"m".to_vec(),
        MessageType::Raw,
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .await);
    ok(kms.disable_key().key_id(&p256).send().await);
    expect_error(
        sign_with(
            &p256,
            b"m".to_vec(),
            MessageType::Raw,
            SigningAlgorithmSpec::EcdsaSha256,
        )
        .await,
        "DisabledException",
    );
}

#[tokio::test]
async fn get_public_key_gives_der_spki_and_metadata() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    for (spec, usage, spki_len) in [
        (KeySpec::Rsa2048, KeyUsageType::SignVerify, 294),
        (KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt, 294),
        (KeySpec::EccNistP256, KeyUsageType::KeyAgreement, 91),
        (KeySpec::EccNistP384, KeyUsageType::SignVerify, 120),
        (KeySpec::EccSecgP256K1, KeyUsageType::SignVerify, 88),
        (KeySpec::EccNistEdwards25519, KeyUsageType::SignVerify, 44),
        (KeySpec::MlDsa44, KeyUsageType::SignVerify, 1334),
    ] {
        let what = format!("{spec:?} {usage:?}");
        let key = create(&kms, spec.clone(), usage.clone()).await;
        let out = ok(kms.get_public_key().key_id(&key).send().await);
        assert_eq!(out.key_id(), Some(key_arn(&key).as_str()), "{what}");
        assert_eq!(out.key_spec(), Some(&spec), "{what}");
        assert_eq!(out.key_usage(), Some(&usage), "{what}");
        let der = out.public_key().expect("PublicKey").as_ref();
        assert_eq!(der.len(), spki_len, "{what}: DER SPKI length");
        assert_eq!(der[0], 0x30, "{what}: a DER SEQUENCE");
        let md = ok(kms.describe_key().key_id(&key).send().await);
        let md = md.key_metadata().expect("KeyMetadata");
        assert_eq!(out.signing_algorithms(), md.signing_algorithms(), "{what}");
        assert_eq!(
            out.encryption_algorithms(),
            md.encryption_algorithms(),
            "{what}"
        );
        assert_eq!(
            out.key_agreement_algorithms(),
            md.key_agreement_algorithms(),
            "{what}"
        );
        match spec {
            KeySpec::EccNistEdwards25519 | KeySpec::MlDsa44 => {
                assert_eq!(out.customer_master_key_spec(), None, "{what}")
            }
            _ => assert_eq!(
                out.customer_master_key_spec().map(|c| c.as_str()),
                Some(spec.as_str()),
                "{what}"
            ),
        }
        // The same key every time.
        let again = ok(kms.get_public_key().key_id(&key).send().await);
        assert_eq!(again.public_key(), out.public_key(), "{what}");
    }
    // Symmetric and HMAC keys have no public key.
    let symmetric = create_key(&kms).await;
    let hmac = create(&kms, KeySpec::Hmac384, KeyUsageType::GenerateVerifyMac).await;
    for key in [&symmetric, &hmac] {
        expect_error(
            kms.get_public_key().key_id(key).send().await,
            "UnsupportedOperationException",
        );
    }
    // A disabled key still gives its public key (as AWS does); one pending deletion does not.
    let key = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    ok(kms.disable_key().key_id(&key).send().await);
    ok(kms.get_public_key().key_id(&key).send().await);
    ok(kms.schedule_key_deletion().key_id(&key).send().await);
    expect_error(
        kms.get_public_key().key_id(&key).send().await,
        "KMSInvalidStateException",
    );
    expect_error(
        kms.get_public_key().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn rsa_encrypt_decrypt_and_re_encrypt() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let symmetric = create_key(&kms).await;
    for (algorithm, max) in [
        (EncryptionAlgorithmSpec::RsaesOaepSha1, 214),
        (EncryptionAlgorithmSpec::RsaesOaepSha256, 190),
    ] {
        let what = format!("{algorithm:?}");
        let plaintext = vec![0xa5u8; max];
        let out = ok(kms
            .encrypt()
            .key_id(&rsa)
            .plaintext(Blob::new(plaintext.clone()))
            .encryption_algorithm(algorithm.clone())
            .send()
            .await);
        assert_eq!(out.encryption_algorithm(), Some(&algorithm));
        let blob = out.ciphertext_blob.expect("CiphertextBlob");
        assert_eq!(blob.as_ref().len(), 256, "{what}: one RSA-2048 block");
        let dec = ok(kms
            .decrypt()
            .key_id(&rsa)
            .ciphertext_blob(blob.clone())
            .encryption_algorithm(algorithm.clone())
            .send()
            .await);
        assert_eq!(dec.plaintext().map(|p| p.as_ref()), Some(&plaintext[..]));
        assert_eq!(dec.key_id(), Some(key_arn(&rsa).as_str()));
        assert_eq!(dec.key_material_id(), None, "{what}: symmetric keys only");
        // One byte more than OAEP fits.
        let message = expect_error(
            kms.encrypt()
                .key_id(&rsa)
                .plaintext(Blob::new(vec![1u8; max + 1]))
                .encryption_algorithm(algorithm.clone())
                .send()
                .await,
            "ValidationException",
        );
        assert!(message.contains(&max.to_string()), "{what}: {message}");
        // Asymmetric Decrypt needs the KeyId and the algorithm.
        expect_error(
            kms.decrypt().ciphertext_blob(blob.clone()).send().await,
            "InvalidCiphertextException",
        );
        expect_error(
            kms.decrypt()
                .key_id(&rsa)
                .ciphertext_blob(blob.clone())
                .send()
                .await,
            "InvalidKeyUsageException",
        );
        // The other OAEP hash does not open it.
        let other = match algorithm {
            EncryptionAlgorithmSpec::RsaesOaepSha1 => EncryptionAlgorithmSpec::RsaesOaepSha256,
            _ => EncryptionAlgorithmSpec::RsaesOaepSha1,
        };
        expect_error(
            kms.decrypt()
                .key_id(&rsa)
                .ciphertext_blob(blob.clone())
                .encryption_algorithm(other)
                .send()
                .await,
            "InvalidCiphertextException",
        );
        // RSA ciphertext → symmetric ciphertext → RSA ciphertext.
        let moved = ok(kms
            .re_encrypt()
            .ciphertext_blob(blob)
            .source_key_id(&rsa)
            .source_encryption_algorithm(algorithm.clone())
            .destination_key_id(&symmetric)
            .send()
            .await);
        assert_eq!(moved.source_key_material_id(), None);
        assert!(moved.destination_key_material_id().is_some());
        let back = ok(kms
            .re_encrypt()
            .ciphertext_blob(moved.ciphertext_blob.expect("CiphertextBlob"))
            .destination_key_id(&rsa)
            .destination_encryption_algorithm(algorithm.clone())
            .send()
            .await);
        assert_eq!(back.destination_key_material_id(), None);
        assert!(back.source_key_material_id().is_some());
        let dec = ok(kms
            .decrypt()
            .key_id(&rsa)
            .ciphertext_blob(back.ciphertext_blob.expect("CiphertextBlob"))
            .encryption_algorithm(algorithm)
            .send()
            .await);
        assert_eq!(dec.plaintext().map(|p| p.as_ref()), Some(&plaintext[..]));
    }
    // No encryption context on asymmetric keys; no symmetric algorithm; no SM2PKE.
    expect_error(
        kms.encrypt()
            .key_id(&rsa)
            .plaintext(Blob::new(&b"x"[..]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha256)
            .encryption_context("purpose", "test")
            .send()
            .await,
        "ValidationException",
    );
    for algorithm in [None, Some(EncryptionAlgorithmSpec::Sm2Pke)] {
        let message = expect_error(
            kms.encrypt()
                .key_id(&rsa)
                .plaintext(Blob::new(&b"x"[..]))
                .set_encryption_algorithm(algorithm)
                .send()
                .await,
            "InvalidKeyUsageException",
        );
        assert!(
            message.contains("incompatible with key spec RSA_2048"),
            "{message}"
        );
    }
    // A symmetric key takes no RSA algorithm; a signing key does not encrypt.
    expect_error(
        kms.encrypt()
            .key_id(&symmetric)
            .plaintext(Blob::new(&b"x"[..]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    let signer = create(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    expect_error(
        kms.encrypt()
            .key_id(&signer)
            .plaintext(Blob::new(&b"x"[..]))
            .encryption_algorithm(EncryptionAlgorithmSpec::RsaesOaepSha1)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    // Data keys come from symmetric keys only.
    expect_error(
        kms.generate_data_key()
            .key_id(&rsa)
            .key_spec(aws_sdk_kms::types::DataKeySpec::Aes256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
}

#[tokio::test]
async fn hmac_generate_and_verify_mac() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let message = b"authenticate me".to_vec();
    let mut first_mac = None;
    for spec in [
        KeySpec::Hmac224,
        KeySpec::Hmac256,
        KeySpec::Hmac384,
        KeySpec::Hmac512,
    ] {
        let what = format!("{spec:?}");
        let key = create(&kms, spec.clone(), KeyUsageType::GenerateVerifyMac).await;
        let algorithm = mac_algorithm(&spec);
        let out = ok(kms
            .generate_mac()
            .key_id(&key)
            .message(Blob::new(message.clone()))
            .mac_algorithm(algorithm.clone())
            .send()
            .await);
        assert_eq!(out.key_id(), Some(key_arn(&key).as_str()));
        assert_eq!(out.mac_algorithm(), Some(&algorithm));
        let mac = out.mac.expect("Mac").into_inner();
        let bits: usize = spec.as_str()[5..].parse().expect("bits");
        assert_eq!(mac.len() * 8, bits, "{what}");
        // Deterministic: the same MAC again.
        let again = ok(kms
            .generate_mac()
            .key_id(&key)
            .message(Blob::new(message.clone()))
            .mac_algorithm(algorithm.clone())
            .send()
            .await);
        assert_eq!(again.mac().map(|m| m.as_ref()), Some(&mac[..]), "{what}");
        let verified = ok(kms
            .verify_mac()
            .key_id(&key)
            .message(Blob::new(message.clone()))
            .mac_algorithm(algorithm.clone())
            .mac(Blob::new(mac.clone()))
            .send()
            .await);
        assert!(verified.mac_valid(), "{what}");
        // Tampered message, tampered MAC, truncated MAC: KMSInvalidMacException.
        let mut bad_mac = mac.clone();
        bad_mac[0] ^= 1;
        for (msg, m) in [
            (b"authenticate mE".to_vec(), mac.clone()),
            (message.clone(), bad_mac),
            (message.clone(), mac[..mac.len() - 1].to_vec()),
        ] {
            let result = kms
                .verify_mac()
                .key_id(&key)
                .message(Blob::new(msg))
                .mac_algorithm(algorithm.clone())
                .mac(Blob::new(m))
                .send()
                .await;
            assert!(
                result
                    .as_ref()
                    .err()
                    .and_then(|e| e.as_service_error())
                    .is_some_and(|e| e.is_kms_invalid_mac_exception()),
                "{what}: {result:?}"
            );
            expect_error(result, "KMSInvalidMacException");
        }
        // Only the spec's own algorithm.
        let other = if algorithm == MacAlgorithmSpec::HmacSha256 {
            MacAlgorithmSpec::HmacSha512
        } else {
            MacAlgorithmSpec::HmacSha256
        };
        expect_error(
            kms.generate_mac()
                .key_id(&key)
                .message(Blob::new(message.clone()))
                .mac_algorithm(other)
                .send()
                .await,
            "InvalidKeyUsageException",
        );
        if spec == KeySpec::Hmac256 {
            first_mac = Some((key, mac));
        }
    }
    // Two HMAC_256 keys give different MACs: the key never leaves, but it is the key's own.
    let (first_key, first) = first_mac.expect("HMAC_256 key");
    let second_key = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let second = ok(kms
        .generate_mac()
        .key_id(&second_key)
        .message(Blob::new(message.clone()))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await);
    assert_ne!(second.mac().map(|m| m.as_ref()), Some(&first[..]));
    // Non-HMAC keys: InvalidKeyUsageException.
    let symmetric = create_key(&kms).await;
    let message_text = expect_error(
        kms.generate_mac()
            .key_id(&symmetric)
            .message(Blob::new(&b"m"[..]))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert!(message_text.ends_with("which is not valid for GenerateMac."));
    // HMAC keys neither encrypt nor sign nor rotate.
    expect_error(
        kms.encrypt()
            .key_id(&first_key)
            .plaintext(Blob::new(&b"m"[..]))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    expect_error(
        kms.enable_key_rotation().key_id(&first_key).send().await,
        "UnsupportedOperationException",
    );
}

#[tokio::test]
async fn derive_shared_secret_agrees_both_ways() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let public_key = |key: String| {
        let kms = kms.clone();
        async move {
            ok(kms.get_public_key().key_id(&key).send().await)
                .public_key
                .expect("PublicKey")
                .into_inner()
        }
    };
    for (spec, secret_len) in [
        (KeySpec::EccNistP256, 32),
        (KeySpec::EccNistP384, 48),
        (KeySpec::EccNistP521, 66),
    ] {
        let what = format!("{spec:?}");
        let a = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let b = create(&kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let (a_pub, b_pub) = (public_key(a.clone()).await, public_key(b.clone()).await);
        let derive = |key: &str, peer: &[u8]| {
            kms.derive_shared_secret()
                .key_id(key)
                .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
                .public_key(Blob::new(peer))
                .send()
        };
        let ab = ok(derive(&a, &b_pub).await);
        let ba = ok(derive(&b, &a_pub).await);
        assert_eq!(ab.key_id(), Some(key_arn(&a).as_str()));
        assert_eq!(
            ab.key_agreement_algorithm(),
            Some(&KeyAgreementAlgorithmSpec::Ecdh)
        );
        assert_eq!(ab.key_origin().map(|o| o.as_str()), Some("AWS_KMS"));
        let secret = ab.shared_secret().expect("SharedSecret").as_ref();
        assert_eq!(secret.len(), secret_len, "{what}");
        assert_eq!(
            ba.shared_secret().map(|s| s.as_ref()),
            Some(secret),
            "{what}: both sides derive the same secret"
        );
        // The peer key is validated: not DER, a point off the curve, another curve.
        let mut off_curve = b_pub.clone();
        let last = off_curve.len() - 1;
        off_curve[last] ^= 1;
        for bad in [b"not a key".to_vec(), off_curve] {
            expect_error(derive(&a, &bad).await, "ValidationException");
        }
        let other_spec = if spec == KeySpec::EccNistP256 {
            KeySpec::EccNistP384
        } else {
            KeySpec::EccNistP256
        };
        let other = create(&kms, other_spec, KeyUsageType::KeyAgreement).await;
        let other_pub = public_key(other).await;
        expect_error(derive(&a, &other_pub).await, "ValidationException");
    }
    // Only KEY_AGREEMENT keys.
    let signer = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let peer = public_key(signer.clone()).await;
    let message = expect_error(
        kms.derive_shared_secret()
            .key_id(&signer)
            .key_agreement_algorithm(KeyAgreementAlgorithmSpec::Ecdh)
            .public_key(Blob::new(peer))
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    assert_eq!(
        message,
        format!(
            "{} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.",
            key_arn(&signer)
        )
    );
}

#[tokio::test]
async fn data_key_pairs_for_every_spec() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let created = ok(kms.create_key().send().await);
    let md = created.key_metadata().expect("KeyMetadata");
    let key = md.key_id().to_owned();
    let material = md
        .current_key_material_id()
        .expect("material id")
        .to_owned();
    let context: HashMap<String, String> =
        HashMap::from([("purpose".to_owned(), "pairs".to_owned())]);
    for spec in [
        DataKeyPairSpec::Rsa2048,
        DataKeyPairSpec::Rsa3072,
        DataKeyPairSpec::Rsa4096,
        DataKeyPairSpec::EccNistP256,
        DataKeyPairSpec::EccNistP384,
        DataKeyPairSpec::EccNistP521,
        DataKeyPairSpec::EccSecgP256K1,
        DataKeyPairSpec::EccNistEdwards25519,
    ] {
        let what = format!("{spec:?}");
        let out = ok(kms
            .generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .set_encryption_context(Some(context.clone()))
            .send()
            .await);
        assert_eq!(out.key_id(), Some(key_arn(&key).as_str()));
        assert_eq!(out.key_pair_spec(), Some(&spec));
        assert_eq!(out.key_material_id(), Some(material.as_str()), "{what}");
        let private = out.private_key_plaintext().expect("PrivateKeyPlaintext");
        let public = out.public_key().expect("PublicKey");
        assert_eq!(private.as_ref()[0], 0x30, "{what}: PKCS#8 DER");
        assert_eq!(public.as_ref()[0], 0x30, "{what}: SPKI DER");
        // The encrypted private key is the plaintext one, under the context.
        let blob = out
            .private_key_ciphertext_blob()
            .expect("ciphertext")
            .clone();
        let dec = ok(kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .set_encryption_context(Some(context.clone()))
            .send()
            .await);
        assert_eq!(dec.plaintext(), Some(private), "{what}");
        expect_error(
            kms.decrypt().ciphertext_blob(blob).send().await,
            "InvalidCiphertextException",
        );
        let bare = ok(kms
            .generate_data_key_pair_without_plaintext()
            .key_id(&key)
            .key_pair_spec(spec.clone())
            .send()
            .await);
        assert!(bare.public_key().is_some(), "{what}");
        assert!(bare.private_key_ciphertext_blob().is_some(), "{what}");
        assert_ne!(bare.public_key(), Some(public), "{what}: a fresh pair");
    }
    // Two pairs of the same spec differ.
    let pair = |spec| {
        kms.generate_data_key_pair()
            .key_id(&key)
            .key_pair_spec(spec)
            .send()
    };
    let a = ok(pair(DataKeyPairSpec::EccNistP256).await);
    let b = ok(pair(DataKeyPairSpec::EccNistP256).await);
    assert_ne!(a.private_key_plaintext(), b.private_key_plaintext());
    // SM2 exists only in China; asymmetric keys don't wrap pairs.
    expect_error(
        pair(DataKeyPairSpec::Sm2).await,
        "UnsupportedOperationException",
    );
    let rsa = create(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    expect_error(
        kms.generate_data_key_pair()
            .key_id(&rsa)
            .key_pair_spec(DataKeyPairSpec::EccNistP256)
            .send()
            .await,
        "InvalidKeyUsageException",
    );
    let dry = failure(
        kms.generate_data_key_pair_without_plaintext()
            .key_id(&key)
            .key_pair_spec(DataKeyPairSpec::Rsa4096)
            .dry_run(true)
            .send()
            .await,
    );
    assert_eq!(
        (dry.code.as_str(), dry.status),
        ("DryRunOperationException", 412)
    );
}

#[tokio::test]
async fn asymmetric_keys_persist_and_do_not_rotate() {
    let mut kmsd = Kmsd::start();
    let kms = kmsd.client();
    let signer = create(&kms, KeySpec::EccNistP256, KeyUsageType::SignVerify).await;
    let hmac = create(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let public = ok(kms.get_public_key().key_id(&signer).send().await)
        .public_key
        .expect("PublicKey");
    let signature = sign(
        &kms,
        &signer,
        b"before restart",
        MessageType::Raw,
        SigningAlgorithmSpec::EcdsaSha256,
    )
    .await;
    let mac = ok(kms
        .generate_mac()
        .key_id(&hmac)
        .message(Blob::new(&b"before restart"[..]))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .send()
        .await)
    .mac
    .expect("Mac");
    // Asymmetric and HMAC keys don't rotate.
    for key in [&signer, &hmac] {
        expect_error(
            kms.enable_key_rotation().key_id(key).send().await,
            "UnsupportedOperationException",
        );
        expect_error(
            kms.rotate_key_on_demand().key_id(key).send().await,
            "UnsupportedOperationException",
        );
        expect_error(
            kms.get_key_rotation_status().key_id(key).send().await,
            "UnsupportedOperationException",
        );
    }
    let usage = ok(kms.get_key_last_usage().key_id(&signer).send().await);
    assert_eq!(
        usage
            .key_last_usage()
            .and_then(|u| u.operation())
            .map(|o| o.as_str()),
        Some("Sign")
    );

    kmsd.restart();
    let kms = kmsd.client();
    let again = ok(kms.get_public_key().key_id(&signer).send().await);
    assert_eq!(again.public_key(), Some(&public), "same key after restart");
    assert!(
        ok(verify(
            &kms,
            &signer,
            b"before restart",
            MessageType::Raw,
            SigningAlgorithmSpec::EcdsaSha256,
            &signature
        )
        .await)
        .signature_valid()
    );
    let verified = ok(kms
        .verify_mac()
        .key_id(&hmac)
        .message(Blob::new(&b"before restart"[..]))
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .mac(mac)
        .send()
        .await);
    assert!(verified.mac_valid());
}

#[tokio::test]
async fn signing_condition_keys_reach_the_key_policy() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    // Root may do anything except sign with anything but RSASSA_PSS_SHA_256 over a RAW message.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[
            {{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},
            {{"Effect":"Deny","Principal":"*","Action":"kms:Sign","Resource":"*",
              "Condition":{{"StringNotEquals":{{"kms:SigningAlgorithm":"RSASSA_PSS_SHA_256"}}}}}},
            {{"Effect":"Deny","Principal":"*","Action":"kms:Sign","Resource":"*",
              "Condition":{{"StringEquals":{{"kms:MessageType":"DIGEST"}}}}}}
        ]}}"#
    );
    let out = ok(kms
        .create_key()
        .key_spec(KeySpec::Rsa2048)
        .key_usage(KeyUsageType::SignVerify)
        .policy(policy)
        .send()
        .await);
    let key = out.key_metadata().expect("KeyMetadata").key_id().to_owned();
    sign(
        &kms,
        &key,
        b"allowed",
        MessageType::Raw,
        SigningAlgorithmSpec::RsassaPssSha256,
    )
    .await;
    let sign_with = |mt: MessageType, alg: SigningAlgorithmSpec, msg: Vec<u8>| {
        kms.sign()
            .key_id(&key)
            .message(Blob::new(msg))
            .message_type(mt)
            .signing_algorithm(alg)
            .send()
    };
    expect_error(
        sign_with(
            MessageType::Raw,
            SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
            b"denied".to_vec(),
        )
        .await,
        "AccessDeniedException",
    );
    expect_error(
        sign_with(
            MessageType::Digest,
            SigningAlgorithmSpec::RsassaPssSha256,
            vec![0u8; 32],
        )
        .await,
        "AccessDeniedException",
    );
}
