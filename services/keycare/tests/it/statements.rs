//! A query's SQL statement count does not grow with the number of children or records it
//! returns (PERFORMANCE.md): counted at /metrics around one request, at two data sizes.

use crate::demo_app::DemoApp;
use serde_json::json;

const DEEP: &str = "query($children: Int, $logs: Int) {
  me { name }
  children(first: $children) { edges { node {
    legalName
    keySessions(first: 3) { edges { node { status heldBy { name } } } }
    dailyLogs(first: $logs) { edges { node { text author { name } } } }
    monthlySummaries(first: 2) { edges { node { status writtenBy { name } } } }
  } } }
}";

async fn statements(app: &DemoApp) -> u64 {
    let text = app
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("keycare_sql_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the statement counter at /metrics")
}

async fn count(app: &DemoApp, children: i32, logs: i32) -> (u64, usize, usize) {
    let before = statements(app).await;
    let (_, body) = app
        .gql(
            "manager.oak@northshire.example",
            DEEP,
            json!({"children": children, "logs": logs}),
        )
        .await;
    let after = statements(app).await;
    assert!(body["errors"].is_null(), "{body}");
    let edges = body["data"]["children"]["edges"].as_array().unwrap();
    let log_rows: usize = edges
        .iter()
        .map(|e| {
            e["node"]["dailyLogs"]["edges"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    (after - before, edges.len(), log_rows)
}

#[tokio::test]
async fn a_deep_query_costs_the_same_statements_for_1_child_or_many_and_few_records_or_many() {
    let app = DemoApp::spawn().await;
    let _ = count(&app, 1, 1).await; // warm-up: the issuer's keys, caches
    let (small, small_children, small_logs) = count(&app, 1, 1).await;
    let (large, large_children, large_logs) = count(&app, 50, 50).await;
    assert_eq!((small_children, small_logs), (1, 1));
    assert!(
        large_children >= 4 && large_logs > 50,
        "the large query returns more: {large_children} children, {large_logs} logs"
    );
    println!(
        "statements per request: {small} (1 child, 1 log) and {large} ({large_children} children, {large_logs} logs)"
    );
    assert_eq!(
        small, large,
        "statements must not grow with the data returned"
    );
    app.stop().await;
}
