//! A key carer's week through the API: plan a session and hold it, write logs, draft and
//! submit the monthly summary, the child signs, the manager acknowledges; with the refusals
//! a real week meets.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const KC: &str = "keycarer.oak@northshire.example";
const MANAGER: &str = "manager.oak@northshire.example";

fn child(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("Child:{}", id("northshire", "child", key)))
}

fn ok<'a>(body: &'a Value, path: &[&str]) -> &'a Value {
    assert!(body["errors"].is_null(), "{body}");
    path.iter().fold(&body["data"], |v, p| &v[*p])
}

const PLAN: &str = "mutation($i: PlanKeySessionInput!) { planKeySession(input: $i) { keySession { id version status } } }";
const HOLD: &str = "mutation($i: RecordKeySessionInput!) { recordKeySession(input: $i) { keySession { id version status heldBy { name } childViews } } }";
const LOG: &str = "mutation($i: WriteDailyLogInput!) { writeDailyLog(input: $i) { dailyLog { id version text author { name } } } }";
const DRAFT: &str = "mutation($i: SaveMonthlySummaryDraftInput!) { saveMonthlySummaryDraft(input: $i) { monthlySummary { id version status health education } } }";
const SUBMIT: &str = "mutation($i: MonthlySummaryStepInput!) { submitMonthlySummary(input: $i) { monthlySummary { id version status } } }";
const SIGN: &str = "mutation($i: ChildSignMonthlySummaryInput!) { childSignMonthlySummary(input: $i) { monthlySummary { id version childComment childSignedAt } } }";
const ACK: &str = "mutation($i: MonthlySummaryStepInput!) { acknowledgeMonthlySummary(input: $i) { monthlySummary { id version status acknowledgedBy { name } } } }";

