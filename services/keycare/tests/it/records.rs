//! The records of PRODUCT.md 6 to 15 written through GraphQL as the demo users: a statutory
//! review from its report to the IRO's outcome, a missing episode and its return interview,
//! the weekly file audit, the clothing allowance, the weekly plan; restricted records, stale
//! versions and another council's ids.

use crate::demo_app::{DemoApp, code};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use keycare_seed::demo::id;
use serde_json::{Value, json};

const KEY_CARER: &str = "keycarer.oak@northshire.example";
const STAFF: &str = "staff.oak@northshire.example";
const MANAGER: &str = "manager.oak@northshire.example";
const SW: &str = "sw@northshire.example";
const IRO: &str = "iro@northshire.example";

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

fn amelia() -> String {
    gid("Child", id("northshire", "child", "amelia"))
}

fn user(local: &str) -> String {
    gid("User", id("northshire", "user", local))
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// The Monday `weeks` weeks from this one (negative: before).
fn monday(weeks: i64) -> chrono::NaiveDate {
    let this = today() - Duration::days(today().weekday().num_days_from_monday().into());
    this + Duration::weeks(weeks)
}

/// Now, to the second (what the database keeps and gives back).
fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap()
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
        .unwrap()
        .with_timezone(&Utc)
}

fn field(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["field"].as_str()
}

fn not_saved(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["notSaved"]
}

/// Runs the mutation `name` as `who` and returns the record it saved (`record` of its payload).
async fn save(app: &DemoApp, who: &str, name: &str, input: Value, record: &str) -> Value {
    let body = attempt(app, who, name, input, record).await;
    assert!(body["errors"].is_null(), "{name} as {who}: {body}");
    body["data"][name][record].clone()
}

/// Runs `name` as `who`; the whole answer. The input type is the mutation's name with an
/// upper-case first letter and `Input`, as everywhere in the schema.
async fn attempt(app: &DemoApp, who: &str, name: &str, input: Value, record: &str) -> Value {
    let fields = selection(record);
    let input_type = format!("{}{}Input", name[..1].to_uppercase(), &name[1..]);
    let op = format!(
        "mutation($input: {input_type}!) {{ {name}(input: $input) {{ {record} {{ {fields} }} }} }}"
    );
    app.gql(who, &op, json!({ "input": input })).await.1
}

/// The fields the tests read back of each record.
fn selection(record: &str) -> &'static str {
    match record {
        "statutoryReview" => {
            "id version scheduledFor sequence heldOn outcome actionPlan iro { name } author { name }"
        }
        "reviewReport" => "id version status content childViews submittedAt author { name }",
        "consultationBooklet" => "id source content receivedOn",
        "missingEpisode" => {
            "id version wentMissingAt reportedAt returnedAt policeReference riskLevel returnInterviewDueBy notes"
        }
        "fileAudit" => {
            "id version weekOf items { document present current applicable } updates signedAt signedBy { name }"
        }
        "clothingEntry" => "id entryOn kind description amountPence orderedVia { name }",
        "weeklyPlan" => "id version weekOf gettingUp schoolTransport contactTimes returnTimes",
        "significantPerson" => "id version name relationship notes restricted",
        "chronologyEntry" => "id occurredOn title sourceKind",
        "contactArrangement" => "id restricted person { id name }",
        other => panic!("no selection for {other}"),
    }
}

