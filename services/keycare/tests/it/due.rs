//! What is due, through GraphQL: the demo's children that are behind show their overdue items,
//! a key carer sees their key children's, and each viewer only the kinds they may read.

use crate::demo_app::DemoApp;
use keycare_seed::demo::id;
use serde_json::{Value, json};

const DUE: &str = "query($f: DueItemsFilter) { dueItems(filter: $f, first: 200) {
  edges { node { rule state dueOn dueAt about kind recordId child { legalName } } } } }";

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

async fn due(app: &DemoApp, user: &str, filter: Value) -> Vec<Value> {
    let (_, body) = app.gql(user, DUE, json!({ "f": filter })).await;
    assert!(body["errors"].is_null(), "{user}: {body}");
    body["data"]["dueItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{user}: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn of<'a>(items: &'a [Value], child: &str, rule: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| i["child"]["legalName"] == child && i["rule"] == rule)
        .collect()
}

#[tokio::test]
async fn a_key_carer_sees_what_is_due_and_overdue_for_their_key_children() {
    let app = DemoApp::spawn().await;
    let items = due(
        &app,
        "keycarer.oak@northshire.example",
        json!({"myKeyChildren": true}),
    )
    .await;
    let children: std::collections::BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["child"]["legalName"].as_str())
        .collect();
    assert_eq!(
        children.into_iter().collect::<Vec<_>>(),
        ["Amelia Hart", "Jayden Brooks"],
        "only their key children"
    );
    // Jayden's records are behind: no key session for three weeks, a missing episode six
    // days ago without a return interview, no dentist, the latest file audit missing.
    for rule in [
        "WEEKLY_KEY_SESSION",
        "RETURN_INTERVIEW",
        "DENTIST_REGISTRATION",
        "FILE_AUDIT",
    ] {
        assert!(
            of(&items, "Jayden Brooks", rule)
                .iter()
                .any(|i| i["state"] == "OVERDUE"),
            "Jayden's {rule} is overdue: {items:#?}"
        );
    }
    let interview = of(&items, "Jayden Brooks", "RETURN_INTERVIEW")[0];
    assert!(interview["dueAt"].is_string(), "{interview}");
    assert!(
        interview["recordId"].is_string(),
        "links the episode: {interview}"
    );
    // Overdue items come first.
    let first_ok = items.iter().position(|i| i["state"] != "OVERDUE");
    assert!(
        first_ok.is_none_or(|p| items[p..].iter().all(|i| i["state"] != "OVERDUE")),
        "overdue first"
    );
    // Amelia's GP registration was made on time: no overdue GP item for her.
    assert!(
        of(&items, "Amelia Hart", "GP_REGISTRATION")
            .iter()
            .all(|i| i["state"] != "OVERDUE")
    );
    // Filtering by state.
    let overdue = due(
        &app,
        "keycarer.oak@northshire.example",
        json!({"myKeyChildren": true, "state": "OVERDUE"}),
    )
    .await;
    assert!(!overdue.is_empty() && overdue.iter().all(|i| i["state"] == "OVERDUE"));
    app.stop().await;
}

#[tokio::test]
async fn each_viewer_sees_only_the_kinds_they_may_read() {
    let app = DemoApp::spawn().await;
    // The IRO of Amelia: review material, never key sessions, file audits or clothing.
    let iro = due(&app, "iro@northshire.example", json!({})).await;
    assert!(!iro.is_empty());
    assert!(
        iro.iter().all(|i| i["child"]["legalName"] == "Amelia Hart"),
        "{iro:#?}"
    );
    for i in &iro {
        assert!(
            !["key_session", "file_audit", "daily_log", "health_record"]
                .contains(&i["kind"].as_str().unwrap_or_default()),
            "the IRO may not read {}: {i}",
            i["kind"]
        );
    }
    assert!(iro.iter().any(|i| i["kind"] == "statutory_review"));
    // Home staff: no reviews.
    let staff = due(&app, "staff.oak@northshire.example", json!({})).await;
    assert!(!staff.is_empty());
    assert!(staff.iter().all(|i| i["kind"] != "statutory_review"
        && i["kind"] != "review_report"
        && i["kind"] != "file_audit"));
    // Council reporting and the DPO see no child.
    for user in ["reporting@northshire.example", "dpo@northshire.example"] {
        assert!(due(&app, user, json!({})).await.is_empty(), "{user}");
    }
    // A manager filters by home; another council's home gives nothing.
    let oak = gid("Home", id("northshire", "home", "oak"));
    let managed = due(
        &app,
        "manager.oak@northshire.example",
        json!({"homeId": oak}),
    )
    .await;
    assert!(
        managed
            .iter()
            .any(|i| i["child"]["legalName"] == "Jayden Brooks")
    );
    let harbour = gid("Home", id("southdale", "home", "harbour"));
    assert!(
        due(
            &app,
            "manager.oak@northshire.example",
            json!({"homeId": harbour})
        )
        .await
        .is_empty()
    );
    // On the child, the same items.
    let jayden = gid("Child", id("northshire", "child", "jayden"));
    let (_, body) = app
        .gql(
            "manager.oak@northshire.example",
            "query($c: ID!) { child(id: $c) { dueItems(state: OVERDUE) { edges { node { rule state } } } } }",
            json!({"c": jayden}),
        )
        .await;
    let on_child = body["data"]["child"]["dueItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(!on_child.is_empty(), "{body}");
    assert!(on_child.iter().all(|e| e["node"]["state"] == "OVERDUE"));
    app.stop().await;
}
