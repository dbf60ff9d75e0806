//! Per-council issuer settings live in the database, shown to and managed by the tenant
//! administrator, and nobody else.

use crate::demo_app::{DemoApp, code};
use serde_json::json;

const LIST: &str = "{ identityProviders { issuer audience jwksUrl clientId isDevelopment } }";
const CONFIGURE: &str = "mutation($input: ConfigureIdentityProviderInput!) {
  configureIdentityProvider(input: $input) { identityProvider { issuer audience jwksUrl clientId isDevelopment } }
}";
const ADMIN: &str = "admin@northshire.example";

#[tokio::test]
async fn the_tenant_admin_sees_and_manages_the_councils_issuers() {
    let app = DemoApp::spawn().await;
    let (status, body) = app.gql(ADMIN, LIST, json!({})).await;
    assert_eq!(status, 200, "{body}");
    let providers = body["data"]["identityProviders"].as_array().unwrap();
    assert_eq!(providers.len(), 1, "{body}");
    assert_eq!(providers[0]["isDevelopment"], true);

    let input = json!({"input": {
        "issuer": "https://login.microsoftonline.com/northshire/v2.0/",
        "audience": "api://keycare", "jwksUrl": "https://login.microsoftonline.com/northshire/discovery/v2.0/keys",
        "clientId": "keycare-web"
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    let saved = &body["data"]["configureIdentityProvider"]["identityProvider"];
    assert_eq!(
        saved["issuer"], "https://login.microsoftonline.com/northshire/v2.0",
        "{body}"
    );
    assert_eq!(saved["isDevelopment"], false);

    // Changing it again keeps one provider per issuer.
    let input = json!({"input": {
        "issuer": "https://login.microsoftonline.com/northshire/v2.0",
        "audience": "api://keycare-2", "jwksUrl": "https://login.microsoftonline.com/northshire/discovery/v2.0/keys"
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    assert_eq!(
        body["data"]["configureIdentityProvider"]["identityProvider"]["audience"],
        "api://keycare-2",
        "{body}"
    );
    let (_, body) = app.gql(ADMIN, LIST, json!({})).await;
    assert_eq!(
        body["data"]["identityProviders"].as_array().unwrap().len(),
        2,
        "{body}"
    );

    // The other council's administrator view shows none of this.
    let (_, body) = app
        .gql("manager.harbour@southdale.example", LIST, json!({}))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn anyone_but_the_tenant_admin_is_refused() {
    let app = DemoApp::spawn().await;
    for who in [
        "manager.oak@northshire.example",
        "dpo@northshire.example",
        "keycarer.oak@northshire.example",
        "sw@northshire.example",
    ] {
        let (status, body) = app.gql(who, LIST, json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
        assert!(body["data"].is_null(), "{who}: {body}");
        let input = json!({"input": {"issuer": "https://evil.example", "audience": "x", "jwksUrl": "https://evil.example/keys"}});
        let (_, body) = app.gql(who, CONFIGURE, input).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_settings_are_refused_naming_the_field() {
    let app = DemoApp::spawn().await;
    let cases = [
        (
            json!({"issuer": "not a url", "audience": "a", "jwksUrl": "https://x.example/keys"}),
            "issuer",
        ),
        (
            json!({"issuer": "https://x.example", "audience": "  ", "jwksUrl": "https://x.example/keys"}),
            "audience",
        ),
        (
            json!({"issuer": "https://x.example", "audience": "a", "jwksUrl": "ftp://x.example/keys"}),
            "jwksUrl",
        ),
    ];
    for (input, field) in cases {
        let (_, body) = app.gql(ADMIN, CONFIGURE, json!({ "input": input })).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    app.stop().await;
}

/// Issue 10 item 6: identity-provider URLs are addresses the gateway calls, so a tenant
/// administrator cannot point them at the gateway's own network.
#[tokio::test]
async fn urls_outside_the_outbound_policy_are_refused_naming_the_field() {
    // A production policy allowing one address, the gateway's own, where the in-process
    // development issuer signs the administrator in; http stays on only for that issuer.
    let app = DemoApp::spawn_with(|config| {
        config.outbound = keycare_auth::OutboundPolicy {
            allow_http: true,
            ..keycare_auth::OutboundPolicy::production(
                keycare_auth::OutboundPolicy::parse_ranges("127.0.0.1").unwrap(),
            )
        }
    })
    .await;
    let private = "must not point to a loopback, private, link-local or reserved address";
    let cases = [
        ("jwksUrl", "https://127.0.0.2/keys", private),
        ("jwksUrl", "https://[::1]:8443/keys", private),
        (
            "jwksUrl",
            "https://169.254.169.254/latest/meta-data/",
            private,
        ),
        ("jwksUrl", "https://10.0.0.7/keys", private),
        ("jwksUrl", "https://192.168.1.1/keys", private),
        ("issuer", "https://172.16.0.1/realms/council", private),
        (
            "jwksUrl",
            "https://admin:secret@login.example.gov.uk/keys",
            "must not carry a user name or password",
        ),
    ];
    for (field, url, message) in cases {
        let mut input = json!({
            "issuer": "https://login.example.gov.uk/council",
            "audience": "api://keycare",
            "jwksUrl": "https://login.example.gov.uk/council/keys",
        });
        input[field] = json!(url);
        let (_, body) = app.gql(ADMIN, CONFIGURE, json!({ "input": input })).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{url}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["field"], field,
            "{url}: {body}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{url}: {body}"
        );
    }
    // Nothing was saved; a public https provider still is.
    let (_, body) = app.gql(ADMIN, LIST, json!({})).await;
    assert_eq!(
        body["data"]["identityProviders"].as_array().unwrap().len(),
        1,
        "{body}"
    );
    let input = json!({"input": {
        "issuer": "https://login.example.gov.uk/council",
        "audience": "api://keycare", "jwksUrl": "https://login.example.gov.uk/council/keys"
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    assert!(body["errors"].is_null(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn development_allows_loopback_but_not_the_private_network() {
    let app = DemoApp::spawn().await;
    let input = json!({"input": {
        "issuer": "http://127.0.0.1:9/council", "audience": "a", "jwksUrl": "http://10.1.2.3/keys"
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "jwksUrl",
        "{body}"
    );
    let input = json!({"input": {
        "issuer": "http://127.0.0.1:9/council", "audience": "a", "jwksUrl": "http://127.0.0.1:9/keys"
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    assert!(body["errors"].is_null(), "{body}");
    app.stop().await;
}

/// The blind SSRF's oracle is gone: an anonymous caller whose token names an issuer makes the
/// gateway fetch its keys, and whatever answered there (here: nothing), it learns only that
/// the token could not be verified.
#[tokio::test]
async fn a_failed_key_fetch_tells_an_anonymous_caller_nothing() {
    let app = DemoApp::spawn().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let issuer = format!("http://{closed}/council");
    let input = json!({"input": {
        "issuer": issuer, "audience": "keycare", "jwksUrl": format!("http://{closed}/keys")
    }});
    let (_, body) = app.gql(ADMIN, CONFIGURE, input).await;
    assert!(body["errors"].is_null(), "{body}");
    // The directory of issuers is reloaded at most every 5 s.
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;

    use base64::Engine;
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let forged = format!(
        "{}.{}.{}",
        b64(json!({"alg": "RS256", "kid": "k1"})),
        b64(json!({"iss": issuer, "sub": "x", "aud": "keycare", "exp": 4_000_000_000u64})),
        b64(json!("not a signature")),
    );
    let res = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(forged)
        .json(&json!({ "query": "{ me { email } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert_eq!(
        body["errors"][0]["message"], "token could not be verified",
        "{body}"
    );
    app.stop().await;
}
