//! Parsing never panics, whatever the input, and neither does evaluating what parses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kmsd_policy::{ContextMap, PolicyDocument, PolicyKind, Principal, Request};
use proptest::prelude::*;
use serde_json::Value;

const SEED_POLICIES: &[&str] = &[
    r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*"],"Resource":"arn:aws:iam::111122223333:user/${aws:username}","Condition":{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":["a*","${aws:PrincipalTag/x, 'd'}"]},"DateLessThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"Null":{"aws:TokenIssueTime":"true"}}},{"Effect":"Deny","Action":"kms:Decrypt","NotResource":["arn:aws:kms:*:1:key/*"],"Condition":{"NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":false},"BinaryEqualsIfExists":{"kms:x":"Zm9v"},"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::*"}}}]}"#,
];

/// Arbitrary JSON values, biased toward policy-like strings.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            Just("*".to_owned()),
            Just("Allow".to_owned()),
            Just("Deny".to_owned()),
            Just("kms:*".to_owned()),
            Just("arn:aws:iam::111122223333:root".to_owned()),
            Just("${aws:username}".to_owned()),
            Just("${".to_owned()),
            Just("2012-10-17".to_owned()),
            "\\PC{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("Effect".to_owned()),
                        Just("Action".to_owned()),
                        Just("NotAction".to_owned()),
                        Just("Resource".to_owned()),
                        Just("NotResource".to_owned()),
                        Just("Principal".to_owned()),
                        Just("NotPrincipal".to_owned()),
                        Just("AWS".to_owned()),
                        Just("Condition".to_owned()),
                        Just("StringLike".to_owned()),
                        Just("ForAllValues:NumericEqualsIfExists".to_owned()),
                        Just("aws:CurrentTime".to_owned()),
                        "[A-Za-z:]{0,8}",
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Replaces the node reached by following `path` (indices taken modulo the children).
fn replace_at(node: &mut Value, path: &[usize], replacement: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *node = replacement;
        return;
    };
    let child = match node {
        Value::Array(items) if !items.is_empty() => {
            let n = items.len();
            items.get_mut(step % n)
        }
        Value::Object(members) if !members.is_empty() => {
            let n = members.len();
            members.values_mut().nth(step % n)
        }
        _ => None,
    };
    match child {
        Some(child) => replace_at(child, rest, replacement),
        None => *node = replacement,
    }
}

fn exercise(text: &str) {
    for kind in [PolicyKind::Identity, PolicyKind::Resource] {
        if let Ok(doc) = PolicyDocument::parse(text, kind) {
            let ctx = ContextMap::new()
                .with("aws:CurrentTime", "2026-01-01T00:00:00Z")
                .with("aws:SourceIp", "10.1.2.3")
                .with_values("kms:EncryptionContextKeys", ["a", "b"]);
            let principal = Principal::new("arn:aws:iam::111122223333:user/alice", "111122223333");
            let req = Request::new(principal, "kms:Decrypt", "arn:aws:kms:r:1:key/k", &ctx);
            let _ = doc.evaluate(&req);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings(text in "\\PC{0,200}") {
        exercise(&text);
    }

    #[test]
    fn arbitrary_json(value in json_value()) {
        exercise(&value.to_string());
    }

    #[test]
    fn textual_mutations(
        seed in 0..SEED_POLICIES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(vec!["{", "}", "[", "]", "\"", ":", ",", "*", "?", "$", "${", "}}", "\\", "0", " ", "é"])), 1..6),
    ) {
        let mut text = SEED_POLICIES[seed].to_owned();
        for (at, op, piece) in edits {
            let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let pos = boundaries[at.index(boundaries.len())];
            match op {
                0 => text.insert_str(pos, piece),
                1 => {
                    if let Some(c) = text[pos..].chars().next() {
                        text.replace_range(pos..pos + c.len_utf8(), "");
                    }
                }
                _ => {
                    if let Some(c) = text[pos..].chars().next() {
                        text.replace_range(pos..pos + c.len_utf8(), piece);
                    }
                }
            }
        }
        exercise(&text);
    }

    #[test]
    fn structural_mutations(
        seed in 0..SEED_POLICIES.len(),
        path in prop::collection::vec(any::<usize>(), 0..7),
        replacement in json_value(),
    ) {
        let mut value: Value = serde_json::from_str(SEED_POLICIES[seed]).expect("seed parses");
        replace_at(&mut value, &path, replacement);
        exercise(&value.to_string());
    }
}

#[test]
fn seeds_are_valid() {
    for seed in SEED_POLICIES {
        assert!(
            PolicyDocument::parse(seed, PolicyKind::Identity).is_ok()
                || PolicyDocument::parse(seed, PolicyKind::Resource).is_ok(),
            "{seed}"
        );
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(PolicyDocument::parse(&deep, PolicyKind::Identity).is_err());
}
