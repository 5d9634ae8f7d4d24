//! Where condition keys get their values: the request context.

use std::collections::HashMap;

/// The values of one condition key, borrowed from the context: no allocation per lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextValues<'a> {
    /// A single value.
    One(&'a str),
    /// Several values (a multivalued key such as `kms:EncryptionContextKeys`).
    Many(&'a [String]),
    /// Several borrowed values.
    Strs(&'a [&'a str]),
}

impl<'a> ContextValues<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Self::One(_) => 1,
            Self::Many(v) => v.len(),
            Self::Strs(v) => v.len(),
        }
    }

    /// True when there is no value at all (treated like an absent key).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<&'a str> {
        match *self {
            Self::One(v) => (index == 0).then_some(v),
            Self::Many(v) => v.get(index).map(String::as_str),
            Self::Strs(v) => v.get(index).copied(),
        }
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// The value when there is exactly one.
    pub fn single(&self) -> Option<&'a str> {
        if self.len() == 1 { self.get(0) } else { None }
    }
}

/// A source of condition-key values for one request.
///
/// Condition key names compare case-insensitively, as in AWS: the evaluator always passes
/// `key` in ASCII lowercase (`kms:encryptioncontext:purpose`), so implementations must store
/// their keys lowercased. Values are case-preserving.
pub trait ConditionContext {
    /// The values of `key` (lowercase), or `None` when the request does not have the key.
    /// An empty value list is treated like an absent key.
    fn values(&self, key: &str) -> Option<ContextValues<'_>>;
}

impl<T: ConditionContext + ?Sized> ConditionContext for &T {
    fn values(&self, key: &str) -> Option<ContextValues<'_>> {
        (**self).values(key)
    }
}

/// A context without any key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmptyContext;

impl ConditionContext for EmptyContext {
    fn values(&self, _key: &str) -> Option<ContextValues<'_>> {
        None
    }
}

/// A ready [`ConditionContext`]: a map from lowercased key names to their values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextMap {
    map: HashMap<String, Vec<String>>,
}

impl ContextMap {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value to `key` (any case), keeping the values it already has.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.map
            .entry(key.to_ascii_lowercase())
            .or_default()
            .push(value.into());
        self
    }

    /// Replaces all values of `key` (any case).
    pub fn set<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.map.insert(
            key.to_ascii_lowercase(),
            values.into_iter().map(Into::into).collect(),
        );
        self
    }

    /// Builder form of [`ContextMap::insert`].
    #[must_use]
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.insert(key, value);
        self
    }

    /// Builder form of [`ContextMap::set`].
    #[must_use]
    pub fn with_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set(key, values);
        self
    }

    /// Removes `key` (any case).
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        self.map.remove(&key.to_ascii_lowercase())
    }

    /// The values of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&[String]> {
        match self.map.get(key) {
            Some(v) => Some(v),
            None => self.map.get(&key.to_ascii_lowercase()).map(Vec::as_slice),
        }
    }
}

impl ConditionContext for ContextMap {
    fn values(&self, key: &str) -> Option<ContextValues<'_>> {
        self.map
            .get(key)
            .filter(|v| !v.is_empty())
            .map(|v| ContextValues::Many(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_lowercase() {
        let ctx = ContextMap::new()
            .with("kms:EncryptionContext:Purpose", "test")
            .with("kms:encryptioncontext:purpose", "second");
        let v = ctx.values("kms:encryptioncontext:purpose").unwrap();
        assert_eq!(v.iter().collect::<Vec<_>>(), ["test", "second"]);
        assert_eq!(v.single(), None);
        assert_eq!(ctx.get("KMS:EncryptionContext:PURPOSE").unwrap().len(), 2);
        // The trait takes lowercase keys only.
        assert!(ctx.values("KMS:EncryptionContext:Purpose").is_none());
    }

    #[test]
    fn empty_value_lists_are_absent() {
        let mut ctx = ContextMap::new();
        ctx.set("kms:EncryptionContextKeys", Vec::<String>::new());
        assert!(ctx.values("kms:encryptioncontextkeys").is_none());
        ctx.set("kms:EncryptionContextKeys", ["a", "b"]);
        assert_eq!(ctx.values("kms:encryptioncontextkeys").unwrap().len(), 2);
        assert_eq!(ctx.remove("KMS:ENCRYPTIONCONTEXTKEYS").unwrap().len(), 2);
        assert!(ctx.values("kms:encryptioncontextkeys").is_none());
    }

    #[test]
    fn values_accessors() {
        let one = ContextValues::One("x");
        assert_eq!(one.single(), Some("x"));
        assert_eq!(one.get(1), None);
        let strs = ContextValues::Strs(&["a", "b"]);
        assert_eq!(strs.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert!(!strs.is_empty());
        assert!(EmptyContext.values("aws:username").is_none());
    }
}
