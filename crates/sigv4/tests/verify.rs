//! Verifying requests signed by an independent mini-signer: a realistic KMS
//! call, tampering, every refusal of `verify`, the skew boundaries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{ACCESS_KEY_ID, SECRET, ToSign, sha256_hex, sign};
use kmsd_sigv4::{
    Authorization, RequestParts, SigV4Error, SigningKey, SigningKeyCache, derive_signing_key,
    parse_authorization, precheck, verify, wire_date_to_epoch,
};
use proptest::prelude::*;

const HOST: &str = "kms.us-east-1.amazonaws.com";
const AMZ_DATE: &str = "20260101T003000Z";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
const TARGET: &str = "TrentService.Encrypt";
const BODY: &[u8] = br#"{"KeyId":"alias/my-key","Plaintext":"aGVsbG8gd29ybGQ="}"#;

fn now() -> i64 {
    wire_date_to_epoch(AMZ_DATE).unwrap()
}

/// A request the way the AWS CLI sends an Encrypt call.
struct Kms {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    authorization: String,
}

impl Kms {
    fn signed() -> Self {
        Self::signed_with(&[
            ("content-type", CONTENT_TYPE),
            ("host", HOST),
            ("x-amz-date", AMZ_DATE),
            ("x-amz-target", TARGET),
        ])
    }

    /// Signed with these (lowercase, sorted) headers; the request carries
    /// them, plus unsigned ones, in another order and case.
    fn signed_with(signed: &[(&str, &str)]) -> Self {
        let authorization = sign(&ToSign {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            signed_headers: signed,
            body: BODY,
            amz_date: AMZ_DATE,
            region: "us-east-1",
            service: "kms",
            secret: SECRET,
        });
        let mut headers = vec![
            ("Host".to_owned(), HOST.as_bytes().to_vec()),
            ("Accept-Encoding".to_owned(), b"identity".to_vec()),
            (
                "User-Agent".to_owned(),
                b"aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 command/kms.encrypt".to_vec(),
            ),
            (
                "Content-Length".to_owned(),
                BODY.len().to_string().into_bytes(),
            ),
        ];
        for (name, value) in signed {
            if *name != "host" {
                headers.push((title_case(name), value.as_bytes().to_vec()));
            }
        }
        headers.push((
            "Authorization".to_owned(),
            authorization.clone().into_bytes(),
        ));
        Self {
            method: "POST".into(),
            path: "/".into(),
            query: String::new(),
            headers,
            body: BODY.to_vec(),
            authorization,
        }
    }

    fn set_header(&mut self, name: &str, value: &[u8]) {
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(h) => h.1 = value.to_vec(),
            None => self.headers.push((name.to_owned(), value.to_vec())),
        }
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn auth(&self) -> Authorization {
        parse_authorization(&self.authorization).unwrap()
    }

    fn verify_with(&self, key: &SigningKey, now: i64) -> Result<(), SigV4Error> {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let req = RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        let auth = self.auth();
        let pre = precheck(&req, &auth, now);
        let result = verify(&req, &auth, key, now);
        // precheck refuses exactly what verify refuses before the signature.
        if let Err(e) = &pre {
            assert_eq!(result.as_ref(), Err(e));
        }
        result
    }

    fn verify_at(&self, now: i64) -> Result<(), SigV4Error> {
        let auth = self.auth();
        let key = derive_signing_key(SECRET.as_bytes(), &auth.date, &auth.region, &auth.service);
        self.verify_with(&key, now)
    }

    fn verify(&self) -> Result<(), SigV4Error> {
        self.verify_at(now())
    }
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn mismatch(result: Result<(), SigV4Error>) {
    let err = result.unwrap_err();
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );
}

#[test]
fn kms_encrypt_verifies() {
    let req = Kms::signed();
    assert_eq!(req.auth().access_key_id, ACCESS_KEY_ID);
    assert_eq!(req.auth().service, "kms");
    assert_eq!(req.auth().check_scope("us-east-1", "kms"), Ok(()));
    assert_eq!(req.verify(), Ok(()));
}

