//! Unit tests across every spec × usage × algorithm × message type.

use crate::*;
use aws_lc_rs::digest;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One generated key for every valid (spec, usage) pair, made once for all tests.
fn key(spec: KeySpec, usage: KeyUsage) -> &'static PrivateKey {
    static KEYS: OnceLock<HashMap<(KeySpec, KeyUsage), PrivateKey>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let mut keys = HashMap::new();
        for spec in KeySpec::ALL.iter().filter(|s| !s.is_hmac()) {
            for usage in spec.key_usages() {
                keys.insert(
                    (*spec, *usage),
                    PrivateKey::generate(*spec, *usage).unwrap(),
                );
            }
        }
        keys
    });
    &keys[&(spec, usage)]
}

fn signing_specs() -> impl Iterator<Item = KeySpec> {
    KeySpec::ALL
        .iter()
        .copied()
        .filter(|s| s.supports_usage(KeyUsage::SignVerify))
}

fn hash_of(algorithm: SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    let alg = match algorithm.digest_len() {
        Some(32) => &digest::SHA256,
        Some(48) => &digest::SHA384,
        Some(64) => &digest::SHA512,
        _ => panic!("{algorithm} has no digest"),
    };
    digest::digest(alg, message).as_ref().to_vec()
}

/// The message to sign for `message_type`, derived from `raw`.
fn message_for(
    key: &PrivateKey,
    algorithm: SigningAlgorithmSpec,
    message_type: MessageType,
    raw: &[u8],
) -> Vec<u8> {
    match message_type {
        MessageType::Raw => raw.to_vec(),
        MessageType::Digest => hash_of(algorithm, raw),
        MessageType::ExternalMu => key.public_key().ml_dsa_external_mu(raw).unwrap().to_vec(),
    }
}

fn rng() -> SystemRandom {
    SystemRandom::new()
}

#[test]
fn keys_are_send_and_sync() {
    fn assert<T: Send + Sync>() {}
    assert::<PrivateKey>();
    assert::<PublicKey>();
    assert::<HmacKey>();
    assert::<DataKeyPair>();
}

#[test]
fn every_spec_and_usage_generates_and_reloads_from_pkcs8() {
    for spec in KeySpec::ALL.iter().copied().filter(|s| !s.is_hmac()) {
        for usage in spec.key_usages().iter().copied() {
            let key = key(spec, usage);
            assert_eq!((key.spec(), key.usage()), (spec, usage));
            assert_eq!(key.pkcs8_der()[0], 0x30, "{spec}");
            let reloaded = PrivateKey::from_pkcs8(spec, usage, key.pkcs8_der()).unwrap();
            assert_eq!(
                reloaded.public_key().spki(),
                key.public_key().spki(),
                "{spec}"
            );
            let public = PublicKey::from_spki(spec, usage, key.public_key().spki()).unwrap();
            assert_eq!((public.spec(), public.usage()), (spec, usage));
        }
    }
}

#[test]
fn spki_sizes_are_what_the_spec_says() {
    let len = |spec, usage| key(spec, usage).public_key().spki().len();
    assert_eq!(len(KeySpec::EccNistP256, KeyUsage::SignVerify), 91);
    assert_eq!(len(KeySpec::EccNistP384, KeyUsage::KeyAgreement), 120);
    assert_eq!(len(KeySpec::EccNistP521, KeyUsage::SignVerify), 158);
    assert_eq!(len(KeySpec::EccSecgP256k1, KeyUsage::SignVerify), 88);
    assert_eq!(len(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify), 44);
    assert_eq!(len(KeySpec::Rsa2048, KeyUsage::SignVerify), 294);
    assert_eq!(len(KeySpec::Rsa3072, KeyUsage::EncryptDecrypt), 422);
    assert_eq!(len(KeySpec::Rsa4096, KeyUsage::SignVerify), 550);
    assert_eq!(len(KeySpec::MlDsa44, KeyUsage::SignVerify), 1312 + 22);
    assert_eq!(len(KeySpec::MlDsa65, KeyUsage::SignVerify), 1952 + 22);
    assert_eq!(len(KeySpec::MlDsa87, KeyUsage::SignVerify), 2592 + 22);
}

