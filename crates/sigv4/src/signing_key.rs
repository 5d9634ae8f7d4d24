//! The SigV4 signing key and the two primitives under it (SHA-256 and
//! HMAC-SHA256, from aws-lc-rs).

use aws_lc_rs::{digest, hmac};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The derived key `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date),
/// region), service), "aws4_request")`.
///
/// It is good for one access key, day, region and service. Overwritten with
/// zeros when dropped; `Debug` does not show it.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SigningKey([u8; 32]);

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// HMAC-SHA256 of `data` under this key: the signature of a string to
    /// sign.
    pub fn sign(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, data)
    }
}

/// Derives the signing key for `date` (`yyyymmdd`), `region` and `service`.
pub fn derive_signing_key(
    secret_access_key: &[u8],
    date: &str,
    region: &str,
    service: &str,
) -> SigningKey {
    let mut k_secret = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret_access_key);
    let k_date = Zeroizing::new(hmac_sha256(&k_secret, date.as_bytes()));
    let k_region = Zeroizing::new(hmac_sha256(k_date.as_ref(), region.as_bytes()));
    let k_service = Zeroizing::new(hmac_sha256(k_region.as_ref(), service.as_bytes()));
    SigningKey(hmac_sha256(
        k_service.as_ref(),
        crate::authorization::TERMINATOR.as_bytes(),
    ))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> digest::Digest {
    digest::digest(&digest::SHA256, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    #[test]
    fn derives_the_documented_key() {
        // AWS's documentation example ("Examples of how to derive a signing
        // key for Signature Version 4"): secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215, us-east-1, iam.
        let key = derive_signing_key(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(&key.0),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let key = derive_signing_key(b"secret", "20150830", "us-east-1", "kms");
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }

    #[test]
    fn zeroize_clears_the_key() {
        let mut key = derive_signing_key(b"secret", "20150830", "us-east-1", "kms");
        assert_ne!(key.0, [0u8; 32]);
        key.zeroize();
        assert_eq!(key.0, [0u8; 32]);
    }

    #[test]
    fn sha256_of_nothing() {
        assert_eq!(
            hex::encode(sha256(b"").as_ref()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
