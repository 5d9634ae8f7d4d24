//! Published AWS vectors: the Signature Version 4 test suite (2015-08-30,
//! service `service`) and the S3 documentation's header-signing examples
//! (whose paths and queries canonicalise the same way for S3 and the rest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kmsd_sigv4::{
    RequestParts, canonical_request, derive_signing_key, parse_authorization, verify,
    wire_date_to_epoch,
};

const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const S3_DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Vector<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(&'a str, &'a [u8])],
    body: &'a [u8],
    secret: &'a str,
    authorization: &'a str,
}

/// Verifies the vector's request at its own `X-Amz-Date`.
fn check(v: &Vector<'_>) {
    let auth = parse_authorization(v.authorization).unwrap();
    let req = RequestParts {
        method: v.method,
        path: v.path,
        query: v.query,
        headers: v.headers,
        body: v.body,
    };
    let amz_date = req.canonical_header_value("x-amz-date").unwrap();
    let now = wire_date_to_epoch(std::str::from_utf8(&amz_date).unwrap()).unwrap();
    let key = derive_signing_key(v.secret.as_bytes(), &auth.date, &auth.region, &auth.service);
    let result = verify(&req, &auth, &key, now);
    assert_eq!(
        result,
        Ok(()),
        "canonical request:\n{}",
        String::from_utf8_lossy(&canonical_request(&req, &auth).unwrap())
    );
}

fn suite_authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

const SUITE_HEADERS: &[(&str, &[u8])] = &[
    ("Host", b"example.amazonaws.com"),
    ("X-Amz-Date", b"20150830T123600Z"),
];

#[test]
fn get_vanilla() {
    check(&Vector {
        method: "GET",
        path: "/",
        query: "",
        headers: SUITE_HEADERS,
        body: b"",
        secret: SUITE_SECRET,
        authorization: &suite_authorization(
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
    });
}

#[test]
fn get_vanilla_query_order_key_case() {
    check(&Vector {
        method: "GET",
        path: "/",
        query: "Param2=value2&Param1=value1",
        headers: SUITE_HEADERS,
        body: b"",
        secret: SUITE_SECRET,
        authorization: &suite_authorization(
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
    });
}

#[test]
fn post_vanilla() {
    check(&Vector {
        method: "POST",
        path: "/",
        query: "",
        headers: SUITE_HEADERS,
        body: b"",
        secret: SUITE_SECRET,
        authorization: &suite_authorization(
            "host;x-amz-date",
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
    });
}

#[test]
fn post_x_www_form_urlencoded() {
    check(&Vector {
        method: "POST",
        path: "/",
        query: "",
        headers: &[
            ("Content-Type", b"application/x-www-form-urlencoded"),
            ("Host", b"example.amazonaws.com"),
            ("X-Amz-Date", b"20150830T123600Z"),
        ],
        body: b"Param1=value1",
        secret: SUITE_SECRET,
        authorization: &suite_authorization(
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        ),
    });
}

fn s3_authorization(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders={signed_headers},Signature={signature}"
    )
}

#[test]
fn s3_doc_get_object() {
    check(&Vector {
        method: "GET",
        path: "/test.txt",
        query: "",
        headers: &[
            ("Host", b"examplebucket.s3.amazonaws.com"),
            ("Range", b"bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256.as_bytes()),
            ("x-amz-date", b"20130524T000000Z"),
        ],
        body: b"",
        secret: S3_DOC_SECRET,
        authorization: &s3_authorization(
            "host;range;x-amz-content-sha256;x-amz-date",
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        ),
    });
}

#[test]
fn s3_doc_get_bucket_lifecycle() {
    check(&Vector {
        method: "GET",
        path: "/",
        query: "lifecycle",
        headers: &[
            ("Host", b"examplebucket.s3.amazonaws.com"),
            ("x-amz-date", b"20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY_SHA256.as_bytes()),
        ],
        body: b"",
        secret: S3_DOC_SECRET,
        authorization: &s3_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        ),
    });
}

#[test]
fn s3_doc_list_objects() {
    check(&Vector {
        method: "GET",
        path: "/",
        query: "max-keys=2&prefix=J",
        headers: &[
            ("Host", b"examplebucket.s3.amazonaws.com"),
            ("x-amz-date", b"20130524T000000Z"),
            ("x-amz-content-sha256", EMPTY_SHA256.as_bytes()),
        ],
        body: b"",
        secret: S3_DOC_SECRET,
        authorization: &s3_authorization(
            "host;x-amz-content-sha256;x-amz-date",
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        ),
    });
}
