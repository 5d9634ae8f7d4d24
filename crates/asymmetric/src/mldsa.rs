//! ML-DSA over an external μ (`MessageType::ExternalMu`), with RustCrypto's `ml-dsa`.
//!
//! aws-lc-rs signs and verifies whole messages only (its `verify_digest` refuses ML-DSA), so
//! RAW stays on aws-lc-rs and only the μ entry points of FIPS 204 (Algorithm 7/8 with a
//! caller-computed μ) come from `ml-dsa`. Both sides use the same key: the 32-byte seed ξ that
//! aws-lc-rs writes into the PKCS#8 it produces (the `seed` form of the ML-DSA private key
//! encoding), from which `ml-dsa` derives the identical key pair (KeyGen_internal).

use crate::AsymmetricError;
use aws_lc_rs::rand::SecureRandom;
use ml_dsa::common::array::Array;
use ml_dsa::signature::digest::Update;
use ml_dsa::signature::rand_core::{TryCryptoRng, TryRng};
use ml_dsa::{
    EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, MlDsa44, MlDsa65, MlDsa87,
    MlDsaParams, Seed, Signature, VerifyingKey,
};
use zeroize::Zeroizing;

/// The ML-DSA parameter set of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    L44,
    L65,
    L87,
}

/// An `ml-dsa` signing key expanded from ξ, kept for repeated EXTERNAL_MU signing (the
/// expansion costs about as much as a signature). Zeroized on drop by `ml-dsa`.
pub(crate) enum MuSigningKey {
    L44(Box<ExpandedSigningKey<MlDsa44>>),
    L65(Box<ExpandedSigningKey<MlDsa65>>),
    L87(Box<ExpandedSigningKey<MlDsa87>>),
}

impl MuSigningKey {
    pub(crate) fn new(level: Level, seed: &[u8; 32]) -> Self {
        let mut xi = Zeroizing::new(Seed::default());
        xi.copy_from_slice(seed);
        match level {
            Level::L44 => MuSigningKey::L44(Box::new(ExpandedSigningKey::from_seed(&xi))),
            Level::L65 => MuSigningKey::L65(Box::new(ExpandedSigningKey::from_seed(&xi))),
            Level::L87 => MuSigningKey::L87(Box::new(ExpandedSigningKey::from_seed(&xi))),
        }
    }

    /// Signs the 64-byte `mu` (hedged: fresh randomness from `rng`); the encoded signature.
    pub(crate) fn sign(
        &self,
        mu: &[u8; 64],
        rng: &dyn SecureRandom,
    ) -> Result<Vec<u8>, AsymmetricError> {
        match self {
            MuSigningKey::L44(key) => sign_mu_with(key, mu, rng),
            MuSigningKey::L65(key) => sign_mu_with(key, mu, rng),
            MuSigningKey::L87(key) => sign_mu_with(key, mu, rng),
        }
    }
}

/// An `ml-dsa` verifying key (with its expanded matrix), kept for repeated EXTERNAL_MU
/// verification.
pub(crate) enum MuVerifyingKey {
    L44(Box<VerifyingKey<MlDsa44>>),
    L65(Box<VerifyingKey<MlDsa65>>),
    L87(Box<VerifyingKey<MlDsa87>>),
}

impl MuVerifyingKey {
    /// From the raw (FIPS 204 pkEncode) public key; `None` if it is not that key's size.
    pub(crate) fn new(level: Level, public_key: &[u8]) -> Option<Self> {
        Some(match level {
            Level::L44 => MuVerifyingKey::L44(Box::new(decode_key(public_key)?)),
            Level::L65 => MuVerifyingKey::L65(Box::new(decode_key(public_key)?)),
            Level::L87 => MuVerifyingKey::L87(Box::new(decode_key(public_key)?)),
        })
    }

    /// Whether `signature` is valid for `mu`.
    pub(crate) fn verify(&self, mu: &[u8; 64], signature: &[u8]) -> bool {
        match self {
            MuVerifyingKey::L44(key) => verify_mu_with(key, mu, signature),
            MuVerifyingKey::L65(key) => verify_mu_with(key, mu, signature),
            MuVerifyingKey::L87(key) => verify_mu_with(key, mu, signature),
        }
    }
}

/// μ = SHAKE256(SHAKE256(pk, 64) ‖ 0 ‖ 0 ‖ message, 64): the message representative of pure
/// ML-DSA with an empty context, which a client sends as an EXTERNAL_MU message.
pub(crate) fn external_mu(level: Level, public_key: &[u8], message: &[u8]) -> Option<[u8; 64]> {
    match level {
        Level::L44 => external_mu_with::<MlDsa44>(public_key, message),
        Level::L65 => external_mu_with::<MlDsa65>(public_key, message),
        Level::L87 => external_mu_with::<MlDsa87>(public_key, message),
    }
}

/// The public key derived from `seed` by `ml-dsa` (tests compare it with aws-lc-rs's).
#[cfg(test)]
pub(crate) fn public_key_from_seed(level: Level, seed: &[u8; 32]) -> Vec<u8> {
    fn with<P: MlDsaParams>(seed: &[u8; 32]) -> Vec<u8> {
        let seed = Seed::from(*seed);
        ml_dsa::SigningKey::<P>::from_seed(&seed)
            .expanded_key()
            .verifying_key()
            .encode()
            .to_vec()
    }
    match level {
        Level::L44 => with::<MlDsa44>(seed),
        Level::L65 => with::<MlDsa65>(seed),
        Level::L87 => with::<MlDsa87>(seed),
    }
}