#[test]
fn kms_encrypt_verifies_with_a_cached_key() {
    let req = Kms::signed();
    let auth = req.auth();
    let cache = SigningKeyCache::new(8);
    for _ in 0..3 {
        let key = cache.get_or_derive(
            &auth.access_key_id,
            SECRET.as_bytes(),
            &auth.date,
            &auth.region,
            &auth.service,
        );
        assert_eq!(req.verify_with(&key, now()), Ok(()));
    }
    assert_eq!(cache.len(), 1);
}

#[test]
fn what_the_signature_does_not_cover_may_change() {
    let mut req = Kms::signed();
    req.set_header("User-Agent", b"something else");
    req.set_header("X-Amzn-Trace-Id", b"Root=1-abc");
    req.remove_header("Accept-Encoding");
    // Header names in any case; values with extra whitespace.
    req.remove_header("x-amz-target");
    req.set_header("X-AMZ-TARGET", format!("  {TARGET} ").as_bytes());
    assert_eq!(req.verify(), Ok(()));
}

#[test]
fn content_sha256_header_is_checked() {
    let mut req = Kms::signed();
    req.set_header("X-Amz-Content-Sha256", sha256_hex(BODY).as_bytes());
    assert_eq!(req.verify(), Ok(()));

    for bad in [
        sha256_hex(b"another body"),
        sha256_hex(BODY).to_uppercase(),
        "UNSIGNED-PAYLOAD".to_owned(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".to_owned(),
        String::new(),
    ] {
        req.set_header("x-amz-content-sha256", bad.as_bytes());
        let result = req.verify();
        assert_eq!(result, Err(SigV4Error::ContentSha256Mismatch), "{bad}");
        mismatch(result);
    }
}

#[test]
fn signed_content_sha256_verifies() {
    let hash = sha256_hex(BODY);
    let req = Kms::signed_with(&[
        ("content-type", CONTENT_TYPE),
        ("host", HOST),
        ("x-amz-content-sha256", &hash),
        ("x-amz-date", AMZ_DATE),
        ("x-amz-target", TARGET),
    ]);
    assert_eq!(req.verify(), Ok(()));
}

#[test]
fn tampering_breaks_the_signature() {
    type Tamper = fn(&mut Kms);
    let tampered: [(&str, Tamper); 12] = [
        ("method", |r| r.method = "PUT".into()),
        ("method case", |r| r.method = "post".into()),
        ("path", |r| r.path = "/x".into()),
        ("path encoded", |r| r.path = "/%2F".into()),
        ("query", |r| r.query = "a=b".into()),
        ("query name alone", |r| r.query = "a".into()),
        ("host", |r| r.set_header("host", b"evil.example.com")),
        ("x-amz-target", |r| {
            r.set_header("x-amz-target", b"TrentService.Decrypt")
        }),
        ("content-type", |r| {
            r.set_header("content-type", b"application/json")
        }),
        ("x-amz-target repeated", |r| {
            r.headers
                .push(("X-Amz-Target".into(), b"TrentService.Decrypt".to_vec()))
        }),
        ("body", |r| r.body.push(b' ')),
        ("body emptied", |r| r.body.clear()),
    ];
    for (what, tamper) in tampered {
        let mut req = Kms::signed();
        tamper(&mut req);
        let result = req.verify();
        assert_eq!(result, Err(SigV4Error::SignatureMismatch), "{what}");
        mismatch(result);
    }
}

#[test]
fn x_amz_date_is_covered() {
    // Another time the same day and within the skew: the date is in the
    // string to sign, so the signature no longer matches.
    let mut req = Kms::signed();
    req.set_header("x-amz-date", b"20260101T003001Z");
    assert_eq!(req.verify(), Err(SigV4Error::SignatureMismatch));
}

#[test]
fn wrong_secret_or_scope_key() {
    let req = Kms::signed();
    let auth = req.auth();
    for key in [
        derive_signing_key(b"another secret", &auth.date, &auth.region, &auth.service),
        derive_signing_key(SECRET.as_bytes(), "20251231", &auth.region, &auth.service),
        derive_signing_key(SECRET.as_bytes(), &auth.date, "eu-west-1", &auth.service),
        derive_signing_key(SECRET.as_bytes(), &auth.date, &auth.region, "sts"),
    ] {
        mismatch(req.verify_with(&key, now()));
    }
}

#[test]
fn a_different_signature_is_refused() {
    let mut req = Kms::signed();
    let sig_at = req.authorization.find("Signature=").unwrap() + "Signature=".len();
    for i in [0, 31, 63] {
        let mut bytes = req.authorization.clone().into_bytes();
        let at = sig_at + i;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        req.authorization = String::from_utf8(bytes).unwrap();
        assert_eq!(req.verify(), Err(SigV4Error::SignatureMismatch));
    }
}

#[test]
fn missing_date() {
    let mut req = Kms::signed();
    req.remove_header("x-amz-date");
    let err = req.verify().unwrap_err();
    assert_eq!(err, SigV4Error::MissingDate);
    assert_eq!(err.aws_code(), "IncompleteSignatureException");
    assert_eq!(
        err.to_string(),
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"
    );
    // A Date header does not stand in for it.
    req.set_header("Date", b"Thu, 01 Jan 2026 00:30:00 GMT");
    assert_eq!(req.verify(), Err(SigV4Error::MissingDate));
}

#[test]
fn malformed_date() {
    for bad in [
        "2026-01-01T00:30:00Z",
        "20260101T003000",
        "Thu, 01 Jan 2026 00:30:00 GMT",
        "20260132T003000Z",
        "",
    ] {
        let mut req = Kms::signed();
        req.set_header("x-amz-date", bad.as_bytes());
        let err = req.verify().unwrap_err();
        assert_eq!(err.aws_code(), "IncompleteSignatureException");
        assert_eq!(
            err.to_string(),
            format!(
                "Date must be in ISO-8601 'basic format'. Got '{bad}'. See http://en.wikipedia.org/wiki/ISO_8601"
            )
        );
    }
    // Two dates are not one.
    let mut req = Kms::signed();
    req.headers
        .push(("X-Amz-Date".into(), AMZ_DATE.as_bytes().to_vec()));
    assert_eq!(
        req.verify(),
        Err(SigV4Error::MalformedDate {
            value: format!("{AMZ_DATE},{AMZ_DATE}")
        })
    );
    // Not UTF-8.
    let mut req = Kms::signed();
    req.set_header("x-amz-date", b"2026\xff101T003000Z");
    assert!(matches!(
        req.verify(),
        Err(SigV4Error::MalformedDate { .. })
    ));
}

#[test]
fn skew_boundaries() {
    let req = Kms::signed();
    let signed_at = now();
    assert_eq!(req.verify_at(signed_at + 900), Ok(()));
    assert_eq!(req.verify_at(signed_at - 900), Ok(()));

    let err = req.verify_at(signed_at + 901).unwrap_err();
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature expired: 20260101T003000Z is now earlier than 20260101T003001Z (20260101T004501Z - 15 min.)"
    );

    let err = req.verify_at(signed_at - 901).unwrap_err();
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Signature not yet current: 20260101T003000Z is still later than 20260101T002959Z (20260101T001459Z + 15 min.)"
    );

    // Far off either way, and at the ends of time.
    assert!(matches!(
        req.verify_at(signed_at + 86_400 * 365),
        Err(SigV4Error::SignatureExpired { .. })
    ));
    assert!(matches!(
        req.verify_at(0),
        Err(SigV4Error::SignatureNotYetCurrent { .. })
    ));
    assert!(matches!(
        req.verify_at(i64::MAX),
        Err(SigV4Error::SignatureExpired { .. })
    ));
    assert!(matches!(
        req.verify_at(i64::MIN),
        Err(SigV4Error::SignatureNotYetCurrent { .. })
    ));
}