#[test]
fn sign_verify_round_trips_for_every_algorithm_and_message_type() {
    let raw = b"the quick brown fox jumps over the lazy dog";
    let mut count = 0;
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        for algorithm in spec.signing_algorithms().iter().copied() {
            for message_type in algorithm.message_types().iter().copied() {
                let message = message_for(key, algorithm, message_type, raw);
                let signature = key.sign(algorithm, message_type, &message, &rng()).unwrap();
                let ok = key.verify(algorithm, message_type, &message, &signature);
                assert_eq!(
                    ok,
                    Ok(Verification::Valid),
                    "{spec} {algorithm} {message_type}"
                );
                let public =
                    PublicKey::from_spki(spec, KeyUsage::SignVerify, key.public_key().spki())
                        .unwrap();
                assert!(
                    public
                        .verify(algorithm, message_type, &message, &signature)
                        .unwrap()
                        .is_valid()
                );

                // Every byte position matters: first, middle, last.
                for i in [0, signature.len() / 2, signature.len() - 1] {
                    let mut tampered = signature.clone();
                    tampered[i] ^= 0x01;
                    assert_eq!(
                        key.verify(algorithm, message_type, &message, &tampered),
                        Ok(Verification::Invalid),
                        "{spec} {algorithm} {message_type} byte {i}"
                    );
                }
                let other = message_for(key, algorithm, message_type, b"another message");
                assert_eq!(
                    key.verify(algorithm, message_type, &other, &signature),
                    Ok(Verification::Invalid)
                );
                assert_eq!(
                    key.verify(
                        algorithm,
                        message_type,
                        &message,
                        &signature[..signature.len() - 1]
                    ),
                    Ok(Verification::Invalid)
                );
                assert_eq!(
                    key.verify(algorithm, message_type, &message, &[]),
                    Ok(Verification::Invalid)
                );
                count += 1;
            }
        }
    }
    // RSA 3 × 6 × 2, ECDSA 4 × 2, Ed25519 2, ML-DSA 3 × 2.
    assert_eq!(count, 36 + 8 + 2 + 6);
}

#[test]
fn a_signature_verifies_as_raw_and_as_digest_of_the_same_message() {
    let raw = b"sign once, verify either way";
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        for algorithm in spec.signing_algorithms().iter().copied() {
            let types = algorithm.message_types();
            if types.len() < 2 {
                continue;
            }
            let (a, b) = (types[0], types[1]);
            let sig_a = key
                .sign(algorithm, a, &message_for(key, algorithm, a, raw), &rng())
                .unwrap();
            let sig_b = key
                .sign(algorithm, b, &message_for(key, algorithm, b, raw), &rng())
                .unwrap();
            for (sig, t) in [(&sig_a, b), (&sig_b, a)] {
                assert_eq!(
                    key.verify(algorithm, t, &message_for(key, algorithm, t, raw), sig),
                    Ok(Verification::Valid),
                    "{spec} {algorithm} {t}"
                );
            }
        }
    }
}

#[test]
fn signature_encodings() {
    let message = b"encodings";
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        let algorithm = spec.signing_algorithms()[0];
        let message_type = algorithm.message_types()[0];
        let m = message_for(key, algorithm, message_type, message);
        let sig = key.sign(algorithm, message_type, &m, &rng()).unwrap();
        match spec {
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                assert_eq!(sig.len() * 8, spec.rsa_modulus_bits().unwrap());
            }
            KeySpec::EccNistEdwards25519 => assert_eq!(sig.len(), 64),
            KeySpec::MlDsa44 => assert_eq!(sig.len(), 2420),
            KeySpec::MlDsa65 => assert_eq!(sig.len(), 3309),
            KeySpec::MlDsa87 => assert_eq!(sig.len(), 4627),
            // ECDSA: a DER SEQUENCE of two INTEGERs.
            _ => {
                use crate::mldsa::tlv;
                let (0x30, body, []) = tlv(&sig).unwrap() else {
                    panic!("{spec}: not a DER SEQUENCE")
                };
                let (0x02, _r, rest) = tlv(body).unwrap() else {
                    panic!("{spec}: r")
                };
                let (0x02, _s, []) = tlv(rest).unwrap() else {
                    panic!("{spec}: s")
                };
            }
        }
    }
    // PKCS#1 v1.5 is deterministic; PSS, ECDSA and ML-DSA are not.
    let rsa = key(KeySpec::Rsa2048, KeyUsage::SignVerify);
    let sign = |alg| rsa.sign(alg, MessageType::Raw, message, &rng()).unwrap();
    assert_eq!(
        sign(SigningAlgorithmSpec::RsassaPkcs1V15Sha256),
        sign(SigningAlgorithmSpec::RsassaPkcs1V15Sha256)
    );
    assert_ne!(
        sign(SigningAlgorithmSpec::RsassaPssSha256),
        sign(SigningAlgorithmSpec::RsassaPssSha256)
    );
}

