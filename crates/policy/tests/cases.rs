//! Realistic policies from the AWS KMS and IAM documentation, evaluated through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kmsd_policy::{
    AllowedPrincipalMatch, ConditionContext, ContextMap, Decision, EmptyContext, Evaluation,
    PolicyDocument, PolicyKind, Principal, Request, decide,
};

const ACCOUNT: &str = "111122223333";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY: &str =
    "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321";

const ALICE: Principal<'static> = Principal::new("arn:aws:iam::111122223333:user/alice", ACCOUNT);
const BOB: Principal<'static> = Principal::new("arn:aws:iam::111122223333:user/bob", ACCOUNT);
const ROOT: Principal<'static> = Principal::new("arn:aws:iam::111122223333:root", ACCOUNT);
const STRANGER: Principal<'static> =
    Principal::new("arn:aws:iam::444455556666:user/alice", "444455556666");
const ADMIN_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/KMSAdminRole/admin-session",
    ACCOUNT,
    "arn:aws:iam::111122223333:role/KMSAdminRole",
);
const USER_SESSION: Principal<'static> = Principal::assumed_role(
    "arn:aws:sts::111122223333:assumed-role/KMSKeyUserRole/app",
    ACCOUNT,
    "arn:aws:iam::111122223333:role/KMSKeyUserRole",
);

const DEFAULT_KEY_POLICY: &str = r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;

/// The key policy the KMS console writes with key administrators and key users.
const CONSOLE_KEY_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "key-consolepolicy-3",
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
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSAdminRole"},
      "Action": [
        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
        "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
        "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow use of the key",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSKeyUserRole"},
      "Action": [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
        "kms:DescribeKey"
      ],
      "Resource": "*"
    },
    {
      "Sid": "Allow attachment of persistent resources",
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::111122223333:role/KMSKeyUserRole"},
      "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      "Resource": "*",
      "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    }
  ]
}"#;

fn resource(text: &str) -> PolicyDocument {
    PolicyDocument::parse(text, PolicyKind::Resource).expect("valid resource policy")
}

fn identity(text: &str) -> PolicyDocument {
    PolicyDocument::parse(text, PolicyKind::Identity).expect("valid identity policy")
}

fn eval(
    doc: &PolicyDocument,
    principal: Principal<'_>,
    action: &str,
    resource: &str,
    ctx: &dyn ConditionContext,
) -> Evaluation {
    doc.evaluate(&Request::new(principal, action, resource, ctx))
}

fn allowed(
    doc: &PolicyDocument,
    principal: Principal<'_>,
    action: &str,
    ctx: &dyn ConditionContext,
) -> bool {
    eval(doc, principal, action, KEY, ctx).is_allowed()
}

fn denied(
    doc: &PolicyDocument,
    principal: Principal<'_>,
    action: &str,
    ctx: &dyn ConditionContext,
) -> bool {
    eval(doc, principal, action, KEY, ctx).explicit_deny
}

#[test]
fn default_key_policy_delegates_to_the_account() {
    let doc = resource(DEFAULT_KEY_POLICY);
    let ctx = EmptyContext;
    for p in [ALICE, BOB, ADMIN_SESSION] {
        assert_eq!(
            eval(&doc, p, "kms:Encrypt", KEY, &ctx).allow,
            Some(AllowedPrincipalMatch::Account),
            "{p:?}"
        );
    }
    assert_eq!(
        eval(&doc, ROOT, "kms:ScheduleKeyDeletion", KEY, &ctx).allow,
        Some(AllowedPrincipalMatch::Principal)
    );
    assert_eq!(
        eval(&doc, STRANGER, "kms:Encrypt", KEY, &ctx),
        Evaluation::default()
    );
    // kms:* does not cover other services.
    assert_eq!(eval(&doc, ALICE, "iam:CreateUser", KEY, &ctx).allow, None);
}

