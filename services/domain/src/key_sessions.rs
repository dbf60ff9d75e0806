//! Key sessions: planned, then held (any staff member of the home may hold one), cancelled
//! or declined by the child. The first session after admission records the settling-in
//! checklist.

use crate::care_record::tables;
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, keep_revision, optional_text, update_versioned};
use chrono::{DateTime, Duration, Utc};
use keycare_authz::{Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::{SessionFormat, SessionPurpose, SessionStatus};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

/// A session to plan.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub planned_at: DateTime<Utc>,
    pub venue: Option<String>,
    pub format: SessionFormat,
    pub purposes: Vec<SessionPurpose>,
    pub purpose_other: Option<String>,
}

/// What happened in a held session.
#[derive(Debug, Clone, Default)]
pub struct HeldInput {
    pub held_at: Option<DateTime<Utc>>,
    /// Who held it; the caller when omitted.
    pub held_by: Option<Uuid>,
    pub notes: Option<String>,
    pub child_views: Option<String>,
    pub actions: Option<String>,
    pub agencies_to_alert: Option<String>,
    /// The settling-in checklist (required on the first session after admission).
    pub settling_in: Option<serde_json::Value>,
}

fn purposes(
    list: &[SessionPurpose],
    other: Option<&str>,
) -> DomainResult<(serde_json::Value, Option<String>)> {
    if list.is_empty() {
        return Err(DomainError::bad_input(
            "purposes",
            "give at least one purpose",
        ));
    }
    let other = optional_text("purposeOther", other, MAX_SHORT)?;
    if list.contains(&SessionPurpose::Other) && other.is_none() {
        return Err(DomainError::bad_input(
            "purposeOther",
            "describe the purpose when it is OTHER",
        ));
    }
    let mut words: Vec<String> = list.iter().map(|p| p.to_value()).collect();
    words.dedup();
    Ok((serde_json::json!(words), other))
}