#[test]
fn unsupported_message_types_are_refused() {
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        for algorithm in spec.signing_algorithms().iter().copied() {
            for message_type in MessageType::ALL.iter().copied() {
                if algorithm.supports_message_type(message_type) {
                    continue;
                }
                let expected = Some(AsymmetricError::UnsupportedMessageType {
                    algorithm,
                    message_type,
                });
                let message = [0u8; 64];
                assert_eq!(
                    key.sign(algorithm, message_type, &message, &rng()).err(),
                    expected
                );
                assert_eq!(
                    key.verify(algorithm, message_type, &message, &[0u8; 64])
                        .err(),
                    expected
                );
            }
        }
    }
}

#[test]
fn algorithms_of_other_specs_are_refused() {
    let mut refused = 0;
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        for algorithm in SigningAlgorithmSpec::ALL.iter().copied() {
            if spec.signing_algorithms().contains(&algorithm) {
                continue;
            }
            let expected = AsymmetricError::UnsupportedAlgorithm {
                spec,
                algorithm: algorithm.as_str(),
            };
            assert_eq!(
                key.sign(algorithm, MessageType::Raw, b"m", &rng()),
                Err(expected.clone())
            );
            assert_eq!(
                key.verify(algorithm, MessageType::Raw, b"m", b"s"),
                Err(expected)
            );
            refused += 1;
        }
    }
    assert!(refused > 50);
    // ECDSA_SHA_384 on a P-256 key, and the others across curves.
    let p256 = key(KeySpec::EccNistP256, KeyUsage::SignVerify);
    assert!(matches!(
        p256.sign(
            SigningAlgorithmSpec::EcdsaSha384,
            MessageType::Raw,
            b"m",
            &rng()
        ),
        Err(AsymmetricError::UnsupportedAlgorithm { .. })
    ));
}

#[test]
fn digest_and_mu_lengths_must_match() {
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        for algorithm in spec.signing_algorithms().iter().copied() {
            for message_type in algorithm.message_types().iter().copied() {
                let expected = match message_type {
                    MessageType::Raw => continue,
                    MessageType::Digest => algorithm.digest_len().unwrap(),
                    MessageType::ExternalMu => EXTERNAL_MU_LEN,
                };
                for actual in [1, expected - 1, expected + 1, 20, 4096] {
                    if actual == expected {
                        continue;
                    }
                    let err = Some(AsymmetricError::DigestLength {
                        algorithm,
                        expected,
                        actual,
                    });
                    let message = vec![7u8; actual];
                    assert_eq!(
                        key.sign(algorithm, message_type, &message, &rng()).err(),
                        err,
                        "{spec} {algorithm} {message_type} {actual}"
                    );
                    assert_eq!(
                        key.verify(algorithm, message_type, &message, &[1u8; 64])
                            .err(),
                        err
                    );
                }
            }
        }
    }
}

