//! LookupEvents: filters, time ranges, paging, newest first, one account only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use kmsd_audit::{
    AuditConfig, AuditEvent, IDENTITY_ASSUMED_ROLE, IDENTITY_ROOT, LookupAttribute,
    LookupAttributeKey, LookupError, LookupPage, LookupQuery, SessionAttributes, SessionContext,
    SessionIssuer, UserIdentity, lookup,
};

fn root(account: &str) -> UserIdentity {
    UserIdentity {
        identity_type: IDENTITY_ROOT.into(),
        principal_id: account.into(),
        arn: format!("arn:aws:iam::{account}:root"),
        account_id: account.into(),
        access_key_id: Some("AKIAROOT".into()),
        user_name: None,
        session_context: None,
        invoked_by: None,
    }
}

fn role_session(account: &str) -> UserIdentity {
    UserIdentity {
        identity_type: IDENTITY_ASSUMED_ROLE.into(),
        principal_id: "AROAADMIN:ops-session".into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/Admin/ops-session"),
        account_id: account.into(),
        access_key_id: Some("ASIASESSION".into()),
        user_name: None,
        session_context: Some(SessionContext {
            session_issuer: SessionIssuer {
                issuer_type: "Role".into(),
                principal_id: "AROAADMIN".into(),
                arn: format!("arn:aws:iam::{account}:role/Admin"),
                account_id: account.into(),
                user_name: "Admin".into(),
            },
            attributes: SessionAttributes {
                creation_date: Some("2026-11-23T09:00:00Z".into()),
                mfa_authenticated: "false".into(),
            },
        }),
        invoked_by: None,
    }
}

/// 120 events in account A (times T0..T0+119, key k<i%3>, every 10th a DescribeKey by the root
/// user, every 15th by a role session), 30 in account B; small files so lookups cross
/// rotations.
async fn trail(dir: &Path) -> Vec<AuditEvent> {
    let mut c = AuditConfig::new(dir);
    c.max_file_bytes = 8 * 1024;
    c.digest_every_events = 9;
    let (log, _) = open(c);
    let mut written = Vec::new();
    for i in 0..150i64 {
        let account = if i % 5 == 4 { ACCOUNT_B } else { ACCOUNT_A };
        let name = if i % 10 == 0 {
            "DescribeKey"
        } else {
            "Encrypt"
        };
        let mut e = event(account, name, T0 + i, &format!("k{}", i % 3));
        if i % 10 == 0 {
            e.user_identity = root(account);
        } else if i % 15 == 0 {
            e.user_identity = role_session(account);
        }
        log.append(&e).await.unwrap();
        written.push(e);
    }
    log.shutdown().await.unwrap();
    assert!(trail_files(dir).len() >= 5);
    written
}

fn query(account: &str) -> LookupQuery {
    LookupQuery {
        account_id: account.into(),
        ..LookupQuery::default()
    }
}

fn with(key: LookupAttributeKey, value: &str) -> LookupQuery {
    LookupQuery {
        attribute: Some(LookupAttribute {
            key,
            value: value.into(),
        }),
        ..query(ACCOUNT_A)
    }
}

/// Every page of a query, following tokens.
fn all_pages(dir: &Path, mut q: LookupQuery) -> Vec<LookupPage> {
    let mut pages = Vec::new();
    loop {
        let page = lookup(dir, &q).unwrap();
        let next = page.next_token.clone();
        pages.push(page);
        match next {
            Some(token) => q.next_token = Some(token),
            None => return pages,
        }
    }
}

fn ids(pages: &[LookupPage]) -> Vec<String> {
    pages
        .iter()
        .flat_map(|p| p.events.iter().map(|e| e.event.event_id.clone()))
        .collect()
}

/// The expected ids, newest first.
fn expected(written: &[AuditEvent], keep: impl Fn(&AuditEvent) -> bool) -> Vec<String> {
    written
        .iter()
        .rev()
        .filter(|e| keep(e))
        .map(|e| e.event_id.clone())
        .collect()
}

