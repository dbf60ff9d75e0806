//! What an operator sees: `/metrics` with histograms and labelled counters, and one JSON log
//! line per request that names the operation and never a child, a user or a record's text.

use crate::support::Server;
use serde_json::{Value, json};

/// The value of the first sample of `/metrics` whose line starts with `prefix`.
fn sample(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_and_one_json_log_line_per_request_without_personal_data() {
    let server = Server::start_demo_with_env(&[("KEYCARE_LOG_FORMAT", "json")]).await;
    let token = server.token("keycarer.oak@northshire.example");
    let http = reqwest::Client::new();
    let post = |query: &str, token: &str| {
        http.post(server.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query }))
            .send()
    };
    let read = "query MyKeyChildren { children(filter: { myKeyChildren: true }) { edges { node { legalName dailyLogs(first: 3) { edges { node { text } } } } } } }";
    let body: Value = post(read, &token).await.unwrap().json().await.unwrap();
    assert!(body["errors"].is_null(), "{body}");
    // What the answer held that the log must never hold.
    let mut private: Vec<String> = Vec::new();
    for edge in body["data"]["children"]["edges"].as_array().unwrap() {
        private.push(edge["node"]["legalName"].as_str().unwrap().to_owned());
        for log in edge["node"]["dailyLogs"]["edges"].as_array().unwrap() {
            private.push(log["node"]["text"].as_str().unwrap().to_owned());
        }
    }
    assert!(private.len() >= 3, "{body}");
    let status = post(read, "not-a-token").await.unwrap().status();
    assert_eq!(status, 401);
    let deep = format!("{{ me {}{} }}", "{ tenant ".repeat(20), "}".repeat(20));
    let body: Value = post(&deep, &token).await.unwrap().json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");

    let metrics = http
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let has =
        |prefix: &str| sample(&metrics, prefix).unwrap_or_else(|| panic!("{prefix} in\n{metrics}"));
    assert_eq!(
        has(
            "keycare_graphql_operation_duration_seconds_count{operation=\"MyKeyChildren\",type=\"query\",outcome=\"ok\"}"
        ),
        1.0
    );
    assert!(
        has("keycare_graphql_operation_duration_seconds_sum{operation=\"MyKeyChildren\"") > 0.0
    );
    assert!(has("keycare_graphql_errors_total{code=\"QUERY_TOO_COMPLEX\"}") >= 1.0);
    assert!(has("keycare_refused_total{reason=\"too_complex\"}") >= 1.0);
    assert!(has("keycare_sign_in_failures_total{reason=\"malformed\"}") >= 1.0);
    assert!(has("keycare_http_responses_total{status=\"200\"}") >= 2.0);
    assert!(has("keycare_http_responses_total{status=\"401\"}") >= 1.0);
    assert!(has("keycare_commit_duration_seconds_count") >= 1.0);
    assert!(has("keycare_db_pool_connections{state=\"max\"}") >= 1.0);
    assert_eq!(has("keycare_build_info{version="), 1.0);
    assert!(has("process_resident_memory_bytes") > 0.0);
    assert!(has("keycare_sql_statements_total") > 0.0);

    // The log: JSON, one line per request at info, naming the operation.
    let log = server.stdout();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request" && l["span"]["path"] == "/graphql")
        .collect();
    assert!(requests.len() >= 3, "{log}");
    let named = requests
        .iter()
        .find(|l| l["span"]["graphql.operation.name"] == "MyKeyChildren")
        .unwrap_or_else(|| panic!("a line for MyKeyChildren in\n{log}"));
    assert_eq!(named["level"], "INFO");
    assert_eq!(named["fields"]["status"], 200);
    assert_eq!(named["span"]["outcome"], "ok");
    assert!(named["span"]["council"].is_string(), "{named}");
    assert!(named["span"]["request_id"].is_string(), "{named}");
    for secret in &private {
        assert!(!log.contains(secret.as_str()), "the log holds {secret:?}");
    }
    assert!(!log.contains("\u{1b}["), "no colour codes in a file");
}
