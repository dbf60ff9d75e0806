//! Missing episodes: when the child went missing, was reported and returned, the police
//! reference and the risk level; the return interview (or advocate visit) is due within 72
//! hours of return. Each episode is noted in the chronology.

use crate::care_record::tables;
use crate::chronology;
use crate::error::{DomainError, DomainResult};
use crate::records::not_future;
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, optional_text};
use chrono::{DateTime, Duration, Utc};
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::RiskLevel;
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

/// When the return interview is due: the council's `return_interview` timescale after the
/// return (None while still missing).
pub async fn return_interview_due_by(
    req: &Request,
    m: &e::missing_episode::Model,
) -> DomainResult<Option<DateTime<Utc>>> {
    match m.returned_at {
        Some(back) => Ok(Some(req.timescales().await?.return_interview_due(back))),
        None => Ok(None),
    }
}

/// An episode as first reported.
#[derive(Debug, Clone)]
pub struct ReportInput {
    pub went_missing_at: DateTime<Utc>,
    pub reported_at: Option<DateTime<Utc>>,
    pub police_reference: Option<String>,
    pub risk_level: RiskLevel,
    pub notes: Option<String>,
    pub restricted: bool,
}

/// Records that the child went missing; the chronology notes it.
pub async fn report(
    req: &Request,
    child: Uuid,
    input: ReportInput,
) -> DomainResult<e::missing_episode::Model> {
    let s = req
        .require_create(child, Kind::MissingEpisode, input.restricted)
        .await?;
    let went = not_future(req, "wentMissingAt", input.went_missing_at)?;
    if went < req.now - Duration::days(3_660) {
        return Err(DomainError::bad_input(
            "wentMissingAt",
            "is more than ten years ago",
        ));
    }
    // A child goes missing from one of the council's homes: not before birth or admission.
    let dates = req.child_dates(child).await?;
    if went.date_naive() < dates.date_of_birth {
        return Err(DomainError::bad_input(
            "wentMissingAt",
            format!("is before the child was born ({})", dates.date_of_birth),
        ));
    }
    if let Some(admitted) = dates.first_admission
        && went.date_naive() < admitted
    {
        return Err(DomainError::bad_input(
            "wentMissingAt",
            format!("is before the child was first admitted to a home ({admitted})"),
        ));
    }
    let reported_at = match input.reported_at {
        Some(at) => Some(after(req, "reportedAt", at, went)?),
        None => None,
    };
    let police_reference = optional_text(
        "policeReference",
        input.police_reference.as_deref(),
        MAX_SHORT,
    )?;
    let notes = optional_text("notes", input.notes.as_deref(), MAX_TEXT)?;
    let txn = req.change().await?;
    let saved = e::missing_episode::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        went_missing_at: Set(went),
        reported_at: Set(reported_at),
        returned_at: Set(None),
        police_reference: Set(police_reference),
        risk_level: Set(input.risk_level),
        return_interview_at: Set(None),
        advocate_visit_at: Set(None),
        notes: Set(notes),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    }
    .insert(&txn)
    .await?;
    chronology::derive(
        &txn,
        &s,
        went.date_naive(),
        "Went missing from the home".to_owned(),
        (Kind::MissingEpisode, saved.id),
        input.restricted,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A time that is not in the future and not before `earliest`, naming the field.
fn after(
    req: &Request,
    field: &str,
    at: DateTime<Utc>,
    earliest: DateTime<Utc>,
) -> DomainResult<DateTime<Utc>> {
    let at = not_future(req, field, at)?;
    if at < earliest {
        return Err(DomainError::bad_input(
            field,
            "is before the child went missing",
        ));
    }
    Ok(at)
}

/// What changes in an episode: each field given replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct UpdateInput {
    pub reported_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
    pub police_reference: Option<String>,
    pub risk_level: Option<RiskLevel>,
    pub return_interview_at: Option<DateTime<Utc>>,
    pub advocate_visit_at: Option<DateTime<Utc>>,
    pub notes: Option<String>,
}

/// Updates an episode (report, return, return interview); the earlier version is kept.
pub async fn update(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: UpdateInput,
) -> DomainResult<e::missing_episode::Model> {
    let table = tables::missing_episodes();
    let old = req
        .record_for_change(&table, Kind::MissingEpisode, id, Some(expected_version))
        .await?;
    let went = old.went_missing_at;
    let reported_at = match input.reported_at {
        Some(at) => Some(after(req, "reportedAt", at, went)?),
        None => old.reported_at,
    };
    let returned_at = match input.returned_at {
        Some(at) => Some(after(req, "returnedAt", at, went)?),
        None => old.returned_at,
    };
    let since_return = |field: &str, at: Option<DateTime<Utc>>, old: Option<DateTime<Utc>>| {
        let Some(at) = at else { return Ok(old) };
        let Some(back) = returned_at else {
            return Err(DomainError::bad_input(
                field,
                "the child has not returned yet: record the return first",
            ));
        };
        let at = not_future(req, field, at)?;
        if at < back {
            return Err(DomainError::bad_input(
                field,
                "is before the child returned",
            ));
        }
        Ok(Some(at))
    };
    let return_interview_at = since_return(
        "returnInterviewAt",
        input.return_interview_at,
        old.return_interview_at,
    )?;
    let advocate_visit_at = since_return(
        "advocateVisitAt",
        input.advocate_visit_at,
        old.advocate_visit_at,
    )?;
    let police_reference = match input.police_reference.as_deref() {
        Some(r) => optional_text("policeReference", Some(r), MAX_SHORT)?,
        None => old.police_reference.clone(),
    };
    let notes = match input.notes.as_deref() {
        Some(n) => optional_text("notes", Some(n), MAX_TEXT)?,
        None => old.notes.clone(),
    };
    let active = e::missing_episode::ActiveModel {
        reported_at: Set(reported_at),
        returned_at: Set(returned_at),
        police_reference: Set(police_reference),
        risk_level: Set(input.risk_level.unwrap_or(old.risk_level)),
        return_interview_at: Set(return_interview_at),
        advocate_visit_at: Set(advocate_visit_at),
        notes: Set(notes),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}
