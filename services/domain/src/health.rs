//! Health: GP, dentist and optician registrations and the health assessment with its action
//! plan (the health plan); appointments and their outcomes, height and weight, and medication
//! given (health records, which home staff also keep).

use crate::care_record::tables;
use crate::error::{DomainError, DomainResult};
use crate::records::{colleague, not_future, plausible_date};
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, optional_text, required_text};
use chrono::{DateTime, NaiveDate, Utc};
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::HealthRegistrationKind;
use sea_orm::Set;
use uuid::Uuid;

/// Records a registration with a GP, dentist or optician.
pub async fn register(
    req: &Request,
    child: Uuid,
    kind: HealthRegistrationKind,
    provider_name: &str,
    registered_on: NaiveDate,
    restricted: bool,
) -> DomainResult<e::health_registration::Model> {
    let s = req
        .require_create(child, Kind::HealthPlan, restricted)
        .await?;
    let provider_name = required_text("providerName", provider_name, MAX_SHORT)?;
    let registered_on = plausible_date(req, "registeredOn", registered_on, 36_500, 0)?;
    req.insert(e::health_registration::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        kind: Set(kind),
        provider_name: Set(provider_name),
        registered_on: Set(registered_on),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Records a health assessment with its action plan.
pub async fn assess(
    req: &Request,
    child: Uuid,
    assessed_on: NaiveDate,
    summary: Option<&str>,
    action_plan: Option<&str>,
    restricted: bool,
) -> DomainResult<e::health_assessment::Model> {
    let s = req
        .require_create(child, Kind::HealthPlan, restricted)
        .await?;
    let assessed_on = plausible_date(req, "assessedOn", assessed_on, 3_660, 0)?;
    let summary = optional_text("summary", summary, MAX_TEXT)?;
    let action_plan = optional_text("actionPlan", action_plan, MAX_TEXT)?;
    if summary.is_none() && action_plan.is_none() {
        return Err(DomainError::bad_input(
            "summary",
            "give the assessment's summary or its action plan",
        ));
    }
    req.insert(e::health_assessment::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        assessed_on: Set(assessed_on),
        summary: Set(summary),
        action_plan: Set(action_plan),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Changes an assessment's summary and action plan (omitted: unchanged); the earlier
/// version is kept.
pub async fn change_assessment(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    summary: Option<&str>,
    action_plan: Option<&str>,
) -> DomainResult<e::health_assessment::Model> {
    let table = tables::health_assessments();
    let old = req
        .record_for_change(&table, Kind::HealthPlan, id, Some(expected_version))
        .await?;
    let summary = match summary {
        Some(t) => optional_text("summary", Some(t), MAX_TEXT)?,
        None => old.summary.clone(),
    };
    let action_plan = match action_plan {
        Some(t) => optional_text("actionPlan", Some(t), MAX_TEXT)?,
        None => old.action_plan.clone(),
    };
    let active = e::health_assessment::ActiveModel {
        summary: Set(summary),
        action_plan: Set(action_plan),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// Books an appointment (dentist, optician, clinic, ...).
pub async fn book_appointment(
    req: &Request,
    child: Uuid,
    kind: &str,
    scheduled_at: DateTime<Utc>,
    restricted: bool,
) -> DomainResult<e::health_appointment::Model> {
    let s = req
        .require_create(child, Kind::HealthRecord, restricted)
        .await?;
    let kind = required_text("kind", kind, MAX_SHORT)?;
    plausible_date(req, "scheduledAt", scheduled_at.date_naive(), 3_660, 731)?;
    req.insert(e::health_appointment::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        kind: Set(kind),
        scheduled_at: Set(scheduled_at),
        attended: Set(None),
        outcome: Set(None),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Records whether the child attended an appointment, and its outcome.
pub async fn record_outcome(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    attended: bool,
    outcome: Option<&str>,
) -> DomainResult<e::health_appointment::Model> {
    let table = tables::health_appointments();
    let old = req
        .record_for_change(&table, Kind::HealthRecord, id, Some(expected_version))
        .await?;
    if old.scheduled_at > req.now + chrono::Duration::minutes(5) {
        return Err(DomainError::Conflict(
            "the appointment has not happened yet: record its outcome afterwards".into(),
        ));
    }
    let active = e::health_appointment::ActiveModel {
        attended: Set(Some(attended)),
        outcome: Set(optional_text("outcome", outcome, MAX_TEXT)?),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// Records height and/or weight.
pub async fn measure(
    req: &Request,
    child: Uuid,
    measured_on: NaiveDate,
    height_cm: Option<f64>,
    weight_kg: Option<f64>,
    restricted: bool,
) -> DomainResult<e::health_measurement::Model> {
    let s = req
        .require_create(child, Kind::HealthRecord, restricted)
        .await?;
    let measured_on = plausible_date(req, "measuredOn", measured_on, 3_660, 0)?;
    if height_cm.is_none() && weight_kg.is_none() {
        return Err(DomainError::bad_input(
            "heightCm",
            "give a height, a weight or both",
        ));
    }
    if let Some(h) = height_cm
        && !(30.0..=250.0).contains(&h)
    {
        return Err(DomainError::bad_input(
            "heightCm",
            "must be between 30 and 250 centimetres",
        ));
    }
    if let Some(w) = weight_kg
        && !(1.0..=300.0).contains(&w)
    {
        return Err(DomainError::bad_input(
            "weightKg",
            "must be between 1 and 300 kilograms",
        ));
    }
    req.insert(e::health_measurement::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        measured_on: Set(measured_on),
        height_cm: Set(height_cm),
        weight_kg: Set(weight_kg),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Medication given, as entered.
#[derive(Debug, Clone)]
pub struct MedicationInput {
    pub given_at: DateTime<Utc>,
    pub medication: String,
    pub dose: String,
    /// Who gave it; the caller when omitted.
    pub given_by: Option<Uuid>,
    pub restricted: bool,
}

/// Records medication given.
pub async fn give_medication(
    req: &Request,
    child: Uuid,
    input: MedicationInput,
) -> DomainResult<e::medication_record::Model> {
    let s = req
        .require_create(child, Kind::HealthRecord, input.restricted)
        .await?;
    let given_at = not_future(req, "givenAt", input.given_at)?;
    let medication = required_text("medication", &input.medication, MAX_SHORT)?;
    let dose = required_text("dose", &input.dose, MAX_SHORT)?;
    let given_by = match input.given_by {
        Some(id) => colleague(req, id, "givenById").await?,
        None => s.author,
    };
    req.insert(e::medication_record::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        given_at: Set(given_at),
        medication: Set(medication),
        dose: Set(dose),
        given_by_id: Set(given_by),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}
