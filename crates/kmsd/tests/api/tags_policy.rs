//! TagResource / UntagResource / ListResourceTags and Get/Put/ListKeyPolicies.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kms::Client;

use crate::harness::*;
use crate::json::Json;

async fn tags_of(kms: &Client, key_id: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    for _ in 0..100 {
        let page = ok(kms
            .list_resource_tags()
            .key_id(key_id)
            .set_marker(marker.clone())
            .send()
            .await);
        for t in page.tags() {
            assert!(
                out.insert(t.tag_key().to_owned(), t.tag_value().to_owned())
                    .is_none(),
                "tag {} listed twice",
                t.tag_key()
            );
        }
        if !page.truncated() {
            return out;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_owned());
    }
    panic!("ListResourceTags does not terminate");
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn tag_overwrite_untag_and_list() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    let empty = ok(kms.list_resource_tags().key_id(&id).send().await);
    assert!(empty.tags().is_empty());
    assert!(!empty.truncated());

    ok(kms
        .tag_resource()
        .key_id(&id)
        .tags(tag("a", "1"))
        .tags(tag("b", "2"))
        .send()
        .await);
    assert_eq!(tags_of(&kms, &id).await, map(&[("a", "1"), ("b", "2")]));

    // Re-tagging overwrites; empty values are allowed; keys are case-sensitive; KeyId may be
    // an ARN.
    ok(kms
        .tag_resource()
        .key_id(key_arn(&id))
        .tags(tag("a", "10"))
        .tags(tag("c", ""))
        .tags(tag("A", "upper"))
        .send()
        .await);
    assert_eq!(
        tags_of(&kms, &id).await,
        map(&[("A", "upper"), ("a", "10"), ("b", "2"), ("c", "")])
    );

    // Untagging a key that is not there is a no-op.
    ok(kms
        .untag_resource()
        .key_id(&id)
        .tag_keys("b")
        .tag_keys("never-set")
        .send()
        .await);
    assert_eq!(
        tags_of(&kms, &id).await,
        map(&[("A", "upper"), ("a", "10"), ("c", "")])
    );

    ok(kms
        .untag_resource()
        .key_id(&id)
        .tag_keys("A")
        .tag_keys("a")
        .tag_keys("c")
        .send()
        .await);
    assert!(tags_of(&kms, &id).await.is_empty());

    expect_error(
        kms.tag_resource()
            .key_id(random_uuid())
            .tags(tag("a", "1"))
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.untag_resource()
            .key_id(random_uuid())
            .tag_keys("a")
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.list_resource_tags().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn invalid_tags_are_rejected() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    // The aws: prefix is reserved, in any case.
    for reserved in ["aws:owner", "AWS:owner", "Aws:owner"] {
        expect_error(
            kms.tag_resource()
                .key_id(&id)
                .tags(tag(reserved, "x"))
                .send()
                .await,
            "TagException",
        );
    }
    // Duplicate keys in one request.
    expect_error(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("dup", "1"))
            .tags(tag("dup", "2"))
            .send()
            .await,
        "TagException",
    );
    // Key 1–128 characters, value 0–256.
    expect_error(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag(&"k".repeat(129), "x"))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("long-value", &"v".repeat(257)))
            .send()
            .await,
        "ValidationException",
    );
    expect_error(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("", "x"))
            .send()
            .await,
        "ValidationException",
    );
    ok(kms
        .tag_resource()
        .key_id(&id)
        .tags(tag(&"k".repeat(128), &"v".repeat(256)))
        .send()
        .await);

    // Only the valid tag landed.
    let tags = tags_of(&kms, &id).await;
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert_eq!(tags.get(&"k".repeat(128)), Some(&"v".repeat(256)));
}

