//! Micro-benchmark: what sealing and opening a ciphertext blob costs (HKDF per-message key,
//! AES-256-GCM, header and encryption context as associated data).
//!
//! `cargo run --release -p kmsd-crypto --example seal_cost [iterations]`
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kmsd_crypto::{BackingKey, SystemRandom, open_ciphertext, seal_ciphertext};
use kmsd_model::{EncryptionContext, KeyId};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

fn time(label: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let ns = start.elapsed().as_nanos() / u128::from(iterations);
    println!("{label:<60} {ns:>7} ns");
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let rng = SystemRandom::new();
    let key = BackingKey::generate(&rng).unwrap();
    let key_id = KeyId::from_random([7; 16]);
    let empty = EncryptionContext::default();
    let context = EncryptionContext::new(BTreeMap::from([
        ("Department".to_owned(), "Finance".to_owned()),
        ("Purpose".to_owned(), "payroll".to_owned()),
    ]));
    for (size, label) in [(64usize, "64 B"), (4096, "4 KiB")] {
        let plaintext = vec![b'x'; size];
        time(&format!("seal {label}, no context"), iterations, || {
            black_box(seal_ciphertext(&rng, key_id, &key, &empty, black_box(&plaintext)).unwrap());
        });
        time(
            &format!("seal {label}, two-pair context"),
            iterations,
            || {
                black_box(
                    seal_ciphertext(&rng, key_id, &key, &context, black_box(&plaintext)).unwrap(),
                );
            },
        );
        let blob = seal_ciphertext(&rng, key_id, &key, &context, &plaintext).unwrap();
        time(
            &format!("open {label}, two-pair context"),
            iterations,
            || {
                black_box(open_ciphertext(&key, black_box(&blob), &context).unwrap());
            },
        );
    }
}
