//! Authentication end to end: every request carries a verified identity from the council's
//! OpenID provider, and every refusal says why.

use crate::app::{CLIENT_ID, COUNCIL, TestApp, error_of};
use keycare_auth::testing::{MintKey, MintKid, MintOptions};
use serde_json::json;

const ME: &str = "{ me { name tenant { name } } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn a_valid_token_signs_in_and_me_names_the_user() {
    let app = TestApp::spawn().await;
    for key in [MintKey::Rsa, MintKey::Ec] {
        let token = app.token_with("alice", |_| {}, MintOptions::with_key(key));
        let (status, body) = app.graphql(Some(&format!("Bearer {token}")), ME).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["me"]["name"], "Alice Example");
        assert_eq!(body["data"]["me"]["tenant"]["name"], "Testshire Council");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_tokens_are_refused_with_401_and_the_reason() {
    let app = TestApp::spawn().await;
    let t = |edit: fn(&mut serde_json::Value)| app.token("alice", edit);
    let hmac = app.token_with(
        "alice",
        |_| {},
        MintOptions::with_key(MintKey::Hmac(b"shared-secret".to_vec())),
    );
    let none = app.token_with("alice", |_| {}, MintOptions::with_key(MintKey::Unsigned));
    // Signed by a key the provider never published, under the kid of one it did.
    let unlisted = app.token_with(
        "alice",
        |_| {},
        MintOptions::with_key(MintKey::Unlisted).kid(MintKid::Set(app.provider.ec_kid())),
    );
    let unknown_kid = app.token_with(
        "alice",
        |_| {},
        MintOptions::default().kid(MintKid::Set("no-such-key".into())),
    );
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "missing Authorization header"),
        ("wrong scheme", Some("Basic YWxpY2U6cHc=".into()), "Bearer"),
        (
            "malformed",
            Some("Bearer not.a-jwt".into()),
            "malformed token",
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                t(|c| {
                    c["exp"] = json!(now() - 3600);
                    c["iat"] = json!(now() - 7200);
                    c["nbf"] = json!(now() - 7200);
                })
            )),
            "token expired",
        ),
        (
            "not yet valid",
            Some(format!("Bearer {}", t(|c| c["nbf"] = json!(now() + 3600)))),
            "not yet valid",
        ),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                t(|c| c["iss"] = json!("https://evil.example"))
            )),
            "issuer is not accepted",
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                t(|c| c["aud"] = json!("someone-else"))
            )),
            "audience does not match",
        ),
        (
            "bad signature",
            Some(format!("Bearer {unlisted}")),
            "signature is invalid",
        ),
        (
            "unknown key",
            Some(format!("Bearer {unknown_kid}")),
            "unknown key",
        ),
        (
            "alg none",
            Some(format!("Bearer {none}")),
            "is not accepted",
        ),
        ("HMAC", Some(format!("Bearer {hmac}")), "is not accepted"),
        (
            "unknown subject",
            Some(format!("Bearer {}", app.token("mallory", |_| {}))),
            "no KeyCare account for this subject",
        ),
    ];
    for (name, header, reason) in cases {
        let (status, body) = app.graphql(header.as_deref(), ME).await;
        let (code, message) = error_of(&body);
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(code, "UNAUTHENTICATED", "{name}: {body}");
        assert!(
            message.contains(reason),
            "{name}: expected {reason:?} in {message:?}"
        );
        assert!(body["data"].is_null(), "{name}: no data may leak: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_deactivated_user_gets_forbidden_and_nothing_else() {
    let app = TestApp::spawn().await;
    let token = app.token("bob", |_| {});
    let (status, body) = app.graphql(Some(&format!("Bearer {token}")), ME).await;
    assert_eq!(status, 403);
    assert_eq!(
        error_of(&body),
        ("FORBIDDEN".into(), "account deactivated".into())
    );
    assert!(body["data"].is_null());
    app.stop().await;
}

#[tokio::test]
async fn rotated_keys_are_picked_up_and_removed_keys_refused() {
    let app = TestApp::spawn().await;
    let old_kid = app.provider.signing_kid();
    let old = app.token("alice", |_| {});
    assert_eq!(app.graphql(Some(&format!("Bearer {old}")), ME).await.0, 200);

    // The provider rotates: a token with the new kid is accepted although the keys are cached.
    let new_kid = app.provider.rotate();
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    let new = app.token("alice", |_| {});
    let (status, body) = app.graphql(Some(&format!("Bearer {new}")), ME).await;
    assert_eq!(status, 200, "new key {new_kid}: {body}");

    // The old key is withdrawn: once the keys are fetched again, its tokens are refused.
    app.provider.remove_key(&old_kid);
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    let probe = app.token_with(
        "alice",
        |_| {},
        MintOptions::default().kid(MintKid::Set("probe".into())),
    );
    let _ = app.graphql(Some(&format!("Bearer {probe}")), ME).await; // triggers the refetch
    let old_again = app.token_with(
        "alice",
        |_| {},
        MintOptions::with_key(MintKey::Kid(old_kid)),
    );
    let (status, body) = app.graphql(Some(&format!("Bearer {old_again}")), ME).await;
    assert_eq!(status, 401, "{body}");
    assert!(error_of(&body).1.contains("unknown key"), "{body}");
    app.stop().await;
}

/// Follows one redirect by hand; returns the Location header.
async fn location(app: &TestApp, url: &str) -> (u16, String, Option<String>) {
    let res = app.http.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let loc = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, loc, cookie)
}