#[tokio::test]
async fn a_key_carers_week_from_planned_session_to_acknowledged_summary() {
    let app = DemoApp::spawn().await;
    let amelia = child("amelia");
    let now = chrono::Utc::now();

    // Plan a session for this afternoon, then record it as held.
    let planned_at = (now - chrono::Duration::hours(2)).to_rfc3339();
    let (_, body) = app.gql(KC, PLAN, json!({"i": {"childId": amelia, "plannedAt": planned_at, "format": "ACTIVITY", "purposes": ["PROGRESS", "AFTER_FAMILY_VISIT"], "venue": "The park"}})).await;
    let session = ok(&body, &["planKeySession", "keySession"]).clone();
    assert_eq!(session["status"], "PLANNED");
    let (_, body) = app.gql(KC, HOLD, json!({"i": {"id": session["id"], "expectedVersion": session["version"], "notes": "We went to the park and talked about your visit to Nan.", "childViews": "I liked seeing Nan."}})).await;
    let held = ok(&body, &["recordKeySession", "keySession"]);
    assert_eq!(held["status"], "HELD");
    assert_eq!(held["heldBy"]["name"], "Sam Okafor");
    assert_eq!(held["version"], 2);

    // Two daily logs.
    for text in [
        "You had a good day at school.",
        "You helped cook tea tonight.",
    ] {
        let (_, body) = app.gql(KC, LOG, json!({"i": {"childId": amelia, "occurredAt": (now - chrono::Duration::minutes(30)).to_rfc3339(), "text": text, "categories": ["Routine"]}})).await;
        assert_eq!(
            ok(&body, &["writeDailyLog", "dailyLog", "author", "name"]),
            "Sam Okafor"
        );
    }

    // The month's summary: started, continued (sections left out are kept), submitted.
    let month = now.date_naive().to_string();
    let (_, body) = app
        .gql(
            KC,
            DRAFT,
            json!({"i": {"childId": amelia, "month": month, "health": "You went to the dentist."}}),
        )
        .await;
    let draft = ok(&body, &["saveMonthlySummaryDraft", "monthlySummary"]).clone();
    assert_eq!(draft["status"], "DRAFT");
    let (_, body) = app.gql(KC, DRAFT, json!({"i": {"childId": amelia, "month": month, "expectedVersion": draft["version"], "education": "You went to school every day."}})).await;
    let draft = ok(&body, &["saveMonthlySummaryDraft", "monthlySummary"]).clone();
    assert_eq!(draft["health"], "You went to the dentist.");
    assert_eq!(draft["education"], "You went to school every day.");
    let (_, body) = app
        .gql(
            KC,
            SUBMIT,
            json!({"i": {"id": draft["id"], "expectedVersion": draft["version"]}}),
        )
        .await;
    let submitted = ok(&body, &["submitMonthlySummary", "monthlySummary"]).clone();
    assert_eq!(submitted["status"], "SUBMITTED");

    // The manager cannot acknowledge before the child signs.
    let (_, body) = app
        .gql(
            MANAGER,
            ACK,
            json!({"i": {"id": submitted["id"], "expectedVersion": submitted["version"]}}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");

    // The child signs, with a comment; the key carer cannot acknowledge; the manager does.
    let (_, body) = app.gql(KC, SIGN, json!({"i": {"id": submitted["id"], "expectedVersion": submitted["version"], "comment": "I agree. Can we go to the park again?"}})).await;
    let signed = ok(&body, &["childSignMonthlySummary", "monthlySummary"]).clone();
    assert_eq!(
        signed["childComment"],
        "I agree. Can we go to the park again?"
    );
    let (_, body) = app
        .gql(
            KC,
            ACK,
            json!({"i": {"id": signed["id"], "expectedVersion": signed["version"]}}),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app
        .gql(
            MANAGER,
            ACK,
            json!({"i": {"id": signed["id"], "expectedVersion": signed["version"]}}),
        )
        .await;
    let acknowledged = ok(&body, &["acknowledgeMonthlySummary", "monthlySummary"]);
    assert_eq!(acknowledged["status"], "ACKNOWLEDGED");
    assert_eq!(acknowledged["acknowledgedBy"]["name"], "Helen Marsh");

    // The social worker follows it.
    let (_, body) = app.gql("sw@northshire.example", "query($id: ID!) { child(id: $id) { monthlySummaries(first: 1) { edges { node { status childComment } } } keySessions(first: 3) { edges { node { status childViews } } } } }", json!({"id": amelia})).await;
    let c = ok(&body, &["child"]);
    assert_eq!(
        c["monthlySummaries"]["edges"][0]["node"]["status"],
        "ACKNOWLEDGED"
    );
    assert!(
        c["keySessions"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["childViews"] == "I liked seeing Nan.")
    );
    app.stop().await;
}

#[tokio::test]
async fn every_rule_refuses_with_a_clear_error_naming_the_field() {
    let app = DemoApp::spawn().await;
    let amelia = child("amelia");
    let now = chrono::Utc::now();
    let (_, body) = app.gql(KC, PLAN, json!({"i": {"childId": amelia, "plannedAt": (now - chrono::Duration::hours(1)).to_rfc3339(), "format": "FORMAL", "purposes": ["PROGRESS"]}})).await;
    let session = ok(&body, &["planKeySession", "keySession"]).clone();
    let long = "x".repeat(20_001);
    let next_month = (now.date_naive() + chrono::Months::new(1)).to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            HOLD,
            json!({"id": session["id"], "expectedVersion": 1, "heldAt": (now + chrono::Duration::days(1)).to_rfc3339()}),
            "heldAt",
        ),
        (
            HOLD,
            json!({"id": session["id"], "expectedVersion": 1, "heldById": base64_user("staff.beech")}),
            "heldById",
        ),
        (
            HOLD,
            json!({"id": session["id"], "expectedVersion": 1, "notes": long}),
            "notes",
        ),
        (
            PLAN,
            json!({"childId": amelia, "plannedAt": now.to_rfc3339(), "format": "FORMAL", "purposes": []}),
            "purposes",
        ),
        (
            PLAN,
            json!({"childId": amelia, "plannedAt": now.to_rfc3339(), "format": "FORMAL", "purposes": ["OTHER"]}),
            "purposeOther",
        ),
        (
            LOG,
            json!({"childId": amelia, "occurredAt": (now + chrono::Duration::hours(2)).to_rfc3339(), "text": "Tomorrow"}),
            "occurredAt",
        ),
        (
            LOG,
            json!({"childId": amelia, "occurredAt": now.to_rfc3339(), "text": "   "}),
            "text",
        ),
        (
            DRAFT,
            json!({"childId": amelia, "month": next_month, "health": "Not yet"}),
            "month",
        ),
    ];
    for (mutation, input, field) in cases {
        let (_, body) = app.gql(KC, mutation, json!({ "i": input })).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // A stale draft save is a CONFLICT that says exactly what was not saved.
    let month = now.date_naive().to_string();
    let (_, body) = app
        .gql(
            KC,
            DRAFT,
            json!({"i": {"childId": amelia, "month": month, "health": "First"}}),
        )
        .await;
    let v = ok(
        &body,
        &["saveMonthlySummaryDraft", "monthlySummary", "version"],
    )
    .clone();
    let (_, body) = app.gql(KC, DRAFT, json!({"i": {"childId": amelia, "month": month, "expectedVersion": v, "health": "Second"}})).await;
    ok(&body, &["saveMonthlySummaryDraft"]);
    let (_, body) = app.gql(KC, DRAFT, json!({"i": {"childId": amelia, "month": month, "expectedVersion": v, "health": "Third", "behaviour": "Kind"}})).await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["notSaved"],
        json!(["health", "behaviour"]),
        "{body}"
    );
    app.stop().await;
}

fn base64_user(local: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("User:{}", id("northshire", "user", local)))
}

