//! A query's SQL statement count does not grow with the number of children or records it
//! returns (PERFORMANCE.md): counted at /metrics around one request, at two data sizes.

use crate::demo_app::DemoApp;
use serde_json::json;

const DEEP: &str = "query($children: Int, $logs: Int, $name: String) {
  me { name }
  children(first: $children, filter: { name: $name }) { edges { node {
    legalName
    keySessions(first: 3) { edges { node { status heldBy { name } } } }
    dailyLogs(first: $logs) { edges { node { text author { name } } } }
    monthlySummaries(first: 2) { edges { node { status writtenBy { name } } } }
    reviews(first: 3) { edges { node { scheduledFor iro { name }
      report { status } consultationBooklets { source } } } }
    health { appointments(first: 3) { edges { node { kind author { name } } } }
      medication(first: 3) { edges { node { medication givenBy { name } } } } }
    education { schoolLiaison(first: 3) { edges { node { notes } } }
      exclusions(first: 3) { edges { node { days } } } }
    contacts { arrangements(first: 3) { edges { node { frequency person { name } } } } }
    missingEpisodes(first: 3) { edges { node { wentMissingAt } } }
    fileAudits(first: 2) { edges { node { weekOf signedBy { name } } } }
    clothingLedger { balancePence entries(first: 2) { edges { node { amountPence } } } }
    pathwayPlan { dueOn leavingCareWorker { name } }
    weeklyPlan { weekOf }
    chronology(first: 5) { edges { node { title } } }
    dueItems { edges { node { rule state recordId } } }
    placements { edges { node { id home { name } } } }
    keyTeam { edges { node { id member { name } } } }
    carePlan { current { id } versions { edges { cursor } } reviews { edges { cursor node { author { name } } } } }
    safeCarePlan { id risks { edges { cursor } } reviews { edges { cursor } } }
  } } }
}";

/// The gateway's count of SQL statements so far (`/metrics`).
pub async fn statements(app: &DemoApp) -> u64 {
    counter(app, "keycare_sql_statements_total").await
}

/// A counter of `/metrics` by name.
pub async fn counter(app: &DemoApp, name: &str) -> u64 {
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
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} at /metrics"))
}

/// Access events of the demo council so far (read as the owner, scoped to the tenant).
async fn events(app: &DemoApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = sea_orm::Database::connect(crate::demo_app::database_url(app))
        .await
        .unwrap();
    let tenant = keycare_seed::demo::id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    keycare_entity::access_event::Entity::find()
        .count(&txn)
        .await
        .unwrap()
}

/// The statements of one request, less the inserts that append its access events to the
/// log (a request reading many records logs many events: they go in one multi-row INSERT
/// per `INSERT_CHUNK` events, which is the log's cost, not the query's).
async fn count(app: &DemoApp, name: Option<&str>, children: i32, logs: i32) -> (u64, usize, usize) {
    let logged = events(app).await;
    let before = statements(app).await;
    let (_, body) = app
        .gql(
            "manager.oak@northshire.example",
            DEEP,
            json!({"children": children, "logs": logs, "name": name}),
        )
        .await;
    let after = statements(app).await;
    assert!(body["errors"].is_null(), "{body}");
    let appended = events(app).await - logged;
    let inserts = appended.div_ceil(keycare_domain::audit::INSERT_CHUNK as u64);
    let edges = body["data"]["children"]["edges"].as_array().unwrap();
    let log_rows: usize = edges
        .iter()
        .map(|e| {
            e["node"]["dailyLogs"]["edges"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    (after - before - inserts, edges.len(), log_rows)
}

#[tokio::test]
async fn a_deep_query_costs_the_same_statements_for_1_child_or_many_and_few_records_or_many() {
    let app = DemoApp::spawn().await;
    // The one child has a record of every kind the query asks for (Jayden's are behind:
    // a missing episode, an exclusion), so every loader runs in both requests.
    let jayden = Some("Jayden");
    let _ = count(&app, jayden, 1, 1).await; // warm-up: the issuer's keys, caches
    let (small, small_children, small_logs) = count(&app, jayden, 1, 1).await;
    let (large, large_children, large_logs) = count(&app, None, 50, 50).await;
    assert_eq!((small_children, small_logs), (1, 1));
    assert!(
        large_children >= 4 && large_logs > 50,
        "the large query returns more: {large_children} children, {large_logs} logs"
    );
    println!(
        "statements per request, less access-log inserts: {small} (1 child, 1 log) and {large} ({large_children} children, {large_logs} logs)"
    );
    assert_eq!(
        small, large,
        "statements must not grow with the data returned"
    );
    app.stop().await;
}
