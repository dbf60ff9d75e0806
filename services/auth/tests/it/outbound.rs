//! Issue 10 item 6: the gateway calls identity providers only where the outbound policy allows,
//! and a failed fetch tells the caller nothing about what answered.

use std::time::{Duration, Instant};

use keycare_auth::testing::{MintOptions, TestOidcProvider};
use keycare_auth::{AuthError, IssuerSettings, OutboundPolicy, VerifierOptions, outbound_client};
use std::io::{Read, Write};
use std::net::TcpListener;

use crate::{AUDIENCE, verifier_with};

const PLAIN: &str = "token could not be verified";

fn production() -> OutboundPolicy {
    OutboundPolicy::production(Vec::new())
}

/// Whether `policy` lets the gateway call `url`; the reason when it does not.
fn verdict(policy: &OutboundPolicy, url: &str) -> Result<(), String> {
    policy.check_url("jwksUrl", url).map(drop).map_err(|err| {
        assert_eq!(err.code(), "BAD_USER_INPUT");
        err.to_string()
    })
}

#[test]
fn production_allows_https_to_public_addresses_only() {
    let prod = production();
    for allowed in [
        "https://login.microsoftonline.com/northshire/discovery/v2.0/keys",
        "https://8.8.8.8/keys",
        "https://[2a00:1450:4009:81f::200e]/keys",
    ] {
        assert_eq!(verdict(&prod, allowed), Ok(()), "{allowed}");
    }
    for (refused, reason) in [
        ("http://login.example.gov.uk/keys", "jwksUrl must use https"),
        (
            "ftp://login.example.gov.uk/keys",
            "jwksUrl must be an https URL",
        ),
        ("not a url", "jwksUrl must be an https URL"),
        (
            "https://user:secret@login.example.gov.uk/keys",
            "jwksUrl must not carry a user name or password",
        ),
    ] {
        assert_eq!(verdict(&prod, refused), Err(reason.to_owned()), "{refused}");
    }
    let private =
        "jwksUrl must not point to a loopback, private, link-local or reserved address".to_owned();
    for refused in [
        "https://127.0.0.1/keys",
        "https://127.0.0.1:8080/dev-issuer/jwks.json",
        "https://2130706433/keys", // 127.0.0.1 as one number
        "https://0x7f.1/keys",     // and in hexadecimal
        "https://[::1]/keys",
        "https://[::ffff:127.0.0.1]/keys",
        "https://localhost/keys",
        "https://keys.localhost./keys",
        "https://10.1.2.3/keys",
        "https://172.16.0.1/keys",
        "https://192.168.1.1/keys",
        "https://100.64.0.1/keys",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/keys",
        "https://[fd00::1]/keys",
        "https://[fe80::1]/keys",
    ] {
        assert_eq!(verdict(&prod, refused), Err(private.clone()), "{refused}");
    }
}

#[test]
fn a_deployment_may_allow_named_private_ranges() {
    let ranges = OutboundPolicy::parse_ranges("10.20.0.0/16, 192.168.1.7").unwrap();
    let prod = OutboundPolicy::production(ranges);
    assert_eq!(verdict(&prod, "https://10.20.3.4/keys"), Ok(()));
    assert_eq!(verdict(&prod, "https://192.168.1.7/keys"), Ok(()));
    assert!(verdict(&prod, "https://10.21.3.4/keys").is_err());
    assert!(verdict(&prod, "https://192.168.1.8/keys").is_err());
    assert!(
        verdict(&prod, "http://10.20.3.4/keys").is_err(),
        "still https only"
    );
    assert!(verdict(&prod, "https://127.0.0.1/keys").is_err());
}

#[test]
fn development_allows_http_and_loopback_but_not_the_private_network() {
    let dev = OutboundPolicy::development();
    for allowed in [
        "http://127.0.0.1:8080/dev-issuer/jwks.json",
        "http://localhost:8080/jwks",
        "http://[::1]:8080/jwks",
        "https://login.microsoftonline.com/keys",
    ] {
        assert_eq!(verdict(&dev, allowed), Ok(()), "{allowed}");
    }
    for refused in [
        "http://10.1.2.3/keys",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ] {
        assert!(verdict(&dev, refused).is_err(), "{refused}");
    }
}

/// The blind SSRF of issue 10: a token naming an issuer whose keys live on loopback. Under a
/// production policy nothing is fetched, and the caller learns nothing.
#[tokio::test]
async fn a_refused_jwks_url_is_never_fetched_and_the_caller_gets_the_plain_message() {
    let idp = TestOidcProvider::start().await;
    let token = idp.mint(idp.default_claims("ada", AUDIENCE), MintOptions::default());
    let verifier = verifier_with(VerifierOptions {
        outbound: production(),
        min_refetch_interval: Duration::from_millis(1),
        ..VerifierOptions::default()
    });
    let err = verifier
        .verify(&token, &idp.settings(AUDIENCE))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AuthError::JwksUnavailable(detail) if detail.contains("outbound policy")),
        "{err:?}"
    );
    assert_eq!(err.to_string(), PLAIN);
    assert_eq!(err.code(), "UNAUTHENTICATED");
    assert_eq!(idp.jwks_fetches(), 0, "the issuer was never contacted");

    // The same provider is fine in development.
    let dev = verifier_with(VerifierOptions::default());
    assert!(dev.verify(&token, &idp.settings(AUDIENCE)).await.is_ok());
}

