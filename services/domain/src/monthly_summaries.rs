//! Monthly summaries: drafted on the server (nothing typed is lost), submitted to the
//! manager, read and signed by the child with their comment, acknowledged by the manager.

use crate::care_record::tables;
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{MAX_TEXT, keep_revision, optional_text, update_versioned};
use chrono::{Datelike, NaiveDate};
use keycare_authz::{Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::SummaryStatus;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// The sections of a summary, as typed (None = not sent, leave as is).
#[derive(Debug, Clone, Default)]
pub struct Sections {
    pub health: Option<String>,
    pub education: Option<String>,
    pub family_and_friends: Option<String>,
    pub behaviour: Option<String>,
    pub achievements: Option<String>,
    pub ipcp_progress: Option<String>,
}

impl Sections {
    /// The names of the sections that were sent (what a failed save did not save).
    pub fn sent(&self) -> Vec<String> {
        [
            ("health", &self.health),
            ("education", &self.education),
            ("familyAndFriends", &self.family_and_friends),
            ("behaviour", &self.behaviour),
            ("achievements", &self.achievements),
            ("ipcpProgress", &self.ipcp_progress),
        ]
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| (*k).to_owned())
        .collect()
    }
}

fn section(
    field: &str,
    value: &Option<String>,
    current: Option<String>,
) -> DomainResult<Option<String>> {
    match value {
        Some(v) => optional_text(field, Some(v), MAX_TEXT),
        None => Ok(current),
    }
}

/// A summary of the caller's council they may read, to act on; NOT_FOUND otherwise (a
/// summary of this council they may not read is noted as a denied attempt).
async fn load(req: &Request, id: Uuid) -> DomainResult<e::monthly_summary::Model> {
    req.readable_record(&tables::monthly_summaries(), id).await
}

/// Saves the draft summary of a month (creating it, or updating it at `expected_version`).
/// A failed save names the sections that were not saved.
pub async fn save_draft(
    req: &Request,
    child: Uuid,
    month: NaiveDate,
    expected_version: Option<i32>,
    sections: Sections,
) -> DomainResult<e::monthly_summary::Model> {
    let sent = sections.sent();
    save_draft_inner(req, child, month, expected_version, sections)
        .await
        .map_err(|e| e.not_saved(sent))
}

