use std::sync::Arc;
use std::time::Duration;

use keycare_auth::{AuthError, DEV_ISSUER_KEY_FILE, DevIssuer, http_client};
use serde_json::Value;

use crate::verifier;

#[test]
fn key_is_persisted_and_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data_dir = dir.path().join("data");
    let first = DevIssuer::load_or_create(&data_dir, "http://localhost:8080/dev-issuer", "keycare")
        .expect("create");
    let key_file = data_dir.join(DEV_ISSUER_KEY_FILE);
    let pem = std::fs::read_to_string(&key_file).expect("key file");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(&data_dir).expect("read dir").count(), 1);

    let second =
        DevIssuer::load_or_create(&data_dir, "http://localhost:8080/dev-issuer", "keycare")
            .expect("reload");
    assert_eq!(first.kid(), second.kid());
    assert_eq!(first.jwks_json(), second.jwks_json());
    assert_eq!(std::fs::read_to_string(&key_file).expect("key file"), pem);
    assert_eq!(second.issuer(), "http://localhost:8080/dev-issuer");
    assert_eq!(second.audience(), "keycare");

    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = DevIssuer::load_or_create(
        other_dir.path(),
        "http://localhost:8080/dev-issuer",
        "keycare",
    )
    .expect("other");
    assert_ne!(first.kid(), other.kid());
}

#[test]
fn jwks_has_no_private_part() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = DevIssuer::load_or_create(dir.path(), "http://localhost/dev-issuer", "keycare")
        .expect("create");
    let jwks = dev.jwks_json();
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().expect("key object");
    let mut fields: Vec<&str> = key.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["alg", "crv", "kid", "kty", "use", "x", "y"]);
    assert!(!key.contains_key("d"));
    assert_eq!(key["kid"], dev.kid());
    assert!(!format!("{dev:?}").contains("PRIVATE"));
}

#[test]
fn corrupt_key_file_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(DEV_ISSUER_KEY_FILE), "not a key").expect("write");
    assert!(matches!(
        DevIssuer::load_or_create(dir.path(), "http://localhost/dev-issuer", "keycare"),
        Err(AuthError::KeyStore(_))
    ));
}

#[tokio::test]
async fn signed_token_verifies_through_the_served_router() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let dir = tempfile::tempdir().expect("tempdir");
    let dev = Arc::new(
        DevIssuer::load_or_create(dir.path(), &format!("{base}/dev-issuer"), "keycare")
            .expect("dev issuer"),
    );
    let server = tokio::spawn(axum::serve(listener, Arc::clone(&dev).router()).into_future());

    // Discovery advertises the JWKS the router serves.
    let http = http_client();
    let discovery: Value = http
        .get(format!(
            "{base}/dev-issuer/.well-known/openid-configuration"
        ))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("discovery JSON");
    assert_eq!(discovery["issuer"], dev.issuer());
    assert_eq!(
        discovery["jwks_uri"],
        format!("{base}/dev-issuer/jwks.json")
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"][0],
        "ES256"
    );
    let served: Value = http
        .get(dev.jwks_url())
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks JSON");
    assert_eq!(served, dev.jwks_json());

    let verifier = verifier(Duration::from_millis(50));
    let settings = dev.settings();
    assert_eq!(settings.jwks_url, format!("{base}/dev-issuer/jwks.json"));
    let token = dev
        .sign(
            "dev-user",
            Some("dev@example.test"),
            Duration::from_secs(60),
        )
        .expect("sign");
    let claims = verifier.verify(&token, &settings).await.expect("verified");
    assert_eq!(claims.sub, "dev-user");
    assert_eq!(claims.iss, dev.issuer());
    assert_eq!(claims.email.as_deref(), Some("dev@example.test"));

    // A token for another audience is refused.
    let wrong = keycare_auth::IssuerSettings {
        audience: "someone-else".into(),
        ..settings.clone()
    };
    assert_eq!(
        verifier.verify(&token, &wrong).await,
        Err(AuthError::WrongAudience)
    );

    // A token from a different dev key is not trusted.
    let other_dir = tempfile::tempdir().expect("tempdir");
    let impostor =
        DevIssuer::load_or_create(other_dir.path(), dev.issuer(), "keycare").expect("impostor");
    let forged = impostor
        .sign("dev-user", None, Duration::from_secs(60))
        .expect("sign");
    assert_eq!(
        verifier.verify(&forged, &settings).await,
        Err(AuthError::UnknownKey)
    );
    server.abort();
}
