//! Grants end to end through the Rust SDK: in force on the very next request, within their
//! constraints, across accounts, retired and revoked; and the decision cache never serving a
//! stale answer after a policy, tag or grant change.

use crate::harness::{expect_error, ok};
use crate::identity::{
    Creds, OTHER_ACCOUNT, OTHER_ROOT_KEY, OTHER_ROOT_SECRET, creds, kms_client, ok_query, root,
    two_accounts, user_with_policy, xml,
};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{GrantConstraints, GrantOperation};

const NOTHING: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}"#;

async fn encrypt(kms: &aws_sdk_kms::Client, key: &str) -> Blob {
    ok(kms
        .encrypt()
        .key_id(key)
        .plaintext(Blob::new(b"secret".to_vec()))
        .send()
        .await)
    .ciphertext_blob
    .unwrap()
}

#[tokio::test]
async fn a_grant_allows_its_operations_at_once_and_nothing_else() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let blob = encrypt(&admin, &key).await;
    let bob = user_with_policy(&kmsd, "bob", NOTHING);
    let bob_kms = kms_client(&kmsd, &bob);
    expect_error(
        bob_kms.decrypt().ciphertext_blob(blob.clone()).send().await,
        "AccessDeniedException",
    );

    let bob_arn = "arn:aws:iam::111122223333:user/bob";
    let created = ok(admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(bob_arn)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::DescribeKey)
        .operations(GrantOperation::RetireGrant)
        .name("bob-reads")
        .send()
        .await);
    let grant_id = created.grant_id.unwrap();
    let token = created.grant_token.unwrap();
    assert_eq!(grant_id.len(), 64);
    assert!(grant_id.bytes().all(|b| b.is_ascii_hexdigit()));

    // No token needed: the grant is in force on the next request.
    let plain = ok(bob_kms.decrypt().ciphertext_blob(blob.clone()).send().await)
        .plaintext
        .unwrap();
    assert_eq!(plain.as_ref(), b"secret");
    ok(bob_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .grant_tokens(&token)
        .send()
        .await);
    ok(bob_kms.describe_key().key_id(&key).send().await);
    let message = expect_error(
        bob_kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
    assert!(message.contains("kms:Encrypt"), "{message}");
    expect_error(
        bob_kms.disable_key().key_id(&key).send().await,
        "AccessDeniedException",
    );
    expect_error(
        bob_kms
            .decrypt()
            .ciphertext_blob(blob.clone())
            .grant_tokens("not-a-token")
            .send()
            .await,
        "InvalidGrantTokenException",
    );

    // The same name and grant: the same id, another token, both usable.
    let again = ok(admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(bob_arn)
        .operations(GrantOperation::RetireGrant)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::DescribeKey)
        .name("bob-reads")
        .send()
        .await);
    assert_eq!(again.grant_id.as_deref(), Some(grant_id.as_str()));
    assert_ne!(again.grant_token.as_deref(), Some(token.as_str()));
    ok(bob_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .grant_tokens(again.grant_token.unwrap())
        .send()
        .await);

    let grants = ok(admin.list_grants().key_id(&key).send().await);
    assert!(!grants.truncated);
    let listed = grants.grants.unwrap();
    assert_eq!(listed.len(), 1);
    let g = &listed[0];
    assert_eq!(g.grant_id.as_deref(), Some(grant_id.as_str()));
    assert_eq!(
        g.key_id.as_deref(),
        Some(crate::harness::key_arn(&key).as_str())
    );
    assert_eq!(g.name.as_deref(), Some("bob-reads"));
    assert_eq!(g.grantee_principal.as_deref(), Some(bob_arn));
    assert_eq!(
        g.issuing_account.as_deref(),
        Some("arn:aws:iam::111122223333:root")
    );
    assert_eq!(g.operations().len(), 3);
    assert!(g.creation_date.is_some());

    // Bob retires his own grant with its token; the next request is refused.
    ok(bob_kms.retire_grant().grant_token(&token).send().await);
    expect_error(
        bob_kms.decrypt().ciphertext_blob(blob).send().await,
        "AccessDeniedException",
    );
    assert!(
        ok(admin.list_grants().key_id(&key).send().await)
            .grants
            .unwrap()
            .is_empty()
    );
    expect_error(
        admin
            .revoke_grant()
            .key_id(&key)
            .grant_id(&grant_id)
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        admin
            .revoke_grant()
            .key_id(&key)
            .grant_id("not-hex")
            .send()
            .await,
        "InvalidGrantIdException",
    );
}