async fn save_draft_inner(
    req: &Request,
    child: Uuid,
    month: NaiveDate,
    expected_version: Option<i32>,
    s: Sections,
) -> DomainResult<e::monthly_summary::Model> {
    req.require_write(
        child,
        Kind::MonthlySummary,
        None,
        RecordFacts {
            own: true,
            ..Default::default()
        },
    )
    .await?;
    let month = month.with_day(1).unwrap_or(month);
    if month > req.now.date_naive() {
        return Err(DomainError::bad_input(
            "month",
            "has not begun yet: a summary is written for a month under way or past",
        ));
    }
    use e::monthly_summary::Column as C;
    let existing = e::monthly_summary::Entity::find()
        .filter(C::TenantId.eq(req.identity.tenant_id))
        .filter(C::ChildId.eq(child))
        .filter(C::Month.eq(month))
        .one(&req.txn)
        .await?;
    let txn = req.change().await?;
    let saved = match existing {
        None => {
            if expected_version.is_some() {
                return Err(DomainError::Conflict(
                    "there is no summary for this month to update; reload".into(),
                ));
            }
            e::monthly_summary::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(req.identity.tenant_id),
                child_id: Set(child),
                month: Set(month),
                written_by_id: Set(req.identity.user_id),
                health: Set(section("health", &s.health, None)?),
                education: Set(section("education", &s.education, None)?),
                family_and_friends: Set(section("familyAndFriends", &s.family_and_friends, None)?),
                behaviour: Set(section("behaviour", &s.behaviour, None)?),
                achievements: Set(section("achievements", &s.achievements, None)?),
                ipcp_progress: Set(section("ipcpProgress", &s.ipcp_progress, None)?),
                status: Set(SummaryStatus::Draft),
                author_id: Set(req.identity.user_id),
                restricted: Set(false),
                version: Set(1),
                created_at: Set(req.now),
                updated_at: Set(req.now),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
        Some(current) => {
            if current.status != SummaryStatus::Draft {
                return Err(DomainError::bad_input(
                    "month",
                    "the summary of this month has been submitted; it can no longer be edited as a draft",
                ));
            }
            let Some(expected) = expected_version else {
                return Err(DomainError::Conflict(format!(
                    "a summary for this month already exists (version {}); load it and send expectedVersion",
                    current.version
                )));
            };
            keep_revision(
                req,
                &txn,
                "monthly_summaries",
                current.id,
                current.version,
                &current,
            )
            .await?;
            let active = e::monthly_summary::ActiveModel {
                health: Set(section("health", &s.health, current.health.clone())?),
                education: Set(section(
                    "education",
                    &s.education,
                    current.education.clone(),
                )?),
                family_and_friends: Set(section(
                    "familyAndFriends",
                    &s.family_and_friends,
                    current.family_and_friends.clone(),
                )?),
                behaviour: Set(section(
                    "behaviour",
                    &s.behaviour,
                    current.behaviour.clone(),
                )?),
                achievements: Set(section(
                    "achievements",
                    &s.achievements,
                    current.achievements.clone(),
                )?),
                ipcp_progress: Set(section(
                    "ipcpProgress",
                    &s.ipcp_progress,
                    current.ipcp_progress.clone(),
                )?),
                version: Set(current.version + 1),
                updated_at: Set(req.now),
                ..Default::default()
            };
            update_versioned(&txn, active, C::Id, C::Version, current.id, expected).await?
        }
    };
    txn.commit().await?;
    Ok(saved)
}

/// Submits a draft to the manager.
pub async fn submit(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::monthly_summary::Model> {
    let s = load(req, id).await?;
    req.require_write(
        s.child_id,
        Kind::MonthlySummary,
        Some(id),
        RecordFacts::default(),
    )
    .await?;
    if s.status != SummaryStatus::Draft {
        return Err(DomainError::bad_input(
            "id",
            "only a draft can be submitted",
        ));
    }
    let empty = [
        &s.health,
        &s.education,
        &s.family_and_friends,
        &s.behaviour,
        &s.achievements,
        &s.ipcp_progress,
    ]
    .iter()
    .all(|v| v.as_deref().is_none_or(str::is_empty));
    if empty {
        return Err(DomainError::bad_input(
            "id",
            "every section is empty: write the summary before submitting it",
        ));
    }
    transition(req, s, expected_version, |a, req| {
        a.status = Set(SummaryStatus::Submitted);
        a.submitted_at = Set(Some(req.now));
    })
    .await
}

/// Records the child's signature and comment, on their behalf.
pub async fn child_sign(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    comment: Option<&str>,
) -> DomainResult<e::monthly_summary::Model> {
    let s = load(req, id).await?;
    req.require_write(
        s.child_id,
        Kind::MonthlySummary,
        Some(id),
        RecordFacts::default(),
    )
    .await?;
    if s.status == SummaryStatus::Acknowledged {
        return Err(DomainError::bad_input(
            "id",
            "the summary is already acknowledged",
        ));
    }
    let comment = optional_text("comment", comment, MAX_TEXT)?;
    transition(req, s, expected_version, move |a, req| {
        a.child_signed_at = Set(Some(req.now));
        a.child_comment = Set(comment.clone());
    })
    .await
}

/// The manager acknowledges a submitted summary the child has signed.
pub async fn acknowledge(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::monthly_summary::Model> {
    let s = load(req, id).await?;
    req.require_write(
        s.child_id,
        Kind::SummaryAcknowledgement,
        Some(id),
        RecordFacts::default(),
    )
    .await?;
    if s.status != SummaryStatus::Submitted {
        return Err(DomainError::bad_input(
            "id",
            "only a submitted summary can be acknowledged",
        ));
    }
    if s.child_signed_at.is_none() {
        return Err(DomainError::bad_input(
            "id",
            "the child has not signed the summary yet",
        ));
    }
    transition(req, s, expected_version, |a, req| {
        a.status = Set(SummaryStatus::Acknowledged);
        a.acknowledged_at = Set(Some(req.now));
        a.acknowledged_by_id = Set(Some(req.identity.user_id));
    })
    .await
}

async fn transition(
    req: &Request,
    current: e::monthly_summary::Model,
    expected_version: i32,
    change: impl Fn(&mut e::monthly_summary::ActiveModel, &Request),
) -> DomainResult<e::monthly_summary::Model> {
    let txn = req.change().await?;
    keep_revision(
        req,
        &txn,
        "monthly_summaries",
        current.id,
        current.version,
        &current,
    )
    .await?;
    let mut active = e::monthly_summary::ActiveModel {
        version: Set(current.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    change(&mut active, req);
    use e::monthly_summary::Column as C;
    let saved = update_versioned(
        &txn,
        active,
        C::Id,
        C::Version,
        current.id,
        expected_version,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}