#[tokio::test]
async fn at_most_fifty_tags_per_key() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    let mut request = kms.tag_resource().key_id(&id);
    for i in 0..50 {
        request = request.tags(tag(&format!("t{i:02}"), "v"));
    }
    ok(request.send().await);
    assert_eq!(tags_of(&kms, &id).await.len(), 50);

    // A 51st distinct key exceeds the quota; overwriting an existing one does not.
    expect_error(
        kms.tag_resource()
            .key_id(&id)
            .tags(tag("t50", "v"))
            .send()
            .await,
        "LimitExceededException",
    );
    ok(kms
        .tag_resource()
        .key_id(&id)
        .tags(tag("t00", "changed"))
        .send()
        .await);
    let tags = tags_of(&kms, &id).await;
    assert_eq!(tags.len(), 50);
    assert_eq!(tags.get("t00").map(String::as_str), Some("changed"));
    assert!(!tags.contains_key("t50"));

    // 51 tags in one request, on a fresh key or at creation. (LocalStack's AWS-validated
    // snapshot records TagException for CreateKey here; the quota reading says LimitExceeded.)
    let fresh = create_key(&kms).await;
    let mut request = kms.tag_resource().key_id(&fresh);
    for i in 0..51 {
        request = request.tags(tag(&format!("t{i:02}"), "v"));
    }
    expect_error_in(
        request.send().await,
        &["LimitExceededException", "TagException"],
    );
    assert!(tags_of(&kms, &fresh).await.is_empty(), "nothing applied");

    let mut request = kms.create_key();
    for i in 0..51 {
        request = request.tags(tag(&format!("t{i:02}"), "v"));
    }
    expect_error_in(
        request.send().await,
        &["LimitExceededException", "TagException"],
    );
}

#[tokio::test]
async fn list_resource_tags_pages() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let mut request = kms.tag_resource().key_id(&id);
    for i in 0..5 {
        request = request.tags(tag(&format!("page{i}"), &i.to_string()));
    }
    ok(request.send().await);

    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= 10, "ListResourceTags does not terminate");
        let page = ok(kms
            .list_resource_tags()
            .key_id(&id)
            .limit(2)
            .set_marker(marker.clone())
            .send()
            .await);
        assert!(page.tags().len() <= 2);
        seen.extend(page.tags().iter().map(|t| t.tag_key().to_owned()));
        if !page.truncated() {
            assert!(page.next_marker().is_none());
            break;
        }
        marker = Some(page.next_marker().expect("NextMarker").to_owned());
    }
    let unique_seen: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique_seen.len(), seen.len(), "duplicates: {seen:?}");
    assert_eq!(unique_seen.len(), 5);
    assert_eq!(pages, 3);

    // ListResourceTags takes Limit 1–50.
    expect_error(
        kms.list_resource_tags().key_id(&id).limit(0).send().await,
        "ValidationException",
    );
    expect_error(
        kms.list_resource_tags().key_id(&id).limit(51).send().await,
        "ValidationException",
    );
    expect_error(
        kms.list_resource_tags()
            .key_id(&id)
            .marker("bogus-marker")
            .send()
            .await,
        "InvalidMarkerException",
    );
}

#[tokio::test]
async fn default_key_policy() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;

    let out = ok(kms
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await);
    assert_eq!(out.policy_name(), Some("default"));
    let text = out.policy().expect("Policy");
    let policy = Json::parse(text).unwrap_or_else(|e| panic!("policy is not JSON ({e}): {text}"));

    assert_eq!(
        policy.get("Version").and_then(Json::as_str),
        Some("2012-10-17")
    );
    assert_eq!(
        policy.get("Id").and_then(Json::as_str),
        Some("key-default-1")
    );
    let statements = policy
        .get("Statement")
        .and_then(Json::as_array)
        .expect("Statement array");
    assert_eq!(statements.len(), 1, "{text}");
    let statement = &statements[0];
    assert_eq!(
        statement.get("Sid").and_then(Json::as_str),
        Some("Enable IAM User Permissions")
    );
    assert_eq!(
        statement.get("Effect").and_then(Json::as_str),
        Some("Allow")
    );
    let root = format!("arn:aws:iam::{ACCOUNT}:root");
    let principal = statement
        .get("Principal")
        .and_then(|p| p.get("AWS"))
        .expect("Principal.AWS");
    let principal_ok = match principal {
        Json::String(s) => *s == root,
        Json::Array(items) => items.len() == 1 && items[0].as_str() == Some(root.as_str()),
        _ => false,
    };
    assert!(principal_ok, "Principal.AWS must be {root}: {principal:?}");
    assert_eq!(
        statement.get("Action").and_then(Json::as_str),
        Some("kms:*")
    );
    assert_eq!(statement.get("Resource").and_then(Json::as_str), Some("*"));

    // PolicyName is optional on GetKeyPolicy and defaults to "default".
    let implicit = ok(kms.get_key_policy().key_id(&id).send().await);
    assert_eq!(implicit.policy(), Some(text));

    let listed = ok(kms.list_key_policies().key_id(&id).send().await);
    assert_eq!(listed.policy_names(), &["default".to_owned()]);
    assert!(!listed.truncated());
}

