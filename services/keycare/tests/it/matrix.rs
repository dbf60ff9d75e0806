//! The access matrix of ACCESS.md, end to end: for each basis (a demo user who holds it for
//! Amelia) and each record kind, reading and writing through GraphQL with a real token give
//! exactly the matrix's answer, and `Child.viewerCan` says the same. "Allowed" means the
//! authorization module let the request through (for the first kinds it may still meet a
//! business rule such as CONFLICT; the later kinds' writes must save); "denied" means
//! FORBIDDEN on a child the user can see, or NOT_FOUND for a record the user may not read.
//! Each of those reads and writes is also looked up in the access log by its request id: it
//! left the event ACCESS.md asks for, with the basis that allowed it or marked denied.

use crate::demo_app::{DemoApp, code};
use keycare_entity::access_event as ae;
use keycare_entity::enums::AccessAction;
use keycare_seed::demo::id;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

/// The users, one per basis, in ACCESS.md's column order. (Key carers are also home staff:
/// their rights are the union, which for these kinds is the key team's.)
const USERS: [(&str, &str); 5] = [
    ("key_team", "keycarer.oak@northshire.example"),
    ("home_staff", "staff.oak@northshire.example"),
    ("manager", "manager.oak@northshire.example"),
    ("social_worker", "sw@northshire.example"),
    ("iro", "iro@northshire.example"),
];

/// The bases each user of `USERS` holds for Amelia (the seed: her key carer is also staff of
/// Oak House).
const HOLDS: [&[&str]; 5] = [
    &["key_team", "home_staff"],
    &["home_staff"],
    &["manager"],
    &["social_worker"],
    &["iro"],
];

/// ACCESS.md: R read, W write, O write own, "R submitted" read only once submitted (the
/// IRO and the review report), - nothing. Statutory reviews are four kinds: the review, its
/// report, the consultation booklets and the outcome with its action plan.
const MATRIX: &[(&str, [&str; 5])] = &[
    //                 key_team home_staff manager social_worker iro
    ("child_profile", ["RW", "R", "RW", "RW", "R"]),
    ("key_team", ["R", "R", "RW", "R", "R"]),
    ("key_session", ["RW", "RW", "RW", "R", "-"]),
    ("monthly_summary", ["RW", "R", "RW", "R", "R"]),
    ("daily_log", ["RW", "RO", "RW", "R", "-"]),
    ("care_plan", ["RW", "R", "RW", "RW", "R"]),
    ("safe_care_plan", ["RW", "R", "RW", "RW", "R"]),
    ("statutory_review", ["RW", "-", "RW", "R", "R"]),
    ("review_report", ["RW", "-", "RW", "R", "R submitted"]),
    ("consultation_booklet", ["RW", "-", "RW", "R", "R"]),
    ("review_outcome", ["RW", "-", "RW", "R", "RW"]),
    ("health_plan", ["RW", "R", "RW", "R", "R"]),
    ("health_record", ["RW", "RW", "RW", "R", "-"]),
    ("education", ["RW", "R", "RW", "R", "R"]),
    ("family", ["RW", "R", "RW", "RW", "R"]),
    ("missing_episode", ["RW", "RW", "RW", "R", "R"]),
    ("file_audit", ["RW", "-", "RW", "-", "-"]),
    ("clothing", ["RW", "-", "RW", "-", "-"]),
    ("pathway_plan", ["RW", "R", "RW", "RW", "R"]),
    ("weekly_plan", ["RW", "R", "RW", "R", "-"]),
    ("chronology", ["RW", "R", "RW", "R", "R"]),
];

fn gid(kind: &str, key: &str, id_kind: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{kind}:{}", id("northshire", id_kind, key)))
}