#[test]
fn message_size_limits() {
    for spec in signing_specs() {
        let key = key(spec, KeyUsage::SignVerify);
        let algorithm = spec.signing_algorithms()[0];
        for message_type in algorithm.message_types().iter().copied() {
            for len in [0, MAX_MESSAGE_LEN + 1] {
                assert_eq!(
                    key.sign(algorithm, message_type, &vec![1u8; len], &rng()),
                    Err(AsymmetricError::MessageLength { len }),
                    "{spec}"
                );
                assert_eq!(
                    key.verify(algorithm, message_type, &vec![1u8; len], b"sig"),
                    Err(AsymmetricError::MessageLength { len })
                );
            }
        }
        if algorithm.supports_message_type(MessageType::Raw) {
            let max = vec![0xa5u8; MAX_MESSAGE_LEN];
            let sig = key.sign(algorithm, MessageType::Raw, &max, &rng()).unwrap();
            assert!(
                key.verify(algorithm, MessageType::Raw, &max, &sig)
                    .unwrap()
                    .is_valid()
            );
            let one = key.sign(algorithm, MessageType::Raw, b"x", &rng()).unwrap();
            assert!(
                key.verify(algorithm, MessageType::Raw, b"x", &one)
                    .unwrap()
                    .is_valid()
            );
        }
    }
    // The size check comes first, before the usage check.
    let enc = key(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
    assert_eq!(
        enc.sign(
            SigningAlgorithmSpec::RsassaPssSha256,
            MessageType::Raw,
            &[],
            &rng()
        ),
        Err(AsymmetricError::MessageLength { len: 0 })
    );
}

#[test]
fn wrong_usage_is_refused() {
    use Operation::*;
    let wrong = |usage, operation| Some(AsymmetricError::WrongKeyUsage { usage, operation });
    let pss = SigningAlgorithmSpec::RsassaPssSha256;
    let oaep = EncryptionAlgorithmSpec::RsaesOaepSha256;

    let rsa_enc = key(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
    assert_eq!(
        rsa_enc.sign(pss, MessageType::Raw, b"m", &rng()).err(),
        wrong(KeyUsage::EncryptDecrypt, Sign)
    );
    assert_eq!(
        rsa_enc.verify(pss, MessageType::Raw, b"m", b"s").err(),
        wrong(KeyUsage::EncryptDecrypt, Verify)
    );

    let rsa_sign = key(KeySpec::Rsa2048, KeyUsage::SignVerify);
    assert_eq!(
        rsa_sign.encrypt(oaep, b"m").err(),
        wrong(KeyUsage::SignVerify, Encrypt)
    );
    assert_eq!(
        rsa_sign.decrypt(oaep, &[0u8; 256]).err(),
        wrong(KeyUsage::SignVerify, Decrypt)
    );
    assert_eq!(
        rsa_sign.public_key().max_plaintext_len(oaep).err(),
        wrong(KeyUsage::SignVerify, Encrypt)
    );

    let ecdh = key(KeySpec::EccNistP256, KeyUsage::KeyAgreement);
    assert_eq!(
        ecdh.sign(
            SigningAlgorithmSpec::EcdsaSha256,
            MessageType::Raw,
            b"m",
            &rng()
        )
        .err(),
        wrong(KeyUsage::KeyAgreement, Sign)
    );
    let ecdsa = key(KeySpec::EccNistP256, KeyUsage::SignVerify);
    assert_eq!(
        ecdsa
            .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, ecdh.public_key().spki())
            .err(),
        wrong(KeyUsage::SignVerify, DeriveSharedSecret)
    );
    assert_eq!(
        rsa_enc
            .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, ecdh.public_key().spki())
            .err(),
        wrong(KeyUsage::EncryptDecrypt, DeriveSharedSecret)
    );
    assert_eq!(
        key(KeySpec::MlDsa44, KeyUsage::SignVerify)
            .encrypt(oaep, b"m")
            .err(),
        wrong(KeyUsage::SignVerify, Encrypt)
    );
    let err = wrong(KeyUsage::SignVerify, Encrypt).unwrap();
    assert_eq!(
        err.to_string(),
        "key usage is SIGN_VERIFY which is not valid for Encrypt"
    );
}

#[test]
fn invalid_spec_and_usage_pairs_are_refused() {
    for spec in KeySpec::ALL.iter().copied() {
        for usage in KeyUsage::ALL.iter().copied() {
            if spec.supports_usage(usage) && !spec.is_hmac() {
                continue;
            }
            let expected = AsymmetricError::UnsupportedKeyUsage { spec, usage };
            assert_eq!(
                PrivateKey::generate(spec, usage).map(|_| ()),
                Err(expected.clone()),
                "{spec} {usage}"
            );
            assert_eq!(
                PrivateKey::from_pkcs8(spec, usage, &[0x30, 0]).map(|_| ()),
                Err(expected.clone())
            );
            if !spec.supports_usage(usage) {
                assert_eq!(
                    PublicKey::from_spki(spec, usage, &[0x30, 0]).map(|_| ()),
                    Err(expected)
                );
            }
        }
    }
}

#[test]
fn rsa_oaep_round_trips_at_the_size_limits() {
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let key = key(spec, KeyUsage::EncryptDecrypt);
        for algorithm in spec.encryption_algorithms().iter().copied() {
            let max = algorithm.max_plaintext_len(spec).unwrap();
            assert_eq!(key.public_key().max_plaintext_len(algorithm), Ok(max));
            for len in [1, 32, max] {
                let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let ciphertext = key.encrypt(algorithm, &plaintext).unwrap();
                assert_eq!(ciphertext.len() * 8, spec.rsa_modulus_bits().unwrap());
                let decrypted = key.decrypt(algorithm, &ciphertext).unwrap();
                assert_eq!(
                    decrypted.as_slice(),
                    plaintext.as_slice(),
                    "{spec} {algorithm}"
                );
                // Randomized: the same plaintext encrypts differently.
                assert_ne!(key.encrypt(algorithm, &plaintext).unwrap(), ciphertext);
            }
            for len in [0, max + 1] {
                assert_eq!(
                    key.encrypt(algorithm, &vec![1u8; len]),
                    Err(AsymmetricError::PlaintextLength { len, max })
                );
            }
        }
    }
}