#[tokio::test]
async fn browser_sign_in_with_pkce_ends_in_a_cookie_session_and_sign_out_ends_it() {
    let app = TestApp::spawn().await;
    // 1. KeyCare sends the browser to the provider with a PKCE challenge.
    let (status, authorize, _) = location(
        &app,
        &format!("{}/auth/{COUNCIL}/login?redirect=/graphql", app.base),
    )
    .await;
    assert!((300..400).contains(&status), "login redirects: {status}");
    assert!(authorize.starts_with(&app.provider.issuer()), "{authorize}");
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(
        authorize.contains(&format!("client_id={CLIENT_ID}")),
        "{authorize}"
    );
    // 2. The provider signs alice in and sends the browser back with a code.
    let (_, callback, _) = location(&app, &format!("{authorize}&login_hint=alice")).await;
    assert!(
        callback.starts_with(&format!("{}/auth/{COUNCIL}/callback?", app.base)),
        "{callback}"
    );
    // 3. KeyCare exchanges the code, sets the session cookie and sends the browser on.
    let (status, next, cookie) = location(&app, &callback).await;
    assert!((300..400).contains(&status), "callback redirects: {status}");
    assert_eq!(next, "/graphql");
    let cookie = cookie.expect("a session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    let session = cookie.split(';').next().unwrap().to_owned();
    // 4. The cookie alone authenticates GraphQL.
    let me = |session: String| {
        let app = &app;
        async move {
            let res = app
                .http
                .post(format!("{}/graphql", app.base))
                .header("cookie", session)
                .json(&json!({"query": ME}))
                .send()
                .await
                .unwrap();
            (
                res.status().as_u16(),
                res.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = me(session.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["me"]["name"], "Alice Example");
    // 5. The same callback cannot be replayed.
    let (status, _, _) = location(&app, &callback).await;
    assert_eq!(status, 401);
    // 6. Sign-out ends the session.
    let res = app
        .http
        .post(format!("{}/auth/logout", app.base))
        .header("cookie", session.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    let (status, _) = me(session).await;
    assert_eq!(status, 401);
    app.stop().await;
}

#[tokio::test]
async fn a_forged_state_finds_no_pending_sign_in() {
    let app = TestApp::spawn().await;
    let (_, authorize, _) = location(&app, &format!("{}/auth/{COUNCIL}/login", app.base)).await;
    let (_, callback, _) = location(&app, &format!("{authorize}&login_hint=alice")).await;
    // A forged state (as from another browser) finds no pending sign-in.
    let forged = regex_replace_state(&callback, "forged-state");
    let (status, _, cookie) = location(&app, &forged).await;
    assert_eq!(status, 401);
    assert!(cookie.is_none());
    app.stop().await;
}

fn regex_replace_state(url: &str, state: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let query: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("state=") {
                format!("state={state}")
            } else {
                kv.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}