fn read_query(kind: &str) -> &'static str {
    match kind {
        "child_profile" => "query($c: ID!) { child(id: $c) { legalName } }",
        "key_team" => "query($c: ID!) { child(id: $c) { keyTeam { edges { cursor } } } }",
        "key_session" => "query($c: ID!) { child(id: $c) { keySessions { edges { cursor } } } }",
        "monthly_summary" => {
            "query($c: ID!) { child(id: $c) { monthlySummaries { edges { cursor } } } }"
        }
        "daily_log" => "query($c: ID!) { child(id: $c) { dailyLogs { edges { cursor } } } }",
        "care_plan" => {
            "query($c: ID!) { child(id: $c) { carePlan { current { versionNumber } } } }"
        }
        "safe_care_plan" => "query($c: ID!) { child(id: $c) { safeCarePlan { id } } }",
        "statutory_review" => {
            "query($c: ID!) { child(id: $c) { reviews { edges { node { scheduledFor } } } } }"
        }
        "review_report" => {
            "query($c: ID!) { child(id: $c) { reviews { edges { node { report { status } } } } } }"
        }
        "consultation_booklet" => {
            "query($c: ID!) { child(id: $c) { reviews { edges { node { consultationBooklets { source } } } } } }"
        }
        "review_outcome" => {
            "query($c: ID!) { child(id: $c) { reviews { edges { node { heldOn outcome actionPlan } } } } }"
        }
        "health_plan" => {
            "query($c: ID!) { child(id: $c) { health { registrations { edges { cursor } } assessments { edges { cursor } } } } }"
        }
        "health_record" => {
            "query($c: ID!) { child(id: $c) { health { appointments { edges { cursor } } measurements { edges { cursor } } medication { edges { cursor } } } } }"
        }
        "education" => {
            "query($c: ID!) { child(id: $c) { education { placements { edges { cursor } } schoolLiaison { edges { cursor } } pepMeetings { edges { cursor } } exclusions { edges { cursor } } } } }"
        }
        "family" => {
            "query($c: ID!) { child(id: $c) { contacts { people { edges { cursor } } arrangements { edges { cursor } } restrictions { edges { cursor } } visits { edges { cursor } } } } }"
        }
        "missing_episode" => {
            "query($c: ID!) { child(id: $c) { missingEpisodes { edges { cursor } } } }"
        }
        "file_audit" => "query($c: ID!) { child(id: $c) { fileAudits { edges { cursor } } } }",
        "clothing" => "query($c: ID!) { child(id: $c) { clothingLedger { balancePence } } }",
        "pathway_plan" => "query($c: ID!) { child(id: $c) { pathwayPlan { id } } }",
        "weekly_plan" => {
            "query($c: ID!) { child(id: $c) { weeklyPlan { weekOf } weeklyPlans { edges { cursor } } } }"
        }
        "chronology" => "query($c: ID!) { child(id: $c) { chronology { edges { cursor } } } }",
        other => panic!("no read for {other}"),
    }
}

/// What a write needs beyond the child: a review of its own for each attempt (a review has one
/// report, and its outcome is written at a version), the pathway plan's current version (a
/// child has one plan), and the attempt's number, which keeps each attempt's week apart.
struct Attempt {
    review: String,
    pathway_plan_version: Option<i64>,
    n: i64,
    /// A file audit's items: every document of the checklist, present and current.
    audit_items: Value,
    /// The child's details and version as they stand (for a correction of the profile).
    child_details: Value,
}

/// The kinds whose writes below must save outright when allowed (the others may meet a
/// business rule, such as one monthly summary per month, on the second allowed attempt).
fn saves_outright(kind: &str) -> bool {
    !matches!(
        kind,
        "key_team"
            | "key_session"
            | "monthly_summary"
            | "daily_log"
            | "care_plan"
            | "safe_care_plan"
    )
}

/// The kinds written on an existing review rather than on the child.
fn on_a_review(kind: &str) -> bool {
    matches!(
        kind,
        "review_report" | "consultation_booklet" | "review_outcome"
    )
}

/// The Monday `weeks` weeks from this one (negative: before).
fn monday(weeks: i64) -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let this = today - chrono::Duration::days(today.weekday().num_days_from_monday().into());
    (this + chrono::Duration::weeks(weeks)).to_string()
}

