//! Interoperability with an independent implementation: the `openssl` command-line tool.
//!
//! Signatures made here are verified by openssl (and openssl's by us), OAEP ciphertexts cross
//! in both directions, ECDH secrets are compared, our PKCS#8 and SPKI encodings are read back
//! by openssl, and HMACs are compared. ML-DSA is checked only where the installed openssl knows
//! it (3.5+); the unit tests cover its round trips either way.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kmsd_asymmetric::*;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Workdir(tempfile::TempDir);

impl Workdir {
    fn new() -> Self {
        Workdir(tempfile::tempdir().unwrap())
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Writes a DER SPKI and has openssl convert it to PEM (so openssl must parse it).
    fn public_pem(&self, name: &str, spki: &[u8]) -> PathBuf {
        let der = self.write(&format!("{name}.der"), spki);
        let pem = self.path(&format!("{name}.pem"));
        openssl(&[
            "pkey",
            "-pubin",
            "-inform",
            "DER",
            "-in",
            s(&der),
            "-out",
            s(&pem),
        ]);
        pem
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs openssl and returns its stdout; panics with its stderr if it fails.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command-line tool must be installed for this test");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs openssl and tells whether it succeeded (for verifications expected to fail).
fn openssl_ok(args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn rng() -> SystemRandom {
    SystemRandom::new()
}

fn sha(alg: SigningAlgorithmSpec) -> &'static str {
    match alg.digest_len() {
        Some(32) => "-sha256",
        Some(48) => "-sha384",
        Some(64) => "-sha512",
        _ => unreachable!(),
    }
}

fn digest(alg: SigningAlgorithmSpec, message: &[u8]) -> Vec<u8> {
    use aws_lc_rs::digest as d;
    let a = match alg.digest_len() {
        Some(32) => &d::SHA256,
        Some(48) => &d::SHA384,
        _ => &d::SHA512,
    };
    d::digest(a, message).as_ref().to_vec()
}

fn is_pss(alg: SigningAlgorithmSpec) -> bool {
    alg.as_str().starts_with("RSASSA_PSS")
}

/// `openssl dgst` arguments verifying an RSA or ECDSA signature of `alg`.
fn dgst_verify_args<'a>(
    alg: SigningAlgorithmSpec,
    pem: &'a str,
    sig: &'a str,
    msg: &'a str,
) -> Vec<&'a str> {
    let mut args = vec!["dgst", sha(alg)];
    if is_pss(alg) {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:digest",
        ]);
    }
    args.extend(["-verify", pem, "-signature", sig, msg]);
    args
}

