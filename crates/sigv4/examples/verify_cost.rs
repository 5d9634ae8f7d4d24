//! Micro-benchmark: what SigV4 verification of a KMS-shaped request costs.
//!
//! `cargo run --release -p kmsd-sigv4 --example verify_cost [iterations]`
//!
//! Prints nanoseconds per call for: parsing the Authorization header, verifying with a cached
//! signing key (what the server does on every request), and deriving the signing key (what it
//! does once per access key, day, region and service).
#![forbid(unsafe_code)]

use kmsd_sigv4::{
    Authorization, RequestParts, canonical_request, derive_signing_key, epoch_to_wire_date,
    parse_authorization, verify,
};
use std::hint::black_box;
use std::time::Instant;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data).as_ref())
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let now = 1_795_425_308;
    let amz_date = epoch_to_wire_date(now);
    let date = &amz_date[..8];
    let body = br#"{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","Plaintext":"eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4"}"#;
    let headers: Vec<(&str, &[u8])> = vec![
        ("content-type", b"application/x-amz-json-1.1"),
        ("host", b"127.0.0.1:4580"),
        ("x-amz-date", amz_date.as_bytes()),
        ("x-amz-target", b"TrentService.Encrypt"),
        ("user-agent", b"aws-sdk-rust/1.0 os/linux lang/rust"),
    ];
    let req = RequestParts {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body,
    };
    let key = derive_signing_key(b"test", date, "us-east-1", "kms");
    let signed = "content-type;host;x-amz-date;x-amz-target";
    let unsigned = Authorization {
        access_key_id: "test".into(),
        date: date.into(),
        region: "us-east-1".into(),
        service: "kms".into(),
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: [0; 32],
    };
    let canonical = canonical_request(&req, &unsigned).unwrap_or_default();
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{date}/us-east-1/kms/aws4_request\n{}",
        sha256_hex(&canonical)
    );
    let signature = hex(&key.sign(string_to_sign.as_bytes()));
    let header = format!(
        "AWS4-HMAC-SHA256 Credential=test/{date}/us-east-1/kms/aws4_request, SignedHeaders={signed}, Signature={signature}"
    );
    let auth = match parse_authorization(&header) {
        Ok(a) => a,
        Err(e) => return eprintln!("bad header: {e}"),
    };
    if let Err(e) = verify(&req, &auth, &key, now) {
        return eprintln!("the benchmark's own request does not verify: {e}");
    }

    let per_call = |name: &str, f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        let ns = start.elapsed().as_nanos() / u128::from(iterations);
        println!("{name:<40} {ns:>6} ns/call");
    };
    per_call("parse Authorization header", &mut || {
        black_box(parse_authorization(black_box(&header)).is_ok());
    });
    per_call("verify (cached signing key)", &mut || {
        black_box(verify(black_box(&req), &auth, &key, now).is_ok());
    });
    per_call("derive signing key (once per key/day)", &mut || {
        black_box(derive_signing_key(b"test", date, "us-east-1", "kms"));
    });
}