/// A write of the kind that creates something new (or, for the key team, the manager's
/// change of key carer; for a review's outcome, its recording on a review).
fn write(kind: &str, child: &str, a: &Attempt) -> Option<(&'static str, Value)> {
    let now = chrono::Utc::now();
    let today = now.date_naive().to_string();
    Some(match kind {
        "child_profile" => (
            "mutation($i: ChangeChildDetailsInput!) { changeChildDetails(input: $i) { child { id } } }",
            a.child_details.clone(),
        ),
        "key_team" => (
            "mutation($i: ChangeKeyCarerInput!) { changeKeyCarer(input: $i) { assignment { id } } }",
            json!({"childId": child, "keyCarerId": gid("User", "keycarer.oak", "user"), "reason": "OTHER", "note": "matrix test"}),
        ),
        "key_session" => (
            "mutation($i: PlanKeySessionInput!) { planKeySession(input: $i) { keySession { id } } }",
            json!({"childId": child, "plannedAt": now.to_rfc3339(), "format": "FORMAL", "purposes": ["PROGRESS"]}),
        ),
        "monthly_summary" => (
            "mutation($i: SaveMonthlySummaryDraftInput!) { saveMonthlySummaryDraft(input: $i) { monthlySummary { id } } }",
            json!({"childId": child, "month": now.date_naive().to_string(), "health": "Fine."}),
        ),
        "daily_log" => (
            "mutation($i: WriteDailyLogInput!) { writeDailyLog(input: $i) { dailyLog { id } } }",
            json!({"childId": child, "occurredAt": now.to_rfc3339(), "text": "A log for the matrix test."}),
        ),
        "care_plan" => (
            "mutation($i: RecordCarePlanReviewInput!) { recordCarePlanReview(input: $i) { carePlanReview { id } } }",
            json!({"childId": child, "reviewedOn": now.date_naive().to_string(), "changesMade": false}),
        ),
        "safe_care_plan" => (
            "mutation($i: AddSafeCareRiskInput!) { addSafeCareRisk(input: $i) { safeCareRisk { id } } }",
            json!({"childId": child, "category": "OTHER", "atRisk": ["SELF"], "level": "LOW", "management": "Talk it through."}),
        ),
        "statutory_review" => (
            "mutation($i: ScheduleStatutoryReviewInput!) { scheduleStatutoryReview(input: $i) { statutoryReview { id } } }",
            json!({"childId": child, "scheduledFor": (now.date_naive() + chrono::Duration::days(60)).to_string(), "sequence": "LATER"}),
        ),
        "review_report" => (
            "mutation($i: SaveReviewReportInput!) { saveReviewReport(input: $i) { reviewReport { id } } }",
            json!({"reviewId": a.review, "content": "You have settled well this term."}),
        ),
        "consultation_booklet" => (
            "mutation($i: AddConsultationBookletInput!) { addConsultationBooklet(input: $i) { consultationBooklet { id } } }",
            json!({"reviewId": a.review, "source": "CHILD", "content": "I like my room.", "receivedOn": today}),
        ),
        "review_outcome" => (
            "mutation($i: RecordReviewOutcomeInput!) { recordReviewOutcome(input: $i) { statutoryReview { id } } }",
            json!({"id": a.review, "expectedVersion": 1, "heldOn": today, "outcome": "The plan continues.", "actionPlan": "Extra contact with Nan."}),
        ),
        "health_plan" => (
            "mutation($i: RecordHealthAssessmentInput!) { recordHealthAssessment(input: $i) { healthAssessment { id } } }",
            json!({"childId": child, "assessedOn": today, "summary": "Healthy.", "actionPlan": "Eye test."}),
        ),
        "health_record" => (
            "mutation($i: RecordHealthMeasurementInput!) { recordHealthMeasurement(input: $i) { healthMeasurement { id } } }",
            json!({"childId": child, "measuredOn": today, "heightCm": 160.5, "weightKg": 50.2}),
        ),
        "education" => (
            "mutation($i: RecordSchoolLiaisonInput!) { recordSchoolLiaison(input: $i) { schoolLiaison { id } } }",
            json!({"childId": child, "weekOf": monday(-a.n), "notes": "Working hard in maths."}),
        ),
        "family" => (
            "mutation($i: AddSignificantPersonInput!) { addSignificantPerson(input: $i) { significantPerson { id } } }",
            json!({"childId": child, "name": "Pat (aunt)", "relationship": "Aunt"}),
        ),
        "missing_episode" => (
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) { missingEpisode { id } } }",
            json!({"childId": child, "wentMissingAt": (now - chrono::Duration::hours(3)).to_rfc3339(), "reportedAt": (now - chrono::Duration::hours(2)).to_rfc3339(), "riskLevel": "MEDIUM"}),
        ),
        "file_audit" => (
            "mutation($i: RecordFileAuditInput!) { recordFileAudit(input: $i) { fileAudit { id } } }",
            json!({"childId": child, "weekOf": monday(-10 - a.n), "items": a.audit_items, "updates": "Chronology updated."}),
        ),
        "clothing" => (
            "mutation($i: RecordClothingEntryInput!) { recordClothingEntry(input: $i) { clothingEntry { id } } }",
            json!({"childId": child, "entryOn": today, "kind": "ALLOWANCE", "description": "Weekly allowance", "amountPence": 2500}),
        ),
        "pathway_plan" => (
            "mutation($i: SavePathwayPlanInput!) { savePathwayPlan(input: $i) { pathwayPlan { id } } }",
            json!({"childId": child, "expectedVersion": a.pathway_plan_version, "content": "Getting ready for college."}),
        ),
        "weekly_plan" => (
            "mutation($i: SaveWeeklyPlanInput!) { saveWeeklyPlan(input: $i) { weeklyPlan { id } } }",
            json!({"childId": child, "weekOf": monday(1 + a.n), "gettingUp": "7:15 on school days"}),
        ),
        "chronology" => (
            "mutation($i: AddChronologyEntryInput!) { addChronologyEntry(input: $i) { chronologyEntry { id } } }",
            json!({"childId": child, "occurredOn": today, "title": "Joined the drama club"}),
        ),
        other => panic!("no write for {other}"),
    })
}

