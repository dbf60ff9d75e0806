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