#[test]
fn openssl_verifies_rsa_and_ecdsa_signatures_raw_and_digest() {
    let dir = Workdir::new();
    let message = b"kmsd signs, openssl verifies";
    let msg = dir.write("msg", message);
    let specs = [
        KeySpec::Rsa2048,
        KeySpec::Rsa3072,
        KeySpec::Rsa4096,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
    ];
    let mut checked = 0;
    for spec in specs {
        let key = PrivateKey::generate(spec, KeyUsage::SignVerify).unwrap();
        let pem = dir.public_pem(spec.as_str(), key.public_key().spki());
        for alg in spec.signing_algorithms().iter().copied() {
            for message_type in [MessageType::Raw, MessageType::Digest] {
                let signed = match message_type {
                    MessageType::Raw => message.to_vec(),
                    _ => digest(alg, message),
                };
                let signature = key.sign(alg, message_type, &signed, &rng()).unwrap();
                let sig = dir.write("sig", &signature);
                let args = dgst_verify_args(alg, s(&pem), s(&sig), s(&msg));
                let out = openssl(&args);
                assert!(
                    String::from_utf8_lossy(&out).contains("Verified OK"),
                    "{spec} {alg} {message_type}"
                );
                // And openssl refuses a tampered one.
                let mut tampered = signature.clone();
                let i = tampered.len() / 2;
                tampered[i] ^= 1;
                let bad = dir.write("bad-sig", &tampered);
                assert!(!openssl_ok(&dgst_verify_args(
                    alg,
                    s(&pem),
                    s(&bad),
                    s(&msg)
                )));
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * 6 * 2 + 4 * 2);
}

#[test]
fn rsa_pss_salt_is_the_digest_length() {
    // openssl's verifier with an explicit salt length other than the digest's refuses.
    let dir = Workdir::new();
    let msg = dir.write("msg", b"salt");
    let key = PrivateKey::generate(KeySpec::Rsa2048, KeyUsage::SignVerify).unwrap();
    let pem = dir.public_pem("pub", key.public_key().spki());
    for (alg, salt) in [
        (SigningAlgorithmSpec::RsassaPssSha256, "32"),
        (SigningAlgorithmSpec::RsassaPssSha384, "48"),
        (SigningAlgorithmSpec::RsassaPssSha512, "64"),
    ] {
        let sig = dir.write(
            "sig",
            &key.sign(alg, MessageType::Raw, b"salt", &rng()).unwrap(),
        );
        let with_salt = |len: &str| {
            let opt = format!("rsa_pss_saltlen:{len}");
            openssl_ok(&[
                "dgst",
                sha(alg),
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                &opt,
                "-verify",
                s(&pem),
                "-signature",
                s(&sig),
                s(&msg),
            ])
        };
        assert!(with_salt(salt), "{alg}");
        assert!(!with_salt("20"), "{alg}");
    }
}

#[test]
fn openssl_verifies_ed25519_signatures() {
    let dir = Workdir::new();
    let message = b"pure Ed25519 over the raw message";
    let msg = dir.write("msg", message);
    let key = PrivateKey::generate(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify).unwrap();
    let pem = dir.public_pem("pub", key.public_key().spki());
    let signature = key
        .sign(
            SigningAlgorithmSpec::Ed25519Sha512,
            MessageType::Raw,
            message,
            &rng(),
        )
        .unwrap();
    let sig = dir.write("sig", &signature);
    let verify = |sig: &Path| {
        openssl_ok(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            s(&pem),
            "-rawin",
            "-in",
            s(&msg),
            "-sigfile",
            s(sig),
        ])
    };
    assert!(verify(&sig));
    let mut tampered = signature.clone();
    tampered[10] ^= 1;
    assert!(!verify(&dir.write("bad", &tampered)));
}

#[test]
fn we_verify_what_openssl_signs_with_our_private_keys() {
    let dir = Workdir::new();
    let message = b"openssl signs with kmsd's PKCS#8, kmsd verifies";
    let msg = dir.write("msg", message);
    for spec in [
        KeySpec::Rsa2048,
        KeySpec::EccNistP256,
        KeySpec::EccNistP384,
        KeySpec::EccNistP521,
        KeySpec::EccSecgP256k1,
    ] {
        let key = PrivateKey::generate(spec, KeyUsage::SignVerify).unwrap();
        let der = dir.write("key.der", key.pkcs8_der());
        for alg in spec.signing_algorithms().iter().copied() {
            let mut args = vec!["dgst", sha(alg), "-keyform", "DER", "-sign", s(&der)];
            if is_pss(alg) {
                args.extend([
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    "rsa_pss_saltlen:digest",
                ]);
            }
            args.push(s(&msg));
            let signature = openssl(&args);
            assert_eq!(
                key.verify(alg, MessageType::Raw, message, &signature),
                Ok(Verification::Valid),
                "{spec} {alg}"
            );
            assert_eq!(
                key.verify(alg, MessageType::Digest, &digest(alg, message), &signature),
                Ok(Verification::Valid),
                "{spec} {alg} as DIGEST"
            );
        }
    }
    let ed = PrivateKey::generate(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify).unwrap();
    let der = dir.write("ed.der", ed.pkcs8_der());
    let out = dir.path("ed.sig");
    openssl(&[
        "pkeyutl",
        "-sign",
        "-keyform",
        "DER",
        "-inkey",
        s(&der),
        "-rawin",
        "-in",
        s(&msg),
        "-out",
        s(&out),
    ]);
    assert_eq!(
        ed.verify(
            SigningAlgorithmSpec::Ed25519Sha512,
            MessageType::Raw,
            message,
            &dir.read("ed.sig")
        ),
        Ok(Verification::Valid)
    );
}

fn oaep_opts(alg: EncryptionAlgorithmSpec) -> [&'static str; 6] {
    let md = match alg {
        EncryptionAlgorithmSpec::RsaesOaepSha1 => "sha1",
        EncryptionAlgorithmSpec::RsaesOaepSha256 => "sha256",
    };
    let (oaep, mgf1) = match md {
        "sha1" => ("rsa_oaep_md:sha1", "rsa_mgf1_md:sha1"),
        _ => ("rsa_oaep_md:sha256", "rsa_mgf1_md:sha256"),
    };
    [
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        oaep,
        "-pkeyopt",
        mgf1,
    ]
}

#[test]
fn oaep_ciphertexts_cross_both_ways() {
    let dir = Workdir::new();
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let key = PrivateKey::generate(spec, KeyUsage::EncryptDecrypt).unwrap();
        let pem = dir.public_pem("pub", key.public_key().spki());
        let der = dir.write("key.der", key.pkcs8_der());
        for alg in spec.encryption_algorithms().iter().copied() {
            let max = alg.max_plaintext_len(spec).unwrap();
            let plaintext: Vec<u8> = (0..max).map(|i| (i * 7) as u8).collect();
            let pt = dir.write("pt", &plaintext);

            // openssl encrypts with the public key, we decrypt.
            let ct = dir.path("ct");
            let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", s(&pem)];
            args.extend(oaep_opts(alg));
            args.extend(["-in", s(&pt), "-out", s(&ct)]);
            openssl(&args);
            let decrypted = key.decrypt(alg, &dir.read("ct")).unwrap();
            assert_eq!(decrypted.as_slice(), plaintext.as_slice(), "{spec} {alg}");

            // We encrypt, openssl decrypts with our PKCS#8.
            let ours = dir.write("ours", &key.encrypt(alg, &plaintext).unwrap());
            let out = dir.path("out");
            let mut args = vec!["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey", s(&der)];
            args.extend(oaep_opts(alg));
            args.extend(["-in", s(&ours), "-out", s(&out)]);
            openssl(&args);
            assert_eq!(dir.read("out"), plaintext, "{spec} {alg}");

            // One byte over the limit: openssl refuses too, and so do we.
            let over = dir.write("over", &vec![1u8; max + 1]);
            let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", s(&pem)];
            args.extend(oaep_opts(alg));
            args.extend(["-in", s(&over), "-out", s(&ct)]);
            assert!(!openssl_ok(&args));
            assert!(key.encrypt(alg, &vec![1u8; max + 1]).is_err());
        }
    }
}