/// Allowed (not refused by authorization), or the refusal's code.
fn outcome(body: &Value) -> Result<(), String> {
    match code(body) {
        Some(c @ ("FORBIDDEN" | "NOT_FOUND")) => Err(c.to_owned()),
        Some("INTERNAL") => panic!("internal error: {body}"),
        _ => Ok(()),
    }
}

/// How a denied write answers: FORBIDDEN on a child the user can see, NOT_FOUND when it names
/// a record the user may not read (home staff and a review).
fn denial(kind: &str, column: usize) -> &'static str {
    let reviews = MATRIX
        .iter()
        .find(|(k, _)| *k == "statutory_review")
        .unwrap()
        .1[column];
    if on_a_review(kind) && !reviews.contains('R') {
        "NOT_FOUND"
    } else {
        "FORBIDDEN"
    }
}

/// Whether a cell of `MATRIX` grants the action (a write of one's own counts as a write).
fn grants(cell: &str, action: AccessAction) -> bool {
    match action {
        AccessAction::Read => cell.contains('R'),
        _ => cell.contains('W') || cell.contains('O'),
    }
}

/// The cell of `MATRIX` for a kind and a basis.
fn cell_of(kind: &str, basis: &str) -> &'static str {
    let column = USERS.iter().position(|(b, _)| *b == basis).unwrap();
    MATRIX.iter().find(|(k, _)| *k == kind).unwrap().1[column]
}

/// The access events of one request, in the order they were appended (read as the owner,
/// scoped to the demo council).
async fn events_of(db: &DatabaseConnection, request_id: &str) -> Vec<ae::Model> {
    let tenant = id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(db, tenant)
        .await
        .unwrap();
    let events = ae::Entity::find()
        .filter(ae::Column::TenantId.eq(tenant))
        .filter(ae::Column::RequestId.eq(request_id))
        .order_by_asc(ae::Column::Seq)
        .all(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    events
}

/// One attempt of the matrix as the access log should tell it.
struct Logged<'a> {
    kind: &'a str,
    action: AccessAction,
    /// The column of `USERS` (and `HOLDS`) of the user who tried.
    column: usize,
    allowed: bool,
    child: Uuid,
    user: Uuid,
}