fn sign_mu_with<P: MlDsaParams>(
    key: &ExpandedSigningKey<P>,
    mu: &[u8; 64],
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, AsymmetricError> {
    let signature = key
        .sign_mu_randomized(&Array::from(*mu), &mut Rng(rng))
        .map_err(|_| AsymmetricError::Internal)?;
    Ok(signature.encode().to_vec())
}

fn decode_key<P: MlDsaParams>(public_key: &[u8]) -> Option<VerifyingKey<P>> {
    let encoded = EncodedVerifyingKey::<P>::try_from(public_key).ok()?;
    Some(VerifyingKey::<P>::decode(&encoded))
}

fn verify_mu_with<P: MlDsaParams>(key: &VerifyingKey<P>, mu: &[u8; 64], signature: &[u8]) -> bool {
    let Ok(encoded_signature) = EncodedSignature::<P>::try_from(signature) else {
        return false;
    };
    let Some(signature) = Signature::<P>::decode(&encoded_signature) else {
        return false;
    };
    key.verify_mu(&Array::from(*mu), &signature)
}

fn external_mu_with<P: MlDsaParams>(public_key: &[u8], message: &[u8]) -> Option<[u8; 64]> {
    let mu = decode_key::<P>(public_key)?
        .compute_mu(
            |h| {
                h.update(message);
                Ok(())
            },
            &[],
        )
        .ok()?;
    Some(mu.into())
}

/// aws-lc-rs's random generator as the `rand_core` generator `ml-dsa` asks for.
struct Rng<'a>(&'a dyn SecureRandom);

impl TryRng for Rng<'_> {
    type Error = aws_lc_rs::error::Unspecified;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst)
    }
}

impl TryCryptoRng for Rng<'_> {}

/// The seed ξ inside an ML-DSA PKCS#8 `PrivateKeyInfo`: the `seed` ([0] IMPLICIT OCTET STRING)
/// or `both` (SEQUENCE { seed, expandedKey }) form of the private key. `None` for the
/// expanded-only form or anything that does not parse.
pub(crate) fn seed_from_pkcs8(der: &[u8]) -> Option<Zeroizing<[u8; 32]>> {
    let (0x30, info, []) = tlv(der)? else {
        return None;
    };
    let (0x02, _version, rest) = tlv(info)? else {
        return None;
    };
    let (0x30, _algorithm, rest) = tlv(rest)? else {
        return None;
    };
    let (0x04, private_key, _) = tlv(rest)? else {
        return None;
    };
    let seed = match tlv(private_key)? {
        (0x80, seed, []) => seed,
        (0x30, both, []) => match tlv(both)? {
            (0x04, seed, _) => seed,
            _ => return None,
        },
        _ => return None,
    };
    let mut out = Zeroizing::new([0u8; 32]);
    if seed.len() != out.len() {
        return None;
    }
    out.copy_from_slice(seed);
    Some(out)
}

/// One DER tag-length-value (single-byte tags, definite lengths of up to 2 length bytes):
/// (tag, value, what follows).
pub(crate) fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 2 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    let (value, rest) = rest.split_at_checked(len)?;
    Some((tag, value, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_reads_short_and_long_lengths() {
        assert_eq!(
            tlv(&[0x04, 2, 9, 8, 7]),
            Some((0x04, &[9u8, 8][..], &[7u8][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([1u8; 0x80]);
        assert_eq!(tlv(&long).map(|t| t.1.len()), Some(0x80));
        assert_eq!(tlv(&[0x04, 3, 1]), None);
        assert_eq!(tlv(&[0x04, 0x83, 0, 0, 1, 0]), None);
        assert_eq!(tlv(&[0x04]), None);
    }

    #[test]
    fn seed_forms() {
        let prefix = [
            0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
            0x03, 0x12,
        ];
        let wrap = |private: Vec<u8>| {
            let mut octets = vec![0x04, private.len() as u8];
            octets.extend(private);
            let mut body = prefix.to_vec();
            body.extend(octets);
            let mut der = vec![0x30, body.len() as u8];
            der.extend(body);
            der
        };
        let mut seed_form = vec![0x80, 32];
        seed_form.extend([5u8; 32]);
        assert_eq!(
            seed_from_pkcs8(&wrap(seed_form)).as_deref(),
            Some(&[5u8; 32])
        );
        let mut both = vec![0x04, 32];
        both.extend([6u8; 32]);
        both.extend([0x04, 3, 1, 2, 3]);
        let mut both_form = vec![0x30, both.len() as u8];
        both_form.extend(both);
        assert_eq!(
            seed_from_pkcs8(&wrap(both_form)).as_deref(),
            Some(&[6u8; 32])
        );
        assert!(seed_from_pkcs8(&wrap(vec![0x04, 3, 1, 2, 3])).is_none());
        let mut short_seed = vec![0x80, 31];
        short_seed.extend([5u8; 31]);
        assert!(seed_from_pkcs8(&wrap(short_seed)).is_none());
        assert!(seed_from_pkcs8(&[]).is_none());
    }
}
