//! A council put into service from an empty database, as a platform team would: migrations
//! as a step of their own (two at once), `keycare tenant create`, then the first
//! administrator signs in with a token of the council's own OpenID provider.

use crate::support::{free_port, keycare};
use keycare::config::Config;
use keycare::server::start;
use keycare_auth::testing::{MintOptions, TestOidcProvider};
use keycare_testkit::TestDb;
use serde_json::{Value, json};
use std::path::Path;

/// Runs `keycare ARGS --database-url URL` in `dir`: exit status, stdout, stderr.
fn run(dir: &Path, url: &str, args: &[&str]) -> (bool, String, String) {
    run_owned(
        dir,
        url,
        &args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>(),
    )
}

fn args(v: &[String]) -> Vec<String> {
    v.to_vec()
}

fn run_owned(dir: &Path, url: &str, args: &[String]) -> (bool, String, String) {
    let out = keycare(dir)
        .args(args)
        .args(["--database-url", url, "--data-dir"])
        .arg(dir.join("data"))
        .output()
        .expect("run keycare");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_council_is_onboarded_from_an_empty_database_and_its_administrator_signs_in() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();

    // Before any migration: serve refuses, saying what to run.
    let (ok, _, err) = run(
        dir.path(),
        &db.url,
        &["serve", "--addr", &format!("127.0.0.1:{}", free_port())],
    );
    assert!(!ok && err.contains("keycare migrate up"), "{err}");

    // Two migrators at once: one waits for the other, both succeed.
    let (a, b) = {
        let (d1, d2) = (dir.path().to_path_buf(), dir.path().to_path_buf());
        let (u1, u2) = (db.url.clone(), db.url.clone());
        let a = tokio::task::spawn_blocking(move || run(&d1, &u1, &["migrate", "up"]));
        let b = tokio::task::spawn_blocking(move || run(&d2, &u2, &["migrate", "up"]));
        (a.await.unwrap(), b.await.unwrap())
    };
    assert!(a.0 && b.0, "both migrators succeed: {a:?} {b:?}");

    let provider = TestOidcProvider::start().await;
    let (issuer, jwks) = (provider.issuer(), provider.jwks_url());
    let create = |issuer: &str, admin: &str| {
        vec![
            "tenant".to_owned(),
            "create".into(),
            "--name".into(),
            "Newshire Council".into(),
            "--slug".into(),
            "newshire".into(),
            "--issuer".into(),
            issuer.to_owned(),
            "--audience".into(),
            "keycare-newshire".into(),
            "--jwks-url".into(),
            jwks.clone(),
            "--admin-subject".into(),
            admin.to_owned(),
            "--admin-email".into(),
            "it.admin@newshire.example".into(),
            "--admin-name".into(),
            "Nadia Admin".into(),
        ]
    };
    let first = create(&issuer, "nadia-sub");
    let (ok, out, err) = run_owned(dir.path(), &db.url, &args(&first));
    assert!(ok && out.starts_with("created:"), "{out}{err}");
    assert!(
        out.contains("newshire") && out.contains("nadia-sub"),
        "{out}"
    );

    // The same again is unchanged; the slug with other settings is refused, naming why.
    let (ok, out, err) = run_owned(dir.path(), &db.url, &args(&first));
    assert!(ok && out.starts_with("unchanged"), "{out}{err}");
    let other = create("https://login.other.example/v2.0", "someone-else");
    let (ok, _, err) = run_owned(dir.path(), &db.url, &args(&other));
    assert!(!ok, "a taken slug with other settings is refused");
    assert!(
        err.contains("already exists and differs")
            && err.contains("identity provider")
            && err.contains("administrators"),
        "{err}"
    );
    // Bad input is named.
    let mut bad = first.clone();
    bad[5] = "New Shire!".into();
    let (ok, _, err) = run_owned(dir.path(), &db.url, &args(&bad));
    assert!(!ok && err.contains("slug"), "{err}");

    let (ok, out, _) = run(dir.path(), &db.url, &["tenant", "list"]);
    assert!(
        ok && out.contains("newshire") && out.contains("Newshire Council"),
        "{out}"
    );
    let (ok, out, _) = run(dir.path(), &db.url, &["tenant", "show", "newshire"]);
    assert!(
        ok && out.contains("Nadia Admin <it.admin@newshire.example>"),
        "{out}"
    );
    let (ok, _, err) = run(dir.path(), &db.url, &["tenant", "show", "nowhere"]);
    assert!(!ok && err.contains("no council"), "{err}");

    // The gateway, told not to migrate, starts (nothing pending); the administrator signs in.
    let mut config = Config::for_tests(db.url.clone(), dir.path().to_path_buf());
    config.migrate = false;
    let running = start(config, false).await.expect("gateway starts");
    let token = provider.mint(
        provider.default_claims("nadia-sub", "keycare-newshire"),
        MintOptions::default(),
    );
    let res = reqwest::Client::new()
        .post(format!("{}/graphql", running.public_url))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { name tenant { name } roles } }" }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["me"]["name"], "Nadia Admin", "{body}");
    assert_eq!(body["data"]["me"]["tenant"]["name"], "Newshire Council");
    assert_eq!(
        body["data"]["me"]["roles"],
        json!(["TENANT_ADMIN"]),
        "{body}"
    );
    running.stop().await.unwrap();

    // In production the gateway will not run as the tables' owner (PostgreSQL: the test
    // database's user is a superuser).
    if db.url.starts_with("postgres") {
        let (ok, _, err) = run(
            dir.path(),
            &db.url,
            &[
                "serve",
                "--environment",
                "production",
                "--addr",
                &format!("127.0.0.1:{}", free_port()),
            ],
        );
        assert!(
            !ok && err.contains("keycare_app") && err.contains("superuser"),
            "{err}"
        );
    }
    // Production never migrates at start-up.
    let (ok, _, err) = run(
        dir.path(),
        &db.url,
        &["serve", "--environment", "production", "--migrate"],
    );
    assert!(!ok && err.contains("production never migrates"), "{err}");
}
