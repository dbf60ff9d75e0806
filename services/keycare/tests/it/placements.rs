//! Admissions, the end of a placement and the key team, as the demo users: only the manager
//! of the home admits and appoints, a key carer changes only with a reason, and the history
//! shows it.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const MANAGER: &str = "manager.oak@northshire.example";

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

fn child_gid(key: &str) -> String {
    gid("Child", id("northshire", "child", key))
}

fn user_gid(local: &str) -> String {
    gid("User", id("northshire", "user", local))
}

fn oak() -> String {
    gid("Home", id("northshire", "home", "oak"))
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

fn field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

const ADMIT: &str = "mutation($input: AdmitChildInput!) { admitChild(input: $input) { \
    child { id legalName } placement { id admissionDate keyCarerPendingReason home { name } } } }";

const CHANGE: &str = "mutation($input: ChangeKeyCarerInput!) { changeKeyCarer(input: $input) { \
    assignment { id role current member { name } } } }";

const ADD_CO: &str = "mutation($input: AddCoKeyCarerInput!) { addCoKeyCarer(input: $input) { \
    assignment { id role member { name } } } }";

const REMOVE_CO: &str = "mutation($input: RemoveCoKeyCarerInput!) { removeCoKeyCarer(input: $input) { \
    assignment { current endReason endNote } } }";

const KEY_TEAM: &str = "query($id: ID!) { child(id: $id) { keyTeam { edges { node { role current \
    endReason endNote startDate endDate member { name } } } } } }";

const CHILDREN: &str =
    "query($f: ChildrenFilter) { children(filter: $f) { edges { node { legalName } } } }";

fn admission(key_carer: Option<&str>, pending: Option<&str>) -> Value {
    json!({
        "homeId": oak(),
        "child": {
            "legalName": "Zara Ahmed",
            "preferredName": "Zee",
            "dateOfBirth": "2012-05-14",
            "gender": "female",
            "ethnicity": "British Pakistani",
            "religion": "Muslim",
            "firstLanguage": "English",
            "legalStatus": "S31_CARE_ORDER",
            "lookedAfterSince": "2024-01-10",
            "placingAuthority": "Northshire County Council",
            "placingAuthorityRef": "NCC-2026-0042",
            "nhsNumber": "943 476 5919"
        },
        "admissionDate": today(),
        "keyCarerId": key_carer.map(user_gid),
        "keyCarerPendingReason": pending,
    })
}

fn names(body: &Value) -> Vec<String> {
    body["data"]["children"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| {
            e["node"]["legalName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

fn team(body: &Value) -> Vec<Value> {
    body["data"]["child"]["keyTeam"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn only_the_manager_of_the_home_admits_with_a_key_carer_of_that_home_or_a_pending_reason() {
    let app = DemoApp::spawn().await;

    // manager.oak admits Zara with staff.oak (key carer of nobody until now) as key carer.
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": admission(Some("staff.oak"), None)}),
        )
        .await;
    let admitted = &body["data"]["admitChild"];
    assert_eq!(admitted["child"]["legalName"], "Zara Ahmed", "{body}");
    assert_eq!(admitted["placement"]["home"]["name"], "Oak House", "{body}");
    assert_eq!(admitted["placement"]["admissionDate"], today(), "{body}");
    assert!(admitted["placement"]["keyCarerPendingReason"].is_null());
    let (_, body) = app
        .gql(
            "staff.oak@northshire.example",
            CHILDREN,
            json!({"f": {"myKeyChildren": true}}),
        )
        .await;
    assert_eq!(names(&body), ["Zara Ahmed"], "{body}");

    // Without a key carer, the late appointment must be explained.
    let (_, body) = app
        .gql(MANAGER, ADMIT, json!({"input": admission(None, None)}))
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("keyCarerPendingReason"), "{body}");

    // A key carer from another home is refused.
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": admission(Some("keycarer.beech"), None)}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("keyCarerId"), "{body}");

    // The manager of another home may not admit to Oak House; nor may Oak House staff.
    for who in [
        "manager.beech@northshire.example",
        "staff.oak@northshire.example",
    ] {
        let (_, body) = app
            .gql(
                who,
                ADMIT,
                json!({"input": admission(Some("staff.oak"), None)}),
            )
            .await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
    }

    // Admitted with the appointment flagged as late, then appointed without a reason.
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": admission(None, Some("Emergency admission at night; appointing tomorrow"))}),
        )
        .await;
    let late = &body["data"]["admitChild"];
    assert_eq!(
        late["placement"]["keyCarerPendingReason"],
        "Emergency admission at night; appointing tomorrow",
        "{body}"
    );
    let late_child = late["child"]["id"].as_str().unwrap().to_owned();
    let (_, body) = app
        .gql(
            MANAGER,
            CHANGE,
            json!({"input": {"childId": late_child, "keyCarerId": user_gid("senior.oak")}}),
        )
        .await;
    assert_eq!(
        body["data"]["changeKeyCarer"]["assignment"]["member"]["name"], "Aisha Begum",
        "{body}"
    );

    // A second admission of a child whose placement is open is refused by the rule.
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": {
                "homeId": oak(),
                "childId": child_gid("priya"),
                "admissionDate": today(),
                "keyCarerId": user_gid("staff.oak"),
            }}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["rule"], "uq_placements_one_open_per_child",
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_manager_changes_a_key_carer_with_a_reason_and_the_history_shows_it() {
    let app = DemoApp::spawn().await;
    let priya = child_gid("priya");
    let change = |reason: Value| {
        json!({"input": {
            "childId": priya,
            "keyCarerId": user_gid("staff.oak"),
            "reason": reason,
        }})
    };

    // Staff who see Priya may not change her key carer; another home's manager does not
    // see her at all.
    for (who, want) in [
        ("staff.oak@northshire.example", "FORBIDDEN"),
        ("keycarer.oak@northshire.example", "FORBIDDEN"),
        ("senior.oak@northshire.example", "FORBIDDEN"),
        ("manager.beech@northshire.example", "NOT_FOUND"),
    ] {
        let (_, body) = app
            .gql(who, CHANGE, change(json!("RELATIONSHIP_NOT_ESTABLISHED")))
            .await;
        assert_eq!(code(&body), Some(want), "{who}: {body}");
    }

    // A replacement needs a reason; `other` needs a note.
    let (_, body) = app.gql(MANAGER, CHANGE, change(Value::Null)).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("reason"), "{body}");
    let (_, body) = app.gql(MANAGER, CHANGE, change(json!("OTHER"))).await;
    assert_eq!(field(&body), Some("note"), "{body}");

    // The same person again is not a change.
    let (_, body) = app
        .gql(
            MANAGER,
            CHANGE,
            json!({"input": {"childId": priya, "keyCarerId": user_gid("senior.oak"), "reason": "STAFF_LEFT"}}),
        )
        .await;
    assert_eq!(field(&body), Some("keyCarerId"), "{body}");

    let (_, body) = app
        .gql(
            MANAGER,
            CHANGE,
            change(json!("RELATIONSHIP_NOT_ESTABLISHED")),
        )
        .await;
    assert_eq!(
        body["data"]["changeKeyCarer"]["assignment"]["member"]["name"], "Tom Reilly",
        "{body}"
    );

    let (_, body) = app.gql(MANAGER, KEY_TEAM, json!({"id": priya})).await;
    let team = team(&body);
    let current: Vec<&Value> = team
        .iter()
        .filter(|a| a["role"] == "KEY_CARER" && a["current"] == true)
        .collect();
    assert_eq!(current.len(), 1, "{body}");
    assert_eq!(current[0]["member"]["name"], "Tom Reilly");
    assert_eq!(current[0]["startDate"], today());
    let ended = team
        .iter()
        .find(|a| a["member"]["name"] == "Aisha Begum" && a["endDate"] == today().as_str())
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(ended["endReason"], "RELATIONSHIP_NOT_ESTABLISHED", "{body}");
    assert_eq!(ended["current"], false);

    // The new key carer now finds Priya among their key children; the old one does not.
    let (_, body) = app
        .gql(
            "staff.oak@northshire.example",
            CHILDREN,
            json!({"f": {"myKeyChildren": true}}),
        )
        .await;
    assert_eq!(names(&body), ["Priya Sharma"], "{body}");
    let (_, body) = app
        .gql(
            "senior.oak@northshire.example",
            CHILDREN,
            json!({"f": {"myKeyChildren": true}}),
        )
        .await;
    assert!(!names(&body).contains(&"Priya Sharma".to_owned()), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_child_has_at_most_two_co_key_carers_from_the_home_and_removal_keeps_the_reason() {
    let app = DemoApp::spawn().await;
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": admission(Some("staff.oak"), None)}),
        )
        .await;
    let child = body["data"]["admitChild"]["child"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let add = |user: &str| json!({"input": {"childId": child, "userId": user_gid(user)}});

    let (_, body) = app.gql(MANAGER, ADD_CO, add("staff.oak")).await;
    assert_eq!(field(&body), Some("userId"), "the key carer: {body}");
    let (_, body) = app.gql(MANAGER, ADD_CO, add("staff.beech")).await;
    assert_eq!(field(&body), Some("userId"), "another home: {body}");
    let (_, body) = app
        .gql("staff.oak@northshire.example", ADD_CO, add("cokey.oak"))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");

    let (_, first) = app.gql(MANAGER, ADD_CO, add("cokey.oak")).await;
    assert_eq!(
        first["data"]["addCoKeyCarer"]["assignment"]["role"], "CO_KEY_CARER",
        "{first}"
    );
    let (_, body) = app.gql(MANAGER, ADD_CO, add("keycarer.oak")).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, body) = app.gql(MANAGER, ADD_CO, add("senior.oak")).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "a third: {body}");
    assert_eq!(field(&body), Some("userId"), "{body}");

    // Removing one makes room; the reason stays in the history.
    let assignment = first["data"]["addCoKeyCarer"]["assignment"]["id"].clone();
    let (_, body) = app
        .gql(
            MANAGER,
            REMOVE_CO,
            json!({"input": {"assignmentId": assignment, "reason": "OTHER"}}),
        )
        .await;
    assert_eq!(field(&body), Some("note"), "{body}");
    let (_, body) = app
        .gql(
            MANAGER,
            REMOVE_CO,
            json!({"input": {"assignmentId": assignment, "reason": "OTHER", "note": "Moved to nights"}}),
        )
        .await;
    let removed = &body["data"]["removeCoKeyCarer"]["assignment"];
    assert_eq!(removed["current"], false, "{body}");
    assert_eq!(removed["endReason"], "OTHER");
    assert_eq!(removed["endNote"], "Moved to nights");
    let (_, body) = app.gql(MANAGER, ADD_CO, add("senior.oak")).await;
    assert!(body["errors"].is_null(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn an_ended_placement_leaves_the_open_list_and_stays_with_the_manager() {
    let app = DemoApp::spawn().await;
    let priya = child_gid("priya");
    let (_, body) = app
        .gql(
            MANAGER,
            "query($id: ID!) { child(id: $id) { placements { edges { node { version endDate } } } } }",
            json!({"id": priya}),
        )
        .await;
    let version = body["data"]["child"]["placements"]["edges"][0]["node"]["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("{body}"));
    let end = |v: i64| json!({"input": {"childId": priya, "expectedVersion": v, "endDate": today(), "reason": "Returned home to her mother"}});
    const END: &str = "mutation($input: EndPlacementInput!) { endPlacement(input: $input) { \
        placement { endDate endReason version } } }";

    let (_, body) = app
        .gql("staff.oak@northshire.example", END, end(version))
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(MANAGER, END, end(version + 5)).await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");

    let (_, body) = app.gql(MANAGER, END, end(version)).await;
    let ended = &body["data"]["endPlacement"]["placement"];
    assert_eq!(ended["endDate"], today(), "{body}");
    assert_eq!(ended["endReason"], "Returned home to her mother");
    assert_eq!(ended["version"], version + 1);

    let (_, body) = app.gql(MANAGER, CHILDREN, json!({"f": {}})).await;
    assert!(!names(&body).contains(&"Priya Sharma".to_owned()), "{body}");
    let (_, body) = app
        .gql(MANAGER, CHILDREN, json!({"f": {"placement": "CLOSED"}}))
        .await;
    assert!(names(&body).contains(&"Priya Sharma".to_owned()), "{body}");
    let (_, body) = app
        .gql(
            "senior.oak@northshire.example",
            CHILDREN,
            json!({"f": {"placement": "ANY"}}),
        )
        .await;
    assert!(!names(&body).contains(&"Priya Sharma".to_owned()), "{body}");

    // Every assignment of the placement ended with it.
    let (_, body) = app.gql(MANAGER, KEY_TEAM, json!({"id": priya})).await;
    let team = team(&body);
    assert!(!team.is_empty(), "{body}");
    assert!(team.iter().all(|a| a["current"] == false), "{body}");
    assert!(
        team.iter()
            .any(|a| a["endReason"] == "PLACEMENT_ENDED" && a["endDate"] == today().as_str()),
        "{body}"
    );

    // Closed for changes, but Priya may be admitted again.
    let (_, body) = app
        .gql(
            MANAGER,
            CHANGE,
            json!({"input": {"childId": priya, "keyCarerId": user_gid("staff.oak"), "reason": "STAFF_LEFT"}}),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app
        .gql(
            MANAGER,
            ADMIT,
            json!({"input": {
                "homeId": oak(),
                "childId": priya,
                "admissionDate": today(),
                "keyCarerId": user_gid("senior.oak"),
            }}),
        )
        .await;
    assert_eq!(
        body["data"]["admitChild"]["child"]["legalName"], "Priya Sharma",
        "{body}"
    );
    app.stop().await;
}