#[test]
fn aws_expiry_message_shape() {
    // The example of the brief: signed at midnight, now 00:30.
    let mut req = Kms::signed();
    req.set_header("x-amz-date", b"20260101T000000Z");
    let err = req.verify_at(now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Signature expired: 20260101T000000Z is now earlier than 20260101T001500Z (20260101T003000Z - 15 min.)"
    );
}

#[test]
fn host_must_be_signed() {
    let req = Kms::signed_with(&[
        ("content-type", CONTENT_TYPE),
        ("x-amz-date", AMZ_DATE),
        ("x-amz-target", TARGET),
    ]);
    let err = req.verify().unwrap_err();
    assert_eq!(err, SigV4Error::HostNotSigned);
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn x_amz_date_must_be_signed() {
    let req = Kms::signed_with(&[
        ("content-type", CONTENT_TYPE),
        ("host", HOST),
        ("x-amz-target", TARGET),
    ]);
    let mut req = req;
    req.set_header("x-amz-date", AMZ_DATE.as_bytes());
    let err = req.verify().unwrap_err();
    assert_eq!(err, SigV4Error::DateNotSigned);
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
    );
}

#[test]
fn scope_date_must_be_the_request_day() {
    let mut req = Kms::signed();
    req.authorization = req.authorization.replace("/20260101/", "/20251231/");
    let err = req.verify().unwrap_err();
    assert_eq!(err.aws_code(), "InvalidSignatureException");
    assert_eq!(
        err.to_string(),
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T003000Z'."
    );
}

