//! The canonical request and the string to sign, as AWS SigV4 defines them
//! for every service but S3 (and as botocore, the AWS CLI and aws-sdk-rust
//! compute them for KMS, IAM and STS).

use crate::{Authorization, SigV4Error, percent};

/// What of a request the signature covers.
///
/// Header names may be any case; a name may repeat, its values are then
/// joined with `,` in the order given, as SigV4 requires.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The raw path as received, e.g. `/` (still percent-encoded).
    pub path: &'a str,
    /// The raw query string as received, without `?`; may be empty.
    pub query: &'a str,
    /// Every header of the request, in the order received.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body.
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// The values of the header `name` (any case), in order.
    pub fn header_values(&self, name: &str) -> impl Iterator<Item = &'a [u8]> {
        let headers: &'a [(&'a str, &'a [u8])] = self.headers;
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The canonical value of the header `name`: each value trimmed, runs of
    /// whitespace inside collapsed to one space, the values joined with `,`.
    /// `None` if the request has no such header.
    pub fn canonical_header_value(&self, name: &str) -> Option<Vec<u8>> {
        let mut values = self.header_values(name).peekable();
        values.peek()?;
        let mut out = Vec::new();
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trimmed(&mut out, value);
        }
        Some(out)
    }
}

/// Appends `value` with leading and trailing whitespace removed and each run
/// of whitespace inside turned into one space (SigV4's "Trimall", done as
/// botocore does it: `' '.join(value.split())`).
fn push_trimmed(out: &mut Vec<u8>, value: &[u8]) {
    let mut started = false;
    let mut pending_space = false;
    for &b in value {
        if b.is_ascii_whitespace() || b == 0x0b {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(b);
            started = true;
        }
    }
}