#[test]
fn rsa_oaep_decryption_failures_are_all_invalid_ciphertext() {
    use EncryptionAlgorithmSpec::*;
    let key2048 = key(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt);
    let ciphertext = key2048.encrypt(RsaesOaepSha256, b"secret").unwrap();
    let invalid = Err(AsymmetricError::InvalidCiphertext);
    let decrypt = |k: &PrivateKey, a, c: &[u8]| k.decrypt(a, c).map(|p| p.to_vec());

    assert_eq!(decrypt(key2048, RsaesOaepSha1, &ciphertext), invalid);
    let mut tampered = ciphertext.clone();
    tampered[100] ^= 0x80;
    assert_eq!(decrypt(key2048, RsaesOaepSha256, &tampered), invalid);
    assert_eq!(decrypt(key2048, RsaesOaepSha256, &ciphertext[1..]), invalid);
    assert_eq!(decrypt(key2048, RsaesOaepSha256, &[]), invalid);
    let other = PrivateKey::generate(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt).unwrap();
    assert_eq!(decrypt(&other, RsaesOaepSha256, &ciphertext), invalid);
    let key3072 = key(KeySpec::Rsa3072, KeyUsage::EncryptDecrypt);
    assert_eq!(decrypt(key3072, RsaesOaepSha256, &ciphertext), invalid);
    assert_eq!(
        decrypt(key2048, RsaesOaepSha256, &ciphertext).unwrap(),
        b"secret"
    );
}

#[test]
fn hmac_generate_and_verify_for_every_spec() {
    let hmac_specs = [
        (KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224, 28),
        (KeySpec::Hmac256, MacAlgorithmSpec::HmacSha256, 32),
        (KeySpec::Hmac384, MacAlgorithmSpec::HmacSha384, 48),
        (KeySpec::Hmac512, MacAlgorithmSpec::HmacSha512, 64),
    ];
    for (spec, algorithm, len) in hmac_specs {
        let key = HmacKey::generate(spec, &rng()).unwrap();
        assert_eq!(key.spec(), spec);
        assert_eq!(key.material().len(), len);
        assert_ne!(
            key.material(),
            HmacKey::generate(spec, &rng()).unwrap().material()
        );
        let mac = key.generate_mac(algorithm, b"message").unwrap();
        assert_eq!(mac.len(), algorithm.mac_len());
        assert_eq!(mac, key.generate_mac(algorithm, b"message").unwrap());
        assert_eq!(
            key.verify_mac(algorithm, b"message", &mac),
            Ok(Verification::Valid)
        );
        let reloaded = HmacKey::from_bytes(spec, key.material()).unwrap();
        assert_eq!(reloaded.generate_mac(algorithm, b"message").unwrap(), mac);

        let mut tampered = mac.clone();
        tampered[len / 2] ^= 1;
        for bad in [
            &tampered[..],
            &mac[..len - 1],
            &[][..],
            &[mac.clone(), vec![0]].concat()[..],
        ] {
            assert_eq!(
                key.verify_mac(algorithm, b"message", bad),
                Ok(Verification::Invalid)
            );
        }
        assert_eq!(
            key.verify_mac(algorithm, b"messagE", &mac),
            Ok(Verification::Invalid)
        );
        for other in MacAlgorithmSpec::ALL
            .iter()
            .copied()
            .filter(|a| *a != algorithm)
        {
            let err = Some(AsymmetricError::UnsupportedAlgorithm {
                spec,
                algorithm: other.as_str(),
            });
            assert_eq!(key.generate_mac(other, b"m").err(), err);
            assert_eq!(key.verify_mac(other, b"m", &mac).err(), err);
        }
        for bad_len in [0, MAX_MESSAGE_LEN + 1] {
            assert_eq!(
                key.generate_mac(algorithm, &vec![0; bad_len]),
                Err(AsymmetricError::MessageLength { len: bad_len })
            );
        }
        assert!(key.generate_mac(algorithm, &[0; MAX_MESSAGE_LEN]).is_ok());
        assert!(!format!("{key:?}").contains(&format!("{:?}", key.material())));
    }
}

