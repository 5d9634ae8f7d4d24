//! The encryption context: a string→string map bound to a ciphertext as associated data.

use std::collections::BTreeMap;

/// Why an encryption context can't be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncryptionContextError {
    #[error("encryption context is too large")]
    TooLarge,
}

/// An encryption context, kept sorted so its canonical form is unique.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    pub fn new(pairs: BTreeMap<String, String>) -> EncryptionContext {
        EncryptionContext(pairs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// The canonical byte form bound into ciphertexts: the pair count, then each key and value
    /// in key order, every item prefixed by its length as a big-endian u32. Unambiguous, so two
    /// different contexts never share a canonical form.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let len: usize = self.0.iter().map(|(k, v)| 8 + k.len() + v.len()).sum();
        let mut out = Vec::with_capacity(4 + len);
        out.extend_from_slice(&(self.0.len() as u32).to_be_bytes());
        for (k, v) in &self.0 {
            out.extend_from_slice(&(k.len() as u32).to_be_bytes());
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&(v.len() as u32).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        EncryptionContext::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn canonical_form_ignores_order_and_is_unambiguous() {
        assert_eq!(
            ctx(&[("a", "1"), ("b", "2")]).canonical_bytes(),
            ctx(&[("b", "2"), ("a", "1")]).canonical_bytes()
        );
        assert_ne!(
            ctx(&[("ab", "c")]).canonical_bytes(),
            ctx(&[("a", "bc")]).canonical_bytes()
        );
        assert_ne!(
            ctx(&[]).canonical_bytes(),
            ctx(&[("", "")]).canonical_bytes()
        );
    }
}
