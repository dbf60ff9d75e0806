//! Reading the care record as the demo users: each sees what ACCESS.md gives them and
//! nothing else.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

fn child_gid(key: &str) -> String {
    gid("Child", id("northshire", "child", key))
}

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

fn names(body: &Value, path: &str) -> Vec<String> {
    body["data"][path]["edges"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|e| {
            e["node"]["legalName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

const CHILDREN: &str =
    "query($f: ChildrenFilter) { children(filter: $f) { edges { node { legalName } } } }";

#[tokio::test]
async fn each_user_lists_exactly_the_children_they_may_see() {
    let app = DemoApp::spawn().await;
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "keycarer.oak@northshire.example",
            json!({"myKeyChildren": true}),
            &["Amelia Hart", "Jayden Brooks"],
        ),
        (
            "keycarer.oak@northshire.example",
            json!({}),
            &[
                "Amelia Hart",
                "Jayden Brooks",
                "Noah Williams",
                "Priya Sharma",
            ],
        ),
        (
            "cokey.oak@northshire.example",
            json!({"myKeyChildren": true}),
            &["Amelia Hart"],
        ),
        (
            "staff.oak@northshire.example",
            json!({"myKeyChildren": true}),
            &[],
        ),
        (
            "manager.oak@northshire.example",
            json!({"placement": "CLOSED"}),
            &["Ellie Turner"],
        ),
        (
            "staff.oak@northshire.example",
            json!({"placement": "CLOSED"}),
            &[],
        ),
        (
            "sw@northshire.example",
            json!({}),
            &["Amelia Hart", "Kai Robinson"],
        ),
        ("iro@northshire.example", json!({}), &["Amelia Hart"]),
        (
            "manager.beech@northshire.example",
            json!({"name": "SOPH"}),
            &["Sophie Evans"],
        ),
        ("dpo@northshire.example", json!({}), &[]),
        ("reporting@northshire.example", json!({}), &[]),
        ("admin@northshire.example", json!({}), &[]),
        (
            "manager.harbour@southdale.example",
            json!({}),
            &["Finn Walker", "Isla Morgan", "Ruby Fletcher"],
        ),
    ];
    for (who, filter, want) in cases {
        let (_, body) = app.gql(who, CHILDREN, json!({ "f": filter })).await;
        assert_eq!(
            names(&body, "children"),
            want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{who} {filter}: {body}"
        );
    }
    app.stop().await;
}

const LOGS: &str = "query($id: ID!) { child(id: $id) { legalName dailyLogs(first: 200) { edges { node { text restricted } } } } }";

#[tokio::test]
async fn a_restricted_log_is_listed_only_for_key_team_manager_and_social_worker() {
    let app = DemoApp::spawn().await;
    for (who, sees) in [
        ("keycarer.oak@northshire.example", true),
        ("manager.oak@northshire.example", true),
        ("sw@northshire.example", true),
        ("staff.oak@northshire.example", false),
    ] {
        let (_, body) = app.gql(who, LOGS, json!({"id": child_gid("amelia")})).await;
        let logs = body["data"]["child"]["dailyLogs"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{who}: {body}"));
        assert!(!logs.is_empty(), "{who}");
        let restricted = logs
            .iter()
            .filter(|e| e["node"]["restricted"] == true)
            .count();
        assert_eq!(
            restricted > 0,
            sees,
            "{who}: {restricted} restricted entries"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_kind_the_viewer_may_not_read_is_null_with_forbidden_on_a_child_they_see() {
    let app = DemoApp::spawn().await;
    let (_, body) = app
        .gql("iro@northshire.example", "query($id: ID!) { child(id: $id) { legalName dailyLogs { edges { cursor } } monthlySummaries { edges { cursor } } } }", json!({"id": child_gid("amelia")}))
        .await;
    assert_eq!(body["data"]["child"]["legalName"], "Amelia Hart", "{body}");
    assert!(body["data"]["child"]["dailyLogs"].is_null(), "{body}");
    assert!(
        body["data"]["child"]["monthlySummaries"]["edges"]
            .as_array()
            .is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    assert_eq!(
        body["errors"][0]["path"],
        json!(["child", "dailyLogs"]),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_child_the_viewer_may_not_see_is_not_found_through_child_and_node() {
    let app = DemoApp::spawn().await;
    let amelia = child_gid("amelia");
    let ruby = gid("Child", id("southdale", "child", "ruby"));
    let cases = [
        ("staff.beech@northshire.example", amelia.clone()),
        ("dpo@northshire.example", amelia.clone()),
        ("manager.oak@northshire.example", ruby.clone()),
        ("sw@southdale.example", amelia.clone()),
        (
            "keycarer.oak@northshire.example",
            gid("Child", uuid::Uuid::nil()),
        ),
    ];
    for (who, child) in cases {
        for query in [
            "query($id: ID!) { child(id: $id) { legalName } }",
            "query($id: ID!) { node(id: $id) { id } }",
        ] {
            let (_, body) = app.gql(who, query, json!({"id": child})).await;
            assert_eq!(code(&body), Some("NOT_FOUND"), "{who} {query}: {body}");
            assert_eq!(body["errors"][0]["message"], "not found", "{who}: {body}");
        }
    }
    // And through node, a visible child is found.
    let (_, body) = app
        .gql(
            "iro@northshire.example",
            "query($id: ID!) { node(id: $id) { id ... on Child { legalName } } }",
            json!({"id": amelia}),
        )
        .await;
    assert_eq!(body["data"]["node"]["legalName"], "Amelia Hart", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn pages_are_deterministic_and_cursors_continue_where_they_stopped() {
    let app = DemoApp::spawn().await;
    let q = "query($id: ID!, $after: String) { child(id: $id) { dailyLogs(first: 5, after: $after) { edges { cursor node { id occurredAt } } pageInfo { hasNextPage endCursor } } } }";
    let who = "keycarer.oak@northshire.example";
    let (_, all) = app.gql(who, "query($id: ID!) { child(id: $id) { dailyLogs(first: 200) { edges { node { id } } } } }", json!({"id": child_gid("jayden")})).await;
    let all: Vec<Value> = all["data"]["child"]["dailyLogs"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let (_, body) = app
            .gql(who, q, json!({"id": child_gid("jayden"), "after": after}))
            .await;
        let conn = &body["data"]["child"]["dailyLogs"];
        seen.extend(
            conn["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].clone()),
        );
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, all, "paging by 5 gives the same list as one page");
    let (_, body) = app
        .gql(
            who,
            "query($id: ID!) { child(id: $id) { dailyLogs(first: 201) { edges { cursor } } } }",
            json!({"id": child_gid("jayden")}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = app.gql(who, "query($id: ID!) { child(id: $id) { dailyLogs(after: \"garbage\") { edges { cursor } } } }", json!({"id": child_gid("jayden")})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn viewer_can_follows_the_policy_and_the_key_team_shows_its_history() {
    let app = DemoApp::spawn().await;
    let q = "query($id: ID!) { child(id: $id) { viewerCan { kind read write } keyTeam { edges { node { role current endReason endNote member { name } } } } } }";
    let (_, body) = app
        .gql(
            "staff.oak@northshire.example",
            q,
            json!({"id": child_gid("jayden")}),
        )
        .await;
    let can: Vec<(String, bool, bool)> = body["data"]["child"]["viewerCan"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                k["read"] == true,
                k["write"] == true,
            )
        })
        .collect();
    let get = |kind: &str| can.iter().find(|(k, _, _)| k == kind).cloned().unwrap();
    assert_eq!(
        get("daily_log"),
        ("daily_log".into(), true, true),
        "staff write their own logs"
    );
    assert_eq!(get("key_session"), ("key_session".into(), true, true));
    assert_eq!(get("file_audit"), ("file_audit".into(), false, false));
    assert_eq!(get("key_team"), ("key_team".into(), true, false));
    let team: Vec<Value> = body["data"]["child"]["keyTeam"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(team[0]["current"], true);
    assert_eq!(team[0]["member"]["name"], "Sam Okafor");
    let ended = team
        .iter()
        .find(|a| a["current"] == false)
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(ended["endReason"], "STAFF_LEFT");
    assert_eq!(ended["member"]["name"], "Gary Platt");
    app.stop().await;
}

#[tokio::test]
async fn the_care_plan_and_safe_care_plan_read_with_their_reviews() {
    let app = DemoApp::spawn().await;
    let q = "query($id: ID!) { child(id: $id) {
        carePlan { current { versionNumber status equalityAndDiversity { diet } signatures { managerAt } } reviews(first: 3) { edges { node { reviewedOn changesMade } } } }
        safeCarePlan { missingFromCareAgreement risks { edges { node { category level } } } reviews { edges { node { trigger } } } }
        monthlySummaries(first: 1) { edges { node { status childComment writtenBy { name } } } }
        keySessions(first: 2) { edges { node { status heldBy { name } } } }
    } }";
    let (_, body) = app
        .gql(
            "sw@northshire.example",
            q,
            json!({"id": child_gid("amelia")}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let c = &body["data"]["child"];
    assert_eq!(c["carePlan"]["current"]["status"], "PUBLISHED");
    assert_eq!(c["carePlan"]["current"]["versionNumber"], 1);
    assert!(
        c["carePlan"]["reviews"]["edges"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(
        c["safeCarePlan"]["risks"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        c["monthlySummaries"]["edges"][0]["node"]["writtenBy"]["name"],
        "Sam Okafor"
    );
    assert_eq!(
        c["keySessions"]["edges"][0]["node"]["status"], "PLANNED",
        "the next session comes first"
    );
    app.stop().await;
}