#[tokio::test]
async fn constraints_limit_a_grant_to_its_encryption_context() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let carol = user_with_policy(&kmsd, "carol", NOTHING);
    let carol_kms = kms_client(&kmsd, &carol);
    ok(admin
        .create_grant()
        .key_id(&key)
        .grantee_principal("arn:aws:iam::111122223333:user/carol")
        .operations(GrantOperation::Encrypt)
        .operations(GrantOperation::CreateGrant)
        .constraints(
            GrantConstraints::builder()
                .encryption_context_subset("dept", "it")
                .build(),
        )
        .send()
        .await);
    let with = |pairs: &[(&str, &str)]| {
        let mut req = carol_kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()));
        for (k, v) in pairs {
            req = req.encryption_context(*k, *v);
        }
        req.send()
    };
    ok(with(&[("dept", "it")]).await);
    ok(with(&[("dept", "it"), ("project", "x")]).await);
    expect_error(with(&[("dept", "hr")]).await, "AccessDeniedException");
    expect_error(with(&[]).await, "AccessDeniedException");

    // Carol may pass on only what she holds, at least as constrained.
    let child = |ops: &[GrantOperation], subset: Option<&[(&str, &str)]>| {
        let mut req = carol_kms
            .create_grant()
            .key_id(crate::harness::key_arn(&key))
            .grantee_principal("arn:aws:iam::111122223333:user/dave");
        for op in ops {
            req = req.operations(op.clone());
        }
        if let Some(pairs) = subset {
            let mut c = GrantConstraints::builder();
            for (k, v) in pairs {
                c = c.encryption_context_subset(*k, *v);
            }
            req = req.constraints(c.build());
        }
        req.send()
    };
    ok(child(
        &[GrantOperation::Encrypt],
        Some(&[("dept", "it"), ("team", "a")]),
    )
    .await);
    expect_error(
        child(&[GrantOperation::Encrypt], None).await,
        "AccessDeniedException",
    );
    expect_error(
        child(&[GrantOperation::Decrypt], Some(&[("dept", "it")])).await,
        "AccessDeniedException",
    );
}

#[tokio::test]
async fn a_grant_lets_a_role_of_another_account_decrypt_but_not_encrypt() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let blob = encrypt(&admin, &key).await;
    let other_root = creds(OTHER_ROOT_KEY, OTHER_ROOT_SECRET);
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER_ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "reader"),
            ("AssumeRolePolicyDocument", &trust),
        ],
    );
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[("Action", "CreateUser"), ("UserName", "ops")],
    );
    ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "ops"),
            ("PolicyName", "assume"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#,
            ),
        ],
    );
    let body = ok_query(
        &kmsd,
        "iam",
        &other_root,
        &[("Action", "CreateAccessKey"), ("UserName", "ops")],
    );
    let ops = creds(&xml(&body, "AccessKeyId"), &xml(&body, "SecretAccessKey"));
    let role_arn = format!("arn:aws:iam::{OTHER_ACCOUNT}:role/reader");
    let body = ok_query(
        &kmsd,
        "sts",
        &ops,
        &[
            ("Action", "AssumeRole"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "nightly"),
        ],
    );
    let session = Creds {
        key: xml(&body, "AccessKeyId"),
        secret: xml(&body, "SecretAccessKey"),
        token: Some(xml(&body, "SessionToken")),
    };
    let reader = kms_client(&kmsd, &session);
    let key_arn = crate::harness::key_arn(&key);
    expect_error(
        reader.decrypt().ciphertext_blob(blob.clone()).send().await,
        "AccessDeniedException",
    );

    let grant_id = ok(admin
        .create_grant()
        .key_id(&key)
        .grantee_principal(&role_arn)
        .operations(GrantOperation::Decrypt)
        .operations(GrantOperation::DescribeKey)
        .send()
        .await)
    .grant_id
    .unwrap();
    let plain = ok(reader.decrypt().ciphertext_blob(blob.clone()).send().await)
        .plaintext
        .unwrap();
    assert_eq!(plain.as_ref(), b"secret");
    let described = ok(reader.describe_key().key_id(&key_arn).send().await);
    assert_eq!(
        described.key_metadata.unwrap().arn.as_deref(),
        Some(key_arn.as_str())
    );
    expect_error(
        reader
            .encrypt()
            .key_id(&key_arn)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
    // Revoked: refused on the very next request.
    ok(admin
        .revoke_grant()
        .key_id(&key)
        .grant_id(&grant_id)
        .send()
        .await);
    expect_error(
        reader.decrypt().ciphertext_blob(blob).send().await,
        "AccessDeniedException",
    );
}

#[tokio::test]
async fn bad_grants_are_refused_with_awss_errors() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let grant = |grantee: &str, op: GrantOperation| {
        admin
            .create_grant()
            .key_id(&key)
            .grantee_principal(grantee)
            .operations(op)
            .send()
    };
    let user = "arn:aws:iam::111122223333:user/x";
    expect_error(
        grant(user, GrantOperation::Sign).await,
        "ValidationException",
    );
    for bad in [
        "arn:aws:iam::111122223333:group/admins",
        "dynamodb.amazonaws.com",
        "nobody",
    ] {
        expect_error(
            grant(bad, GrantOperation::Decrypt).await,
            "InvalidArnException",
        );
    }
    expect_error(
        admin
            .create_grant()
            .key_id(&key)
            .grantee_principal(user)
            .operations(GrantOperation::Decrypt)
            .dry_run(true)
            .send()
            .await,
        "DryRunOperationException",
    );
    assert!(
        ok(admin.list_grants().key_id(&key).send().await)
            .grants
            .unwrap()
            .is_empty(),
        "a dry run creates nothing"
    );
    ok(admin.disable_key().key_id(&key).send().await);
    expect_error(
        grant(user, GrantOperation::Decrypt).await,
        "DisabledException",
    );
}

