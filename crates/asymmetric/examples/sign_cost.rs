//! What one operation costs: a `std::time::Instant` micro-benchmark of the crate's hot paths
//! (Sign, GenerateMac) and of key generation, on one thread.
//!
//! Run in release: `cargo run --release -p kmsd-asymmetric --example sign_cost`
//! (`-- --quick` for a shorter run).

use kmsd_asymmetric::{
    AsymmetricError, DataKeyPair, DataKeyPairSpec, HmacKey, KeySpec, KeyUsage, MacAlgorithmSpec,
    MessageType, PrivateKey, SigningAlgorithmSpec, SystemRandom,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `op` until `budget` has passed (at least `min_runs` times) and prints its rate.
fn measure(
    name: &str,
    budget: Duration,
    min_runs: u32,
    mut op: impl FnMut() -> Result<(), AsymmetricError>,
) -> Result<(), AsymmetricError> {
    op()?; // warm up (lazy tables, first-use initialisation)
    let start = Instant::now();
    let mut runs = 0u32;
    while runs < min_runs || start.elapsed() < budget {
        op()?;
        runs += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let per_second = f64::from(runs) / elapsed;
    println!(
        "{name:<44} {per_second:>12.0} ops/s {:>12.1} µs/op  ({runs} runs)",
        1e6 / per_second
    );
    Ok(())
}

fn main() -> Result<(), AsymmetricError> {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = Duration::from_millis(if quick { 200 } else { 2000 });
    let rng = SystemRandom::new();
    let message = [0x5au8; 256];

    println!("kmsd-asymmetric sign_cost: 256-byte RAW messages, one thread");
    let rsa = PrivateKey::generate(KeySpec::Rsa2048, KeyUsage::SignVerify)?;
    measure("Sign RSA_2048 RSASSA_PSS_SHA_256", budget, 10, || {
        let s = rsa.sign(
            SigningAlgorithmSpec::RsassaPssSha256,
            MessageType::Raw,
            &message,
            &rng,
        )?;
        black_box(s);
        Ok(())
    })?;
    let p256 = PrivateKey::generate(KeySpec::EccNistP256, KeyUsage::SignVerify)?;
    measure("Sign ECC_NIST_P256 ECDSA_SHA_256", budget, 10, || {
        let s = p256.sign(
            SigningAlgorithmSpec::EcdsaSha256,
            MessageType::Raw,
            &message,
            &rng,
        )?;
        black_box(s);
        Ok(())
    })?;
    let ed = PrivateKey::generate(KeySpec::EccNistEdwards25519, KeyUsage::SignVerify)?;
    measure(
        "Sign ECC_NIST_EDWARDS25519 ED25519_SHA_512",
        budget,
        10,
        || {
            let s = ed.sign(
                SigningAlgorithmSpec::Ed25519Sha512,
                MessageType::Raw,
                &message,
                &rng,
            )?;
            black_box(s);
            Ok(())
        },
    )?;
    let ml = PrivateKey::generate(KeySpec::MlDsa65, KeyUsage::SignVerify)?;
    measure("Sign ML_DSA_65 ML_DSA_SHAKE_256", budget, 10, || {
        let s = ml.sign(
            SigningAlgorithmSpec::MlDsaShake256,
            MessageType::Raw,
            &message,
            &rng,
        )?;
        black_box(s);
        Ok(())
    })?;
    let hmac = HmacKey::generate(KeySpec::Hmac256, &rng)?;
    measure("GenerateMac HMAC_256 HMAC_SHA_256", budget, 10, || {
        black_box(hmac.generate_mac(MacAlgorithmSpec::HmacSha256, &message)?);
        Ok(())
    })?;
    measure("Generate RSA_2048 key", budget, 5, || {
        black_box(PrivateKey::generate(
            KeySpec::Rsa2048,
            KeyUsage::SignVerify,
        )?);
        Ok(())
    })?;
    measure("Generate ECC_NIST_P256 key", budget, 10, || {
        black_box(PrivateKey::generate(
            KeySpec::EccNistP256,
            KeyUsage::SignVerify,
        )?);
        Ok(())
    })?;

    println!("-- for comparison");
    let rsa_sig = rsa.sign(
        SigningAlgorithmSpec::RsassaPssSha256,
        MessageType::Raw,
        &message,
        &rng,
    )?;
    measure("Verify RSA_2048 RSASSA_PSS_SHA_256", budget, 10, || {
        let v = rsa.verify(
            SigningAlgorithmSpec::RsassaPssSha256,
            MessageType::Raw,
            &message,
            &rsa_sig,
        )?;
        black_box(v.is_valid());
        Ok(())
    })?;
    let p256_sig = p256.sign(
        SigningAlgorithmSpec::EcdsaSha256,
        MessageType::Raw,
        &message,
        &rng,
    )?;
    measure("Verify ECC_NIST_P256 ECDSA_SHA_256", budget, 10, || {
        let v = p256.verify(
            SigningAlgorithmSpec::EcdsaSha256,
            MessageType::Raw,
            &message,
            &p256_sig,
        )?;
        black_box(v.is_valid());
        Ok(())
    })?;
    let digest = [0x11u8; 64];
    measure(
        "Sign ECC_NIST_EDWARDS25519 ED25519_PH (DIGEST)",
        budget,
        10,
        || {
            let s = ed.sign(
                SigningAlgorithmSpec::Ed25519PhSha512,
                MessageType::Digest,
                &digest,
                &rng,
            )?;
            black_box(s);
            Ok(())
        },
    )?;
    let mu = ml.public_key().ml_dsa_external_mu(&message)?;
    measure(
        "Sign ML_DSA_65 (EXTERNAL_MU, ml-dsa crate)",
        budget,
        10,
        || {
            let s = ml.sign(
                SigningAlgorithmSpec::MlDsaShake256,
                MessageType::ExternalMu,
                &mu,
                &rng,
            )?;
            black_box(s);
            Ok(())
        },
    )?;
    measure("Load RSA_2048 key from PKCS#8", budget, 10, || {
        black_box(PrivateKey::from_pkcs8(
            KeySpec::Rsa2048,
            KeyUsage::SignVerify,
            rsa.pkcs8_der(),
        )?);
        Ok(())
    })?;
    measure("Load ECC_NIST_P256 key from PKCS#8", budget, 10, || {
        black_box(PrivateKey::from_pkcs8(
            KeySpec::EccNistP256,
            KeyUsage::SignVerify,
            p256.pkcs8_der(),
        )?);
        Ok(())
    })?;
    measure("GenerateDataKeyPair ECC_NIST_P256", budget, 10, || {
        black_box(DataKeyPair::generate(DataKeyPairSpec::EccNistP256)?);
        Ok(())
    })?;
    Ok(())
}
