//! Parsing the `Authorization` header of a SigV4-signed request:
//!
//! ```text
//! AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d67...
//! ```

use crate::SigV4Error;

/// The only algorithm supported.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// A parsed SigV4 `Authorization` header.
///
/// `Debug` leaves the signature out.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id of the credential.
    pub access_key_id: String,
    /// The date of the credential scope, `yyyymmdd` (as given, unchecked
    /// here: [`crate::verify`] checks it against `X-Amz-Date`).
    pub date: String,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// The names of the signed headers, in the order given (clients send them
    /// lowercase and sorted). Empty names are refused.
    pub signed_headers: Vec<String>,
    /// The signature.
    pub signature: [u8; 32],
}

impl core::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authorization")
            .field("access_key_id", &self.access_key_id)
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
}

impl Authorization {
    /// `date/region/service/aws4_request`, the credential scope as it appears
    /// in the string to sign.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date, self.region, self.service
        )
    }

    /// Checks the credential scope names this server's region and service,
    /// with AWS's errors ([`SigV4Error::WrongRegion`], then
    /// [`SigV4Error::WrongService`]). AWS compares both exactly (case
    /// matters).
    pub fn check_scope(&self, region: &str, service: &str) -> Result<(), SigV4Error> {
        if self.region != region {
            return Err(SigV4Error::WrongRegion {
                region: self.region.clone(),
            });
        }
        if self.service != service {
            return Err(SigV4Error::WrongService {
                expected: service.to_owned(),
            });
        }
        Ok(())
    }
}