#[tokio::test]
async fn newest_first_in_pages_of_fifty_for_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let written = trail(dir.path()).await;
    let pages = all_pages(dir.path(), query(ACCOUNT_A));
    assert_eq!(
        pages.iter().map(|p| p.events.len()).collect::<Vec<_>>(),
        [50, 50, 20]
    );
    assert!(pages[2].next_token.is_none());
    assert_eq!(
        ids(&pages),
        expected(&written, |e| e.recipient_account_id == ACCOUNT_A)
    );
    let sequences: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.events.iter().map(|e| e.sequence))
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] > w[1]));

    // The stored JSON comes back verbatim.
    let first = &pages[0].events[0];
    let parsed: AuditEvent = serde_json::from_str(&first.cloud_trail_event).unwrap();
    assert_eq!(parsed, first.event);
    assert_eq!(
        first.cloud_trail_event,
        serde_json::to_string(&first.event).unwrap()
    );

    // Account B sees only its own 30.
    let b = all_pages(dir.path(), query(ACCOUNT_B));
    assert_eq!(
        ids(&b),
        expected(&written, |e| e.recipient_account_id == ACCOUNT_B)
    );
    assert_eq!(ids(&b).len(), 30);
    assert!(
        b.iter()
            .flat_map(|p| &p.events)
            .all(|e| e.event.recipient_account_id == ACCOUNT_B)
    );
    // An account with no events sees none.
    assert!(
        lookup(dir.path(), &query("999999999999"))
            .unwrap()
            .events
            .is_empty()
    );
}

#[tokio::test]
async fn small_pages_and_exact_page_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let written = trail(dir.path()).await;
    let q = LookupQuery {
        max_results: Some(7),
        ..query(ACCOUNT_A)
    };
    let pages = all_pages(dir.path(), q);
    assert_eq!(pages.len(), 18); // 120 = 17 × 7 + 1
    assert_eq!(
        ids(&pages),
        expected(&written, |e| e.recipient_account_id == ACCOUNT_A)
    );
    // 30 events in B, pages of 10: exactly three, the last without a token.
    let q = LookupQuery {
        max_results: Some(10),
        ..query(ACCOUNT_B)
    };
    let pages = all_pages(dir.path(), q);
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.events.len() == 10));
}

#[tokio::test]
async fn attribute_filters() {
    let dir = tempfile::tempdir().unwrap();
    let written = trail(dir.path()).await;
    let in_a = |e: &AuditEvent| e.recipient_account_id == ACCOUNT_A;
    type Keep<'a> = Box<dyn Fn(&AuditEvent) -> bool + 'a>;
    let cases: Vec<(LookupAttributeKey, String, Keep)> = vec![
        (
            LookupAttributeKey::EventName,
            "DescribeKey".into(),
            Box::new(|e: &AuditEvent| e.event_name == "DescribeKey"),
        ),
        (
            LookupAttributeKey::ReadOnly,
            "true".into(),
            Box::new(|e: &AuditEvent| e.read_only),
        ),
        (
            LookupAttributeKey::ReadOnly,
            "false".into(),
            Box::new(|e: &AuditEvent| !e.read_only),
        ),
        (
            LookupAttributeKey::ResourceName,
            key_arn(ACCOUNT_A, "k1"),
            Box::new(|e: &AuditEvent| e.resources[0].arn.ends_with("/k1")),
        ),
        (
            LookupAttributeKey::ResourceName,
            "k2".into(),
            Box::new(|e: &AuditEvent| e.resources[0].arn.ends_with("/k2")),
        ),
        (
            LookupAttributeKey::ResourceType,
            "AWS::KMS::Key".into(),
            Box::new(|_: &AuditEvent| true),
        ),
        (
            LookupAttributeKey::ResourceType,
            "AWS::IAM::Role".into(),
            Box::new(|_: &AuditEvent| false),
        ),
        (
            LookupAttributeKey::Username,
            "alice".into(),
            Box::new(|e: &AuditEvent| e.user_identity.user_name.as_deref() == Some("alice")),
        ),
        (
            LookupAttributeKey::Username,
            "root".into(),
            Box::new(|e: &AuditEvent| e.user_identity.identity_type == IDENTITY_ROOT),
        ),
        (
            LookupAttributeKey::Username,
            "ops-session".into(),
            Box::new(|e: &AuditEvent| e.user_identity.identity_type == IDENTITY_ASSUMED_ROLE),
        ),
        (
            LookupAttributeKey::AccessKeyId,
            "AKIAROOT".into(),
            Box::new(|e: &AuditEvent| e.user_identity.identity_type == IDENTITY_ROOT),
        ),
        (
            LookupAttributeKey::EventSource,
            "kms.amazonaws.com".into(),
            Box::new(|_: &AuditEvent| true),
        ),
        (
            LookupAttributeKey::EventId,
            written[17].event_id.clone(),
            Box::new(|e: &AuditEvent| e.event_id == written[17].event_id),
        ),
        (
            // Another account's event id finds nothing.
            LookupAttributeKey::EventId,
            written[19].event_id.clone(),
            Box::new(|_: &AuditEvent| false),
        ),
    ];
    for (key, value, keep) in cases {
        let pages = all_pages(dir.path(), with(key, &value));
        let want = expected(&written, |e| in_a(e) && keep(e));
        assert_eq!(ids(&pages), want, "{key:?} = {value}");
    }
}

