use std::time::Duration;

use keycare_auth::testing::{MintKey, MintKid, MintOptions, TestOidcProvider};
use keycare_auth::{AuthError, IssuerSettings, peek_issuer};
use serde_json::{Value, json};

use crate::{AUDIENCE, now, verifier};

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

/// Flips a character in the payload so the signature no longer matches.
fn tamper(token: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &parts[1])
            .unwrap(),
    )
    .unwrap();
    let forged = with(claims, "sub", json!("mallory"));
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        forged.to_string(),
    );
    parts.join(".")
}

#[tokio::test]
async fn valid_rs256_and_es256_tokens_are_accepted() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);

    for key in [MintKey::Rsa, MintKey::Ec] {
        let token = idp.mint(
            with(
                idp.default_claims("alice", AUDIENCE),
                "name",
                json!("Alice"),
            ),
            MintOptions::with_key(key.clone()),
        );
        let claims = verifier
            .verify(&token, &settings)
            .await
            .unwrap_or_else(|err| panic!("{key:?} token refused: {err}"));
        assert_eq!(claims.iss, idp.issuer());
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.email.as_deref(), Some("alice@example.test"));
        assert_eq!(claims.nonce, None);
        assert!(claims.exp > now());
        assert_eq!(claims.extra["name"], "Alice");
        assert_eq!(claims.extra["aud"], AUDIENCE);
    }
    assert_eq!(idp.jwks_fetches(), 1, "keys are cached");
}

#[tokio::test]
async fn audience_may_be_an_array_and_leeway_applies() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let base = idp.default_claims("bob", AUDIENCE);
    let ok = [
        with(base.clone(), "aud", json!(["other", AUDIENCE])),
        // Within the 30 s default leeway.
        with(base.clone(), "exp", json!(now() - 10)),
        with(base.clone(), "nbf", json!(now() + 10)),
        without(base.clone(), "nbf"),
        without(base.clone(), "email"),
    ];
    for claims in ok {
        let token = idp.mint(claims.clone(), MintOptions::default());
        assert!(
            verifier.verify(&token, &settings).await.is_ok(),
            "refused {claims}"
        );
    }
}

