//! The IPCP and the Safe Care Plan written through GraphQL as the demo users: drafted,
//! published, reviewed and signed under the matching relationship; stale and concurrent
//! edits answer CONFLICT without losing anyone's text.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const KEY_CARER: &str = "keycarer.oak@northshire.example";
const CO_KEY: &str = "cokey.oak@northshire.example";
const MANAGER: &str = "manager.oak@northshire.example";
const SW: &str = "sw@northshire.example";

fn amelia() -> String {
    use base64::Engine;
    let uuid = id("northshire", "child", "amelia");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("Child:{uuid}"))
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

const VERSION: &str = "id versionNumber status version outcomesAndNeeds health leisure \
     equalityAndDiversity { diet religion } signatures { childAt keyCarerAt socialWorkerAt managerAt }";

fn draft_op() -> String {
    format!(
        "mutation($input: DraftCarePlanVersionInput!) {{ draftCarePlanVersion(input: $input) {{ carePlanVersion {{ {VERSION} }} }} }}"
    )
}

fn publish_op() -> String {
    format!(
        "mutation($input: PublishCarePlanVersionInput!) {{ publishCarePlanVersion(input: $input) {{ carePlanVersion {{ {VERSION} }} }} }}"
    )
}

fn sign_op() -> String {
    format!(
        "mutation($input: SignCarePlanInput!) {{ signCarePlan(input: $input) {{ carePlanVersion {{ {VERSION} }} }} }}"
    )
}

const REVIEW: &str = "mutation($input: RecordCarePlanReviewInput!) { recordCarePlanReview(input: $input) { carePlanReview { reviewedOn changesMade notes } } }";

const PLAN: &str = "query($id: ID!) { child(id: $id) { carePlan { current { versionNumber } \
     versions { edges { node { versionNumber status version outcomesAndNeeds } } } \
     reviews(first: 1) { edges { node { reviewedOn changesMade notes } } } } } }";

async fn draft(app: &DemoApp, who: &str, input: Value) -> Value {
    app.gql(who, &draft_op(), json!({ "input": input })).await.1
}

fn saved(body: &Value, mutation: &str, record: &str) -> Value {
    assert!(body["errors"].is_null(), "{mutation}: {body}");
    body["data"][mutation][record].clone()
}

