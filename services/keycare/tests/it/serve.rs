//! `keycare serve --demo` starts, reports itself healthy and ready, and answers GraphQL.

use crate::support::Server;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn healthz_answers_200() {
    let s = Server::start_demo().await;
    let r = reqwest::get(s.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_answers_200_ready_with_the_database_reachable_and_no_pending_migration() {
    let s = Server::start_demo().await;
    let r = reqwest::get(s.url("/readyz")).await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (status, &body),
        (
            StatusCode::OK,
            &json!({"ready": true, "database": "reachable", "pendingMigrations": 0})
        ),
        "/readyz"
    );
}

#[tokio::test]
async fn schema_graphql_serves_the_sdl_of_keycare_schema() {
    let s = Server::start_demo().await;
    let r = reqwest::get(s.url("/schema.graphql")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let served = r.text().await.unwrap();
    let printed = String::from_utf8(s.command(&["schema"]).stdout).unwrap();
    assert!(
        served == printed && served.contains("apiVersion"),
        "GET /schema.graphql differs from `keycare schema` (or has no apiVersion field):\n{served}"
    );
}

#[tokio::test]
async fn graphql_answers_api_version_for_a_demo_user() {
    let s = Server::start_demo().await;
    let token = s.token("manager.oak@northshire.example");
    let r = reqwest::Client::new()
        .post(s.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({"query": "{ apiVersion }"}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(
        status == StatusCode::OK
            && body["data"]["apiVersion"]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
        "POST /graphql {{ apiVersion }}: {status} {body}"
    );
}

#[tokio::test]
async fn graphql_without_a_token_is_401_unauthenticated() {
    let s = Server::start_demo().await;
    let r = reqwest::Client::new()
        .post(s.url("/graphql"))
        .json(&json!({"query": "{ apiVersion }"}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert!(
        status == StatusCode::UNAUTHORIZED
            && body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED",
        "POST /graphql without a token: {status} {body}"
    );
}