/// The kinds an event of the attempt may name: the matrix kind, or where the code names it
/// otherwise: changing the key team is appointing a key carer (`key_carer_appointment`, the
/// manager's alone); and an attempt on a review the user may not read is refused, and
/// logged, at the review.
fn logged_kinds<'a>(x: &Logged<'a>) -> Vec<&'a str> {
    let basis = USERS[x.column].0;
    let mut kinds = vec![x.kind];
    if (x.kind, x.action) == ("key_team", AccessAction::Write) {
        kinds.push("key_carer_appointment");
    }
    if !x.allowed
        && on_a_review(x.kind)
        && !grants(cell_of("statutory_review", basis), AccessAction::Read)
        && !kinds.contains(&"statutory_review")
    {
        kinds.push("statutory_review");
    }
    kinds
}

/// An event in a few words, for a message.
fn show(e: &ae::Model) -> String {
    let action = keycare_domain::audit::action_word(e.action);
    match (&e.basis, e.allowed) {
        (Some(basis), true) => format!("{} {action} by {basis}", e.record_kind),
        (basis, allowed) => format!(
            "{} {action} allowed={allowed} basis={basis:?}",
            e.record_kind
        ),
    }
}

/// What is wrong with a request's events for one attempt, if anything. Every event is the
/// user's. An allowed attempt left an allowed event of the kind about the child, on a basis
/// the user holds that the matrix lets do it. A denied one left a denied event without a
/// basis, and no allowed one. "Of the kind" is of one of its `logged_kinds`.
fn check(events: &[ae::Model], x: &Logged) -> Option<String> {
    if events.is_empty() {
        return Some("no events at all".into());
    }
    if let Some(e) = events.iter().find(|e| e.user_id != Some(x.user)) {
        return Some(format!("an event of user {:?}: {}", e.user_id, show(e)));
    }
    let kinds = logged_kinds(x);
    let about = |e: &&ae::Model| {
        e.child_id == Some(x.child)
            && e.action == x.action
            && kinds.contains(&e.record_kind.as_str())
    };
    let bases: Vec<&str> = HOLDS[x.column]
        .iter()
        .copied()
        .filter(|b| grants(cell_of(x.kind, b), x.action))
        .collect();
    let action = keycare_domain::audit::action_word(x.action);
    if x.allowed {
        let ok = events
            .iter()
            .filter(about)
            .any(|e| e.allowed && e.basis.as_deref().is_some_and(|b| bases.contains(&b)));
        return (!ok).then(|| format!("no allowed {action} of {kinds:?} by {bases:?}"));
    }
    if let Some(e) = events.iter().filter(about).find(|e| e.allowed) {
        return Some(format!("an allowed event: {}", show(e)));
    }
    let ok = events.iter().filter(about).any(|e| e.basis.is_none());
    (!ok).then(|| format!("no denied {action} of {kinds:?}"))
}

/// Checks the access log of one request of the matrix; what is wrong, with the request's
/// events.
async fn audit(db: &DatabaseConnection, request_id: &str, x: &Logged<'_>) -> Option<String> {
    let events = events_of(db, request_id).await;
    let problem = check(&events, x)?;
    let seen: Vec<String> = events.iter().map(show).collect();
    Some(format!(
        "{} {} {}: the access log has {problem} (request {request_id}: [{}])",
        USERS[x.column].0,
        keycare_domain::audit::action_word(x.action),
        x.kind,
        seen.join(", ")
    ))
}

const SCHEDULE: &str = "mutation($i: ScheduleStatutoryReviewInput!) { scheduleStatutoryReview(input: $i) { statutoryReview { id version } } }";

/// Schedules a review of Amelia as her key carer; its id.
async fn new_review(app: &DemoApp, child: &str) -> String {
    let scheduled_for = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let (_, body) = app
        .gql(
            USERS[0].1,
            SCHEDULE,
            json!({"i": {"childId": child, "scheduledFor": scheduled_for, "sequence": "LATER", "iroId": gid("User", "iro", "user")}}),
        )
        .await;
    body["data"]["scheduleStatutoryReview"]["statutoryReview"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("schedule a review: {body}"))
        .to_owned()
}

