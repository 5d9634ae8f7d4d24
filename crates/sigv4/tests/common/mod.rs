//! An independent mini-signer, written straight from the SigV4 description
//! with aws-lc-rs and nothing of the crate, to sign requests the tests then
//! verify. It takes the path and query already canonical, and the signed
//! headers already lowercase and sorted.

#![allow(dead_code)]

use aws_lc_rs::{digest, hmac};

pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

pub struct ToSign<'a> {
    pub method: &'a str,
    pub canonical_uri: &'a str,
    pub canonical_query: &'a str,
    /// Lowercase, sorted, values as they go in the canonical request.
    pub signed_headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub secret: &'a str,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data.as_bytes())
        .as_ref()
        .to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// The `Authorization` header value.
pub fn sign(r: &ToSign<'_>) -> String {
    let names: Vec<&str> = r.signed_headers.iter().map(|(n, _)| *n).collect();
    let headers: String = r
        .signed_headers
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect();
    let creq = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method,
        r.canonical_uri,
        r.canonical_query,
        headers,
        names.join(";"),
        sha256_hex(r.body)
    );
    let day = &r.amz_date[..8];
    let scope = format!("{day}/{}/{}/aws4_request", r.region, r.service);
    let sts = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        r.amz_date,
        sha256_hex(creq.as_bytes())
    );
    let k = hmac(format!("AWS4{}", r.secret).as_bytes(), day);
    let k = hmac(&k, r.region);
    let k = hmac(&k, r.service);
    let k = hmac(&k, "aws4_request");
    let signature = hex(&hmac(&k, &sts));
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/{scope}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    )
}