#[test]
fn hmac_material_lengths() {
    assert!(HmacKey::from_bytes(KeySpec::Hmac256, b"Jefe").is_err());
    assert!(HmacKey::from_bytes(KeySpec::Hmac224, &[1; 27]).is_err());
    assert!(HmacKey::from_bytes(KeySpec::Hmac224, &[1; 28]).is_ok());
    assert!(HmacKey::from_bytes(KeySpec::Hmac224, &[1; 64]).is_ok());
    assert!(HmacKey::from_bytes(KeySpec::Hmac224, &[1; 65]).is_err());
    assert!(HmacKey::from_bytes(KeySpec::Hmac512, &[1; 63]).is_err());
    assert!(HmacKey::from_bytes(KeySpec::Hmac512, &[1; 128]).is_ok());
    assert_eq!(
        HmacKey::from_bytes(KeySpec::Rsa2048, &[1; 32]).map(|_| ()),
        Err(AsymmetricError::UnsupportedKeyUsage {
            spec: KeySpec::Rsa2048,
            usage: KeyUsage::GenerateVerifyMac
        })
    );
    assert!(HmacKey::generate(KeySpec::EccNistP256, &rng()).is_err());
}

#[test]
fn ecdh_both_sides_derive_the_same_secret() {
    for (spec, len) in [
        (KeySpec::EccNistP256, 32),
        (KeySpec::EccNistP384, 48),
        (KeySpec::EccNistP521, 66),
    ] {
        let ours = key(spec, KeyUsage::KeyAgreement);
        let theirs = PrivateKey::generate(spec, KeyUsage::KeyAgreement).unwrap();
        let a = ours
            .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, theirs.public_key().spki())
            .unwrap();
        let b = theirs
            .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, ours.public_key().spki())
            .unwrap();
        assert_eq!(a.len(), len);
        assert_eq!(a.as_slice(), b.as_slice(), "{spec}");
        // Any SPKI on the curve will do, e.g. a signing key's.
        let signer = key(spec, KeyUsage::SignVerify);
        assert!(
            ours.derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, signer.public_key().spki())
                .is_ok()
        );
    }
}

#[test]
fn ecdh_peer_keys_are_validated() {
    let ours = key(KeySpec::EccNistP256, KeyUsage::KeyAgreement);
    let derive = |peer: &[u8]| {
        ours.derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, peer)
            .map(|s| s.to_vec())
    };
    let invalid = Err(AsymmetricError::InvalidPeerPublicKey);
    let mismatch = Err(AsymmetricError::PeerPublicKeyCurveMismatch {
        expected: KeySpec::EccNistP256,
    });

    for other in [KeySpec::EccNistP384, KeySpec::EccNistP521] {
        assert_eq!(
            derive(key(other, KeyUsage::KeyAgreement).public_key().spki()),
            mismatch
        );
    }
    let peer = key(KeySpec::EccNistP256, KeyUsage::SignVerify)
        .public_key()
        .spki();
    // A bare point (the SPKI's last 65 bytes) is not an SPKI.
    assert_eq!(derive(&peer[peer.len() - 65..]), invalid);
    // A point off the curve.
    let mut off_curve = peer.to_vec();
    let last = off_curve.len() - 1;
    off_curve[last] ^= 1;
    assert_eq!(derive(&off_curve), invalid);
    // Other key types, truncation, garbage.
    for bad in [
        key(KeySpec::EccSecgP256k1, KeyUsage::SignVerify)
            .public_key()
            .spki(),
        key(KeySpec::Rsa2048, KeyUsage::SignVerify)
            .public_key()
            .spki(),
        key(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify)
            .public_key()
            .spki(),
        &peer[..peer.len() - 1],
        &[0x30, 0x00][..],
        &[][..],
    ] {
        assert_eq!(derive(bad), invalid);
    }
    assert!(derive(peer).is_ok());
}