#[tokio::test]
async fn time_ranges_are_inclusive_and_combine_with_filters_and_paging() {
    let dir = tempfile::tempdir().unwrap();
    let written = trail(dir.path()).await;
    let secs = |e: &AuditEvent| e.event_time_secs().unwrap();
    let in_a = |e: &AuditEvent| e.recipient_account_id == ACCOUNT_A;

    let q = LookupQuery {
        start_time: Some(T0 + 20),
        end_time: Some(T0 + 79),
        max_results: Some(11),
        ..query(ACCOUNT_A)
    };
    let got = ids(&all_pages(dir.path(), q));
    let want = expected(&written, |e| {
        in_a(e) && (T0 + 20..=T0 + 79).contains(&secs(e))
    });
    assert_eq!(got.len(), 48);
    assert_eq!(got, want);

    let q = LookupQuery {
        start_time: Some(T0 + 100),
        ..with(LookupAttributeKey::EventName, "DescribeKey")
    };
    let got = ids(&all_pages(dir.path(), q));
    assert_eq!(
        got,
        expected(&written, |e| in_a(e)
            && secs(e) >= T0 + 100
            && e.event_name == "DescribeKey")
    );
    assert_eq!(got.len(), 5);

    let q = LookupQuery {
        end_time: Some(T0 + 3),
        ..query(ACCOUNT_A)
    };
    assert_eq!(
        ids(&all_pages(dir.path(), q)),
        expected(&written, |e| in_a(e) && secs(e) <= T0 + 3)
    );

    // Before the first event and after the last: nothing (old files skipped by their digest).
    for (start, end) in [(T0 - 100, T0 - 1), (T0 + 1000, T0 + 2000)] {
        let q = LookupQuery {
            start_time: Some(start),
            end_time: Some(end),
            ..query(ACCOUNT_A)
        };
        let page = lookup(dir.path(), &q).unwrap();
        assert!(page.events.is_empty() && page.next_token.is_none());
    }
}

#[tokio::test]
async fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    trail(dir.path()).await;
    for max in [0, 51] {
        let q = LookupQuery {
            max_results: Some(max),
            ..query(ACCOUNT_A)
        };
        assert_eq!(lookup(dir.path(), &q), Err(LookupError::InvalidMaxResults));
    }
    let q = LookupQuery {
        start_time: Some(T0 + 10),
        end_time: Some(T0),
        ..query(ACCOUNT_A)
    };
    assert_eq!(lookup(dir.path(), &q), Err(LookupError::InvalidTimeRange));

    let first = lookup(dir.path(), &query(ACCOUNT_A)).unwrap();
    let token = first.next_token.unwrap();
    // A token only continues the query it came from.
    let q = LookupQuery {
        next_token: Some(token.clone()),
        ..query(ACCOUNT_B)
    };
    assert_eq!(lookup(dir.path(), &q), Err(LookupError::InvalidNextToken));
    let q = LookupQuery {
        next_token: Some(token.clone()),
        ..with(LookupAttributeKey::EventName, "Encrypt")
    };
    assert_eq!(lookup(dir.path(), &q), Err(LookupError::InvalidNextToken));
    for bad in ["", "zz", "00", &token[..token.len() - 2]] {
        let q = LookupQuery {
            next_token: Some(bad.to_owned()),
            ..query(ACCOUNT_A)
        };
        assert_eq!(
            lookup(dir.path(), &q),
            Err(LookupError::InvalidNextToken),
            "{bad}"
        );
    }
    // A different page size may continue the same query.
    let q = LookupQuery {
        next_token: Some(token),
        max_results: Some(5),
        ..query(ACCOUNT_A)
    };
    assert_eq!(lookup(dir.path(), &q).unwrap().events.len(), 5);
}

#[tokio::test]
async fn lookups_see_the_live_file_while_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let (log, _) = open(config(dir.path()));
    assert!(
        lookup(dir.path(), &query(ACCOUNT_A))
            .unwrap()
            .events
            .is_empty()
    );
    let e = event(ACCOUNT_A, "Encrypt", T0, "k1");
    log.append(&e).await.unwrap();
    let page = lookup(dir.path(), &query(ACCOUNT_A)).unwrap();
    assert_eq!(page.events.len(), 1);
    assert_eq!(page.events[0].event, e);
    log.shutdown().await.unwrap();
    // A missing trail directory is an empty trail.
    let none = dir.path().join("nothing-here");
    assert!(lookup(&none, &query(ACCOUNT_A)).unwrap().events.is_empty());
}
