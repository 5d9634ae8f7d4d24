//! Builds complete, SigV4-signed KMS requests (AWS JSON 1.1) as bytes ready to replay. A
//! signature stays valid for 15 minutes, so a run signs its requests up front and the timed
//! loop spends nothing on signing.

use kmsd_sigv4::{RequestParts, SigningScope, authorization_header, derive_signing_key};
use std::time::{SystemTime, UNIX_EPOCH};

pub struct Signer {
    pub host: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl Signer {
    /// A signed `POST /` of `TrentService.<operation>` with `body`.
    pub fn kms_request(&self, operation: &str, body: &str) -> Vec<u8> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let amz_date = kmsd_sigv4::epoch_to_wire_date(now);
        let target = format!("TrentService.{operation}");
        let headers: [(&str, &[u8]); 4] = [
            ("content-type", b"application/x-amz-json-1.1"),
            ("host", self.host.as_bytes()),
            ("x-amz-date", amz_date.as_bytes()),
            ("x-amz-target", target.as_bytes()),
        ];
        let req = RequestParts {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let date = &amz_date[..8];
        let key = derive_signing_key(self.secret_access_key.as_bytes(), date, &self.region, "kms");
        let scope = SigningScope {
            access_key_id: &self.access_key_id,
            date,
            region: &self.region,
            service: "kms",
        };
        let authorization = authorization_header(&req, &amz_date, &scope, &key).unwrap_or_default();
        format!(
            "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-amz-json-1.1\r\nx-amz-date: {amz_date}\r\nx-amz-target: {target}\r\nauthorization: {authorization}\r\ncontent-length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        )
        .into_bytes()
    }
}
