use std::time::Duration;

use keycare_auth::AuthError;
use keycare_auth::testing::{MintKey, MintKid, MintOptions, TestOidcProvider};

use crate::{AUDIENCE, verifier};

#[tokio::test]
async fn rotated_key_is_picked_up_and_removed_key_dropped() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let claims = idp.default_claims("alice", AUDIENCE);

    let old = idp.mint(claims.clone(), MintOptions::with_key(MintKey::Rsa));
    verifier.verify(&old, &settings).await.expect("initial key");
    assert_eq!(idp.jwks_fetches(), 1);

    // A new key appears; the cached set lacks it, so the verifier refetches.
    let new_kid = idp.rotate();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let new = idp.mint(claims.clone(), MintOptions::default());
    let verified = verifier.verify(&new, &settings).await.expect("rotated key");
    assert_eq!(verified.sub, "alice");
    assert_eq!(idp.jwks_fetches(), 2);
    // The old key is still published and still accepted.
    verifier.verify(&old, &settings).await.expect("old key");

    // The old key is withdrawn. Until the cache refreshes it is still
    // trusted; once another unknown kid forces a refresh it is not.
    idp.remove_key(&idp.rsa_kid());
    let newer_kid = idp.rotate();
    assert_ne!(newer_kid, new_kid);
    tokio::time::sleep(Duration::from_millis(60)).await;
    let newer = idp.mint(claims.clone(), MintOptions::default());
    verifier
        .verify(&newer, &settings)
        .await
        .expect("newest key");
    assert_eq!(idp.jwks_fetches(), 3);
    assert_eq!(
        verifier.verify(&old, &settings).await,
        Err(AuthError::UnknownKey)
    );
    // Tokens from the middle key are unaffected.
    verifier.verify(&new, &settings).await.expect("middle key");
}

#[tokio::test]
async fn unknown_kids_cause_at_most_one_refetch_per_interval() {
    let idp = TestOidcProvider::start().await;
    let interval = Duration::from_millis(400);
    let verifier = verifier(interval);
    let settings = idp.settings(AUDIENCE);
    let claims = idp.default_claims("bob", AUDIENCE);

    let valid = idp.mint(claims.clone(), MintOptions::default());
    verifier.verify(&valid, &settings).await.expect("valid");
    assert_eq!(idp.jwks_fetches(), 1);

    // Within the interval after the first fetch, unknown kids fetch nothing.
    let early = idp.mint(
        claims.clone(),
        MintOptions::default().kid(MintKid::Set("early".into())),
    );
    assert_eq!(
        verifier.verify(&early, &settings).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(idp.jwks_fetches(), 1);
    tokio::time::sleep(interval + Duration::from_millis(50)).await;

    // A burst of tokens with made-up kids, concurrently.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..25 {
        let token = idp.mint(
            claims.clone(),
            MintOptions::default().kid(MintKid::Set(format!("made-up-{i}"))),
        );
        let (verifier, settings) = (verifier.clone(), settings.clone());
        tasks.spawn(async move { verifier.verify(&token, &settings).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.expect("task"), Err(AuthError::UnknownKey));
    }
    assert_eq!(idp.jwks_fetches(), 2, "one extra fetch for the whole burst");

    // More, sequentially, within the interval: no more fetches.
    for i in 0..5 {
        let token = idp.mint(
            claims.clone(),
            MintOptions::default().kid(MintKid::Set(format!("later-{i}"))),
        );
        assert_eq!(
            verifier.verify(&token, &settings).await,
            Err(AuthError::UnknownKey)
        );
    }
    assert_eq!(idp.jwks_fetches(), 2);

    // Even a genuinely new key waits for the interval (it is refused now).
    idp.rotate();
    let rotated = idp.mint(claims, MintOptions::default());
    assert_eq!(
        verifier.verify(&rotated, &settings).await,
        Err(AuthError::UnknownKey)
    );
    assert_eq!(idp.jwks_fetches(), 2);
    // Cached keys keep working throughout.
    verifier.verify(&valid, &settings).await.expect("valid");

    // After the interval the new key is fetched and accepted.
    tokio::time::sleep(interval + Duration::from_millis(50)).await;
    verifier.verify(&rotated, &settings).await.expect("rotated");
    assert_eq!(idp.jwks_fetches(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_use_fetches_once() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let token = idp.mint(
        idp.default_claims("carol", AUDIENCE),
        MintOptions::default(),
    );

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (verifier, settings, token) = (verifier.clone(), settings.clone(), token.clone());
        tasks.spawn(async move { verifier.verify(&token, &settings).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(result.expect("task").is_ok());
    }
    assert_eq!(idp.jwks_fetches(), 1);
}