#[test]
fn key_administrators_versus_key_users() {
    let doc = resource(CONSOLE_KEY_POLICY);
    let ctx = EmptyContext;
    let admin_actions = [
        "kms:CreateAlias",
        "kms:DescribeKey",
        "kms:EnableKeyRotation",
        "kms:ListResourceTags",
        "kms:PutKeyPolicy",
        "kms:UpdateKeyDescription",
        "kms:RevokeGrant",
        "kms:DisableKey",
        "kms:GetKeyPolicy",
        "kms:DeleteAlias",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
    ];
    for action in admin_actions {
        assert_eq!(
            eval(&doc, ADMIN_SESSION, action, KEY, &ctx).allow,
            Some(AllowedPrincipalMatch::Principal),
            "admin {action}"
        );
    }
    let user_actions = [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:GenerateDataKeyPair",
        "kms:DescribeKey",
    ];
    for action in user_actions {
        assert_eq!(
            eval(&doc, USER_SESSION, action, KEY, &ctx).allow,
            Some(AllowedPrincipalMatch::Principal),
            "user {action}"
        );
    }
    // Administrators cannot use the key directly: only the account statement matches them,
    // which delegates to IAM policies.
    for action in [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
    ] {
        assert_eq!(
            eval(&doc, ADMIN_SESSION, action, KEY, &ctx).allow,
            Some(AllowedPrincipalMatch::Account),
            "admin {action}"
        );
    }
    for action in [
        "kms:ScheduleKeyDeletion",
        "kms:PutKeyPolicy",
        "kms:DisableKey",
        "kms:DeleteAlias",
    ] {
        assert_eq!(
            eval(&doc, USER_SESSION, action, KEY, &ctx).allow,
            Some(AllowedPrincipalMatch::Account),
            "user {action}"
        );
    }
    // Grants for AWS resources only.
    let for_resource = ContextMap::new().with("kms:GrantIsForAWSResource", "true");
    let not_for_resource = ContextMap::new().with("kms:GrantIsForAWSResource", "false");
    assert_eq!(
        eval(&doc, USER_SESSION, "kms:CreateGrant", KEY, &for_resource).allow,
        Some(AllowedPrincipalMatch::Principal)
    );
    assert_eq!(
        eval(
            &doc,
            USER_SESSION,
            "kms:CreateGrant",
            KEY,
            &not_for_resource
        )
        .allow,
        Some(AllowedPrincipalMatch::Account)
    );
    assert_eq!(
        eval(&doc, USER_SESSION, "kms:CreateGrant", KEY, &ctx).allow,
        Some(AllowedPrincipalMatch::Account)
    );
}

#[test]
fn assumed_role_sessions_match_their_role() {
    let trust = resource(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KMSKeyUserRole"},"Action":"kms:Decrypt","Resource":"*"}}"#,
    );
    let ctx = EmptyContext;
    assert!(allowed(&trust, USER_SESSION, "kms:Decrypt", &ctx));
    assert!(!allowed(&trust, ADMIN_SESSION, "kms:Decrypt", &ctx));
    // A session ARN names exactly that session.
    let session = resource(
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/KMSKeyUserRole/app"},"Action":"kms:Decrypt","Resource":"*"}}"#,
    );
    assert!(allowed(&session, USER_SESSION, "kms:Decrypt", &ctx));
    let other_session = Principal::assumed_role(
        "arn:aws:sts::111122223333:assumed-role/KMSKeyUserRole/other",
        ACCOUNT,
        "arn:aws:iam::111122223333:role/KMSKeyUserRole",
    );
    assert!(!allowed(&session, other_session, "kms:Decrypt", &ctx));
}