#[tokio::test]
async fn who_may_plan_a_session_and_who_may_not() {
    let app = DemoApp::spawn().await;
    let now = chrono::Utc::now().to_rfc3339();
    let input = |key: &str| json!({"i": {"childId": child(key), "plannedAt": now, "format": "FORMAL", "purposes": ["PROGRESS"]}});
    let cases = [
        ("staff.oak@northshire.example", "amelia", None),
        ("keycarer.oak@northshire.example", "priya", None),
        ("sw@northshire.example", "amelia", Some("FORBIDDEN")),
        ("iro@northshire.example", "amelia", Some("FORBIDDEN")),
        ("manager.oak@northshire.example", "ellie", Some("FORBIDDEN")),
        (
            "staff.beech@northshire.example",
            "amelia",
            Some("NOT_FOUND"),
        ),
        ("dpo@northshire.example", "amelia", Some("NOT_FOUND")),
        (
            "manager.harbour@southdale.example",
            "amelia",
            Some("NOT_FOUND"),
        ),
    ];
    for (who, key, want) in cases {
        let (_, body) = app.gql(who, PLAN, input(key)).await;
        assert_eq!(code(&body), want, "{who} on {key}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn errors_raised_before_any_resolver_carry_codes_too() {
    let app = DemoApp::spawn().await;
    // A risk without a level: the schema refuses it, naming the argument.
    let q = "mutation($i: AddSafeCareRiskInput!) { addSafeCareRisk(input: $i) { safeCareRisk { id } } }";
    let (_, body) = app
        .gql(KC, q, json!({"i": {"childId": child("amelia"), "category": "GOING_MISSING", "atRisk": ["SELF"], "management": "Phone at 21:30"}}))
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("level"),
        "{body}"
    );
    // GraphiQL's introspection (graphql-js nests ofType deeply) stays within the limits.
    let type_ref = (0..8).fold(String::from("kind name"), |inner, _| {
        format!("kind name ofType {{ {inner} }}")
    });
    let introspection = format!(
        "{{ __schema {{ queryType {{ name }} types {{ kind name fields(includeDeprecated: true) {{ name args {{ name type {{ {type_ref} }} }} type {{ {type_ref} }} }} }} }} }}"
    );
    let (_, body) = app.gql(KC, &introspection, json!({})).await;
    assert!(
        body["errors"].is_null(),
        "introspection as GraphiQL sends it: {body}"
    );
    // Malformed GraphQL.
    let (_, body) = app.gql(KC, "{ children { ", json!({})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await;
}

const CORRECT: &str = "mutation($i: CorrectDailyLogInput!) { correctDailyLog(input: $i) { dailyLog { id version text } } }";

#[tokio::test]
async fn a_log_is_corrected_not_overwritten_and_staff_correct_only_their_own() {
    let app = DemoApp::spawn().await;
    let amelia = child("amelia");
    let now = chrono::Utc::now().to_rfc3339();
    let staff = "staff.oak@northshire.example";
    let (_, body) = app
        .gql(
            staff,
            LOG,
            json!({"i": {"childId": amelia, "occurredAt": now, "text": "You went to the cinema."}}),
        )
        .await;
    let log = ok(&body, &["writeDailyLog", "dailyLog"]).clone();
    // The author corrects it; the version moves on.
    let (_, body) = app.gql(staff, CORRECT, json!({"i": {"id": log["id"], "expectedVersion": 1, "text": "You went to the cinema with Tom."}})).await;
    let corrected = ok(&body, &["correctDailyLog", "dailyLog"]).clone();
    assert_eq!(
        (corrected["version"].as_i64(), corrected["text"].as_str()),
        (Some(2), Some("You went to the cinema with Tom."))
    );
    // A stale correction is a CONFLICT; the text stays as corrected.
    let (_, body) = app
        .gql(
            staff,
            CORRECT,
            json!({"i": {"id": log["id"], "expectedVersion": 1, "text": "Lost update"}}),
        )
        .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    // Home staff may not correct someone else's entry; the key carer may.
    let (_, body) = app.gql(KC, LOG, json!({"i": {"childId": amelia, "occurredAt": now, "text": "You were tired after school."}})).await;
    let theirs = ok(&body, &["writeDailyLog", "dailyLog"]).clone();
    let (_, body) = app
        .gql(
            staff,
            CORRECT,
            json!({"i": {"id": theirs["id"], "expectedVersion": 1, "text": "Changed"}}),
        )
        .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(KC, CORRECT, json!({"i": {"id": log["id"], "expectedVersion": 2, "text": "You went to the cinema with Tom and Priya."}})).await;
    assert_eq!(ok(&body, &["correctDailyLog", "dailyLog", "version"]), 3);
    // The earlier versions are kept.
    let db = sea_orm::Database::connect(crate::demo_app::database_url(&app))
        .await
        .unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let tenant = keycare_seed::demo::id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let kept = keycare_entity::record_revision::Entity::find()
        .filter(keycare_entity::record_revision::Column::TableName.eq("daily_logs"))
        .count(&txn)
        .await
        .unwrap();
    assert_eq!(kept, 2, "versions 1 and 2 of the corrected log are kept");
    app.stop().await;
}

#[tokio::test]
async fn the_first_session_after_admission_records_the_settling_in_checklist() {
    let app = DemoApp::spawn().await;
    let admit = "mutation($i: AdmitChildInput!) { admitChild(input: $i) { child { id } } }";
    let today = chrono::Utc::now().date_naive();
    let oak = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("Home:{}", id("northshire", "home", "oak")))
    };
    let input = json!({"i": {
        "homeId": oak, "admissionDate": today.to_string(), "keyCarerId": base64_user("keycarer.oak"),
        "child": {"legalName": "Lily Shaw", "dateOfBirth": "2013-05-04", "gender": "female", "legalStatus": "S20",
                  "lookedAfterSince": today.to_string(), "placingAuthority": "Northshire County Council"}
    }});
    let (_, body) = app.gql(MANAGER, admit, input).await;
    let lily = ok(&body, &["admitChild", "child", "id"]).clone();
    let (_, body) = app.gql(KC, PLAN, json!({"i": {"childId": lily, "plannedAt": chrono::Utc::now().to_rfc3339(), "format": "FORMAL", "purposes": ["PROGRESS"]}})).await;
    let session = ok(&body, &["planKeySession", "keySession"]).clone();
    let (_, body) = app
        .gql(
            KC,
            HOLD,
            json!({"i": {"id": session["id"], "expectedVersion": 1}}),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "settlingIn");
    let checklist = json!({"understandsWhyPlaced": true, "ipcpDoneOrDated": true, "childrensGuideGiven": true, "firePrecautionsExplained": true, "toiletries": true, "clothing": true, "bedding": true, "towels": true});
    let (_, body) = app
        .gql(
            KC,
            HOLD,
            json!({"i": {"id": session["id"], "expectedVersion": 1, "settlingIn": checklist}}),
        )
        .await;
    assert_eq!(
        ok(&body, &["recordKeySession", "keySession", "status"]),
        "HELD"
    );
    app.stop().await;
}
