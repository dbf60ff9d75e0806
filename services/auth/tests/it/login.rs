use std::time::Duration;

use keycare_auth::testing::TestOidcProvider;
use keycare_auth::{
    AuthError, LoginStart, OidcEndpoints, discover, finish_login, http_client, start_login,
};

use crate::verifier;

const CLIENT_ID: &str = "keycare-web";
const REDIRECT_URI: &str = "http://127.0.0.1:1/auth/callback";

/// Plays the browser: follows the authorization URL with a login hint and
/// returns the code and state from the redirect back to us.
async fn authorize(login: &LoginStart, subject: &str) -> (String, String) {
    let response = http_client()
        .get(format!("{}&login_hint={subject}", login.authorize_url))
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status(), reqwest::StatusCode::FOUND);
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("Location header");
    let location = url::Url::parse(location).expect("Location URL");
    assert!(location.as_str().starts_with(REDIRECT_URI));
    let param = |name: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in redirect"))
    };
    (param("code"), param("state"))
}

async fn setup() -> (TestOidcProvider, OidcEndpoints) {
    let idp = TestOidcProvider::start().await;
    let endpoints = discover(&http_client(), &idp.issuer())
        .await
        .expect("discovery");
    (idp, endpoints)
}

#[tokio::test]
async fn discovery_checks_the_issuer() {
    let (idp, endpoints) = setup().await;
    assert_eq!(endpoints.issuer, idp.issuer());
    assert_eq!(endpoints.jwks_uri, idp.jwks_url());
    assert_eq!(endpoints.token_endpoint, format!("{}/token", idp.issuer()));

    // Fetched for a different issuer string than the document names.
    assert!(matches!(
        discover(&http_client(), &format!("{}/", idp.issuer())).await,
        Err(AuthError::Discovery(_))
    ));
    assert!(matches!(
        discover(&http_client(), "ftp://127.0.0.1/").await,
        Err(AuthError::Config(_))
    ));
}

#[tokio::test]
async fn full_pkce_flow() {
    let (idp, endpoints) = setup().await;
    let http = http_client();
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings("ignored: the client id is the ID token audience");

    let login = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let url = url::Url::parse(&login.authorize_url).expect("authorize URL");
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"], login.state);
    assert_eq!(query["nonce"], login.nonce);
    assert_eq!(query["scope"], "openid email profile");
    assert!(!format!("{login:?}").contains(&login.pkce_verifier));

    let (code, state) = authorize(&login, "alice").await;
    assert_eq!(state, login.state);
    let claims = finish_login(
        &http,
        &verifier,
        &endpoints,
        &settings,
        CLIENT_ID,
        None,
        REDIRECT_URI,
        &code,
        &login.pkce_verifier,
        &login.nonce,
    )
    .await
    .expect("sign-in");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.iss, idp.issuer());
    assert_eq!(claims.email.as_deref(), Some("alice@example.test"));
    assert_eq!(claims.nonce.as_deref(), Some(login.nonce.as_str()));
    assert_eq!(claims.extra["aud"], CLIENT_ID);

    // Codes are single use.
    let replay = finish_login(
        &http,
        &verifier,
        &endpoints,
        &settings,
        CLIENT_ID,
        None,
        REDIRECT_URI,
        &code,
        &login.pkce_verifier,
        &login.nonce,
    )
    .await;
    assert!(
        matches!(replay, Err(AuthError::TokenExchange(_))),
        "{replay:?}"
    );
}

#[tokio::test]
async fn client_secret_is_sent_with_basic_auth() {
    let (idp, endpoints) = setup().await;
    let login = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let (code, _) = authorize(&login, "bob").await;
    let claims = finish_login(
        &http_client(),
        &verifier(Duration::from_millis(50)),
        &endpoints,
        &idp.settings(CLIENT_ID),
        CLIENT_ID,
        Some("s3cret"),
        REDIRECT_URI,
        &code,
        &login.pkce_verifier,
        &login.nonce,
    )
    .await
    .expect("sign-in");
    assert_eq!(claims.sub, "bob");
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused() {
    let (idp, endpoints) = setup().await;
    let login = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let other = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let (code, _) = authorize(&login, "carol").await;
    let result = finish_login(
        &http_client(),
        &verifier(Duration::from_millis(50)),
        &endpoints,
        &idp.settings(CLIENT_ID),
        CLIENT_ID,
        None,
        REDIRECT_URI,
        &code,
        &other.pkce_verifier,
        &login.nonce,
    )
    .await;
    match result {
        Err(AuthError::TokenExchange(message)) => {
            assert!(message.contains("PKCE"), "{message}");
        }
        other => panic!("expected TokenExchange, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_nonce_is_refused() {
    let (idp, endpoints) = setup().await;
    let login = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let (code, _) = authorize(&login, "dave").await;
    let result = finish_login(
        &http_client(),
        &verifier(Duration::from_millis(50)),
        &endpoints,
        &idp.settings(CLIENT_ID),
        CLIENT_ID,
        None,
        REDIRECT_URI,
        &code,
        &login.pkce_verifier,
        "some-other-nonce",
    )
    .await;
    assert_eq!(result, Err(AuthError::NonceMismatch));
}

#[tokio::test]
async fn wrong_redirect_uri_is_refused() {
    let (idp, endpoints) = setup().await;
    let login = start_login(&endpoints, CLIENT_ID, REDIRECT_URI).expect("start");
    let (code, _) = authorize(&login, "erin").await;
    let result = finish_login(
        &http_client(),
        &verifier(Duration::from_millis(50)),
        &endpoints,
        &idp.settings(CLIENT_ID),
        CLIENT_ID,
        None,
        "http://127.0.0.1:1/elsewhere",
        &code,
        &login.pkce_verifier,
        &login.nonce,
    )
    .await;
    assert!(
        matches!(result, Err(AuthError::TokenExchange(_))),
        "{result:?}"
    );
}