#[tokio::test]
async fn put_key_policy_round_trips_exactly() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    // Pretty-printed, with a second statement: stored and returned byte for byte.
    let policy = format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"custom-{id}\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Root\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{ \"AWS\" : \"arn:aws:iam::{ACCOUNT}:root\" }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }}, {{\n    \"Sid\" : \"DenyNothing\",\n    \"Effect\" : \"Deny\",\n    \"Principal\" : {{ \"AWS\" : \"arn:aws:iam::444455556666:root\" }},\n    \"Action\" : \"kms:Decrypt\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    );
    ok(kms
        .put_key_policy()
        .key_id(key_arn(&id))
        .policy_name("default")
        .policy(&policy)
        .send()
        .await);
    let got = ok(kms
        .get_key_policy()
        .key_id(&id)
        .policy_name("default")
        .send()
        .await);
    assert_eq!(got.policy(), Some(policy.as_str()));

    // PolicyName is optional on PutKeyPolicy too.
    let compact = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    ok(kms
        .put_key_policy()
        .key_id(&id)
        .policy(&compact)
        .send()
        .await);
    let got = ok(kms.get_key_policy().key_id(&id).send().await);
    assert_eq!(got.policy(), Some(compact.as_str()));
}

#[tokio::test]
async fn put_key_policy_rejects_bad_documents() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    let before = ok(kms.get_key_policy().key_id(&id).send().await)
        .policy
        .expect("Policy");

    for malformed in [
        "{not json".to_owned(),
        // A user that does not exist is an invalid principal, as AWS checks.
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:user/nobody"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
        ),
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*""#
        ),
    ] {
        expect_error(
            kms.put_key_policy()
                .key_id(&id)
                .policy_name("default")
                .policy(&malformed)
                .send()
                .await,
            "MalformedPolicyDocumentException",
        );
    }

    // 32 KB is the quota: 32768 bytes fit, 32769 do not.
    let head = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]"#
    );
    let padded = |total: usize| format!("{head}{}}}", " ".repeat(total - head.len() - 1));
    assert_eq!(padded(32768).len(), 32768);
    expect_error(
        kms.put_key_policy()
            .key_id(&id)
            .policy_name("default")
            .policy(padded(32769))
            .send()
            .await,
        "LimitExceededException",
    );
    let after = ok(kms.get_key_policy().key_id(&id).send().await)
        .policy
        .expect("Policy");
    assert_eq!(
        after, before,
        "failed PutKeyPolicy calls changed the policy"
    );
    ok(kms
        .put_key_policy()
        .key_id(&id)
        .policy_name("default")
        .policy(padded(32768))
        .send()
        .await);

    expect_error(
        kms.put_key_policy()
            .key_id(random_uuid())
            .policy_name("default")
            .policy(&head)
            .send()
            .await,
        "NotFoundException",
    );
}

#[tokio::test]
async fn only_the_default_policy_name_exists() {
    let kmsd = Kmsd::start();
    let kms = kmsd.client();
    let id = create_key(&kms).await;
    expect_error_in(
        kms.get_key_policy()
            .key_id(&id)
            .policy_name("other")
            .send()
            .await,
        &["NotFoundException", "ValidationException"],
    );
    expect_error(
        kms.get_key_policy()
            .key_id(random_uuid())
            .policy_name("default")
            .send()
            .await,
        "NotFoundException",
    );
    expect_error(
        kms.list_key_policies().key_id(random_uuid()).send().await,
        "NotFoundException",
    );
}