/// The nodes of one of the child's lists, as `who` sees them; panics on any error.
async fn list(app: &DemoApp, who: &str, child: &str, list: &str, fields: &str) -> Vec<Value> {
    // `list` may be a path through a group, e.g. `contacts.people`.
    let path: Vec<&str> = list.split('.').collect();
    let (open, close) = path[..path.len() - 1]
        .iter()
        .fold((String::new(), String::new()), |(o, c), p| {
            (format!("{o}{p} {{ "), format!("{c} }}"))
        });
    let last = path[path.len() - 1];
    let q = format!(
        "query($c: ID!) {{ child(id: $c) {{ {open}{last}(first: 100) {{ edges {{ node {{ {fields} }} }} }}{close} }} }}"
    );
    let (_, body) = app.gql(who, &q, json!({ "c": child })).await;
    assert!(body["errors"].is_null(), "{list} as {who}: {body}");
    let mut at = &body["data"]["child"];
    for p in &path {
        at = &at[*p];
    }
    at["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{list} as {who}: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The answer to a change the record's state refuses (submitted, signed, already there):
/// CONFLICT, as for a stale version (API.md has no other code for it).
fn assert_rule(body: &Value, what: &str) {
    assert_eq!(code(body), Some("CONFLICT"), "{what}: {body}");
}

#[tokio::test]
async fn a_review_report_goes_from_draft_to_submitted_and_the_iro_records_the_outcome() {
    let app = DemoApp::spawn().await;
    let scheduled_for = today() + Duration::days(20);
    let review = save(
        &app,
        KEY_CARER,
        "scheduleStatutoryReview",
        json!({ "childId": amelia(), "scheduledFor": scheduled_for, "sequence": "SECOND", "iroId": user("iro") }),
        "statutoryReview",
    )
    .await;
    assert_eq!(review["iro"]["name"], "Martin Shaw");
    assert_eq!(review["sequence"], "SECOND");
    assert_eq!(review["version"], 1);
    assert!(review["heldOn"].is_null());

    // The key carer's draft.
    let report = save(
        &app,
        KEY_CARER,
        "saveReviewReport",
        json!({ "reviewId": review["id"], "content": "You have settled well and go to school every day." }),
        "reviewReport",
    )
    .await;
    assert_eq!(report["status"], "DRAFT");
    assert_eq!(report["version"], 1);
    assert_eq!(report["author"]["name"], "Sam Okafor");
    assert!(report["submittedAt"].is_null());

    // Not submitted without the child's views.
    let submit = |version: i64| json!({ "id": report["id"], "expectedVersion": version });
    let body = attempt(
        &app,
        KEY_CARER,
        "submitReviewReport",
        submit(1),
        "reviewReport",
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("childViews"), "{body}");

    // One report per review: a second start is refused and says what was not saved.
    let body = attempt(
        &app,
        KEY_CARER,
        "saveReviewReport",
        json!({ "reviewId": review["id"], "content": "A second report." }),
        "reviewReport",
    )
    .await;
    assert!(
        matches!(code(&body), Some("CONFLICT" | "RULE")),
        "a second report: {body}"
    );
    assert_eq!(not_saved(&body), &json!(["content"]), "{body}");

    // The child's views are added; the content stays.
    let with_views = save(
        &app,
        KEY_CARER,
        "saveReviewReport",
        json!({ "reviewId": review["id"], "expectedVersion": 1, "childViews": "I want to stay here and see Nan more." }),
        "reviewReport",
    )
    .await;
    assert_eq!(with_views["status"], "CHILD_VIEWS_ADDED");
    assert_eq!(with_views["version"], 2);
    assert_eq!(
        with_views["content"],
        "You have settled well and go to school every day."
    );

    // A stale save is a conflict and names what was not saved.
    let body = attempt(
        &app,
        KEY_CARER,
        "saveReviewReport",
        json!({ "reviewId": review["id"], "expectedVersion": 1, "content": "Older text." }),
        "reviewReport",
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    assert_eq!(not_saved(&body), &json!(["content"]), "{body}");

    let submitted = save(
        &app,
        KEY_CARER,
        "submitReviewReport",
        submit(2),
        "reviewReport",
    )
    .await;
    assert_eq!(submitted["status"], "SUBMITTED");
    assert_eq!(submitted["version"], 3);
    assert!(submitted["submittedAt"].is_string());

    // Submitted is final.
    let body = attempt(
        &app,
        KEY_CARER,
        "saveReviewReport",
        json!({ "reviewId": review["id"], "expectedVersion": 3, "content": "One more thing." }),
        "reviewReport",
    )
    .await;
    assert_rule(&body, "saving a submitted report");
    assert_eq!(not_saved(&body), &json!(["content"]), "{body}");
    let body = attempt(
        &app,
        KEY_CARER,
        "submitReviewReport",
        submit(3),
        "reviewReport",
    )
    .await;
    assert!(
        matches!(code(&body), Some("RULE" | "CONFLICT")),
        "submitting twice: {body}"
    );

    // The child's booklet.
    let booklet = save(
        &app,
        KEY_CARER,
        "addConsultationBooklet",
        json!({ "reviewId": review["id"], "source": "CHILD", "content": "What is going well: drama club.", "receivedOn": today() }),
        "consultationBooklet",
    )
    .await;
    assert_eq!(booklet["source"], "CHILD");

    // After the meeting the IRO records the outcome and the action plan; not in the future.
    let outcome = |version: i64, held_on: chrono::NaiveDate| {
        json!({
            "id": review["id"], "expectedVersion": version, "heldOn": held_on,
            "outcome": "You stay at Oak House; the plan continues.",
            "actionPlan": "Social worker to arrange extra contact with Nan.",
        })
    };
    let body = attempt(
        &app,
        IRO,
        "recordReviewOutcome",
        outcome(1, today() + Duration::days(1)),
        "statutoryReview",
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("heldOn"), "{body}");
    let held = save(
        &app,
        IRO,
        "recordReviewOutcome",
        outcome(1, today()),
        "statutoryReview",
    )
    .await;
    assert_eq!(held["heldOn"], json!(today()));
    assert_eq!(
        held["outcome"],
        "You stay at Oak House; the plan continues."
    );
    assert_eq!(
        held["actionPlan"],
        "Social worker to arrange extra contact with Nan."
    );
    assert_eq!(held["version"], 2);
    // A stale outcome is a conflict; the social worker reads reviews but records no outcome.
    let body = attempt(
        &app,
        IRO,
        "recordReviewOutcome",
        outcome(1, today()),
        "statutoryReview",
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    let body = attempt(
        &app,
        SW,
        "recordReviewOutcome",
        outcome(2, today()),
        "statutoryReview",
    )
    .await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");

    // The review now shows in the chronology, for the key carer and for the IRO.
    for who in [KEY_CARER, IRO] {
        let entries = list(
            &app,
            who,
            &amelia(),
            "chronology",
            "occurredOn title sourceKind",
        )
        .await;
        let derived = entries
            .iter()
            .find(|e| {
                e["occurredOn"] == json!(today())
                    && e["sourceKind"]
                        .as_str()
                        .is_some_and(|k| k.to_lowercase().contains("review"))
            })
            .unwrap_or_else(|| panic!("no chronology entry for the review as {who}: {entries:?}"));
        assert!(
            derived["title"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("review"),
            "{derived}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_missing_episode_the_file_audit_clothing_and_the_weekly_plan_keep_their_rules() {
    let app = DemoApp::spawn().await;

    // Missing: reported by a member of staff; the return interview falls due 72 hours after
    // the return.
    let went = now() - Duration::hours(8);
    let episode = save(
        &app,
        STAFF,
        "reportMissingEpisode",
        json!({
            "childId": amelia(), "wentMissingAt": went, "reportedAt": went + Duration::hours(1),
            "policeReference": "NP-30001", "riskLevel": "HIGH", "notes": "Not back from school.",
        }),
        "missingEpisode",
    )
    .await;
    assert_eq!(episode["version"], 1);
    assert_eq!(episode["riskLevel"], "HIGH");
    assert!(episode["returnedAt"].is_null());
    assert!(episode["returnInterviewDueBy"].is_null(), "{episode}");
    let update = |version: i64, returned: DateTime<Utc>| json!({ "id": episode["id"], "expectedVersion": version, "returnedAt": returned });
    let body = attempt(
        &app,
        STAFF,
        "updateMissingEpisode",
        update(1, went - Duration::hours(1)),
        "missingEpisode",
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(field(&body), Some("returnedAt"), "{body}");
    let returned = went + Duration::hours(6);
    let back = save(
        &app,
        STAFF,
        "updateMissingEpisode",
        update(1, returned),
        "missingEpisode",
    )
    .await;
    assert_eq!(time(&back["returnedAt"]), returned);
    assert_eq!(
        time(&back["returnInterviewDueBy"]),
        returned + Duration::hours(72)
    );
    // What was left out is unchanged.
    assert_eq!(back["policeReference"], "NP-30001");
    assert_eq!(back["notes"], "Not back from school.");
    assert_eq!(back["version"], 2);
    let body = attempt(
        &app,
        KEY_CARER,
        "updateMissingEpisode",
        update(1, returned),
        "missingEpisode",
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    // The chronology notes the episode, on the day the child went missing.
    let entries = list(
        &app,
        MANAGER,
        &amelia(),
        "chronology",
        "occurredOn title sourceKind",
    )
    .await;
    assert!(
        entries
            .iter()
            .any(|e| e["occurredOn"] == json!(went.date_naive())
                && e["sourceKind"]
                    .as_str()
                    .is_some_and(|k| k.to_lowercase().contains("missing"))),
        "no chronology entry for the episode: {entries:?}"
    );

    // The file audit: every document checked, then signed once.
    let (_, body) = app
        .gql(
            MANAGER,
            "{ __type(name: \"AuditDocument\") { enumValues { name } } }",
            json!({}),
        )
        .await;
    let documents: Vec<String> = body["data"]["__type"]["enumValues"]
        .as_array()
        .unwrap_or_else(|| panic!("AuditDocument: {body}"))
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(documents.len() >= 9, "{documents:?}");
    let items: Vec<Value> = documents
        .iter()
        .map(|d| json!({ "document": d, "present": true, "current": true, "applicable": true }))
        .collect();
    let audit = |week: chrono::NaiveDate| json!({ "childId": amelia(), "weekOf": week, "items": items, "updates": "Chronology and health plan updated." });
    let body = attempt(
        &app,
        KEY_CARER,
        "recordFileAudit",
        audit(monday(-6) + Duration::days(1)),
        "fileAudit",
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "a Tuesday: {body}");
    assert_eq!(field(&body), Some("weekOf"), "{body}");
    let recorded = save(
        &app,
        KEY_CARER,
        "recordFileAudit",
        audit(monday(-6)),
        "fileAudit",
    )
    .await;
    assert_eq!(recorded["weekOf"], json!(monday(-6)));
    let checked: Vec<&str> = recorded["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["present"] == true && i["current"] == true)
        .map(|i| i["document"].as_str().unwrap())
        .collect();
    assert_eq!(checked.len(), documents.len(), "{recorded}");
    assert!(recorded["signedAt"].is_null());
    let sign = json!({ "id": recorded["id"], "expectedVersion": 1 });
    let body = attempt(&app, STAFF, "signFileAudit", sign.clone(), "fileAudit").await;
    assert_eq!(
        code(&body),
        Some("NOT_FOUND"),
        "home staff do not see audits: {body}"
    );
    let signed = save(&app, MANAGER, "signFileAudit", sign, "fileAudit").await;
    assert!(signed["signedAt"].is_string(), "{signed}");
    assert_eq!(signed["signedBy"]["name"], "Helen Marsh");
    assert_eq!(signed["version"], 2);
    let body = attempt(
        &app,
        MANAGER,
        "signFileAudit",
        json!({ "id": recorded["id"], "expectedVersion": 2 }),
        "fileAudit",
    )
    .await;
    assert!(
        matches!(code(&body), Some("RULE" | "CONFLICT")),
        "signing twice: {body}"
    );

    // Clothing: the weekly allowance in, a purchase ordered through the manager out.
    let account = "query($c: ID!) { child(id: $c) { clothingLedger { weeklyAllowancePence balancePence \
         entries(first: 10) { edges { node { kind description amountPence orderedVia { name } } } } } } }";
    let (_, body) = app.gql(KEY_CARER, account, json!({ "c": amelia() })).await;
    let before = &body["data"]["child"]["clothingLedger"];
    assert_eq!(before["weeklyAllowancePence"], 2500, "{body}");
    // The demo: four weeks of allowance and school shoes at £34.99.
    let balance = before["balancePence"].as_i64().unwrap();
    assert_eq!(balance, 4 * 2500 - 3499, "{body}");
    save(
        &app,
        KEY_CARER,
        "recordClothingEntry",
        json!({ "childId": amelia(), "entryOn": today(), "kind": "ALLOWANCE", "description": "Allowance for this week", "amountPence": 2500 }),
        "clothingEntry",
    )
    .await;
    let coat = save(
        &app,
        KEY_CARER,
        "recordClothingEntry",
        json!({ "childId": amelia(), "entryOn": today(), "kind": "PURCHASE", "description": "Winter coat", "amountPence": PURCHASE_PENCE, "orderedViaId": user("manager.oak") }),
        "clothingEntry",
    )
    .await;
    assert_eq!(coat["orderedVia"]["name"], "Helen Marsh");
    assert_eq!(coat["amountPence"], -PURCHASE_PENCE);
    let (_, body) = app.gql(MANAGER, account, json!({ "c": amelia() })).await;
    let after = &body["data"]["child"]["clothingLedger"];
    assert_eq!(
        after["balancePence"].as_i64(),
        Some(balance + 2500 - PURCHASE_PENCE),
        "{body}"
    );
    // Newest first (entries of one day in the order they were made).
    let descriptions: Vec<&str> = after["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["description"].as_str().unwrap())
        .collect();
    let at = |d: &str| {
        descriptions
            .iter()
            .position(|x| *x == d)
            .unwrap_or_else(|| panic!("{d} is not in the ledger: {descriptions:?}"))
    };
    assert!(
        at("Winter coat") < at("Allowance for this week")
            && at("Allowance for this week") < at("School shoes"),
        "newest first: {descriptions:?}"
    );

    // The weekly plan: one per week; changed at its version.
    let week = monday(1);
    let plan = |extra: Value| {
        let mut input = json!({ "childId": amelia(), "weekOf": week, "gettingUp": "7:00 on school days", "returnTimes": "21:00 on weekdays" });
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    let first = save(
        &app,
        KEY_CARER,
        "saveWeeklyPlan",
        plan(json!({})),
        "weeklyPlan",
    )
    .await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["weekOf"], json!(week));
    let body = attempt(
        &app,
        KEY_CARER,
        "saveWeeklyPlan",
        plan(json!({ "gettingUp": "7:30" })),
        "weeklyPlan",
    )
    .await;
    assert!(
        matches!(code(&body), Some("CONFLICT" | "RULE")),
        "a second plan for the week: {body}"
    );
    let changed = save(
        &app,
        MANAGER,
        "saveWeeklyPlan",
        plan(json!({ "expectedVersion": 1, "gettingUp": "7:30 on school days" })),
        "weeklyPlan",
    )
    .await;
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["gettingUp"], "7:30 on school days");
    assert_eq!(changed["id"], first["id"]);
    let body = attempt(
        &app,
        KEY_CARER,
        "saveWeeklyPlan",
        plan(json!({ "expectedVersion": 1, "contactTimes": "Wednesday" })),
        "weeklyPlan",
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");
    let body = attempt(
        &app,
        KEY_CARER,
        "saveWeeklyPlan",
        json!({ "childId": amelia(), "weekOf": week + Duration::days(2), "gettingUp": "7:00" }),
        "weeklyPlan",
    )
    .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "a Wednesday: {body}");
    assert_eq!(field(&body), Some("weekOf"), "{body}");
    // Home staff read the plan.
    let plans = list(&app, STAFF, &amelia(), "weeklyPlans", "weekOf gettingUp").await;
    let seen = plans
        .iter()
        .find(|p| p["weekOf"] == json!(week))
        .unwrap_or_else(|| panic!("{plans:?}"));
    assert_eq!(seen["gettingUp"], "7:30 on school days");
    app.stop().await;
}

/// A purchase's amount as entered: what was spent, a positive number (the ledger shows it
/// as money going out).
const PURCHASE_PENCE: i64 = 4299;

#[tokio::test]
async fn restricted_people_and_another_councils_records_stay_out_of_sight() {
    let app = DemoApp::spawn().await;
    let father = save(
        &app,
        KEY_CARER,
        "addSignificantPerson",
        json!({ "childId": amelia(), "name": "Dan (father)", "relationship": "Father", "notes": "Contact only through the social worker.", "restricted": true }),
        "significantPerson",
    )
    .await;
    assert_eq!(father["restricted"], true);
    let aunt = save(
        &app,
        SW,
        "addSignificantPerson",
        json!({ "childId": amelia(), "name": "Pat (aunt)", "relationship": "Aunt" }),
        "significantPerson",
    )
    .await;
    for (who, sees_father) in [
        (KEY_CARER, true),
        (MANAGER, true),
        (SW, true),
        (STAFF, false),
        (IRO, false),
    ] {
        let people = list(&app, who, &amelia(), "contacts.people", "id name").await;
        let ids: Vec<&Value> = people.iter().map(|p| &p["id"]).collect();
        assert!(ids.contains(&&aunt["id"]), "{who}: {people:?}");
        assert_eq!(
            ids.contains(&&father["id"]),
            sees_father,
            "{who}: {people:?}"
        );
        let (_, body) = app
            .gql(
                who,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": father["id"] }),
            )
            .await;
        if sees_father {
            assert_eq!(body["data"]["node"]["id"], father["id"], "{who}: {body}");
        } else {
            assert_eq!(code(&body), Some("NOT_FOUND"), "{who}: {body}");
        }
    }
    // What hangs on a restricted record is restricted with it: the contact arrangement with
    // the person, and the chronology's note of a restricted missing episode.
    let contact = save(
        &app,
        KEY_CARER,
        "addContactArrangement",
        json!({ "childId": amelia(), "personId": father["id"], "frequency": "Monthly", "method": "Letters", "supervised": true }),
        "contactArrangement",
    )
    .await;
    assert_eq!(contact["restricted"], true, "{contact}");
    let went = now() - Duration::days(2);
    let episode = save(
        &app,
        KEY_CARER,
        "reportMissingEpisode",
        json!({ "childId": amelia(), "wentMissingAt": went, "riskLevel": "HIGH", "restricted": true }),
        "missingEpisode",
    )
    .await;
    for (who, sees) in [(SW, true), (MANAGER, true), (STAFF, false), (IRO, false)] {
        let contacts = list(&app, who, &amelia(), "contacts.arrangements", "id").await;
        assert_eq!(
            contacts.iter().any(|c| c["id"] == contact["id"]),
            sees,
            "{who}: {contacts:?}"
        );
        let episodes = list(&app, who, &amelia(), "missingEpisodes", "id").await;
        assert_eq!(
            episodes.iter().any(|e| e["id"] == episode["id"]),
            sees,
            "{who}: {episodes:?}"
        );
        let entries = list(&app, who, &amelia(), "chronology", "sourceKind occurredOn").await;
        assert_eq!(
            entries.iter().any(|e| e["sourceKind"] == "missing_episode"
                && e["occurredOn"] == json!(went.date_naive())),
            sees,
            "{who}: {entries:?}"
        );
    }

    let change = |version: i64| {
        json!({
            "id": father["id"], "expectedVersion": version, "name": "Dan (father)",
            "relationship": "Father", "notes": "Letters only, read with the key carer.",
        })
    };
    let body = attempt(
        &app,
        STAFF,
        "changeSignificantPerson",
        change(1),
        "significantPerson",
    )
    .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    let changed = save(
        &app,
        SW,
        "changeSignificantPerson",
        change(1),
        "significantPerson",
    )
    .await;
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["notes"], "Letters only, read with the key carer.");
    // Changing the details does not lift the restriction.
    assert_eq!(changed["restricted"], true);
    let body = attempt(
        &app,
        KEY_CARER,
        "changeSignificantPerson",
        change(1),
        "significantPerson",
    )
    .await;
    assert_eq!(code(&body), Some("CONFLICT"), "{body}");

    // Southdale's child and records do not exist for Northshire, and the other way round.
    let ruby = gid("Child", id("southdale", "child", "ruby"));
    let (review, episode) = southdale_records(&app).await;
    let (_, body) = app
        .gql(
            MANAGER,
            "query($c: ID!) { child(id: $c) { legalName } }",
            json!({ "c": ruby }),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    assert!(body["data"]["child"].is_null(), "{body}");
    for (who, name, input, record) in [
        (
            MANAGER,
            "reportMissingEpisode",
            json!({ "childId": ruby, "wentMissingAt": now() - Duration::hours(2), "riskLevel": "LOW" }),
            "missingEpisode",
        ),
        (
            KEY_CARER,
            "saveWeeklyPlan",
            json!({ "childId": ruby, "weekOf": monday(1), "gettingUp": "7:00" }),
            "weeklyPlan",
        ),
        (
            MANAGER,
            "addSignificantPerson",
            json!({ "childId": ruby, "name": "Someone", "relationship": "Friend" }),
            "significantPerson",
        ),
        (
            IRO,
            "recordReviewOutcome",
            json!({ "id": review, "expectedVersion": 1, "heldOn": today(), "outcome": "None." }),
            "statutoryReview",
        ),
        (
            MANAGER,
            "scheduleStatutoryReview",
            json!({ "childId": ruby, "scheduledFor": today() + Duration::days(10), "sequence": "LATER" }),
            "statutoryReview",
        ),
        (
            MANAGER,
            "updateMissingEpisode",
            json!({ "id": episode, "expectedVersion": 1, "returnedAt": now() }),
            "missingEpisode",
        ),
        (
            "manager.harbour@southdale.example",
            "changeSignificantPerson",
            json!({ "id": father["id"], "expectedVersion": 2, "name": "x", "relationship": "x" }),
            "significantPerson",
        ),
    ] {
        let body = attempt(&app, who, name, input, record).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{name} as {who}: {body}");
        assert_eq!(body["errors"][0]["message"], "not found", "{body}");
        assert!(
            body["data"].is_null() || body["data"][name].is_null(),
            "{body}"
        );
    }
    let father_id = father["id"].as_str().unwrap();
    for (who, id) in [
        (MANAGER, review.as_str()),
        (IRO, review.as_str()),
        (MANAGER, episode.as_str()),
        ("sw@southdale.example", father_id),
    ] {
        let (_, body) = app
            .gql(
                who,
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{who} {id}: {body}");
    }
    app.stop().await;
}

/// A statutory review and a missing episode of Southdale, read from its database by the
/// owner (the demo gives Finn, whose records are behind, a missing episode).
async fn southdale_records(app: &DemoApp) -> (String, String) {
    use keycare_entity::{missing_episode, statutory_review};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let tenant = id("southdale", "tenant", "");
    let db = sea_orm::Database::connect(crate::demo_app::database_url(app))
        .await
        .unwrap();
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let review = statutory_review::Entity::find()
        .filter(statutory_review::Column::TenantId.eq(tenant))
        .one(&txn)
        .await
        .unwrap()
        .expect("a Southdale review");
    let episode = missing_episode::Entity::find()
        .filter(missing_episode::Column::TenantId.eq(tenant))
        .one(&txn)
        .await
        .unwrap()
        .expect("a Southdale missing episode");
    (
        gid("StatutoryReview", review.id),
        gid("MissingEpisode", episode.id),
    )
}