#[tokio::test]
async fn the_key_carer_drafts_publishes_reviews_and_signs_the_ipcp() {
    let app = DemoApp::spawn().await;
    let body = draft(
        &app,
        KEY_CARER,
        json!({
            "childId": amelia(),
            "outcomesAndNeeds": "To feel settled, go to school every day and join the drama club.",
            "equalityAndDiversity": { "diet": "Vegetarian since March." },
        }),
    )
    .await;
    let v2 = saved(&body, "draftCarePlanVersion", "carePlanVersion");
    assert_eq!(v2["versionNumber"], 2);
    assert_eq!(v2["status"], "DRAFT");
    assert_eq!(v2["version"], 1);
    // A new draft starts from the published text.
    assert_eq!(v2["health"], "Registered with the local GP and dentist.");
    assert_eq!(v2["equalityAndDiversity"]["religion"], "None stated.");
    assert_eq!(
        v2["equalityAndDiversity"]["diet"],
        "Vegetarian since March."
    );

    // One draft at a time: a second start is refused and says how to update.
    let body = draft(
        &app,
        KEY_CARER,
        json!({ "childId": amelia(), "leisure": "Drama." }),
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("expectedVersion"));

    let body = draft(
        &app,
        KEY_CARER,
        json!({ "childId": amelia(), "expectedVersion": 1, "leisure": "Drama club on Thursdays." }),
    )
    .await;
    let v2 = saved(&body, "draftCarePlanVersion", "carePlanVersion");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["leisure"], "Drama club on Thursdays.");

    // A stale update is refused and says what was not saved.
    let body = draft(
        &app,
        KEY_CARER,
        json!({ "childId": amelia(), "expectedVersion": 1, "health": "Dentist in May." }),
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["notSaved"],
        json!(["health"])
    );

    let (_, body) = app
        .gql(
            KEY_CARER,
            &publish_op(),
            json!({ "input": { "id": v2["id"], "expectedVersion": 2 } }),
        )
        .await;
    let v2 = saved(&body, "publishCarePlanVersion", "carePlanVersion");
    assert_eq!(v2["status"], "PUBLISHED");
    assert_eq!(v2["version"], 3);

    let (_, body) = app.gql(KEY_CARER, PLAN, json!({ "id": amelia() })).await;
    let plan = &body["data"]["child"]["carePlan"];
    assert_eq!(plan["current"]["versionNumber"], 2, "{body}");
    let versions: Vec<(i64, &str)> = plan["versions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["versionNumber"].as_i64().unwrap(),
                e["node"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, vec![(2, "PUBLISHED"), (1, "SUPERSEDED")]);

    // Publishing twice is explained.
    let (_, body) = app
        .gql(
            KEY_CARER,
            &publish_op(),
            json!({ "input": { "id": v2["id"], "expectedVersion": 3 } }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");

    // A review is recorded even when nothing changes; not in the future.
    let review = json!({ "childId": amelia(), "reviewedOn": today(), "changesMade": false, "notes": "Talked it through with you; no changes." });
    let (_, body) = app.gql(KEY_CARER, REVIEW, json!({ "input": review })).await;
    let recorded = saved(&body, "recordCarePlanReview", "carePlanReview");
    assert_eq!(recorded["changesMade"], false);
    let (_, body) = app.gql(KEY_CARER, PLAN, json!({ "id": amelia() })).await;
    assert_eq!(
        body["data"]["child"]["carePlan"]["reviews"]["edges"][0]["node"]["notes"],
        "Talked it through with you; no changes."
    );
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(2)).to_string();
    let (_, body) = app
        .gql(
            KEY_CARER,
            REVIEW,
            json!({ "input": { "childId": amelia(), "reviewedOn": tomorrow, "changesMade": false } }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("reviewedOn"));

    // Signatures, each under the matching relationship with the child.
    let sign = |version: i64, r#as: &str| json!({ "input": { "id": v2["id"], "expectedVersion": version, "as": r#as } });
    let (_, body) = app.gql(KEY_CARER, &sign_op(), sign(3, "KEY_CARER")).await;
    let signed = saved(&body, "signCarePlan", "carePlanVersion");
    assert!(signed["signatures"]["keyCarerAt"].is_string());
    assert_eq!(signed["version"], 4);
    let (_, body) = app.gql(KEY_CARER, &sign_op(), sign(4, "CHILD")).await;
    assert!(saved(&body, "signCarePlan", "carePlanVersion")["signatures"]["childAt"].is_string());
    let (_, body) = app.gql(KEY_CARER, &sign_op(), sign(5, "MANAGER")).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(SW, &sign_op(), sign(5, "MANAGER")).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(SW, &sign_op(), sign(5, "KEY_CARER")).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(SW, &sign_op(), sign(5, "SOCIAL_WORKER")).await;
    assert!(
        saved(&body, "signCarePlan", "carePlanVersion")["signatures"]["socialWorkerAt"].is_string()
    );
    let (_, body) = app.gql(MANAGER, &sign_op(), sign(6, "MANAGER")).await;
    let signed = saved(&body, "signCarePlan", "carePlanVersion");
    assert!(signed["signatures"]["managerAt"].is_string());
    assert_eq!(signed["version"], 7);
    // A signature is made once per version; a stale signature is a conflict.
    let (_, body) = app.gql(KEY_CARER, &sign_op(), sign(7, "KEY_CARER")).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("as"));
    let (_, body) = app.gql(MANAGER, &sign_op(), sign(3, "CHILD")).await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn only_those_who_may_change_the_ipcp_draft_it() {
    let app = DemoApp::spawn().await;
    let input = json!({ "childId": amelia(), "outcomesAndNeeds": "Something new." });
    for (who, expected) in [
        ("staff.oak@northshire.example", "FORBIDDEN"),
        ("iro@northshire.example", "FORBIDDEN"),
        ("staff.beech@northshire.example", "NOT_FOUND"),
        ("manager.beech@northshire.example", "NOT_FOUND"),
        ("manager.harbour@southdale.example", "NOT_FOUND"),
    ] {
        let body = draft(&app, who, input.clone()).await;
        assert_eq!(code(&body), Some(expected), "{who}: {body}");
    }
    // Refused changes leave nothing behind.
    let (_, body) = app.gql(KEY_CARER, PLAN, json!({ "id": amelia() })).await;
    let versions = body["data"]["child"]["carePlan"]["versions"]["edges"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(versions, 1, "{body}");

    // Text over the limit names the field and what was not saved.
    let long = "a".repeat(20_001);
    let body = draft(
        &app,
        SW,
        json!({ "childId": amelia(), "leisure": "Swimming.", "equalityAndDiversity": { "culture": long } }),
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("equalityAndDiversity.culture"));
    assert_eq!(
        body["errors"][0]["extensions"]["notSaved"],
        json!(["equalityAndDiversity.culture", "leisure"])
    );
    // The social worker and the manager may draft.
    let body = draft(&app, SW, input.clone()).await;
    assert_eq!(
        saved(&body, "draftCarePlanVersion", "carePlanVersion")["status"],
        "DRAFT"
    );
    app.stop().await;
}

#[tokio::test]
async fn concurrent_edits_of_one_draft_end_in_one_conflict_and_no_lost_text() {
    let app = DemoApp::spawn().await;
    let body = draft(&app, KEY_CARER, json!({ "childId": amelia() })).await;
    let start = saved(&body, "draftCarePlanVersion", "carePlanVersion");
    let n = start["version"].as_i64().unwrap();
    let mine = "Amelia wants to try for the netball team. (key carer)";
    let theirs = "Amelia would like more time with her grandmother. (co-key carer)";
    let edit =
        |text: &str| json!({ "childId": amelia(), "expectedVersion": n, "outcomesAndNeeds": text });
    let (a, b) = tokio::join!(
        draft(&app, KEY_CARER, edit(mine)),
        draft(&app, CO_KEY, edit(theirs))
    );
    let outcomes = [code(&a), code(&b)];
    let (winner, loser, loser_text, loser_who) = match outcomes {
        [None, Some("CONFLICT")] => (mine, &b, theirs, CO_KEY),
        [Some("CONFLICT"), None] => (theirs, &a, mine, KEY_CARER),
        _ => panic!("expected one success and one CONFLICT: {a} / {b}"),
    };
    assert_eq!(
        loser["errors"][0]["extensions"]["notSaved"],
        json!(["outcomesAndNeeds"])
    );

    let (_, body) = app.gql(KEY_CARER, PLAN, json!({ "id": amelia() })).await;
    let latest = &body["data"]["child"]["carePlan"]["versions"]["edges"][0]["node"];
    assert_eq!(latest["status"], "DRAFT", "{body}");
    assert_eq!(latest["outcomesAndNeeds"], winner);
    assert_eq!(latest["version"], n + 1);

    // The loser reloads and applies their change again.
    let body = draft(
        &app,
        loser_who,
        json!({ "childId": amelia(), "expectedVersion": n + 1, "outcomesAndNeeds": loser_text }),
    )
    .await;
    let again = saved(&body, "draftCarePlanVersion", "carePlanVersion");
    assert_eq!(again["outcomesAndNeeds"], loser_text);
    assert_eq!(again["version"], n + 2);
    app.stop().await;
}

const SCP: &str = "query($id: ID!) { child(id: $id) { safeCarePlan { id version missingFromCareAgreement \
     sharedWithSocialWorkerAt socialWorkerSignedAt \
     risks { edges { node { id category level atRisk management retiredAt version } } } \
     reviews(first: 1) { edges { node { reviewedOn trigger notes } } } } } }";

const RISK: &str = "id category level atRisk management retiredAt version";

fn risk_op(mutation: &str, input: &str) -> String {
    format!(
        "mutation($input: {input}!) {{ {mutation}(input: $input) {{ safeCareRisk {{ {RISK} }} }} }}"
    )
}

#[tokio::test]
async fn the_safe_care_plan_risks_are_added_changed_and_retired() {
    let app = DemoApp::spawn().await;
    let add = risk_op("addSafeCareRisk", "AddSafeCareRiskInput");
    let change = risk_op("changeSafeCareRisk", "ChangeSafeCareRiskInput");
    let retire = risk_op("retireSafeCareRisk", "RetireSafeCareRiskInput");
    let risk = |management: &str, at_risk: Value| {
        json!({ "input": {
            "childId": amelia(), "category": "VIOLENCE", "atRisk": at_risk,
            "level": "HIGH", "management": management,
        }})
    };
    let (_, body) = app
        .gql(
            KEY_CARER,
            &add,
            risk(
                "Two staff nearby at handover; talk it through after.",
                json!(["SELF", "STAFF"]),
            ),
        )
        .await;
    let added = saved(&body, "addSafeCareRisk", "safeCareRisk");
    assert_eq!(added["level"], "HIGH");
    assert_eq!(added["atRisk"], json!(["self", "staff"]));
    assert_eq!(added["version"], 1);

    // Validation names the field.
    let (_, body) = app.gql(KEY_CARER, &add, risk("   ", json!(["SELF"]))).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("management"));
    let (_, body) = app
        .gql(KEY_CARER, &add, risk(&"x".repeat(20_001), json!(["SELF"])))
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("management"));
    let (_, body) = app.gql(KEY_CARER, &add, risk("Plan.", json!([]))).await;
    assert_eq!(field(&body), Some("atRisk"), "{body}");
    // A risk without a level is refused by the schema itself.
    let (_, body) = app
        .gql(
            KEY_CARER,
            &add,
            json!({ "input": { "childId": amelia(), "category": "VIOLENCE", "atRisk": ["SELF"], "management": "Plan." } }),
        )
        .await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("level"),
        "{body}"
    );

    // Who may change it.
    for (who, expected) in [
        ("staff.oak@northshire.example", "FORBIDDEN"),
        ("iro@northshire.example", "FORBIDDEN"),
        ("staff.beech@northshire.example", "NOT_FOUND"),
    ] {
        let (_, body) = app.gql(who, &add, risk("Plan.", json!(["SELF"]))).await;
        assert_eq!(code(&body), Some(expected), "{who}: {body}");
        let (_, body) = app
            .gql(
                who,
                &change,
                json!({ "input": { "id": added["id"], "expectedVersion": 1, "level": "LOW" } }),
            )
            .await;
        assert_eq!(code(&body), Some(expected), "{who}: {body}");
    }

    let (_, body) = app
        .gql(
            SW,
            &change,
            json!({ "input": { "id": added["id"], "expectedVersion": 1, "level": "MEDIUM" } }),
        )
        .await;
    let changed = saved(&body, "changeSafeCareRisk", "safeCareRisk");
    assert_eq!(changed["level"], "MEDIUM");
    assert_eq!(changed["management"], added["management"]);
    assert_eq!(changed["version"], 2);
    let (_, body) = app
        .gql(
            KEY_CARER,
            &change,
            json!({ "input": { "id": added["id"], "expectedVersion": 1, "level": "LOW" } }),
        )
        .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");

    let (_, body) = app
        .gql(
            MANAGER,
            &retire,
            json!({ "input": { "id": added["id"], "expectedVersion": 2, "reason": "No incidents for three months." } }),
        )
        .await;
    let retired = saved(&body, "retireSafeCareRisk", "safeCareRisk");
    assert!(retired["retiredAt"].is_string());
    assert!(
        retired["management"]
            .as_str()
            .unwrap()
            .contains("No incidents for three months.")
    );
    let (_, body) = app
        .gql(
            KEY_CARER,
            &change,
            json!({ "input": { "id": added["id"], "expectedVersion": 3, "level": "LOW" } }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");

    // Retired, never deleted: still listed with its retirement.
    let (_, body) = app.gql(KEY_CARER, SCP, json!({ "id": amelia() })).await;
    let risks = body["data"]["child"]["safeCarePlan"]["risks"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    let kept = risks
        .iter()
        .find(|e| e["node"]["id"] == added["id"])
        .expect("kept");
    assert!(kept["node"]["retiredAt"].is_string());
    assert_eq!(risks.len(), 3, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_safe_care_plan_is_saved_reviewed_and_signed_by_the_social_worker() {
    let app = DemoApp::spawn().await;
    let (_, body) = app.gql(KEY_CARER, SCP, json!({ "id": amelia() })).await;
    let plan = body["data"]["child"]["safeCarePlan"].clone();
    let v = plan["version"].as_i64().unwrap();
    let save = "mutation($input: SaveSafeCarePlanInput!) { saveSafeCarePlan(input: $input) { safeCarePlan { id version missingFromCareAgreement socialWorkerSignedAt sharedWithSocialWorkerAt } } }";
    let agreement = "Report to the police if not back and not in contact by 21:30.";
    let (_, body) = app
        .gql(
            KEY_CARER,
            save,
            json!({ "input": { "childId": amelia(), "missingFromCareAgreement": agreement } }),
        )
        .await;
    assert_eq!(field(&body), Some("expectedVersion"), "{body}");
    let (_, body) = app
        .gql(
            KEY_CARER,
            save,
            json!({ "input": { "childId": amelia(), "expectedVersion": v, "missingFromCareAgreement": agreement } }),
        )
        .await;
    let saved_plan = saved(&body, "saveSafeCarePlan", "safeCarePlan");
    assert_eq!(saved_plan["missingFromCareAgreement"], agreement);
    assert_eq!(saved_plan["version"], v + 1);

    let review = "mutation($input: RecordSafeCareReviewInput!) { recordSafeCareReview(input: $input) { safeCareReview { reviewedOn trigger notes } } }";
    let (_, body) = app
        .gql(
            KEY_CARER,
            review,
            json!({ "input": { "childId": amelia(), "reviewedOn": today(), "trigger": "SCHEDULED", "notes": "Return time moved earlier." } }),
        )
        .await;
    assert_eq!(
        saved(&body, "recordSafeCareReview", "safeCareReview")["trigger"],
        "SCHEDULED"
    );
    let (_, body) = app
        .gql(
            KEY_CARER,
            review,
            json!({ "input": { "childId": amelia(), "reviewedOn": today(), "trigger": "MISSING_EPISODE" } }),
        )
        .await;
    assert_eq!(field(&body), Some("missingEpisodeId"), "{body}");

    let sign = "mutation($input: SignSafeCarePlanInput!) { signSafeCarePlan(input: $input) { safeCarePlan { version socialWorkerSignedAt sharedWithSocialWorkerAt } } }";
    let input = json!({ "input": { "id": plan["id"], "expectedVersion": v + 1 } });
    for who in [KEY_CARER, MANAGER] {
        let (_, body) = app.gql(who, sign, input.clone()).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{who}: {body}");
    }
    let (_, body) = app.gql("iro@northshire.example", sign, input.clone()).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let (_, body) = app.gql(SW, sign, input.clone()).await;
    let signed = saved(&body, "signSafeCarePlan", "safeCarePlan");
    assert!(signed["socialWorkerSignedAt"].is_string());
    assert!(signed["sharedWithSocialWorkerAt"].is_string());
    assert_eq!(signed["version"], v + 2);
    let (_, body) = app.gql(SW, sign, input).await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    app.stop().await;
}
