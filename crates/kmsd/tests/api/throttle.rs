//! Per-account request rates: over the configured rate kmsd answers ThrottlingException at
//! once, per account, and keeps serving.

use crate::harness::*;
use aws_sdk_kms::primitives::Blob;

#[tokio::test]
async fn over_its_rate_an_account_is_throttled_and_others_are_not() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("kmsd.toml"),
        "[limits]\nrequests_per_second = 20\n\n[[accounts]]\nid = \"098765432109\"\nroot_access_key_id = \"AKIA0987654321ROOT01\"\nroot_secret_access_key = \"rootsecret0987654321rootsecret0987654321\"\n",
    )
    .unwrap();
    let kmsd = Kmsd::start_in(root);
    let kms = kmsd.client();
    let key = create_key(&kms).await;
    // Far more than 20 at once: the bucket holds one second's worth.
    let mut throttled = 0;
    let mut served = 0;
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let kms = kms.clone();
            let key = key.clone();
            tokio::spawn(async move {
                kms.encrypt()
                    .key_id(&key)
                    .plaintext(Blob::new(b"x".to_vec()))
                    .send()
                    .await
            })
        })
        .collect();
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => served += 1,
            Err(e) => {
                let failure = failure::<(), _>(Err(e));
                assert_eq!(failure.code, "ThrottlingException", "{:?}", failure.message);
                assert_eq!(failure.status, 400);
                throttled += 1;
            }
        }
    }
    assert!((1..=40).contains(&served), "served {served}");
    assert!(throttled >= 160, "throttled {throttled}");
    // Another account has its own budget.
    let other = kmsd.client_with(
        "AKIA0987654321ROOT01",
        "rootsecret0987654321rootsecret0987654321",
    );
    ok(other.list_keys().send().await);
}
