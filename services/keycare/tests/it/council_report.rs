//! The council report through GraphQL: council reporting sees every home, a manager their own,
//! nobody else anything; no names or free text; small counts suppressed; CSV export.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const REPORT: &str = "query($from: Date!, $to: Date!, $home: ID) {
  councilReport(from: $from, to: $to, homeId: $home) {
    from to suppressionThreshold
    total { children monthlySessions { met of percent } weeklySessions { met of }
      summariesOnTime { met of } ipcpReviewsInTime { met of } safeCareReviewsInTime { met of }
      reviewsInTimescale { met of } reviewReportsOnTime { met of } missingEpisodes
      childrenMissing returnInterviewsInTime { met of } keyCarerChanges { reason count }
      keyCarerByAdmission { met of } averageDaysToKeyCarer healthRegistrationsInTime { met of } }
    totalAnnexA { admissions leavers currentChildren missingEpisodes childrenMissing }
    homes { home { name ofstedUrn } figures { children weeklySessions { met of } } annexA { currentChildren } }
    csv
  } }";

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

/// The last 90 days.
fn period() -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({"from": (today - chrono::Duration::days(90)).to_string(), "to": today.to_string()})
}

async fn report(app: &DemoApp, user: &str, vars: Value) -> Value {
    let (_, body) = app.gql(user, REPORT, vars).await;
    body
}

#[tokio::test]
async fn council_reporting_sees_every_home_in_figures_and_nothing_of_a_child() {
    let app = DemoApp::spawn().await;
    let body = report(&app, "reporting@northshire.example", period()).await;
    assert!(body["errors"].is_null(), "{body}");
    let r = &body["data"]["councilReport"];
    let homes: Vec<&str> = r["homes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["home"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(homes, ["Beech Lodge", "Oak House", "Willow Court"]);
    assert_eq!(r["suppressionThreshold"], 5);
    // Thirteen children or so in the council: the total is shown.
    assert!(r["total"]["children"].as_i64().unwrap() >= 12, "{r}");
    let weekly = &r["total"]["weeklySessions"];
    assert!(weekly["of"].as_i64().unwrap() >= 5, "{r}");
    // Some children are behind: not every child had a session every week.
    assert!(
        weekly["met"].as_i64().unwrap() < weekly["of"].as_i64().unwrap(),
        "{r}"
    );
    // Jayden's key carer left: a change for `staff_left` (suppressed below 5, so null).
    assert!(r["total"]["keyCarerChanges"].is_array());
    // Beech Lodge has 4 children: below the threshold of 5, suppressed.
    let beech = &r["homes"][0];
    assert!(beech["figures"]["children"].is_null(), "{beech}");
    assert!(beech["figures"]["weeklySessions"].is_null(), "{beech}");
    // No names of children, no free text, anywhere.
    let text = body.to_string();
    for name in ["Amelia", "Jayden", "Hart", "Brooks", "Karen"] {
        assert!(!text.contains(name), "a child's name in the report: {name}");
    }
    // CSV: a header, a row per home, the total; suppressed cells are empty.
    let csv = r["csv"].as_str().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("home,ofsted_urn,children,"));
    assert!(
        lines[1].starts_with("Beech Lodge,") && lines[1].contains(",,"),
        "{csv}"
    );
    assert!(lines[4].starts_with("Total,"));
    app.stop().await;
}

#[tokio::test]
async fn a_manager_reports_on_their_home_and_nobody_else_reports_at_all() {
    let app = DemoApp::spawn().await;
    let body = report(&app, "manager.oak@northshire.example", period()).await;
    assert!(body["errors"].is_null(), "{body}");
    let homes = body["data"]["councilReport"]["homes"].as_array().unwrap();
    assert_eq!(homes.len(), 1);
    assert_eq!(homes[0]["home"]["name"], "Oak House");
    // Another home of the council, or of another council: not found for the manager.
    for home in [
        gid("Home", id("northshire", "home", "beech")),
        gid("Home", id("southdale", "home", "harbour")),
    ] {
        let mut vars = period();
        vars["home"] = json!(home);
        let body = report(&app, "manager.oak@northshire.example", vars).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    }
    for user in [
        "keycarer.oak@northshire.example",
        "sw@northshire.example",
        "iro@northshire.example",
        "dpo@northshire.example",
        "admin@northshire.example",
    ] {
        let body = report(&app, user, period()).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{user}: {body}");
        assert!(body["data"].is_null(), "{user}: {body}");
    }
    // A period the wrong way round, or longer than a year.
    let body = report(
        &app,
        "reporting@northshire.example",
        json!({"from": "2026-06-01", "to": "2026-05-01"}),
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "to");
    let body = report(
        &app,
        "reporting@northshire.example",
        json!({"from": "2024-01-01", "to": "2026-01-01"}),
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await;
}