/// The canonical URI of a raw (still percent-encoded) path.
///
/// As every SDK does it for non-S3 services: dot segments are removed and
/// runs of `/` collapsed (botocore's `remove_dot_segments`), then every byte
/// but unreserved characters and `/` is percent-encoded, so what the client
/// had percent-encoded is encoded a second time (`%20` → `%2520`). An empty
/// path is `/`; a trailing `/` is kept.
pub fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        percent::encode_into(&mut out, segment.as_bytes(), false);
    }
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// The canonical query string of a raw query string (without `?`).
///
/// Each `&`-separated parameter is split at its first `=` (none: empty
/// value), name and value are decoded and re-encoded strictly (space is
/// `%20`), the pairs are sorted by encoded name then encoded value and joined
/// as `name=value` with `&`. Empty parameters (`a=1&&b=2`) are skipped.
pub fn canonical_query_string(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            (encode_query_component(name), encode_query_component(value))
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::with_capacity(query.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

fn encode_query_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    percent::encode_into(&mut out, &percent::decode_query_component(raw), false);
    out
}

/// The canonical request of `req` as signed by `auth`, for logs and
/// debugging (some AWS services echo it in their mismatch message; kmsd
/// does not, it only logs it).
///
/// Fails with [`SigV4Error::SignedHeaderMissing`] if a signed header is not
/// in the request.
pub fn canonical_request(
    req: &RequestParts<'_>,
    auth: &Authorization,
) -> Result<Vec<u8>, SigV4Error> {
    let hashed_payload = crate::hex::encode(crate::signing_key::sha256(req.body).as_ref());
    build_canonical_request(req, &auth.signed_headers, &hashed_payload)
}

/// The canonical request, with the hex SHA-256 of the body given.
pub(crate) fn build_canonical_request(
    req: &RequestParts<'_>,
    signed_headers: &[String],
    hashed_payload: &str,
) -> Result<Vec<u8>, SigV4Error> {
    let mut out = Vec::with_capacity(256 + req.path.len() + req.query.len());
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(req.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query_string(req.query).as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        let value =
            req.canonical_header_value(name)
                .ok_or_else(|| SigV4Error::SignedHeaderMissing {
                    header: name.clone(),
                })?;
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&value);
        out.push(b'\n');
    }
    out.push(b'\n');
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        out.extend_from_slice(name.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(hashed_payload.as_bytes());
    Ok(out)
}

/// `AWS4-HMAC-SHA256\n<x-amz-date>\n<scope>\n<hex sha256 of canonical request>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    let hashed = crate::hex::encode(crate::signing_key::sha256(canonical_request).as_ref());
    format!(
        "{}\n{amz_date}\n{scope}\n{hashed}",
        crate::authorization::ALGORITHM
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uri_of_root_and_empty() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("//"), "/");
    }

    #[test]
    fn uri_double_encodes() {
        assert_eq!(canonical_uri("/foo"), "/foo");
        assert_eq!(canonical_uri("/foo%20bar"), "/foo%2520bar");
        assert_eq!(canonical_uri("/a%2Fb"), "/a%252Fb");
        assert_eq!(canonical_uri("/-._~"), "/-._~");
        assert_eq!(canonical_uri("/a b"), "/a%20b");
        assert_eq!(canonical_uri("/ሴ"), "/%E1%88%B4");
        assert_eq!(canonical_uri("/$:@=+"), "/%24%3A%40%3D%2B");
    }

    #[test]
    fn uri_normalises_like_botocore() {
        // The SigV4 test suite's normalize-path cases.
        assert_eq!(canonical_uri("/example/.."), "/");
        assert_eq!(canonical_uri("/example1/example2/../.."), "/");
        assert_eq!(canonical_uri("/./"), "/");
        assert_eq!(canonical_uri("/example/./"), "/example/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/example/../example/"), "/example/");
        // More.
        assert_eq!(canonical_uri("/a/b/../c"), "/a/c");
        assert_eq!(canonical_uri("/../../a"), "/a");
        assert_eq!(canonical_uri("/a/b/.."), "/a");
        assert_eq!(canonical_uri("a/b"), "/a/b");
        assert_eq!(canonical_uri("/a//b///c/"), "/a/b/c/");
        assert_eq!(canonical_uri("/..."), "/...");
    }

    #[test]
    fn query_sorted_and_strictly_encoded() {
        assert_eq!(canonical_query_string(""), "");
        assert_eq!(
            canonical_query_string("Param2=value2&Param1=value1"),
            "Param1=value1&Param2=value2"
        );
        // Sorted by name, then value; byte order (uppercase first).
        assert_eq!(
            canonical_query_string("Param1=value2&Param1=Value1"),
            "Param1=Value1&Param1=value2"
        );
        assert_eq!(canonical_query_string("b=1&a=2&B=3"), "B=3&a=2&b=1");
        // Names alone get an empty value; empty parameters are dropped.
        assert_eq!(canonical_query_string("lifecycle"), "lifecycle=");
        assert_eq!(canonical_query_string("a=&&b"), "a=&b=");
        // Split at the first '=' only.
        assert_eq!(canonical_query_string("a=b=c"), "a=b%3Dc");
        // Decoded then re-encoded: the same parameter however it was sent.
        assert_eq!(canonical_query_string("p=a%20b"), "p=a%20b");
        assert_eq!(canonical_query_string("p=a+b"), "p=a%20b");
        assert_eq!(canonical_query_string("p=a%2bb"), "p=a%2Bb");
        assert_eq!(canonical_query_string("p=%7e%2d"), "p=~-");
        assert_eq!(canonical_query_string("p=%C3%A9"), "p=%C3%A9");
        assert_eq!(canonical_query_string("p=é"), "p=%C3%A9");
        assert_eq!(canonical_query_string("p=100%"), "p=100%25");
        assert_eq!(canonical_query_string("k%20y=v"), "k%20y=v");
        // Sorting happens on the encoded form.
        assert_eq!(canonical_query_string("b=1&a%62=2"), "ab=2&b=1");
        assert_eq!(
            canonical_query_string(
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            ),
            "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn header_values_trimmed_and_joined() {
        let headers: &[(&str, &[u8])] = &[
            ("My-Header1", b"  value1  "),
            ("my-header2", b"\"a   b \t c\""),
            ("X-Dup", b"a"),
            ("Other", b"z"),
            ("x-dup", b"  b  c "),
            ("Empty", b""),
            ("Spaces", b"   "),
        ];
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: "",
            headers,
            body: b"",
        };
        let v = |n| req.canonical_header_value(n);
        assert_eq!(v("my-header1").unwrap(), b"value1");
        assert_eq!(v("MY-HEADER2").unwrap(), b"\"a b c\"");
        assert_eq!(v("x-dup").unwrap(), b"a,b c");
        assert_eq!(v("empty").unwrap(), b"");
        assert_eq!(v("spaces").unwrap(), b"");
        assert_eq!(v("absent"), None);
    }

    #[test]
    fn canonical_request_of_get_vanilla() {
        let headers: &[(&str, &[u8])] = &[
            ("Host", b"example.amazonaws.com"),
            ("X-Amz-Date", b"20150830T123600Z"),
        ];
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: "",
            headers,
            body: b"",
        };
        let signed = ["host".to_owned(), "x-amz-date".to_owned()];
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let creq = build_canonical_request(&req, &signed, empty).unwrap();
        assert_eq!(
            String::from_utf8(creq.clone()).unwrap(),
            format!(
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n{empty}"
            )
        );
        // The suite's string to sign for get-vanilla.
        assert_eq!(
            string_to_sign(
                "20150830T123600Z",
                "20150830/us-east-1/service/aws4_request",
                &creq
            ),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
    }

    #[test]
    fn missing_signed_header_is_reported() {
        let headers: &[(&str, &[u8])] = &[("host", b"h")];
        let req = RequestParts {
            method: "GET",
            path: "/",
            query: "",
            headers,
            body: b"",
        };
        let signed = ["host".to_owned(), "x-foo".to_owned()];
        assert_eq!(
            build_canonical_request(&req, &signed, ""),
            Err(SigV4Error::SignedHeaderMissing {
                header: "x-foo".into()
            })
        );
    }

    fn query_param() -> impl Strategy<Value = (String, String)> {
        // Raw, as a client might send them: some encoded, some not.
        let part = "([A-Za-z0-9._~-]|%[0-9A-Fa-f]{2}|\\+| |é|=)*";
        (part, part).prop_map(|(n, v)| (n.replace('=', "%3D"), v))
    }

    proptest! {
        #[test]
        fn query_order_does_not_matter(
            params in proptest::collection::vec(query_param(), 0..8),
            seed in any::<u64>(),
        ) {
            let join = |ps: &[(String, String)]| {
                ps.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("&")
            };
            let mut shuffled = params.clone();
            // A deterministic shuffle driven by the seed.
            let mut state = seed;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let j = usize::try_from(state >> 33).unwrap() % (i + 1);
                shuffled.swap(i, j);
            }
            let canonical = canonical_query_string(&join(&params));
            prop_assert_eq!(&canonical, &canonical_query_string(&join(&shuffled)));
            // And canonicalising is idempotent.
            prop_assert_eq!(&canonical, &canonical_query_string(&canonical));
        }

        #[test]
        fn uri_is_rooted_ascii_without_double_slashes(path in "(/|[a-z]|%[0-9A-F]{2}|\\.|\\.\\.| |é)*") {
            let once = canonical_uri(&path);
            prop_assert!(once.starts_with('/'));
            prop_assert!(once.is_ascii());
            prop_assert!(!once.contains("//"));
        }
    }
}
