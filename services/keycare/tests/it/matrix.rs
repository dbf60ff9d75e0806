//! The access matrix of ACCESS.md, end to end: for each basis (a demo user who holds it for
//! Amelia) and each record kind the API serves so far, reading and writing through GraphQL
//! with a real token give exactly the matrix's answer. "Allowed" means the authorization
//! module let the request through (it may still meet a business rule such as CONFLICT);
//! "denied" means FORBIDDEN on a child the user can see.

use crate::demo_app::{DemoApp, code};
use keycare_seed::demo::id;
use serde_json::{Value, json};

/// The users, one per basis, in ACCESS.md's column order. (Key carers are also home staff:
/// their rights are the union, which for these kinds is the key team's.)
const USERS: [(&str, &str); 5] = [
    ("key_team", "keycarer.oak@northshire.example"),
    ("home_staff", "staff.oak@northshire.example"),
    ("manager", "manager.oak@northshire.example"),
    ("social_worker", "sw@northshire.example"),
    ("iro", "iro@northshire.example"),
];

/// ACCESS.md, for the kinds served so far: R read, W write, O write own, - nothing.
const MATRIX: &[(&str, [&str; 5])] = &[
    //                 key_team home_staff manager social_worker iro
    ("child_profile", ["R", "R", "R", "R", "R"]),
    ("key_team", ["R", "R", "RW", "R", "R"]),
    ("key_session", ["RW", "RW", "RW", "R", "-"]),
    ("monthly_summary", ["RW", "R", "RW", "R", "R"]),
    ("daily_log", ["RW", "RO", "RW", "R", "-"]),
    ("care_plan", ["RW", "R", "RW", "RW", "R"]),
    ("safe_care_plan", ["RW", "R", "RW", "RW", "R"]),
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
        other => panic!("no read for {other}"),
    }
}

/// A write of the kind that creates something new (or, for the key team, the manager's
/// change of key carer).
fn write(kind: &str, child: &str) -> Option<(&'static str, Value)> {
    let now = chrono::Utc::now();
    Some(match kind {
        "child_profile" => return None,
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

#[tokio::test]
async fn every_basis_reads_and_writes_exactly_what_the_matrix_says() {
    let app = DemoApp::spawn().await;
    let amelia = gid("Child", "amelia", "child");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (kind, cells) in MATRIX {
        for ((basis, user), cell) in USERS.iter().zip(cells) {
            let (_, body) = app.gql(user, read_query(kind), json!({"c": amelia})).await;
            let may_read = cell.contains('R');
            match (may_read, outcome(&body)) {
                (true, Ok(())) | (false, Err(_)) => {}
                (_, got) => wrong.push(format!(
                    "{basis} read {kind}: ACCESS.md says {cell:?}, got {got:?} ({body})"
                )),
            }
            if let Some((mutation, input)) = write(kind, &amelia) {
                let (_, body) = app.gql(user, mutation, json!({ "i": input })).await;
                let may_write = cell.contains('W') || cell.contains('O');
                match (may_write, outcome(&body)) {
                    (true, Ok(())) => {}
                    (false, Err(c)) if c == "FORBIDDEN" => {}
                    (_, got) => wrong.push(format!(
                        "{basis} write {kind}: ACCESS.md says {cell:?}, got {got:?} ({body})"
                    )),
                }
                checked += 1;
            }
            checked += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    app.stop().await;
}