#[tokio::test]
async fn bad_tokens_get_precise_errors() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let base = idp.default_claims("carol", AUDIENCE);
    let valid = idp.mint(base.clone(), MintOptions::default());
    let rsa = || MintOptions::with_key(MintKey::Rsa);
    let ec = || MintOptions::with_key(MintKey::Ec);
    let refused = |alg: &str| Err::<(), _>(AuthError::RefusedAlgorithm(alg.to_owned()));
    let malformed = |msg: &str| Err::<(), _>(AuthError::Malformed(msg.to_owned()));

    let cases: Vec<(&str, String, Result<(), AuthError>)> = vec![
        ("valid", valid.clone(), Ok(())),
        (
            "expired",
            idp.mint(with(base.clone(), "exp", json!(now() - 3600)), rsa()),
            Err(AuthError::Expired),
        ),
        (
            "expired beyond leeway",
            idp.mint(with(base.clone(), "exp", json!(now() - 40)), ec()),
            Err(AuthError::Expired),
        ),
        (
            "nbf in the future",
            idp.mint(with(base.clone(), "nbf", json!(now() + 3600)), rsa()),
            Err(AuthError::NotYetValid),
        ),
        (
            "wrong issuer",
            idp.mint(
                with(base.clone(), "iss", json!("https://evil.example")),
                rsa(),
            ),
            Err(AuthError::WrongIssuer),
        ),
        (
            "issuer as array",
            idp.mint(with(base.clone(), "iss", json!([idp.issuer()])), rsa()),
            Err(AuthError::WrongIssuer),
        ),
        (
            "missing issuer",
            idp.mint(without(base.clone(), "iss"), rsa()),
            Err(AuthError::WrongIssuer),
        ),
        (
            "wrong audience",
            idp.mint(with(base.clone(), "aud", json!("someone-else")), rsa()),
            Err(AuthError::WrongAudience),
        ),
        (
            "audience array without us",
            idp.mint(with(base.clone(), "aud", json!(["a", "b"])), ec()),
            Err(AuthError::WrongAudience),
        ),
        (
            "missing audience",
            idp.mint(without(base.clone(), "aud"), rsa()),
            Err(AuthError::WrongAudience),
        ),
        (
            "missing exp",
            idp.mint(without(base.clone(), "exp"), rsa()),
            malformed("the exp claim is missing or invalid"),
        ),
        (
            "exp not a number",
            idp.mint(with(base.clone(), "exp", json!("tomorrow")), rsa()),
            malformed("the exp claim is missing or invalid"),
        ),
        (
            "missing sub",
            idp.mint(without(base.clone(), "sub"), rsa()),
            malformed("the token has no sub claim"),
        ),
        (
            "signed by an unpublished key under a published kid",
            idp.mint(
                base.clone(),
                MintOptions::with_key(MintKey::Unlisted).kid(MintKid::Set(idp.ec_kid())),
            ),
            Err(AuthError::BadSignature),
        ),
        (
            "tampered payload",
            tamper(&valid),
            Err(AuthError::BadSignature),
        ),
        (
            "expired and tampered: signature first",
            tamper(&idp.mint(with(base.clone(), "exp", json!(now() - 3600)), rsa())),
            Err(AuthError::BadSignature),
        ),
        (
            "unknown kid",
            idp.mint(base.clone(), rsa().kid(MintKid::Set("no-such-key".into()))),
            Err(AuthError::UnknownKey),
        ),
        (
            "alg none",
            idp.mint(base.clone(), MintOptions::with_key(MintKey::Unsigned)),
            refused("none"),
        ),
        (
            "alg none with a published kid",
            idp.mint(
                base.clone(),
                MintOptions::with_key(MintKey::Unsigned).kid(MintKid::Set(idp.rsa_kid())),
            ),
            refused("none"),
        ),
        (
            "HS256",
            idp.mint(
                base.clone(),
                MintOptions::with_key(MintKey::Hmac(b"shared secret".to_vec()))
                    .kid(MintKid::Set(idp.rsa_kid())),
            ),
            refused("HS256"),
        ),
        (
            "HS512",
            idp.mint(
                base.clone(),
                MintOptions::with_key(MintKey::Hmac(b"shared secret".to_vec())).alg("HS512"),
            ),
            refused("HS512"),
        ),
        (
            "PS256",
            idp.mint(base.clone(), rsa().alg("PS256")),
            refused("PS256"),
        ),
        (
            "RS256 header on an EC key",
            idp.mint(base.clone(), ec().alg("RS256")),
            refused("RS256"),
        ),
        (
            "ES256 header on an RSA key",
            idp.mint(base.clone(), rsa().alg("ES256")),
            refused("ES256"),
        ),
        (
            "RS384 on a key published for RS256 only",
            idp.mint(base.clone(), rsa().alg("RS384")),
            refused("RS384"),
        ),
        (
            "not a JWT",
            "not-a-token".to_owned(),
            malformed("expected a JWT with three dot-separated parts"),
        ),
        (
            "five parts (JWE)",
            "a.b.c.d.e".to_owned(),
            malformed("expected a JWT with three dot-separated parts"),
        ),
        (
            "header not base64",
            "!!!.e30.sig".to_owned(),
            malformed("the header is not valid base64url"),
        ),
        (
            "header not JSON",
            format!(
                "{}.e30.sig",
                base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, "nope")
            ),
            malformed("the header is not a valid JSON object"),
        ),
        (
            "oversized",
            format!("{}.e30.sig", "a".repeat(20_000)),
            malformed("the token is too large"),
        ),
    ];

    for (name, token, expected) in cases {
        let got = verifier.verify(&token, &settings).await.map(|_| ());
        assert_eq!(got, expected, "case: {name}");
    }
}

#[tokio::test]
async fn refused_algorithms_never_touch_the_jwks() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let claims = idp.default_claims("dave", AUDIENCE);
    for opts in [
        MintOptions::with_key(MintKey::Unsigned),
        MintOptions::with_key(MintKey::Hmac(b"secret".to_vec())),
    ] {
        let token = idp.mint(claims.clone(), opts);
        assert!(matches!(
            verifier.verify(&token, &settings).await,
            Err(AuthError::RefusedAlgorithm(_))
        ));
    }
    assert_eq!(idp.jwks_fetches(), 0);
}

#[tokio::test]
async fn token_without_kid_needs_exactly_one_key_of_its_type() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let claims = idp.default_claims("erin", AUDIENCE);
    let no_kid = |key| MintOptions::with_key(key).kid(MintKid::Omit);

    // One RSA and one EC key are published: each is unambiguous.
    for key in [MintKey::Rsa, MintKey::Ec] {
        let token = idp.mint(claims.clone(), no_kid(key));
        assert!(verifier.verify(&token, &settings).await.is_ok());
    }

    // A second EC key makes a kid-less ES256 token ambiguous.
    idp.rotate();
    tokio::time::sleep(Duration::from_millis(60)).await;
    // Learn about the new key.
    let rotated = idp.mint(claims.clone(), MintOptions::default());
    verifier
        .verify(&rotated, &settings)
        .await
        .expect("rotated key");
    let token = idp.mint(claims.clone(), no_kid(MintKey::Ec));
    assert_eq!(
        verifier.verify(&token, &settings).await,
        Err(AuthError::UnknownKey)
    );
    let token = idp.mint(claims, no_kid(MintKey::Rsa));
    assert!(verifier.verify(&token, &settings).await.is_ok());
}

