//! Tenant isolation: users of one council against ids of every kind from the other council,
//! through `node` and every root field that takes an id: always NOT_FOUND, never data, never
//! a different error shape.

use crate::demo_app::DemoApp;
use keycare_seed::demo::id;
use serde_json::{Value, json};

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

/// Ids of every kind of one council, read from its database by the owner.
async fn ids_of(app: &DemoApp, slug: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let tenant = id(slug, "tenant", "");
    let db = sea_orm::Database::connect(crate::demo_app::database_url(app))
        .await
        .unwrap();
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let mut out = Vec::new();
    macro_rules! take {
        ($kind:literal, $m:ident) => {
            // The owner's connection: on PostgreSQL the tenant setting scopes it; on
            // SQLite only this filter does.
            for m in keycare_entity::$m::Entity::find()
                .filter(keycare_entity::$m::Column::TenantId.eq(tenant))
                .limit(3)
                .all(&txn)
                .await
                .unwrap()
            {
                out.push(gid($kind, m.id));
            }
        };
    }
    take!("Child", child);
    take!("Home", home);
    take!("KeySession", key_session);
    take!("MonthlySummary", monthly_summary);
    take!("DailyLog", daily_log);
    take!("CarePlanVersion", care_plan);
    take!("CarePlanReview", care_plan_review);
    take!("SafeCareRisk", safe_care_risk);
    take!("SafeCareReview", safe_care_review);
    take!("StatutoryReview", statutory_review);
    take!("ReviewReport", review_report);
    take!("ConsultationBooklet", consultation_booklet);
    take!("HealthRegistration", health_registration);
    take!("HealthAssessment", health_assessment);
    take!("HealthAppointment", health_appointment);
    take!("HealthMeasurement", health_measurement);
    take!("MedicationRecord", medication_record);
    take!("EducationPlacement", education_placement);
    take!("SchoolLiaison", school_liaison);
    take!("PepMeeting", pep_meeting);
    take!("Exclusion", exclusion);
    take!("SignificantPerson", significant_person);
    take!("ContactArrangement", contact_arrangement);
    take!("ContactRestriction", contact_restriction);
    take!("ContactVisit", contact_visit);
    take!("MissingEpisode", missing_episode);
    take!("FileAudit", file_audit);
    take!("ClothingEntry", clothing_entry);
    take!("PathwayPlan", pathway_plan);
    take!("WeeklyPlan", weekly_plan);
    take!("ChronologyEntry", chronology_entry);
    out
}

fn shape(body: &Value) -> (Value, Value, Value) {
    (
        body["data"].clone(),
        body["errors"][0]["extensions"]["code"].clone(),
        body["errors"][0]["message"].clone(),
    )
}

#[tokio::test]
async fn ids_of_the_other_council_are_never_found_through_any_root_field() {
    let app = DemoApp::spawn().await;
    let queries = [
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { child(id: $id) { legalName } }",
        "query($id: ID!) { home(id: $id) { name } }",
        "query($id: ID!) { subjectAccessExport(childId: $id) }",
    ];
    for (users, other) in [
        (
            [
                "manager.harbour@southdale.example",
                "sw@southdale.example",
                "dpo@southdale.example",
            ],
            "northshire",
        ),
        (
            [
                "manager.oak@northshire.example",
                "sw@northshire.example",
                "dpo@northshire.example",
            ],
            "southdale",
        ),
    ] {
        let ids = ids_of(&app, other).await;
        assert!(ids.len() >= 20, "ids of every kind: {}", ids.len());
        for user in users {
            for id in &ids {
                for q in queries {
                    let kind_matches =
                        !(q.contains("child(") || q.contains("childId")) || id_kind(id) == "Child";
                    let kind_matches =
                        kind_matches && (!q.contains("home(") || id_kind(id) == "Home");
                    if !kind_matches {
                        continue;
                    }
                    let (_, body) = app.gql(user, q, json!({"id": id})).await;
                    let (data, code, message) = shape(&body);
                    assert!(
                        data.is_null()
                            || data
                                .as_object()
                                .is_some_and(|o| o.values().all(Value::is_null)),
                        "{user} {q} {id}: data leaked: {body}"
                    );
                    let refused_by_role =
                        q.contains("subjectAccessExport") && !user.starts_with("dpo");
                    if refused_by_role {
                        assert_eq!(code, "FORBIDDEN", "{user}: {body}");
                    } else {
                        assert_eq!(
                            (code, message),
                            (json!("NOT_FOUND"), json!("not found")),
                            "{user} {q} {id}: {body}"
                        );
                    }
                }
            }
        }
    }
    app.stop().await;
}

