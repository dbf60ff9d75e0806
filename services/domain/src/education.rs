//! Education: the school, college or work placement and its transport; weekly liaison with
//! the school; PEP meetings; exclusions (which the chronology notes).

use crate::care_record::tables;
use crate::chronology;
use crate::error::{DomainError, DomainResult};
use crate::records::plausible_date;
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, optional_text, required_text};
use chrono::{Datelike, NaiveDate, Weekday};
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::{EducationKind, ExclusionKind};
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

/// A school, college or work placement to add.
#[derive(Debug, Clone)]
pub struct PlacementInput {
    pub kind: EducationKind,
    pub provider_name: String,
    pub transport: Option<String>,
    pub start_date: NaiveDate,
    pub restricted: bool,
}

/// Adds the child's school, college or work placement.
pub async fn add_placement(
    req: &Request,
    child: Uuid,
    input: PlacementInput,
) -> DomainResult<e::education_placement::Model> {
    let s = req
        .require_create(child, Kind::Education, input.restricted)
        .await?;
    let provider_name = required_text("providerName", &input.provider_name, MAX_SHORT)?;
    let transport = optional_text("transport", input.transport.as_deref(), MAX_TEXT)?;
    let start_date = plausible_date(req, "startDate", input.start_date, 7_300, 366)?;
    req.insert(e::education_placement::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        kind: Set(input.kind),
        provider_name: Set(provider_name),
        transport: Set(transport),
        start_date: Set(start_date),
        end_date: Set(None),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Ends a placement (not before it started).
pub async fn end_placement(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    end_date: NaiveDate,
) -> DomainResult<e::education_placement::Model> {
    let table = tables::education_placements();
    let old = req
        .record_for_change(&table, Kind::Education, id, Some(expected_version))
        .await?;
    if old.end_date.is_some() {
        return Err(DomainError::Conflict(
            "the placement has already ended".into(),
        ));
    }
    if end_date < old.start_date {
        return Err(DomainError::bad_input(
            "endDate",
            "is before the placement started",
        ));
    }
    let end_date = plausible_date(req, "endDate", end_date, 7_300, 366)?;
    let active = e::education_placement::ActiveModel {
        end_date: Set(Some(end_date)),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// The Monday of a week, or BAD_USER_INPUT naming the field.
pub fn monday(field: &str, date: NaiveDate) -> DomainResult<NaiveDate> {
    if date.weekday() != Weekday::Mon {
        return Err(DomainError::bad_input(
            field,
            format!(
                "must be the Monday the week starts on ({} is a {})",
                date,
                date.weekday()
            ),
        ));
    }
    Ok(date)
}

/// Records the week's liaison with the school.
pub async fn record_liaison(
    req: &Request,
    child: Uuid,
    week_of: NaiveDate,
    notes: &str,
    restricted: bool,
) -> DomainResult<e::school_liaison::Model> {
    let s = req
        .require_create(child, Kind::Education, restricted)
        .await?;
    let week_of = plausible_date(req, "weekOf", monday("weekOf", week_of)?, 366, 0)?;
    let notes = required_text("notes", notes, MAX_TEXT)?;
    req.insert(e::school_liaison::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        week_of: Set(week_of),
        notes: Set(notes),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Records a PEP (Personal Education Plan) meeting.
pub async fn record_pep(
    req: &Request,
    child: Uuid,
    held_on: NaiveDate,
    attended: bool,
    minutes: Option<&str>,
    restricted: bool,
) -> DomainResult<e::pep_meeting::Model> {
    let s = req
        .require_create(child, Kind::Education, restricted)
        .await?;
    let held_on = plausible_date(req, "heldOn", held_on, 3_660, 0)?;
    let minutes = optional_text("minutes", minutes, MAX_TEXT)?;
    req.insert(e::pep_meeting::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        held_on: Set(held_on),
        attended: Set(attended),
        minutes: Set(minutes),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// An exclusion as recorded.
#[derive(Debug, Clone)]
pub struct ExclusionInput {
    pub start_date: NaiveDate,
    pub days: i32,
    pub kind: ExclusionKind,
    pub reason: Option<String>,
    pub restricted: bool,
}

/// Records an exclusion; the chronology notes it.
pub async fn record_exclusion(
    req: &Request,
    child: Uuid,
    input: ExclusionInput,
) -> DomainResult<e::exclusion::Model> {
    let s = req
        .require_create(child, Kind::Education, input.restricted)
        .await?;
    let start_date = plausible_date(req, "startDate", input.start_date, 3_660, 366)?;
    if !(0..=365).contains(&input.days)
        || (input.kind == ExclusionKind::Suspension && input.days == 0)
    {
        return Err(DomainError::bad_input(
            "days",
            "must be between 1 and 365 for a suspension (0 to 365 for a permanent exclusion)",
        ));
    }
    let reason = optional_text("reason", input.reason.as_deref(), MAX_TEXT)?;
    let txn = req.change().await?;
    let saved = e::exclusion::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        start_date: Set(start_date),
        days: Set(input.days),
        kind: Set(input.kind),
        reason: Set(reason),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    }
    .insert(&txn)
    .await?;
    let title = match input.kind {
        ExclusionKind::Suspension => format!("Suspended from school for {} days", input.days),
        ExclusionKind::Permanent => "Permanently excluded from school".to_owned(),
    };
    chronology::derive(
        &txn,
        &s,
        start_date,
        title,
        (Kind::Education, saved.id),
        input.restricted,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}