#[test]
fn data_key_pairs_for_every_spec() {
    for spec in DataKeyPairSpec::ALL.iter().copied() {
        let pair = DataKeyPair::generate(spec).unwrap();
        assert_eq!(pair.spec(), spec);
        let key = PrivateKey::from_pkcs8(
            spec.key_spec(),
            KeyUsage::SignVerify,
            pair.private_key_pkcs8(),
        )
        .unwrap();
        assert_eq!(key.public_key().spki(), pair.public_key_spki(), "{spec}");
        let algorithm = spec.key_spec().signing_algorithms()[0];
        let m = message_for(
            &key,
            algorithm,
            algorithm.message_types()[0],
            b"data key pair",
        );
        let sig = key
            .sign(algorithm, algorithm.message_types()[0], &m, &rng())
            .unwrap();
        let public = PublicKey::from_spki(
            spec.key_spec(),
            KeyUsage::SignVerify,
            pair.public_key_spki(),
        )
        .unwrap();
        assert!(
            public
                .verify(algorithm, algorithm.message_types()[0], &m, &sig)
                .unwrap()
                .is_valid()
        );
        let debug = format!("{pair:?}");
        assert!(
            debug.contains("DataKeyPair") && debug.len() < 100,
            "{debug}"
        );
        let (private, public) = pair.into_parts();
        assert!(!private.is_empty() && !public.is_empty());
    }
    let a = DataKeyPair::generate(DataKeyPairSpec::EccNistP256).unwrap();
    let b = DataKeyPair::generate(DataKeyPairSpec::EccNistP256).unwrap();
    assert_ne!(a.public_key_spki(), b.public_key_spki());
}

#[test]
fn material_of_another_spec_is_refused() {
    let p256 = key(KeySpec::EccNistP256, KeyUsage::SignVerify).pkcs8_der();
    let rsa2048 = key(KeySpec::Rsa2048, KeyUsage::SignVerify).pkcs8_der();
    let ed = key(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify).pkcs8_der();
    let ml44 = key(KeySpec::MlDsa44, KeyUsage::SignVerify).pkcs8_der();
    let cases: [(KeySpec, KeyUsage, &[u8]); 10] = [
        (KeySpec::EccNistP384, KeyUsage::SignVerify, p256),
        (KeySpec::EccNistP384, KeyUsage::KeyAgreement, p256),
        (KeySpec::EccSecgP256k1, KeyUsage::SignVerify, p256),
        (KeySpec::Rsa3072, KeyUsage::SignVerify, rsa2048),
        (KeySpec::Rsa4096, KeyUsage::EncryptDecrypt, rsa2048),
        (KeySpec::EccNistP256, KeyUsage::SignVerify, rsa2048),
        (KeySpec::MlDsa44, KeyUsage::SignVerify, ed),
        (KeySpec::MlDsa65, KeyUsage::SignVerify, ml44),
        (KeySpec::EccNistEdwards25519, KeyUsage::SignVerify, p256),
        (KeySpec::Rsa2048, KeyUsage::SignVerify, &[1, 2, 3]),
    ];
    for (spec, usage, der) in cases {
        assert_eq!(
            PrivateKey::from_pkcs8(spec, usage, der).map(|_| ()),
            Err(AsymmetricError::InvalidKeyMaterial { spec }),
            "{spec} {usage}"
        );
    }
    // The same material serves either usage of its spec.
    assert!(PrivateKey::from_pkcs8(KeySpec::EccNistP256, KeyUsage::KeyAgreement, p256).is_ok());
    assert!(PrivateKey::from_pkcs8(KeySpec::Rsa2048, KeyUsage::EncryptDecrypt, rsa2048).is_ok());
}

#[test]
fn public_keys_must_be_canonical_spki_of_the_spec() {
    let p256 = key(KeySpec::EccNistP256, KeyUsage::SignVerify)
        .public_key()
        .spki();
    let rsa = key(KeySpec::Rsa2048, KeyUsage::SignVerify)
        .public_key()
        .spki();
    let ed = key(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify)
        .public_key()
        .spki();
    let ml = key(KeySpec::MlDsa65, KeyUsage::SignVerify)
        .public_key()
        .spki();
    let with_trailing = |d: &[u8]| [d, &[0u8]].concat();
    let cases: Vec<(KeySpec, Vec<u8>)> = vec![
        (KeySpec::EccNistP256, with_trailing(p256)),
        (KeySpec::EccNistP256, p256[p256.len() - 65..].to_vec()),
        (KeySpec::EccNistP384, p256.to_vec()),
        (KeySpec::EccSecgP256k1, p256.to_vec()),
        (KeySpec::Rsa3072, rsa.to_vec()),
        (KeySpec::Rsa2048, with_trailing(rsa)),
        (KeySpec::EccNistEdwards25519, ed[ed.len() - 32..].to_vec()),
        (KeySpec::EccNistEdwards25519, p256.to_vec()),
        (KeySpec::MlDsa44, ml.to_vec()),
        (KeySpec::MlDsa65, ml[22..].to_vec()),
    ];
    for (spec, der) in cases {
        assert_eq!(
            PublicKey::from_spki(spec, KeyUsage::SignVerify, &der).map(|_| ()),
            Err(AsymmetricError::InvalidPublicKey { spec }),
            "{spec}"
        );
    }
    // RSA PKCS#1 RSAPublicKey (the BIT STRING content) is not an SPKI.
    assert!(PublicKey::from_spki(KeySpec::Rsa2048, KeyUsage::SignVerify, &rsa[24..]).is_err());
}