/// A host name is judged by the addresses it resolves to, just before connecting: a name
/// pointing at loopback is no way around the rule.
#[tokio::test]
async fn names_are_checked_once_resolved() {
    let idp = TestOidcProvider::start().await;
    let by_name = idp.jwks_url().replace("127.0.0.1", "localhost");
    let http_but_public_only = OutboundPolicy {
        allow_http: true,
        ..production()
    };
    let refused = outbound_client(&http_but_public_only)
        .get(&by_name)
        .send()
        .await
        .unwrap_err();
    let detail = format!("{refused:?}");
    assert!(detail.contains("outbound policy"), "{detail}");
    assert_eq!(idp.jwks_fetches(), 0);

    let dev = outbound_client(&OutboundPolicy::development())
        .get(&by_name)
        .send()
        .await
        .unwrap();
    assert_eq!(dev.status(), 200);
    assert_eq!(idp.jwks_fetches(), 1);
}

/// Each fetch failure answers the same plain message; the detail is only for the logs.
#[tokio::test]
async fn fetch_failures_are_plain_and_bounded() {
    let idp = TestOidcProvider::start().await;
    let token = idp.mint(idp.default_claims("bo", AUDIENCE), MintOptions::default());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let redirect = serve_raw(format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
        idp.jwks_url()
    ));
    let declared_large = serve_raw(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        10 * 1024 * 1024
    ));
    let mut chunked = String::from(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    let chunk = " ".repeat(64 * 1024);
    for _ in 0..5 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let streamed_large = serve_raw(chunked);
    let not_a_key_set = serve_raw(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".into(),
    );

    let cases = [
        (
            "nothing listening",
            format!("http://{closed}/jwks"),
            "request failed",
        ),
        ("a redirect, not followed", redirect, "302"),
        ("a body declared too large", declared_large, "too large"),
        ("a body streaming too large", streamed_large, "too large"),
        ("no keys array", not_a_key_set, "keys"),
    ];
    for (case, jwks_url, detail) in cases {
        let verifier = verifier_with(VerifierOptions::default());
        let settings = IssuerSettings {
            jwks_url,
            ..idp.settings(AUDIENCE)
        };
        let err = verifier.verify(&token, &settings).await.unwrap_err();
        assert!(
            matches!(&err, AuthError::JwksUnavailable(d) if d.contains(detail)),
            "{case}: {err:?}"
        );
        assert_eq!(err.to_string(), PLAIN, "{case}");
    }
    assert_eq!(idp.jwks_fetches(), 0, "the redirect was not followed");
}

#[tokio::test]
async fn a_provider_that_never_answers_is_given_up_on_within_seconds() {
    let idp = TestOidcProvider::start().await;
    let token = idp.mint(idp.default_claims("cy", AUDIENCE), MintOptions::default());
    // Connections queue in the backlog and are never answered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();
    let settings = IssuerSettings {
        jwks_url: format!("http://{addr}/jwks"),
        ..idp.settings(AUDIENCE)
    };
    let started = Instant::now();
    let err = verifier_with(VerifierOptions::default())
        .verify(&token, &settings)
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.to_string(), PLAIN);
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(8),
        "{took:?}"
    );
    drop(silent);
}

/// Serves `response` verbatim to every connection on 127.0.0.1; returns a URL for it.
fn serve_raw(response: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request);
            let _ = socket.write_all(response.as_bytes());
        }
    });
    format!("http://{addr}/jwks")
}

/// The token endpoint comes from the provider's discovery document: it keeps to the same
/// rule before an authorization code is sent there, and a failure says nothing of what answered.
#[tokio::test]
async fn the_token_endpoint_keeps_to_the_rule_and_fails_plainly() {
    let idp = TestOidcProvider::start().await;
    let endpoints = keycare_auth::discover(&keycare_auth::http_client(), &idp.issuer())
        .await
        .unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = keycare_auth::OidcEndpoints {
        token_endpoint: format!("http://{closed}/token"),
        ..endpoints.clone()
    };
    for (policy, endpoints) in [
        (production(), &endpoints),
        (OutboundPolicy::development(), &unreachable),
    ] {
        let verifier = verifier_with(VerifierOptions {
            outbound: policy,
            ..VerifierOptions::default()
        });
        let result = keycare_auth::finish_login(
            &outbound_client(verifier.outbound()),
            &verifier,
            endpoints,
            &idp.settings("keycare-web"),
            "keycare-web",
            None,
            "http://127.0.0.1:8080/callback",
            "a-code",
            "a-verifier",
            "a-nonce",
        )
        .await;
        assert_eq!(
            result.map(|claims| claims.sub),
            Err(AuthError::TokenExchange(
                "the identity provider could not be reached".into()
            )),
            "{}",
            endpoints.token_endpoint
        );
    }
}