/// The documents a file audit checks, as the schema names them.
async fn audit_documents(app: &DemoApp) -> Vec<String> {
    let (_, body) = app
        .gql(
            USERS[2].1,
            "{ __type(name: \"AuditDocument\") { enumValues { name } } }",
            json!({}),
        )
        .await;
    body["data"]["__type"]["enumValues"]
        .as_array()
        .unwrap_or_else(|| panic!("AuditDocument: {body}"))
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

/// `Child.viewerCan` as (kind, read, write).
async fn viewer_can(app: &DemoApp, user: &str, child: &str) -> Vec<(String, bool, bool)> {
    let (_, body) = app
        .gql(
            user,
            "query($c: ID!) { child(id: $c) { viewerCan { kind read write } } }",
            json!({"c": child}),
        )
        .await;
    body["data"]["child"]["viewerCan"]
        .as_array()
        .unwrap_or_else(|| panic!("viewerCan of {user}: {body}"))
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                k["read"] == true,
                k["write"] == true,
            )
        })
        .collect()
}

#[tokio::test]
async fn every_basis_reads_and_writes_exactly_what_the_matrix_says() {
    let app = DemoApp::spawn().await;
    let db = sea_orm::Database::connect(crate::demo_app::database_url(&app))
        .await
        .unwrap();
    let amelia = gid("Child", "amelia", "child");
    let amelia_id = id("northshire", "child", "amelia");
    let audit_items: Value = audit_documents(&app)
        .await
        .into_iter()
        .map(|d| json!({"document": d, "present": true, "current": true, "applicable": true}))
        .collect();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (column, (basis, user)) in USERS.iter().enumerate() {
        let can = viewer_can(&app, user, &amelia).await;
        for (kind, cells) in MATRIX {
            let cell = cells[column];
            let expected = (cell.contains('R'), cell.contains('W') || cell.contains('O'));
            match can.iter().find(|(k, _, _)| k == kind) {
                Some((_, read, write)) if (*read, *write) == expected => {}
                got => wrong.push(format!(
                    "{basis} viewerCan {kind}: ACCESS.md says {cell:?}, got {got:?}"
                )),
            }
            checked += 1;
        }
    }
    for (kind, cells) in MATRIX {
        for (column, ((basis, user), cell)) in USERS.iter().zip(cells).enumerate() {
            let user_id = id("northshire", "user", user.split('@').next().unwrap());
            let request_id = format!("matrix-{basis}-read-{kind}");
            let (_, body) = app
                .gql_with_request_id(user, read_query(kind), json!({"c": amelia}), &request_id)
                .await;
            let may_read = grants(cell, AccessAction::Read);
            match (may_read, outcome(&body)) {
                (true, Ok(())) | (false, Err(_)) => {}
                (_, got) => wrong.push(format!(
                    "{basis} read {kind}: ACCESS.md says {cell:?}, got {got:?} ({body})"
                )),
            }
            let logged = Logged {
                kind,
                action: AccessAction::Read,
                column,
                allowed: may_read,
                child: amelia_id,
                user: user_id,
            };
            wrong.extend(audit(&db, &request_id, &logged).await);
            checked += 2;
            let attempt = Attempt {
                review: if on_a_review(kind) {
                    new_review(&app, &amelia).await
                } else {
                    String::new()
                },
                pathway_plan_version: if *kind == "pathway_plan" {
                    pathway_plan_version(&app, &amelia).await
                } else {
                    None
                },
                n: column as i64,
                audit_items: audit_items.clone(),
                child_details: if *kind == "child_profile" {
                    child_details(&app, &amelia).await
                } else {
                    Value::Null
                },
            };
            let Some((mutation, input)) = write(kind, &amelia, &attempt) else {
                continue;
            };
            let request_id = format!("matrix-{basis}-write-{kind}");
            let (_, body) = app
                .gql_with_request_id(user, mutation, json!({ "i": input }), &request_id)
                .await;
            let may_write = grants(cell, AccessAction::Write);
            match (may_write, outcome(&body)) {
                (true, Ok(())) if !saves_outright(kind) || body["errors"].is_null() => {}
                (false, Err(c)) if c == denial(kind, column) => {}
                (_, got) => wrong.push(format!(
                    "{basis} write {kind}: ACCESS.md says {cell:?}, got {got:?} ({body})"
                )),
            }
            let logged = Logged {
                kind,
                action: AccessAction::Write,
                column,
                allowed: may_write,
                child: amelia_id,
                user: user_id,
            };
            wrong.extend(audit(&db, &request_id, &logged).await);
            checked += 2;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} checks fail:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    app.stop().await;
}

/// A correction of the child's details that changes nothing but the version: the input of
/// `changeChildDetails`, from the details as they stand (read by the manager).
async fn child_details(app: &DemoApp, child: &str) -> Value {
    let (_, body) = app
        .gql(
            USERS[2].1,
            "query($c: ID!) { child(id: $c) { version legalName preferredName dateOfBirth gender ethnicity religion firstLanguage legalStatus lookedAfterSince placingAuthority placingAuthorityRef nhsNumber } }",
            json!({"c": child}),
        )
        .await;
    let mut details = body["data"]["child"].clone();
    let version = details["version"].clone();
    details
        .as_object_mut()
        .unwrap_or_else(|| panic!("the child's details: {body}"))
        .remove("version");
    json!({"id": child, "expectedVersion": version, "child": details})
}

/// The version of Amelia's pathway plan, if she has one (read by her manager).
async fn pathway_plan_version(app: &DemoApp, child: &str) -> Option<i64> {
    let (_, body) = app
        .gql(
            USERS[2].1,
            "query($c: ID!) { child(id: $c) { pathwayPlan { version } } }",
            json!({"c": child}),
        )
        .await;
    body["data"]["child"]["pathwayPlan"]["version"].as_i64()
}

const REVIEWS: &str = "query($c: ID!) { child(id: $c) { reviews(first: 50) { edges { node { id report { id status content childViews submittedAt } } } } } }";

/// The `report` of one review of the child as `user` sees it, and the whole answer.
async fn report_seen_by(app: &DemoApp, user: &str, child: &str, review: &str) -> (Value, Value) {
    let (_, body) = app.gql(user, REVIEWS, json!({"c": child})).await;
    let report = body["data"]["child"]["reviews"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{user}: {body}"))
        .iter()
        .find(|e| e["node"]["id"] == review)
        .unwrap_or_else(|| panic!("{user} does not see the review: {body}"))["node"]["report"]
        .clone();
    (report, body)
}

#[tokio::test]
async fn the_iro_reads_a_review_report_only_once_it_is_submitted() {
    let app = DemoApp::spawn().await;
    let (key_carer, sw, iro) = (USERS[0].1, USERS[3].1, USERS[4].1);
    let amelia = gid("Child", "amelia", "child");
    let review = new_review(&app, &amelia).await;
    let (_, body) = app
        .gql(
            key_carer,
            "mutation($i: SaveReviewReportInput!) { saveReviewReport(input: $i) { reviewReport { id status version } } }",
            json!({"i": {"reviewId": review, "content": "You have settled well.", "childViews": "I want to stay here."}}),
        )
        .await;
    let report = body["data"]["saveReviewReport"]["reviewReport"].clone();
    assert_eq!(report["status"], "CHILD_VIEWS_ADDED", "{body}");

    // A draft: the IRO gets no report and no error; the social worker reads it.
    let (seen, body) = report_seen_by(&app, iro, &amelia, &review).await;
    assert!(seen.is_null() && body["errors"].is_null(), "{body}");
    let (_, body) = app
        .gql(
            iro,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": report["id"]}),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("NOT_FOUND"),
        "the IRO fetches a draft by id: {body}"
    );
    let (seen, body) = report_seen_by(&app, sw, &amelia, &review).await;
    assert_eq!(seen["status"], "CHILD_VIEWS_ADDED", "{body}");
    // The report of Amelia's first review was submitted long ago: the IRO reads it.
    let (_, body) = app.gql(iro, REVIEWS, json!({"c": amelia})).await;
    let submitted = body["data"]["child"]["reviews"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["report"]["status"] == "SUBMITTED")
        .count();
    assert_eq!(submitted, 1, "{body}");

    let (_, body) = app
        .gql(
            key_carer,
            "mutation($i: SubmitReviewReportInput!) { submitReviewReport(input: $i) { reviewReport { status version } } }",
            json!({"i": {"id": report["id"], "expectedVersion": report["version"]}}),
        )
        .await;
    assert_eq!(
        body["data"]["submitReviewReport"]["reviewReport"]["status"], "SUBMITTED",
        "{body}"
    );

    // Submitted: the IRO reads it, in the list and by id.
    let (seen, body) = report_seen_by(&app, iro, &amelia, &review).await;
    assert_eq!(seen["status"], "SUBMITTED", "{body}");
    assert_eq!(seen["content"], "You have settled well.");
    assert_eq!(seen["childViews"], "I want to stay here.");
    assert!(seen["submittedAt"].is_string(), "{body}");
    let (_, body) = app
        .gql(
            iro,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({"id": report["id"]}),
        )
        .await;
    assert_eq!(body["data"]["node"]["id"], report["id"], "{body}");
    app.stop().await;
}

/// Who reads a review's outcome is the policy's `review_outcome` lines, not the review's:
/// with the IRO's line taken out of `policy.csv` (and nothing else changed), the IRO still
/// reads Amelia's reviews but gets FORBIDDEN for their outcomes, `viewerCan` agrees, and the
/// access log has the denial.
#[tokio::test]
async fn the_outcome_of_a_review_is_read_as_the_policy_says_not_as_the_review() {
    let policy = tempfile::tempdir().unwrap();
    let shipped = keycare_authz::POLICY;
    let line = "p, iro, review_outcome, read";
    assert!(shipped.contains(line), "the shipped policy names {line}");
    std::fs::write(policy.path().join("policy.csv"), shipped.replace(line, "")).unwrap();
    std::fs::write(policy.path().join("model.conf"), keycare_authz::MODEL).unwrap();
    let dir = policy.path().to_path_buf();
    let app = DemoApp::spawn_with(|c| c.policy_dir = Some(dir)).await;
    let amelia = gid("Child", "amelia", "child");
    let iro = USERS[4].1;

    let (_, body) = app
        .gql_with_request_id(
            iro,
            read_query("review_outcome"),
            json!({"c": amelia}),
            "outcome-without-the-line",
        )
        .await;
    let reviews = body["data"]["child"]["reviews"]["edges"]
        .as_array()
        .unwrap();
    assert!(
        !reviews.is_empty(),
        "the IRO still reads the reviews: {body}"
    );
    let withheld = |r: &Value| {
        ["heldOn", "outcome", "actionPlan"]
            .iter()
            .all(|f| r["node"][f].is_null())
    };
    assert!(reviews.iter().all(withheld), "outcomes withheld: {body}");
    let errors = body["errors"].as_array().unwrap();
    assert!(
        errors.len() >= 3
            && errors
                .iter()
                .all(|e| e["extensions"]["code"] == "FORBIDDEN"),
        "{body}"
    );
    let can = viewer_can(&app, iro, &amelia).await;
    assert!(
        can.contains(&("review_outcome".into(), false, true)),
        "{can:?}"
    );
    assert!(
        can.contains(&("statutory_review".into(), true, false)),
        "{can:?}"
    );
    let db = sea_orm::Database::connect(crate::demo_app::database_url(&app))
        .await
        .unwrap();
    let events = events_of(&db, "outcome-without-the-line").await;
    assert!(
        events
            .iter()
            .any(|e| e.record_kind == "review_outcome" && !e.allowed),
        "a denied review_outcome read is logged: {:?}",
        events.iter().map(show).collect::<Vec<_>>()
    );
    // The shipped policy: the same query reads the outcomes.
    let shipped = DemoApp::spawn().await;
    let (_, body) = shipped
        .gql(iro, read_query("review_outcome"), json!({"c": amelia}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    shipped.stop().await;
    app.stop().await;
}