#[tokio::test]
async fn retiring_is_for_the_retiring_principal_the_grantee_and_the_account() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let key_arn = crate::harness::key_arn(&key);
    let eve = kms_client(&kmsd, &user_with_policy(&kmsd, "eve", NOTHING));
    let ops = user_with_policy(&kmsd, "ops", NOTHING);
    let ops_kms = kms_client(&kmsd, &ops);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            ok(admin
                .create_grant()
                .key_id(&key)
                .grantee_principal("arn:aws:iam::111122223333:user/app")
                .retiring_principal("arn:aws:iam::111122223333:user/ops")
                .operations(GrantOperation::Decrypt)
                .send()
                .await)
            .grant_id
            .unwrap(),
        );
    }
    // ListRetirableGrants pages across them.
    let first = ok(admin
        .list_retirable_grants()
        .retiring_principal("arn:aws:iam::111122223333:user/ops")
        .limit(2)
        .send()
        .await);
    assert!(first.truncated);
    assert_eq!(first.grants().len(), 2);
    let rest = ok(admin
        .list_retirable_grants()
        .retiring_principal("arn:aws:iam::111122223333:user/ops")
        .marker(first.next_marker.unwrap())
        .send()
        .await);
    assert_eq!(rest.grants().len(), 1);
    assert!(!rest.truncated);

    expect_error(
        eve.retire_grant()
            .key_id(&key_arn)
            .grant_id(&ids[0])
            .send()
            .await,
        "AccessDeniedException",
    );
    ok(ops_kms
        .retire_grant()
        .key_id(&key_arn)
        .grant_id(&ids[0])
        .send()
        .await);
    ok(admin
        .retire_grant()
        .key_id(&key_arn)
        .grant_id(&ids[1])
        .send()
        .await);
    expect_error(
        admin.retire_grant().grant_id(&ids[2]).send().await,
        "ValidationException",
    );
    let left = ok(admin.list_grants().key_id(&key).send().await);
    assert_eq!(left.grants().len(), 1);
    assert_eq!(left.grants()[0].grant_id.as_deref(), Some(ids[2].as_str()));
}

#[tokio::test]
async fn a_change_to_policies_or_tags_is_in_force_on_the_next_request() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let allow_all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    let frank = user_with_policy(&kmsd, "frank", allow_all);
    let frank_kms = kms_client(&kmsd, &frank);
    let key = crate::harness::create_key(&admin).await;
    // A condition-free key policy and identity policy: the verdict is cached.
    for _ in 0..3 {
        encrypt(&frank_kms, &key).await;
    }
    ok_query(
        &kmsd,
        "iam",
        &root(),
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", "frank"),
            ("PolicyName", "deny"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}"#,
            ),
        ],
    );
    let message = expect_error(
        frank_kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
    assert!(
        message.contains("explicit deny in an identity-based policy"),
        "{message}"
    );
    // A grant does not outrank the deny.
    ok(admin
        .create_grant()
        .key_id(&key)
        .grantee_principal("arn:aws:iam::111122223333:user/frank")
        .operations(GrantOperation::Encrypt)
        .send()
        .await);
    expect_error(
        frank_kms
            .encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
    ok_query(
        &kmsd,
        "iam",
        &root(),
        &[
            ("Action", "DeleteUserPolicy"),
            ("UserName", "frank"),
            ("PolicyName", "deny"),
        ],
    );
    encrypt(&frank_kms, &key).await;

    // A key policy that reads the key's tags follows TagResource/UntagResource at once.
    let tagged = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/Project":"alpha"}}}]}"#;
    let key2 = crate::harness::create_key(&admin).await;
    ok(admin
        .put_key_policy()
        .key_id(&key2)
        .policy(tagged)
        .send()
        .await);
    expect_error(
        frank_kms
            .encrypt()
            .key_id(&key2)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
    ok(admin
        .tag_resource()
        .key_id(&key2)
        .tags(crate::harness::tag("Project", "alpha"))
        .send()
        .await);
    encrypt(&frank_kms, &key2).await;
    ok(admin
        .untag_resource()
        .key_id(&key2)
        .tag_keys("Project")
        .send()
        .await);
    expect_error(
        frank_kms
            .encrypt()
            .key_id(&key2)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
}

#[tokio::test]
async fn source_ip_conditions_see_the_clients_address() {
    let kmsd = two_accounts();
    let admin = kms_client(&kmsd, &root());
    let key = crate::harness::create_key(&admin).await;
    let loopback = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}"#;
    let elsewhere = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}"#;
    let near = kms_client(&kmsd, &user_with_policy(&kmsd, "near", loopback));
    let far = kms_client(&kmsd, &user_with_policy(&kmsd, "far", elsewhere));
    encrypt(&near, &key).await;
    expect_error(
        far.encrypt()
            .key_id(&key)
            .plaintext(Blob::new(b"x".to_vec()))
            .send()
            .await,
        "AccessDeniedException",
    );
}