#[tokio::test]
async fn unreachable_or_invalid_jwks_url() {
    let idp = TestOidcProvider::start().await;
    let token = idp.mint(
        idp.default_claims("frank", AUDIENCE),
        MintOptions::default(),
    );
    let verifier = verifier(Duration::from_millis(50));

    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let unreachable = IssuerSettings {
        jwks_url: format!("http://{closed}/jwks"),
        ..idp.settings(AUDIENCE)
    };
    assert!(matches!(
        verifier.verify(&token, &unreachable).await,
        Err(AuthError::JwksUnavailable(_))
    ));

    let not_found = IssuerSettings {
        jwks_url: format!("{}/missing", idp.issuer()),
        ..idp.settings(AUDIENCE)
    };
    assert!(matches!(
        verifier.verify(&token, &not_found).await,
        Err(AuthError::JwksUnavailable(msg)) if msg.contains("404")
    ));

    let file = IssuerSettings {
        jwks_url: "file:///etc/passwd".into(),
        ..idp.settings(AUDIENCE)
    };
    assert!(matches!(
        verifier.verify(&token, &file).await,
        Err(AuthError::JwksUnavailable(msg)) if msg.contains("must be an http(s) URL")
    ));
}

/// Item 7 of issue 10: a token is judged by its own dates too, not only by `exp`.
#[tokio::test]
async fn tokens_issued_in_the_future_or_living_too_long_are_refused() {
    let idp = TestOidcProvider::start().await;
    let verifier = verifier(Duration::from_millis(50));
    let settings = idp.settings(AUDIENCE);
    let base = idp.default_claims("hana", AUDIENCE);
    let hour = 3600;
    let day = 24 * hour;
    let future = "token issued in the future";
    let too_long = "token lifetime exceeds the maximum of 24h";
    let cases: [(&str, Value, Option<&str>); 9] = [
        ("now, for five minutes", base.clone(), None),
        (
            "issued within the leeway ahead",
            with(base.clone(), "iat", json!(now() + 10)),
            None,
        ),
        (
            "issued an hour ahead",
            with(base.clone(), "iat", json!(now() + hour)),
            Some(future),
        ),
        (
            "issued a day ahead",
            with(
                with(base.clone(), "iat", json!(now() + day)),
                "exp",
                json!(now() + day + 300),
            ),
            Some(future),
        ),
        (
            "exactly 24 hours",
            with(
                base.clone(),
                "exp",
                json!(base["iat"].as_i64().unwrap() + day),
            ),
            None,
        ),
        (
            "ten years",
            with(base.clone(), "exp", json!(now() + 3650 * day)),
            Some(too_long),
        ),
        (
            "issued two days ago, still unexpired",
            with(base.clone(), "iat", json!(now() - 2 * day)),
            Some(too_long),
        ),
        (
            "no iat, expiring in an hour",
            with(without(base.clone(), "iat"), "exp", json!(now() + hour)),
            None,
        ),
        (
            "no iat, expiring in 25 hours",
            with(
                without(base.clone(), "iat"),
                "exp",
                json!(now() + 25 * hour),
            ),
            Some(too_long),
        ),
    ];
    for (case, claims, refusal) in cases {
        let token = idp.mint(claims, MintOptions::default());
        let got = verifier.verify(&token, &settings).await;
        match refusal {
            None => assert!(got.is_ok(), "{case}: {got:?}"),
            Some(message) => {
                let err = got.expect_err(case);
                assert_eq!(err.to_string(), message, "{case}");
                assert_eq!(err.code(), "UNAUTHENTICATED", "{case}");
            }
        }
    }

    let bad_iat = idp.mint(
        with(base, "iat", json!("yesterday")),
        MintOptions::default(),
    );
    assert!(matches!(
        verifier.verify(&bad_iat, &settings).await,
        Err(AuthError::Malformed(msg)) if msg.contains("iat")
    ));
}

#[tokio::test]
async fn the_maximum_lifetime_is_configurable() {
    let idp = TestOidcProvider::start().await;
    let verifier = crate::verifier_with(keycare_auth::VerifierOptions {
        max_token_lifetime: Duration::from_secs(10 * 60),
        ..keycare_auth::VerifierOptions::default()
    });
    let settings = idp.settings(AUDIENCE);
    let base = idp.default_claims("ida", AUDIENCE);
    let ok = idp.mint(
        with(base.clone(), "exp", json!(now() + 9 * 60)),
        MintOptions::default(),
    );
    assert!(verifier.verify(&ok, &settings).await.is_ok());
    let long = idp.mint(
        with(base, "exp", json!(now() + 11 * 60)),
        MintOptions::default(),
    );
    assert_eq!(
        verifier.verify(&long, &settings).await,
        Err(AuthError::LifetimeTooLong(600))
    );
    assert_eq!(
        AuthError::LifetimeTooLong(600).to_string(),
        "token lifetime exceeds the maximum of 10m"
    );
}

#[tokio::test]
async fn peek_issuer_reads_the_unverified_issuer() {
    let idp = TestOidcProvider::start().await;
    let token = idp.mint(idp.default_claims("gina", AUDIENCE), MintOptions::default());
    assert_eq!(peek_issuer(&token), Ok(idp.issuer()));
    assert!(matches!(
        peek_issuer("garbage"),
        Err(AuthError::Malformed(_))
    ));
}
