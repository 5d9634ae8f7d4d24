//! Grants: standing permissions on one key for one grantee, with optional constraints on the
//! encryption context of the requests they allow.

use crate::{EncryptionContext, GrantOperation};
use std::fmt;
use std::str::FromStr;

/// A grant's id: 64 lowercase hex digits (32 random bytes), as AWS shows them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId(pub [u8; 32]);

/// A string that is not a grant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid grant id")]
pub struct InvalidGrantId;

impl FromStr for GrantId {
    type Err = InvalidGrantId;
    fn from_str(s: &str) -> Result<Self, InvalidGrantId> {
        let bytes = s.as_bytes();
        if bytes.len() != 64 {
            return Err(InvalidGrantId);
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]).ok_or(InvalidGrantId)?;
            let lo = hex_digit(pair[1]).ok_or(InvalidGrantId)?;
            out[i] = (hi << 4) | lo;
        }
        Ok(GrantId(out))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

/// `GrantConstraints`: the encryption context a request must carry for the grant to apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantConstraints {
    /// The request's context must be exactly this.
    pub encryption_context_equals: Option<EncryptionContext>,
    /// The request's context must include every pair of this.
    pub encryption_context_subset: Option<EncryptionContext>,
}

impl GrantConstraints {
    pub fn is_empty(&self) -> bool {
        self.encryption_context_equals.is_none() && self.encryption_context_subset.is_none()
    }

    /// Whether a request with `context` satisfies the constraints.
    pub fn allow(&self, context: &EncryptionContext) -> bool {
        if let Some(equals) = &self.encryption_context_equals
            && equals != context
        {
            return false;
        }
        if let Some(subset) = &self.encryption_context_subset
            && !includes(context, subset)
        {
            return false;
        }
        true
    }

    /// Whether `child` is at least as strict as these constraints: every context `child`
    /// allows, `self` allows too (AWS's rule for creating a grant through a constrained
    /// grant).
    pub fn is_implied_by(&self, child: &GrantConstraints) -> bool {
        if self.is_empty() {
            return true;
        }
        if let Some(exact) = &child.encryption_context_equals {
            // Only one context passes the child; the parent must admit it.
            return child.allow(exact) && self.allow(exact);
        }
        if self.encryption_context_equals.is_some() {
            return false;
        }
        match (
            &self.encryption_context_subset,
            &child.encryption_context_subset,
        ) {
            (Some(parent), Some(child)) => includes(child, parent),
            (None, _) => true,
            (Some(_), None) => false,
        }
    }

    /// `kms:GrantConstraintType`'s values.
    pub fn constraint_types(&self) -> Vec<&'static str> {
        let mut types = Vec::new();
        if self.encryption_context_equals.is_some() {
            types.push("EncryptionContextEquals");
        }
        if self.encryption_context_subset.is_some() {
            types.push("EncryptionContextSubset");
        }
        types
    }
}

/// Whether `context` holds every pair of `required`.
fn includes(context: &EncryptionContext, required: &EncryptionContext) -> bool {
    required
        .pairs()
        .iter()
        .all(|(k, v)| context.pairs().get(k) == Some(v))
}

/// The operations of a grant, in a fixed order, without repeats.
pub fn normalize_operations(operations: &[GrantOperation]) -> Vec<GrantOperation> {
    let mut ops = operations.to_vec();
    ops.sort();
    ops.dedup();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ctx(pairs: &[(&str, &str)]) -> EncryptionContext {
        EncryptionContext::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn grant_id_round_trips_and_rejects_bad_text() {
        let text = "0123456789abcdef".repeat(4);
        assert_eq!(text.parse::<GrantId>().unwrap().to_string(), text);
        assert!("0123456789ABCDEF".repeat(4).parse::<GrantId>().is_err());
        assert!("abc".parse::<GrantId>().is_err());
        assert!("g".repeat(64).parse::<GrantId>().is_err());
    }

    #[test]
    fn equals_needs_exact_context_and_subset_needs_inclusion() {
        let equals = GrantConstraints {
            encryption_context_equals: Some(ctx(&[("a", "1")])),
            ..Default::default()
        };
        assert!(equals.allow(&ctx(&[("a", "1")])));
        assert!(!equals.allow(&ctx(&[("a", "1"), ("b", "2")])));
        assert!(!equals.allow(&ctx(&[])));
        let subset = GrantConstraints {
            encryption_context_subset: Some(ctx(&[("a", "1")])),
            ..Default::default()
        };
        assert!(subset.allow(&ctx(&[("a", "1"), ("b", "2")])));
        assert!(!subset.allow(&ctx(&[("a", "2")])));
        assert!(!subset.allow(&ctx(&[])));
        assert!(GrantConstraints::default().allow(&ctx(&[])));
    }

    #[test]
    fn a_child_grant_must_be_at_least_as_strict() {
        let parent_subset = GrantConstraints {
            encryption_context_subset: Some(ctx(&[("a", "1")])),
            ..Default::default()
        };
        let stricter_subset = GrantConstraints {
            encryption_context_subset: Some(ctx(&[("a", "1"), ("b", "2")])),
            ..Default::default()
        };
        let looser_subset = GrantConstraints {
            encryption_context_subset: Some(ctx(&[("b", "2")])),
            ..Default::default()
        };
        let exact_ok = GrantConstraints {
            encryption_context_equals: Some(ctx(&[("a", "1"), ("c", "3")])),
            ..Default::default()
        };
        assert!(parent_subset.is_implied_by(&stricter_subset));
        assert!(parent_subset.is_implied_by(&exact_ok));
        assert!(!parent_subset.is_implied_by(&looser_subset));
        assert!(!parent_subset.is_implied_by(&GrantConstraints::default()));
        let parent_equals = GrantConstraints {
            encryption_context_equals: Some(ctx(&[("a", "1")])),
            ..Default::default()
        };
        assert!(parent_equals.is_implied_by(&parent_equals.clone()));
        assert!(!parent_equals.is_implied_by(&parent_subset));
        assert!(GrantConstraints::default().is_implied_by(&GrantConstraints::default()));
    }

    #[test]
    fn grant_operations_map_to_actions() {
        for op in GrantOperation::ALL {
            assert_eq!(GrantOperation::from_action(op.action()), Some(*op));
        }
        assert_eq!(GrantOperation::from_action("kms:PutKeyPolicy"), None);
    }
}
