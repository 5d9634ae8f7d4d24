//! Micro-benchmark: what evaluating KMS-shaped policies costs.
//!
//! `cargo run --release -p kmsd-policy --example decision_cost [iterations]`
//!
//! Prints nanoseconds per call for: the default key policy and the account root (the hot
//! path), the console key policy and an IAM user it does not name, a key policy with an
//! encryption-context condition and a `ForAnyValue` alias condition, and `decide()` over a key
//! policy and two identity policies. Each case is checked for the expected answer, warmed up,
//! then timed.
#![forbid(unsafe_code)]

use kmsd_policy::{
    AllowedPrincipalMatch, ContextMap, Decision, EmptyContext, Evaluation, PolicyDocument,
    PolicyKind, Principal, Request, decide,
};
use std::hint::black_box;
use std::time::Instant;

const KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const DEFAULT_KEY_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}"#;

const CONSOLE_KEY_POLICY: &str = r#"{
  "Id": "key-consolepolicy-3",
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "Allow access for Key Administrators",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/KMSAdminUser",
        "arn:aws:iam::111122223333:role/KMSAdminRole"
      ]},
      "Action": [
        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
        "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
        "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/ExampleUser",
        "arn:aws:iam::111122223333:role/ExampleRole",
        "arn:aws:iam::444455556666:root"
      ]},
      "Action": [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow attachment of persistent resources",
      "Effect": "Allow",
      "Principal": {"AWS": [
        "arn:aws:iam::111122223333:user/ExampleUser",
        "arn:aws:iam::111122223333:role/ExampleRole",
        "arn:aws:iam::444455556666:root"
      ]},
      "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      "Resource": "*",
      "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    }
  ]
}"#;

const CONDITIONAL_KEY_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Enable IAM User Permissions",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "FinanceByContextAndAlias",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/ExampleRole"},
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {"kms:EncryptionContext:Department": "Finance"},
        "ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/finance*"}
      }
    }
  ]
}"#;

const IDENTITY_ABAC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
      "Resource": "arn:aws:kms:*:111122223333:key/*",
      "Condition": {"StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}}
    }
  ]
}"#;

const IDENTITY_SOURCE_IP_GUARD: &str = r#"{
  "Version": "2012-10-17",
  "Statement": {
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {
      "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24", "2001:db8::/32"]},
      "Bool": {"aws:ViaAWSService": "false"}
    }
  }
}"#;

fn parse(name: &str, text: &str, kind: PolicyKind) -> Option<PolicyDocument> {
    match PolicyDocument::parse(text, kind) {
        Ok(doc) => Some(doc),
        Err(e) => {
            eprintln!("{name} does not parse: {e}");
            None
        }
    }
}

/// The context the service builds for a request with global keys and an encryption context.
fn request_context() -> ContextMap {
    ContextMap::new()
        .with("aws:CurrentTime", "2026-03-01T12:00:00Z")
        .with("aws:SecureTransport", "true")
        .with("aws:SourceIp", "192.0.2.44")
        .with("aws:ViaAWSService", "false")
        .with("aws:PrincipalType", "User")
        .with("aws:PrincipalTag/Project", "Alpha")
        .with("aws:ResourceTag/Project", "Alpha")
        .with("kms:CallerAccount", "111122223333")
        .with("kms:EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
        .with("kms:EncryptionContext:Department", "Finance")
        .with("kms:EncryptionContext:Project", "Alpha")
        .with_values("kms:EncryptionContextKeys", ["Department", "Project"])
        .with_values(
            "kms:ResourceAliases",
            ["alias/app-data", "alias/finance-reports"],
        )
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);

    let (Some(default_policy), Some(console), Some(conditional), Some(abac), Some(ip_guard)) = (
        parse("default", DEFAULT_KEY_POLICY, PolicyKind::Resource),
        parse("console", CONSOLE_KEY_POLICY, PolicyKind::Resource),
        parse("conditional", CONDITIONAL_KEY_POLICY, PolicyKind::Resource),
        parse("abac", IDENTITY_ABAC, PolicyKind::Identity),
        parse("ip guard", IDENTITY_SOURCE_IP_GUARD, PolicyKind::Identity),
    ) else {
        return;
    };

    let root = Principal::new("arn:aws:iam::111122223333:root", "111122223333");
    let alice = Principal::new("arn:aws:iam::111122223333:user/Alice", "111122223333");
    let role = Principal::assumed_role(
        "arn:aws:sts::111122223333:assumed-role/ExampleRole/app-session",
        "111122223333",
        "arn:aws:iam::111122223333:role/ExampleRole",
    );
    let empty = EmptyContext;
    let ctx = request_context();

    let root_encrypt = Request::new(root, "kms:Encrypt", KEY, &empty);
    let alice_encrypt = Request::new(alice, "kms:Encrypt", KEY, &ctx);
    let role_decrypt = Request::new(role, "kms:Decrypt", KEY, &ctx);

    // The benchmark measures what it claims only if each case gives the expected answer.
    let named = Evaluation {
        explicit_deny: false,
        allow: Some(AllowedPrincipalMatch::Principal),
    };
    let account = Evaluation {
        explicit_deny: false,
        allow: Some(AllowedPrincipalMatch::Account),
    };
    let checks = [
        (
            "default/root",
            default_policy.evaluate(&root_encrypt) == named,
        ),
        ("console/user", console.evaluate(&alice_encrypt) == account),
        (
            "conditional/role",
            conditional.evaluate(&role_decrypt) == named,
        ),
        (
            "decide",
            decide(&[&abac, &ip_guard], Some(&console), &alice_encrypt) == Decision::Allow,
        ),
    ];
    for (name, ok) in checks {
        if !ok {
            return eprintln!("the benchmark's own case {name} does not give the expected answer");
        }
    }

    let per_call = |name: &str, f: &mut dyn FnMut()| {
        for _ in 0..iterations / 10 {
            f();
        }
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        let ns = start.elapsed().as_nanos() as f64 / f64::from(iterations);
        println!("{name:<64} {ns:>8.1} ns/call");
    };
    per_call(
        "(a) evaluate: default key policy, account root",
        &mut || {
            black_box(default_policy.evaluate(black_box(&root_encrypt)));
        },
    );
    per_call(
        "(b) evaluate: console key policy, IAM user it does not name",
        &mut || {
            black_box(console.evaluate(black_box(&alice_encrypt)));
        },
    );
    per_call(
        "(c) evaluate: encryption-context + ForAnyValue alias conditions",
        &mut || {
            black_box(conditional.evaluate(black_box(&role_decrypt)));
        },
    );
    per_call(
        "(d) decide: console key policy + two identity policies",
        &mut || {
            black_box(decide(
                &[&abac, &ip_guard],
                Some(&console),
                black_box(&alice_encrypt),
            ));
        },
    );
}