/// Plans a session.
pub async fn plan(
    req: &Request,
    child: Uuid,
    input: PlanInput,
) -> DomainResult<e::key_session::Model> {
    req.require_write(
        child,
        Kind::KeySession,
        None,
        RecordFacts {
            own: true,
            ..Default::default()
        },
    )
    .await?;
    if input.planned_at > req.now + Duration::days(366) {
        return Err(DomainError::bad_input(
            "plannedAt",
            "is more than a year ahead",
        ));
    }
    let (purposes, purpose_other) = purposes(&input.purposes, input.purpose_other.as_deref())?;
    let txn = req.change().await?;
    let saved = e::key_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        planned_at: Set(input.planned_at),
        venue: Set(optional_text("venue", input.venue.as_deref(), MAX_SHORT)?),
        format: Set(input.format),
        purposes: Set(purposes),
        purpose_other: Set(purpose_other),
        status: Set(SessionStatus::Planned),
        author_id: Set(req.identity.user_id),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A session of the caller's council they may read, to act on; NOT_FOUND otherwise (a
/// session of this council they may not read is noted as a denied attempt).
async fn load(req: &Request, id: Uuid) -> DomainResult<e::key_session::Model> {
    req.readable_record(&tables::key_sessions(), id).await
}

/// The home of the child's open placement and its admission date.
async fn open_placement(req: &Request, child: Uuid) -> DomainResult<e::placement::Model> {
    let today = req.now.date_naive();
    e::placement::Entity::find()
        .filter(e::placement::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::placement::Column::ChildId.eq(child))
        .filter(
            Condition::any()
                .add(e::placement::Column::EndDate.is_null())
                .add(e::placement::Column::EndDate.gt(today)),
        )
        .one(&req.txn)
        .await?
        .ok_or_else(|| DomainError::bad_input("childId", "the child has no open placement"))
}

/// Records a planned session as held.
pub async fn record_held(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: HeldInput,
) -> DomainResult<e::key_session::Model> {
    let session = load(req, id).await?;
    req.require_write(
        session.child_id,
        Kind::KeySession,
        Some(id),
        RecordFacts {
            restricted: session.restricted,
            ..Default::default()
        },
    )
    .await?;
    if session.status != SessionStatus::Planned {
        return Err(DomainError::bad_input(
            "id",
            "only a planned session can be recorded as held",
        ));
    }
    let held_at = input.held_at.unwrap_or(req.now);
    if held_at > req.now + Duration::minutes(5) {
        return Err(DomainError::bad_input(
            "heldAt",
            "is in the future: record a session once it has been held",
        ));
    }
    let placement = open_placement(req, session.child_id).await?;
    let held_by = input.held_by.unwrap_or(req.identity.user_id);
    let today = req.now.date_naive();
    let staff = e::home_membership::Entity::find()
        .filter(e::home_membership::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::home_membership::Column::UserId.eq(held_by))
        .filter(e::home_membership::Column::HomeId.eq(placement.home_id))
        .filter(e::home_membership::Column::StartDate.lte(today))
        .filter(
            Condition::any()
                .add(e::home_membership::Column::EndDate.is_null())
                .add(e::home_membership::Column::EndDate.gt(today)),
        )
        .count(&req.txn)
        .await?;
    if staff == 0 {
        return Err(DomainError::bad_input(
            "heldById",
            "is not a member of staff of the child's home",
        ));
    }
    // The first session held since admission carries the settling-in checklist.
    let earlier = e::key_session::Entity::find()
        .filter(e::key_session::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::key_session::Column::ChildId.eq(session.child_id))
        .filter(e::key_session::Column::Status.eq(SessionStatus::Held))
        .filter(
            e::key_session::Column::HeldAt.gte(
                placement
                    .admission_date
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default()
                    .and_utc(),
            ),
        )
        .count(&req.txn)
        .await?;
    if earlier == 0 && input.settling_in.is_none() {
        return Err(DomainError::bad_input(
            "settlingIn",
            "the first key session after admission records the settling-in checklist",
        ));
    }
    let txn = req.change().await?;
    keep_revision(
        req,
        &txn,
        "key_sessions",
        session.id,
        session.version,
        &session,
    )
    .await?;
    let active = e::key_session::ActiveModel {
        status: Set(SessionStatus::Held),
        held_at: Set(Some(held_at)),
        held_by_id: Set(Some(held_by)),
        notes: Set(optional_text("notes", input.notes.as_deref(), MAX_TEXT)?),
        child_views: Set(optional_text(
            "childViews",
            input.child_views.as_deref(),
            MAX_TEXT,
        )?),
        actions: Set(optional_text(
            "actions",
            input.actions.as_deref(),
            MAX_TEXT,
        )?),
        agencies_to_alert: Set(optional_text(
            "agenciesToAlert",
            input.agencies_to_alert.as_deref(),
            MAX_TEXT,
        )?),
        settling_in: Set(input.settling_in.or(session.settling_in.clone())),
        version: Set(session.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    use e::key_session::Column as C;
    let saved = update_versioned(&txn, active, C::Id, C::Version, id, expected_version).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Cancels a planned session, or records that the child declined it.
pub async fn cancel(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    declined_by_child: bool,
    reason: &str,
) -> DomainResult<e::key_session::Model> {
    let session = load(req, id).await?;
    req.require_write(
        session.child_id,
        Kind::KeySession,
        Some(id),
        RecordFacts {
            restricted: session.restricted,
            ..Default::default()
        },
    )
    .await?;
    if session.status != SessionStatus::Planned {
        return Err(DomainError::bad_input(
            "id",
            "only a planned session can be cancelled",
        ));
    }
    let reason = crate::writes::required_text("reason", reason, MAX_TEXT)?;
    let txn = req.change().await?;
    keep_revision(
        req,
        &txn,
        "key_sessions",
        session.id,
        session.version,
        &session,
    )
    .await?;
    let active = e::key_session::ActiveModel {
        status: Set(if declined_by_child {
            SessionStatus::DeclinedByChild
        } else {
            SessionStatus::Cancelled
        }),
        cancel_reason: Set(Some(reason)),
        version: Set(session.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    use e::key_session::Column as C;
    let saved = update_versioned(&txn, active, C::Id, C::Version, id, expected_version).await?;
    txn.commit().await?;
    Ok(saved)
}