#[test]
fn trust_policy_for_another_account() {
    let trust = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::098765432109:root"},"Action":"sts:AssumeRole"}]}"#,
    );
    let role = "arn:aws:iam::111122223333:role/CrossAccount";
    let ctx = EmptyContext;
    let partner = Principal::new("arn:aws:iam::098765432109:user/carol", "098765432109");
    assert_eq!(
        eval(&trust, partner, "sts:AssumeRole", role, &ctx).allow,
        Some(AllowedPrincipalMatch::Account)
    );
    assert_eq!(
        eval(&trust, partner, "sts:AssumeRoleWithSAML", role, &ctx).allow,
        None
    );
    assert_eq!(
        eval(&trust, ALICE, "sts:AssumeRole", role, &ctx).allow,
        None
    );
    // The partner account's own identity policy must also allow.
    let partner_policy = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/*"}}"#,
    );
    let req = Request::new(partner, "sts:AssumeRole", role, &ctx);
    assert_eq!(
        decide(&[&partner_policy], Some(&trust), &req),
        Decision::Allow
    );
    assert_eq!(decide(&[], Some(&trust), &req), Decision::ImplicitDeny);
}

#[test]
fn not_action_and_not_resource() {
    let doc = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","NotAction":["iam:*","kms:ScheduleKeyDeletion"],"Resource":"*"},
            {"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/1234abcd-*"}
        ]}"#,
    );
    let ctx = EmptyContext;
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &ctx));
    assert!(!allowed(&doc, ALICE, "kms:ScheduleKeyDeletion", &ctx));
    assert!(!allowed(&doc, ALICE, "iam:CreateUser", &ctx));
    assert!(!eval(&doc, ALICE, "kms:Encrypt", KEY, &ctx).explicit_deny);
    assert!(eval(&doc, ALICE, "kms:Encrypt", OTHER_KEY, &ctx).explicit_deny);
    // Actions without a resource ("*") are outside the NotResource key pattern too.
    assert!(eval(&doc, ALICE, "kms:ListKeys", "*", &ctx).explicit_deny);
}

#[test]
fn deny_overrides_allow() {
    let doc = resource(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"AllowAll","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},
            {"Sid":"NoDeletion","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}
        ]}"#,
    );
    let ctx = EmptyContext;
    assert!(allowed(&doc, STRANGER, "kms:Encrypt", &ctx));
    let e = eval(&doc, ROOT, "kms:ScheduleKeyDeletion", KEY, &ctx);
    assert!(e.explicit_deny);
    assert!(!e.is_allowed());
    let id = identity(r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#);
    let req = Request::new(ALICE, "kms:ScheduleKeyDeletion", KEY, &ctx);
    assert_eq!(
        decide(&[&id], Some(&doc), &req),
        Decision::ExplicitDeny {
            in_resource_policy: true
        }
    );
}

#[test]
fn not_principal_deny() {
    let doc = resource(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"},
            {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"kms:Decrypt","Resource":"*"}
        ]}"#,
    );
    let ctx = EmptyContext;
    assert!(!denied(&doc, ALICE, "kms:Decrypt", &ctx));
    assert!(denied(&doc, BOB, "kms:Decrypt", &ctx));
    assert!(denied(&doc, USER_SESSION, "kms:Decrypt", &ctx));
    assert!(!denied(&doc, ROOT, "kms:Decrypt", &ctx));
    assert!(!denied(&doc, BOB, "kms:Encrypt", &ctx));
}

#[test]
fn encryption_context_conditions() {
    let doc = resource(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"Purpose","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
             "Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*",
             "Condition":{"StringEquals":{"kms:EncryptionContext:purpose":"test"}}},
            {"Sid":"OnlyKnownKeys","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
             "Action":"kms:GenerateDataKey","Resource":"*",
             "Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["purpose","team"]}}},
            {"Sid":"NeedsPurpose","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
             "Action":"kms:Decrypt","Resource":"*",
             "Condition":{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"purpose"}}}
        ]}"#,
    );
    let test = ContextMap::new()
        .with("kms:EncryptionContext:purpose", "test")
        .with_values("kms:EncryptionContextKeys", ["purpose"]);
    let prod = ContextMap::new()
        .with("kms:EncryptionContext:purpose", "prod")
        .with_values("kms:EncryptionContextKeys", ["purpose"]);
    let none = ContextMap::new();
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &test));
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &prod));
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &none));

    let known = ContextMap::new().with_values("kms:EncryptionContextKeys", ["purpose", "team"]);
    let unknown = ContextMap::new().with_values("kms:EncryptionContextKeys", ["purpose", "owner"]);
    assert!(allowed(&doc, BOB, "kms:GenerateDataKey", &known));
    assert!(!allowed(&doc, BOB, "kms:GenerateDataKey", &unknown));
    // ForAllValues holds when the request has no context at all.
    assert!(allowed(&doc, BOB, "kms:GenerateDataKey", &none));
    assert!(allowed(&doc, BOB, "kms:Decrypt", &unknown));
    assert!(!allowed(&doc, BOB, "kms:Decrypt", &none));
    let team_only = ContextMap::new().with_values("kms:EncryptionContextKeys", ["team"]);
    assert!(!allowed(&doc, BOB, "kms:Decrypt", &team_only));
}

#[test]
fn username_variable_in_resource() {
    let text = |version: &str| {
        format!(
            r#"{{"Version":"{version}","Statement":{{"Effect":"Allow","Action":["iam:GetUser","iam:ChangePassword"],"Resource":"arn:aws:iam::111122223333:user/${{aws:username}}"}}}}"#
        )
    };
    let doc = identity(&text("2012-10-17"));
    let ctx = EmptyContext;
    let alice_arn = "arn:aws:iam::111122223333:user/alice";
    let bob_arn = "arn:aws:iam::111122223333:user/bob";
    assert!(eval(&doc, ALICE, "iam:GetUser", alice_arn, &ctx).is_allowed());
    assert!(!eval(&doc, ALICE, "iam:GetUser", bob_arn, &ctx).is_allowed());
    assert!(eval(&doc, BOB, "iam:ChangePassword", bob_arn, &ctx).is_allowed());
    // A role session has no aws:username: the statement does not match.
    assert!(!eval(&doc, USER_SESSION, "iam:GetUser", alice_arn, &ctx).is_allowed());
    // In 2008-10-17 the variable is literal text.
    let old = identity(&text("2008-10-17"));
    assert!(!eval(&old, ALICE, "iam:GetUser", alice_arn, &ctx).is_allowed());
    // The context can supply the value too (e.g. from the authenticator).
    let ctx = ContextMap::new().with("aws:username", "bob");
    assert!(eval(&doc, USER_SESSION, "iam:GetUser", bob_arn, &ctx).is_allowed());
}

#[test]
fn variables_with_defaults_and_principal_account() {
    let doc = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*",
            "Condition":{"StringEquals":{"kms:EncryptionContext:team":"${aws:PrincipalTag/team, 'shared'}"}}}}"#,
    );
    let shared = ContextMap::new().with("kms:EncryptionContext:team", "shared");
    let blue = ContextMap::new()
        .with("kms:EncryptionContext:team", "blue")
        .with("aws:PrincipalTag/team", "blue");
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &shared));
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &blue));
    assert!(!allowed(&doc, STRANGER, "kms:Encrypt", &shared));
    let mismatch = ContextMap::new()
        .with("kms:EncryptionContext:team", "shared")
        .with("aws:PrincipalTag/team", "blue");
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &mismatch));
}

#[test]
fn source_ip_cidr() {
    let doc = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}},
            {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"192.0.2.128/25"}}}
        ]}"#,
    );
    let at = |ip: &str| ContextMap::new().with("aws:SourceIp", ip);
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &at("192.0.2.10")));
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &at("2001:db8:ffff::1")));
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &at("198.51.100.1")));
    assert!(denied(&doc, ALICE, "kms:Decrypt", &at("192.0.2.10")));
    assert!(!denied(&doc, ALICE, "kms:Decrypt", &at("192.0.2.200")));
    assert!(allowed(&doc, ALICE, "kms:Decrypt", &at("192.0.2.200")));
    // No source IP: IpAddress fails, NotIpAddress holds.
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &EmptyContext));
    assert!(denied(&doc, ALICE, "kms:Decrypt", &EmptyContext));
}

#[test]
fn current_time_window() {
    let doc = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*",
            "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2026-07-01"}}}}"#,
    );
    let at = |t: &str| ContextMap::new().with("aws:CurrentTime", t);
    assert!(allowed(
        &doc,
        ALICE,
        "kms:Decrypt",
        &at("2026-03-15T08:30:00Z")
    ));
    assert!(!allowed(
        &doc,
        ALICE,
        "kms:Decrypt",
        &at("2025-12-31T23:59:59Z")
    ));
    assert!(!allowed(
        &doc,
        ALICE,
        "kms:Decrypt",
        &at("2026-07-01T00:00:00Z")
    ));
    assert!(!allowed(&doc, ALICE, "kms:Decrypt", &EmptyContext));
}

#[test]
fn null_and_if_exists() {
    let doc = identity(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"kms:*","Resource":"*",
             "Condition":{"StringEqualsIfExists":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}},
            {"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*",
             "Condition":{"Null":{"aws:MultiFactorAuthAge":"true"}}}
        ]}"#,
    );
    let direct = EmptyContext;
    let via_ec2 = ContextMap::new().with("kms:ViaService", "ec2.us-east-1.amazonaws.com");
    let via_s3 = ContextMap::new().with("kms:ViaService", "s3.us-east-1.amazonaws.com");
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &direct));
    assert!(allowed(&doc, ALICE, "kms:Encrypt", &via_ec2));
    assert!(!allowed(&doc, ALICE, "kms:Encrypt", &via_s3));
    assert!(denied(&doc, ALICE, "kms:ScheduleKeyDeletion", &direct));
    let mfa = ContextMap::new().with("aws:MultiFactorAuthAge", "30");
    assert!(!denied(&doc, ALICE, "kms:ScheduleKeyDeletion", &mfa));
    assert!(allowed(&doc, ALICE, "kms:ScheduleKeyDeletion", &mfa));
}

#[test]
fn same_account_decisions() {
    let key_policy = resource(CONSOLE_KEY_POLICY);
    let ctx = EmptyContext;
    let alice_policy = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:111122223333:key/*"}}"#,
    );
    let encrypt = Request::new(ALICE, "kms:Encrypt", KEY, &ctx);
    // Account-root statement: the IAM policy decides.
    assert_eq!(
        decide(&[&alice_policy], Some(&key_policy), &encrypt),
        Decision::Allow
    );
    assert_eq!(
        decide(&[], Some(&key_policy), &encrypt),
        Decision::ImplicitDeny
    );
    // Directly named principal: allowed without any identity policy.
    let user_encrypt = Request::new(USER_SESSION, "kms:Encrypt", KEY, &ctx);
    assert_eq!(
        decide(&[], Some(&key_policy), &user_encrypt),
        Decision::Allow
    );
    let deny_all = identity(r#"{"Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}"#);
    assert_eq!(
        decide(&[&deny_all], Some(&key_policy), &user_encrypt),
        Decision::ExplicitDeny {
            in_resource_policy: false
        }
    );
}

#[test]
fn malformed_documents_through_the_public_api() {
    let cases: &[(PolicyKind, &str, &str)] = &[
        (
            PolicyKind::Identity,
            "{",
            "This policy contains invalid Json",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"},"Unknown":true}"#,
            "Syntax errors in policy.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Principal":"*"}}"#,
            "Policy document should not specify a principal.",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
            "Missing required field Principal",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":[{"Sid":"1","Effect":"Allow","Principal":"*","Action":"kms:*"},{"Sid":"1","Effect":"Deny","Principal":"*","Action":"kms:*"}]}"#,
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}}"#,
            "Invalid Condition type : StringEqualz",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Permit","Action":"kms:*","Resource":"*"}}"#,
            "Invalid effect: Permit",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
            "Policy statement must contain actions.",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"someday"}}}}"#,
            "Invalid Condition value : DateLessThan does not accept \"someday\"",
        ),
        (
            PolicyKind::Resource,
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"kms:*"}}"#,
            "Invalid principal in policy: \"AWS\":\"alice\"",
        ),
        (
            PolicyKind::Identity,
            r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":123}}"#,
            "Syntax errors in policy.",
        ),
    ];
    for (kind, text, message) in cases {
        let err = PolicyDocument::parse(text, *kind).expect_err(text);
        assert_eq!(err.message(), *message, "{text}");
        assert_eq!(err.to_string(), *message);
    }
}
