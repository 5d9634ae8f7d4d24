//! Verifying a signed request: the checks AWS makes before it looks at the
//! signature (date, skew, signed headers, scope date), then the signature.

use aws_lc_rs::constant_time::verify_slices_are_equal;

use crate::canonical::{RequestParts, build_canonical_request, string_to_sign};
use crate::timestamp::{epoch_to_wire_date, wire_date_to_epoch};
use crate::{Authorization, SigV4Error, SigningKey, hex, signing_key::sha256};

/// How far `X-Amz-Date` may be from now, either way, in seconds.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

const X_AMZ_DATE: &str = "x-amz-date";
const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";
const HOST: &str = "host";

/// Everything [`verify`] checks that does not need the signing key, in
/// AWS's order, so a server can refuse a request before it looks up the
/// access key:
/// 1. `X-Amz-Date` present ([`SigV4Error::MissingDate`]) and of the form
///    `yyyymmddThhmmssZ` ([`SigV4Error::MalformedDate`]);
/// 2. at most 15 minutes from `now_epoch_seconds`
///    ([`SigV4Error::SignatureExpired`], [`SigV4Error::SignatureNotYetCurrent`]);
/// 3. `host` signed ([`SigV4Error::HostNotSigned`]), `x-amz-date` signed
///    ([`SigV4Error::DateNotSigned`]);
/// 4. the scope's date is the day of `X-Amz-Date`
///    ([`SigV4Error::ScopeDateMismatch`]).
///
/// The region and service of the scope are the server's to check, with
/// [`Authorization::check_scope`].
pub fn precheck(
    req: &RequestParts<'_>,
    auth: &Authorization,
    now_epoch_seconds: i64,
) -> Result<(), SigV4Error> {
    checked_amz_date(req, auth, now_epoch_seconds).map(drop)
}

/// Verifies `req` was signed as `auth` says with `key`: [`precheck`], then
/// - if the request has an `X-Amz-Content-SHA256` header, it is the hex
///   SHA-256 of the body ([`SigV4Error::ContentSha256Mismatch`];
///   `UNSIGNED-PAYLOAD` and streaming values are refused the same way);
/// - every signed header is in the request ([`SigV4Error::SignedHeaderMissing`]);
/// - the signature is that of the canonical request, compared in constant
///   time ([`SigV4Error::SignatureMismatch`]).
///
/// `key` must be the signing key of `auth`'s access key for `auth.date`,
/// `auth.region` and `auth.service`.
pub fn verify(
    req: &RequestParts<'_>,
    auth: &Authorization,
    key: &SigningKey,
    now_epoch_seconds: i64,
) -> Result<(), SigV4Error> {
    let amz_date = checked_amz_date(req, auth, now_epoch_seconds)?;

    let hashed_payload = hex::encode(sha256(req.body).as_ref());
    if let Some(claimed) = req.canonical_header_value(X_AMZ_CONTENT_SHA256)
        && claimed != hashed_payload.as_bytes()
    {
        return Err(SigV4Error::ContentSha256Mismatch);
    }

    let canonical_request = build_canonical_request(req, &auth.signed_headers, &hashed_payload)?;
    let string_to_sign = string_to_sign(&amz_date, &auth.credential_scope(), &canonical_request);
    let expected = key.sign(string_to_sign.as_bytes());
    verify_slices_are_equal(&expected, &auth.signature).map_err(|_| SigV4Error::SignatureMismatch)
}

/// The checks of [`precheck`]; returns `X-Amz-Date`.
fn checked_amz_date(
    req: &RequestParts<'_>,
    auth: &Authorization,
    now: i64,
) -> Result<String, SigV4Error> {
    let raw = req
        .canonical_header_value(X_AMZ_DATE)
        .ok_or(SigV4Error::MissingDate)?;
    let (amz_date, epoch) = match String::from_utf8(raw) {
        Ok(s) => match wire_date_to_epoch(&s) {
            Some(epoch) => (s, epoch),
            None => return Err(SigV4Error::MalformedDate { value: s }),
        },
        Err(e) => {
            return Err(SigV4Error::MalformedDate {
                value: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            });
        }
    };

    let earliest = now.saturating_sub(MAX_SKEW_SECONDS);
    let latest = now.saturating_add(MAX_SKEW_SECONDS);
    if epoch < earliest {
        return Err(SigV4Error::SignatureExpired {
            request_date: amz_date,
            limit: epoch_to_wire_date(earliest),
            now: epoch_to_wire_date(now),
        });
    }
    if epoch > latest {
        return Err(SigV4Error::SignatureNotYetCurrent {
            request_date: amz_date,
            limit: epoch_to_wire_date(latest),
            now: epoch_to_wire_date(now),
        });
    }

    let signed = |name: &str| {
        auth.signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
    };
    if !signed(HOST) {
        return Err(SigV4Error::HostNotSigned);
    }
    if !signed(X_AMZ_DATE) {
        return Err(SigV4Error::DateNotSigned);
    }

    let request_day = &amz_date[..8];
    if auth.date != request_day {
        return Err(SigV4Error::ScopeDateMismatch {
            scope_date: auth.date.clone(),
            request_day: request_day.to_owned(),
            request_date: amz_date.clone(),
        });
    }
    Ok(amz_date)
}