fn id_kind(id: &str) -> String {
    use base64::Engine;
    let text = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .unwrap(),
    )
    .unwrap();
    text.split(':').next().unwrap().to_owned()
}

/// A mutation that acts on an existing record of this id kind, with its input.
fn mutation_on(kind: &str, id: &str) -> Option<(&'static str, Value)> {
    let today = chrono::Utc::now().date_naive().to_string();
    let now = chrono::Utc::now().to_rfc3339();
    Some(match kind {
        "Child" => (
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) { missingEpisode { id } } }",
            json!({"childId": id, "wentMissingAt": now, "riskLevel": "LOW"}),
        ),
        "StatutoryReview" => (
            "mutation($i: RecordReviewOutcomeInput!) { recordReviewOutcome(input: $i) { statutoryReview { id } } }",
            json!({"id": id, "expectedVersion": 1, "heldOn": today, "outcome": "Placement continues."}),
        ),
        "ReviewReport" => (
            "mutation($i: SubmitReviewReportInput!) { submitReviewReport(input: $i) { reviewReport { id } } }",
            json!({"id": id, "expectedVersion": 1}),
        ),
        "HealthAssessment" => (
            "mutation($i: ChangeHealthAssessmentInput!) { changeHealthAssessment(input: $i) { healthAssessment { id } } }",
            json!({"id": id, "expectedVersion": 1, "summary": "Well."}),
        ),
        "HealthAppointment" => (
            "mutation($i: RecordHealthAppointmentOutcomeInput!) { recordHealthAppointmentOutcome(input: $i) { healthAppointment { id } } }",
            json!({"id": id, "expectedVersion": 1, "attended": true}),
        ),
        "EducationPlacement" => (
            "mutation($i: EndEducationPlacementInput!) { endEducationPlacement(input: $i) { educationPlacement { id } } }",
            json!({"id": id, "expectedVersion": 1, "endDate": today}),
        ),
        "SignificantPerson" => (
            "mutation($i: ChangeSignificantPersonInput!) { changeSignificantPerson(input: $i) { significantPerson { id } } }",
            json!({"id": id, "expectedVersion": 1, "name": "X", "relationship": "Aunt"}),
        ),
        "ContactRestriction" => (
            "mutation($i: RecordContactRestrictionNotifiedInput!) { recordContactRestrictionNotified(input: $i) { contactRestriction { id } } }",
            json!({"id": id, "expectedVersion": 1, "notifiedAt": now}),
        ),
        "MissingEpisode" => (
            "mutation($i: UpdateMissingEpisodeInput!) { updateMissingEpisode(input: $i) { missingEpisode { id } } }",
            json!({"id": id, "expectedVersion": 1, "notes": "Back."}),
        ),
        "FileAudit" => (
            "mutation($i: SignFileAuditInput!) { signFileAudit(input: $i) { fileAudit { id } } }",
            json!({"id": id, "expectedVersion": 1}),
        ),
        "ChronologyEntry" => (
            "mutation($i: CorrectChronologyEntryInput!) { correctChronologyEntry(input: $i) { chronologyEntry { id } } }",
            json!({"id": id, "expectedVersion": 1, "occurredOn": today, "title": "X"}),
        ),
        _ => return None,
    })
}

#[tokio::test]
async fn changes_to_the_other_councils_records_are_never_found() {
    let app = DemoApp::spawn().await;
    let ids = ids_of(&app, "southdale").await;
    let mut tried = 0;
    for user in [
        "keycarer.oak@northshire.example",
        "manager.oak@northshire.example",
        "sw@northshire.example",
        "iro@northshire.example",
    ] {
        for id in &ids {
            let Some((mutation, input)) = mutation_on(&id_kind(id), id) else {
                continue;
            };
            let (_, body) = app.gql(user, mutation, json!({ "i": input })).await;
            let (data, code, message) = shape(&body);
            assert!(data.is_null(), "{user} {mutation}: data leaked: {body}");
            assert_eq!(
                (code, message),
                (json!("NOT_FOUND"), json!("not found")),
                "{user} {mutation} {id}: {body}"
            );
            tried += 1;
        }
    }
    assert!(tried >= 40, "mutations tried: {tried}");
    app.stop().await;
}