#[test]
fn ecdh_secrets_match_openssl() {
    let dir = Workdir::new();
    for (spec, curve) in [
        (KeySpec::EccNistP256, "P-256"),
        (KeySpec::EccNistP384, "P-384"),
        (KeySpec::EccNistP521, "P-521"),
    ] {
        let ours = PrivateKey::generate(spec, KeyUsage::KeyAgreement).unwrap();
        let our_pem = dir.public_pem("ours", ours.public_key().spki());
        let peer = dir.path("peer.pem");
        let curve_opt = format!("ec_paramgen_curve:{curve}");
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &curve_opt,
            "-out",
            s(&peer),
        ]);
        let peer_spki = openssl(&["pkey", "-in", s(&peer), "-pubout", "-outform", "DER"]);
        let secret = ours
            .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, &peer_spki)
            .unwrap();
        let theirs = openssl(&[
            "pkeyutl",
            "-derive",
            "-inkey",
            s(&peer),
            "-peerkey",
            s(&our_pem),
        ]);
        assert_eq!(secret.as_slice(), theirs.as_slice(), "{spec}");
        // A compressed-point SPKI is still an SPKI of a point on the curve.
        let compressed = openssl(&[
            "pkey",
            "-in",
            s(&peer),
            "-pubout",
            "-outform",
            "DER",
            "-ec_conv_form",
            "compressed",
        ]);
        if compressed != peer_spki {
            let again = ours
                .derive_shared_secret(KeyAgreementAlgorithmSpec::Ecdh, &compressed)
                .unwrap();
            assert_eq!(again.as_slice(), theirs.as_slice(), "{spec} compressed");
        }
    }
}