/// Parses an `Authorization` header value.
///
/// Components may be separated by commas and/or whitespace; unknown
/// components are ignored; of a repeated component the first counts.
/// Errors, in the order they are checked:
/// - not starting with `AWS4-`: [`SigV4Error::MissingAuthenticationToken`];
/// - another `AWS4-` algorithm: [`SigV4Error::UnsupportedAlgorithm`];
/// - a component without `=`: [`SigV4Error::MalformedParameter`];
/// - `Credential` or `Signature` missing or empty, `SignedHeaders` missing:
///   [`SigV4Error::MissingParameters`];
/// - a credential not of five `/`-separated elements (trailing `/` ignored):
///   [`SigV4Error::MalformedCredential`];
/// - a scope not ending in `aws4_request`: [`SigV4Error::InvalidTerminator`];
/// - an empty name in `SignedHeaders`: [`SigV4Error::MalformedSignedHeaders`];
/// - a signature that is not 64 hex digits: [`SigV4Error::MalformedSignature`].
pub fn parse_authorization(header_value: &str) -> Result<Authorization, SigV4Error> {
    let value = header_value.trim_start_matches(is_separator_char);
    if !value.starts_with("AWS4-") {
        return Err(SigV4Error::MissingAuthenticationToken);
    }
    let (algorithm, rest) = value.split_once(is_separator_char).unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        let shown_len = algorithm
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(algorithm.len());
        return Err(SigV4Error::UnsupportedAlgorithm {
            algorithm: algorithm[..shown_len].to_owned(),
        });
    }

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(is_separator_char).filter(|c| !c.is_empty()) {
        let Some((key, value)) = component.split_once('=') else {
            return Err(SigV4Error::MalformedParameter {
                component: component.to_owned(),
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }
    let credential = credential.filter(|c| !c.is_empty());
    let signature = signature.filter(|s| !s.is_empty());
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(SigV4Error::MissingParameters {
            credential: credential.is_none(),
            signature: signature.is_none(),
            signed_headers: signed_headers.is_none(),
        });
    };

    let mut elements: Vec<&str> = credential.split('/').collect();
    while elements.last().is_some_and(|e| e.is_empty()) {
        elements.pop();
    }
    let [access_key_id, date, region, service, terminator] = elements[..] else {
        return Err(SigV4Error::MalformedCredential {
            credential: credential.to_owned(),
        });
    };
    if terminator != TERMINATOR {
        return Err(SigV4Error::InvalidTerminator {
            terminator: terminator.to_owned(),
        });
    }

    let signed_headers: Vec<String> = if signed_headers.is_empty() {
        Vec::new()
    } else {
        signed_headers.split(';').map(str::to_owned).collect()
    };
    if signed_headers.iter().any(String::is_empty) {
        return Err(SigV4Error::MalformedSignedHeaders);
    }

    let signature = crate::hex::decode_32(signature).ok_or(SigV4Error::MalformedSignature)?;

    Ok(Authorization {
        access_key_id: access_key_id.to_owned(),
        date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        signed_headers,
        signature,
    })
}

fn is_separator_char(c: char) -> bool {
    c == ',' || c.is_ascii_whitespace()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

    fn header(credential: &str, signed: &str, sig: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature={sig}")
    }

    #[test]
    fn parses_what_the_sdks_send() {
        let auth = parse_authorization(&header(
            "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
            "content-type;host;x-amz-date",
            SIG,
        ))
        .unwrap();
        assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
        assert_eq!(auth.date, "20150830");
        assert_eq!(auth.region, "us-east-1");
        assert_eq!(auth.service, "iam");
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(crate::hex::encode(&auth.signature), SIG);
        assert_eq!(
            auth.credential_scope(),
            "20150830/us-east-1/iam/aws4_request"
        );
    }

    #[test]
    fn tolerates_spacing_order_and_unknown_components() {
        let expected = parse_authorization(&header(
            "AKID/20150830/us-east-1/kms/aws4_request",
            "host;x-amz-date",
            SIG,
        ))
        .unwrap();
        for variant in [
            format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request,SignedHeaders=host;x-amz-date,Signature={SIG}"
            ),
            format!(
                "  AWS4-HMAC-SHA256   Signature={SIG} ,  SignedHeaders=host;x-amz-date,Credential=AKID/20150830/us-east-1/kms/aws4_request,"
            ),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request/, Foo=bar, SignedHeaders=host;x-amz-date, Signature={}",
                SIG.to_uppercase()
            ),
            format!(
                "AWS4-HMAC-SHA256\tCredential=AKID/20150830/us-east-1/kms/aws4_request SignedHeaders=host;x-amz-date Signature={SIG}"
            ),
        ] {
            assert_eq!(
                parse_authorization(&variant).unwrap(),
                expected,
                "{variant}"
            );
        }
    }

    #[test]
    fn debug_leaves_the_signature_out() {
        let auth = parse_authorization(&header(
            "AKID/20150830/us-east-1/kms/aws4_request",
            "host;x-amz-date",
            SIG,
        ))
        .unwrap();
        let shown = format!("{auth:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("signature"));
        assert!(!shown.contains("95, 160"));
    }

    #[test]
    fn not_sigv4_is_missing_authentication() {
        for value in [
            "",
            "   ",
            "Basic dXNlcjpwYXNz",
            "AWS AKID:c2ln",
            "aws4-hmac-sha256 Credential=x",
        ] {
            let err = parse_authorization(value).unwrap_err();
            assert_eq!(err, SigV4Error::MissingAuthenticationToken, "{value:?}");
            assert_eq!(err.aws_code(), "MissingAuthenticationTokenException");
            assert_eq!(err.to_string(), "Request is missing Authentication Token");
        }
    }

    #[test]
    fn other_algorithms_are_unsupported() {
        let err = parse_authorization("AWS4-HMAC-SHA512 Credential=x").unwrap_err();
        assert_eq!(err.aws_code(), "IncompleteSignatureException");
        assert_eq!(
            err.to_string(),
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now)."
        );
        // Glued to the next component: only the algorithm-looking part is echoed.
        let err = parse_authorization(&format!(
            "AWS4-HMAC-SHA256Credential=a/b/c/d/e,Signature={SIG}"
        ))
        .unwrap_err();
        assert_eq!(
            err,
            SigV4Error::UnsupportedAlgorithm {
                algorithm: "AWS4-HMAC-SHA256Credential".into()
            }
        );
        assert!(!err.to_string().contains(SIG));
    }

    #[test]
    fn missing_parameters_are_listed_together() {
        let err = parse_authorization("AWS4-HMAC-SHA256").unwrap_err();
        assert_eq!(err.aws_code(), "IncompleteSignatureException");
        assert_eq!(
            err.to_string(),
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
        );
        let err = parse_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature={SIG}"
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256"
        );
        let err = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=",
        )
        .unwrap_err();
        assert_eq!(
            err,
            SigV4Error::MissingParameters {
                credential: false,
                signature: true,
                signed_headers: false
            }
        );
        let err = parse_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kms/aws4_request, Signature={SIG}"
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
        );
    }

    #[test]
    fn empty_signed_headers_parse_and_are_refused_later() {
        let auth =
            parse_authorization(&header("AKID/20150830/us-east-1/kms/aws4_request", "", SIG))
                .unwrap();
        assert!(auth.signed_headers.is_empty());
    }

    #[test]
    fn component_without_equal_sign() {
        let err = parse_authorization(&format!(
            "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature={SIG}"
        ))
        .unwrap_err();
        assert_eq!(err.aws_code(), "IncompleteSignatureException");
        assert_eq!(
            err.to_string(),
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header."
        );
    }

    #[test]
    fn credential_must_have_five_elements() {
        for credential in [
            "AKID/20150830/us-east-1/kms",
            "AKID/20150830/us-east-1/kms/aws4_request/extra",
            "AKID",
        ] {
            let err = parse_authorization(&header(credential, "host", SIG)).unwrap_err();
            assert_eq!(err.aws_code(), "IncompleteSignatureException");
            assert_eq!(
                err.to_string(),
                format!(
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
                )
            );
        }
    }

    #[test]
    fn terminator_must_be_aws4_request() {
        let err = parse_authorization(&header(
            "AKID/20150830/us-east-1/kms/aws5_request",
            "host",
            SIG,
        ))
        .unwrap_err();
        assert_eq!(err.aws_code(), "InvalidSignatureException");
        assert_eq!(
            err.to_string(),
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
        );
    }

    #[test]
    fn signed_headers_without_empty_names() {
        for signed in ["host;;x-amz-date", ";host", "host;"] {
            let err = parse_authorization(&header(
                "AKID/20150830/us-east-1/kms/aws4_request",
                signed,
                SIG,
            ))
            .unwrap_err();
            assert_eq!(err, SigV4Error::MalformedSignedHeaders, "{signed}");
            assert_eq!(err.aws_code(), "IncompleteSignatureException");
        }
    }

    #[test]
    fn signature_must_be_hex() {
        for sig in [
            "abc",
            &SIG[..63],
            &format!("{SIG}0"),
            &format!("{}x", &SIG[..63]),
        ] {
            let err = parse_authorization(&header(
                "AKID/20150830/us-east-1/kms/aws4_request",
                "host",
                sig,
            ))
            .unwrap_err();
            assert_eq!(err, SigV4Error::MalformedSignature);
            assert_eq!(err.aws_code(), "IncompleteSignatureException");
            assert!(!err.to_string().contains(sig));
        }
    }

    #[test]
    fn scope_region_and_service() {
        let auth = parse_authorization(&header(
            "AKID/20150830/us-east-1/kms/aws4_request",
            "host",
            SIG,
        ))
        .unwrap();
        assert_eq!(auth.check_scope("us-east-1", "kms"), Ok(()));
        let err = auth.check_scope("eu-west-1", "kms").unwrap_err();
        assert_eq!(err.aws_code(), "InvalidSignatureException");
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to a valid region, not 'us-east-1'."
        );
        let err = auth.check_scope("us-east-1", "sts").unwrap_err();
        assert_eq!(err.aws_code(), "InvalidSignatureException");
        assert_eq!(
            err.to_string(),
            "Credential should be scoped to correct service: 'sts'."
        );
    }
}