#[test]
fn ml_dsa_both_libraries_hold_the_same_key() {
    for (spec, level) in [
        (KeySpec::MlDsa44, crate::mldsa::Level::L44),
        (KeySpec::MlDsa65, crate::mldsa::Level::L65),
        (KeySpec::MlDsa87, crate::mldsa::Level::L87),
    ] {
        let key = key(spec, KeyUsage::SignVerify);
        let seed = crate::mldsa::seed_from_pkcs8(key.pkcs8_der()).expect("seed form");
        let from_seed = crate::mldsa::public_key_from_seed(level, &seed);
        let spki = key.public_key().spki();
        assert_eq!(
            &spki[spki.len() - from_seed.len()..],
            from_seed.as_slice(),
            "{spec}"
        );
    }
}

#[test]
fn ml_dsa_external_mu_is_only_for_ml_dsa_keys() {
    assert!(matches!(
        key(KeySpec::EccNistP256, KeyUsage::SignVerify)
            .public_key()
            .ml_dsa_external_mu(b"m"),
        Err(AsymmetricError::UnsupportedAlgorithm { .. })
    ));
    // μ depends on the key and on the message.
    let a = key(KeySpec::MlDsa44, KeyUsage::SignVerify).public_key();
    let b = key(KeySpec::MlDsa65, KeyUsage::SignVerify).public_key();
    assert_ne!(a.ml_dsa_external_mu(b"m"), b.ml_dsa_external_mu(b"m"));
    assert_ne!(a.ml_dsa_external_mu(b"m"), a.ml_dsa_external_mu(b"n"));
    // A client may compute μ over a message larger than Sign's 4096-byte limit.
    assert!(a.ml_dsa_external_mu(&vec![0; 100_000]).is_ok());
}

#[test]
fn ed25519ph_signs_the_sha512_of_the_message() {
    let key = key(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify);
    let digest = hash_of(SigningAlgorithmSpec::Ed25519PhSha512, b"prehashed");
    let ph = SigningAlgorithmSpec::Ed25519PhSha512;
    let sig = key.sign(ph, MessageType::Digest, &digest, &rng()).unwrap();
    // Deterministic, and not a pure-Ed25519 signature of the digest.
    assert_eq!(
        sig,
        key.sign(ph, MessageType::Digest, &digest, &rng()).unwrap()
    );
    assert_eq!(
        key.verify(
            SigningAlgorithmSpec::Ed25519Sha512,
            MessageType::Raw,
            &digest,
            &sig
        ),
        Ok(Verification::Invalid)
    );
    // A reloaded key signs identically.
    let reloaded = PrivateKey::from_pkcs8(
        KeySpec::EccNistEdwards25519,
        KeyUsage::SignVerify,
        key.pkcs8_der(),
    )
    .unwrap();
    assert_eq!(
        reloaded
            .sign(ph, MessageType::Digest, &digest, &rng())
            .unwrap(),
        sig
    );
}

#[test]
fn debug_output_holds_no_key_material() {
    for spec in KeySpec::ALL.iter().copied().filter(|s| !s.is_hmac()) {
        let key = key(spec, spec.key_usages()[0]);
        let debug = format!("{key:?}");
        assert!(
            debug.starts_with("PrivateKey") && debug.len() < 100,
            "{debug}"
        );
        assert!(!debug.contains(&format!("{:?}", &key.pkcs8_der()[..16])));
        let public = format!("{:?}", key.public_key());
        assert!(public.len() < 120, "{public}");
    }
}

#[test]
fn error_messages_are_aws_worded_where_aws_words_them() {
    let err = AsymmetricError::DigestLength {
        algorithm: SigningAlgorithmSpec::EcdsaSha256,
        expected: 32,
        actual: 31,
    };
    assert!(
        err.to_string()
            .starts_with("digest is invalid length for algorithm ECDSA_SHA_256")
    );
    assert_eq!(
        AsymmetricError::InvalidCiphertext.to_string(),
        "ciphertext could not be decrypted"
    );
}