#[test]
fn data_key_pair_private_keys_match_their_public_keys() {
    let dir = Workdir::new();
    for spec in DataKeyPairSpec::ALL.iter().copied() {
        let pair = DataKeyPair::generate(spec).unwrap();
        let der = dir.write("key.der", pair.private_key_pkcs8());
        let derived = openssl(&[
            "pkey",
            "-inform",
            "DER",
            "-in",
            s(&der),
            "-pubout",
            "-outform",
            "DER",
        ]);
        assert_eq!(derived, pair.public_key_spki(), "{spec}");
        if !matches!(spec, DataKeyPairSpec::EccNistEdwards25519) {
            let text = openssl(&["pkey", "-inform", "DER", "-in", s(&der), "-check", "-noout"]);
            assert!(String::from_utf8_lossy(&text).contains("valid"), "{spec}");
        }
    }
    // KMS keys' stored PKCS#8 too, for every spec openssl knows.
    for spec in KeySpec::ALL.iter().copied() {
        if spec.is_hmac() || matches!(spec, KeySpec::MlDsa44 | KeySpec::MlDsa65 | KeySpec::MlDsa87)
        {
            continue;
        }
        for usage in spec.key_usages().iter().copied() {
            let key = PrivateKey::generate(spec, usage).unwrap();
            let der = dir.write("kms.der", key.pkcs8_der());
            let derived = openssl(&[
                "pkey",
                "-inform",
                "DER",
                "-in",
                s(&der),
                "-pubout",
                "-outform",
                "DER",
            ]);
            assert_eq!(derived, key.public_key().spki(), "{spec} {usage}");
        }
    }
}

#[test]
fn hmacs_match_openssl() {
    let dir = Workdir::new();
    let message = b"GenerateMac message";
    let msg = dir.write("msg", message);
    for (spec, md) in [
        (KeySpec::Hmac224, "-sha224"),
        (KeySpec::Hmac256, "-sha256"),
        (KeySpec::Hmac384, "-sha384"),
        (KeySpec::Hmac512, "-sha512"),
    ] {
        let key = HmacKey::generate(spec, &rng()).unwrap();
        let hex: String = key.material().iter().map(|b| format!("{b:02x}")).collect();
        let keyopt = format!("hexkey:{hex}");
        let theirs = openssl(&[
            "dgst",
            md,
            "-mac",
            "HMAC",
            "-macopt",
            &keyopt,
            "-binary",
            s(&msg),
        ]);
        let algorithm = spec.mac_algorithms()[0];
        assert_eq!(
            key.generate_mac(algorithm, message).unwrap(),
            theirs,
            "{spec}"
        );
        assert!(
            key.verify_mac(algorithm, message, &theirs)
                .unwrap()
                .is_valid()
        );
    }
}

#[test]
fn ml_dsa_where_openssl_knows_it() {
    let algorithms =
        String::from_utf8_lossy(&openssl(&["list", "-signature-algorithms"])).to_lowercase();
    if !algorithms.contains("ml-dsa") {
        eprintln!(
            "openssl has no ML-DSA (needs 3.5+): ML-DSA is covered by the unit round trips only"
        );
        return;
    }
    let dir = Workdir::new();
    let message = b"ML-DSA, pure, empty context";
    let msg = dir.write("msg", message);
    for spec in [KeySpec::MlDsa44, KeySpec::MlDsa65, KeySpec::MlDsa87] {
        let key = PrivateKey::generate(spec, KeyUsage::SignVerify).unwrap();
        let pem = dir.public_pem("pub", key.public_key().spki());
        let alg = SigningAlgorithmSpec::MlDsaShake256;
        let mu = key.public_key().ml_dsa_external_mu(message).unwrap();
        for (message_type, signed) in [
            (MessageType::Raw, &message[..]),
            (MessageType::ExternalMu, &mu[..]),
        ] {
            let sig = dir.write("sig", &key.sign(alg, message_type, signed, &rng()).unwrap());
            assert!(
                openssl_ok(&[
                    "pkeyutl",
                    "-verify",
                    "-pubin",
                    "-inkey",
                    s(&pem),
                    "-rawin",
                    "-in",
                    s(&msg),
                    "-sigfile",
                    s(&sig),
                ]),
                "{spec} {message_type}"
            );
        }
    }
}