#[test]
fn signed_header_absent_from_the_request() {
    let mut req = Kms::signed();
    req.remove_header("x-amz-target");
    let result = req.verify();
    assert_eq!(
        result,
        Err(SigV4Error::SignedHeaderMissing {
            header: "x-amz-target".into()
        })
    );
    mismatch(result);
}

#[test]
fn error_messages_never_show_the_signature() {
    let req = Kms::signed();
    let signature = req.authorization.rsplit('=').next().unwrap().to_owned();
    let mut shown = Vec::new();
    for now in [0, now() + 10_000] {
        shown.push(req.verify_at(now).unwrap_err());
    }
    let mut tampered = Kms::signed();
    tampered.body.clear();
    shown.push(tampered.verify().unwrap_err());
    for err in shown {
        assert!(!err.to_string().contains(&signature));
        assert!(!format!("{err:?}").contains(&signature));
    }
    assert!(!format!("{:?}", req.auth()).contains(&signature));
}

proptest! {
    #[test]
    fn any_single_byte_change_of_the_body_fails(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let signed: &[(&str, &str)] = &[("host", HOST), ("x-amz-date", AMZ_DATE)];
        let authorization = sign(&ToSign {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            signed_headers: signed,
            body: &body,
            amz_date: AMZ_DATE,
            region: "us-east-1",
            service: "kms",
            secret: SECRET,
        });
        let auth = parse_authorization(&authorization).unwrap();
        let key = derive_signing_key(SECRET.as_bytes(), &auth.date, &auth.region, &auth.service);
        let headers: &[(&str, &[u8])] = &[("host", HOST.as_bytes()), ("x-amz-date", AMZ_DATE.as_bytes())];
        let mut req = RequestParts { method: "POST", path: "/", query: "", headers, body: &body };
        prop_assert_eq!(verify(&req, &auth, &key, now()), Ok(()));

        let mut changed = body.clone();
        changed[at.index(body.len())] ^= flip;
        req.body = &changed;
        prop_assert_eq!(verify(&req, &auth, &key, now()), Err(SigV4Error::SignatureMismatch));
    }

    #[test]
    fn signed_query_verifies_in_any_order(
        params in proptest::collection::btree_map("[A-Za-z0-9_.~-]{1,8}", "[A-Za-z0-9_.~-]{0,8}", 0..6),
        reverse in any::<bool>(),
    ) {
        // The signer sorts; the request carries the parameters in another order.
        let canonical: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut sent = canonical.clone();
        if reverse {
            sent.reverse();
        } else {
            let by = usize::from(!sent.is_empty());
            sent.rotate_left(by);
        }
        let signed: &[(&str, &str)] = &[("host", HOST), ("x-amz-date", AMZ_DATE)];
        let authorization = sign(&ToSign {
            method: "GET",
            canonical_uri: "/",
            canonical_query: &canonical.join("&"),
            signed_headers: signed,
            body: b"",
            amz_date: AMZ_DATE,
            region: "us-east-1",
            service: "kms",
            secret: SECRET,
        });
        let auth = parse_authorization(&authorization).unwrap();
        let key = derive_signing_key(SECRET.as_bytes(), &auth.date, &auth.region, &auth.service);
        let headers: &[(&str, &[u8])] = &[("Host", HOST.as_bytes()), ("X-Amz-Date", AMZ_DATE.as_bytes())];
        let query = sent.join("&");
        let req = RequestParts { method: "GET", path: "/", query: &query, headers, body: b"" };
        prop_assert_eq!(verify(&req, &auth, &key, now()), Ok(()));
    }
}
