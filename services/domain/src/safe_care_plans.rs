//! The Safe Care Plan: one per child, with its risks (added, changed and retired, never
//! deleted), the missing-from-care agreement, reviews (at least monthly and after every
//! incident or missing episode) and the social worker's signature. Every change keeps the
//! earlier version.

use crate::care_plans::{not_in_future, require_record_write, require_signature};
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{
    MAX_TEXT, check_version, keep_revision, optional_text, required_text, update_versioned,
};
use chrono::NaiveDate;
use keycare_authz::{Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::{ReviewTrigger, RiskCategory, RiskLevel};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// Who is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtRisk {
    /// The child themself.
    Child,
    Staff,
    OtherChildren,
    Community,
}

impl AtRisk {
    /// The word stored in `safe_care_risks.at_risk`.
    pub fn as_str(self) -> &'static str {
        match self {
            AtRisk::Child => "self",
            AtRisk::Staff => "staff",
            AtRisk::OtherChildren => "other_children",
            AtRisk::Community => "community",
        }
    }
}

/// A new risk as entered.
#[derive(Debug, Clone)]
pub struct RiskInput {
    pub category: RiskCategory,
    pub at_risk: Vec<AtRisk>,
    pub level: RiskLevel,
    pub management: String,
}

/// A change to a risk: what is left out stays as it is.
#[derive(Debug, Clone, Default)]
pub struct RiskChange {
    pub level: Option<RiskLevel>,
    pub management: Option<String>,
    pub at_risk: Option<Vec<AtRisk>>,
}

/// A review as entered.
#[derive(Debug, Clone)]
pub struct ReviewInput {
    pub reviewed_on: NaiveDate,
    pub trigger: ReviewTrigger,
    pub missing_episode: Option<Uuid>,
    pub notes: Option<String>,
}

fn at_risk(list: &[AtRisk]) -> DomainResult<serde_json::Value> {
    let mut words: Vec<&str> = Vec::new();
    for who in list {
        if !words.contains(&who.as_str()) {
            words.push(who.as_str());
        }
    }
    if words.is_empty() {
        return Err(DomainError::bad_input(
            "atRisk",
            "must name at least one: the child, staff, other children or the community",
        ));
    }
    Ok(serde_json::json!(words))
}

async fn plan_of(req: &Request, child: Uuid) -> DomainResult<Option<e::safe_care_plan::Model>> {
    Ok(e::safe_care_plan::Entity::find()
        .filter(e::safe_care_plan::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::safe_care_plan::Column::ChildId.eq(child))
        .one(&req.txn)
        .await?)
}

fn new_plan(
    req: &Request,
    child: Uuid,
    agreement: Option<String>,
) -> e::safe_care_plan::ActiveModel {
    e::safe_care_plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        missing_from_care_agreement: Set(agreement),
        shared_with_social_worker_at: Set(None),
        social_worker_signed_at: Set(None),
        social_worker_signed_by_id: Set(None),
        author_id: Set(req.identity.user_id),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
}

/// Writes the child's plan, or updates it (`expected_version` is then required). A failed
/// save names what was not saved.
pub async fn save(
    req: &Request,
    child: Uuid,
    expected_version: Option<i32>,
    missing_from_care_agreement: Option<&str>,
) -> DomainResult<e::safe_care_plan::Model> {
    let existing = plan_of(req, child).await?;
    match &existing {
        Some(p) => require_record_write(req, child, Kind::SafeCarePlan, p.id, p.restricted).await?,
        None => {
            req.require_write(child, Kind::SafeCarePlan, None, RecordFacts::default())
                .await?;
        }
    }
    let given = vec!["missingFromCareAgreement".to_owned()];
    let saved = async {
        let agreement =
            optional_text("missingFromCareAgreement", missing_from_care_agreement, MAX_TEXT)?;
        match (existing, expected_version) {
            (Some(p), None) => Err(DomainError::bad_input(
                "expectedVersion",
                format!(
                    "the child already has a Safe Care Plan (at version {}): send expectedVersion to update it",
                    p.version
                ),
            )),
            (None, Some(_)) => Err(DomainError::Conflict(
                "the child has no Safe Care Plan to update: reload and write it again".into(),
            )),
            (Some(p), Some(expected)) => {
                check_version(p.version, expected)?;
                let txn = req.change().await?;
                use e::safe_care_plan::Column as C;
                let saved = update_versioned(
                    &txn,
                    e::safe_care_plan::ActiveModel {
                        missing_from_care_agreement: Set(agreement),
                        version: Set(p.version + 1),
                        updated_at: Set(req.now),
                        ..Default::default()
                    },
                    C::Id,
                    C::Version,
                    p.id,
                    expected,
                )
                .await?;
                keep_revision(req, &txn, "safe_care_plans", p.id, p.version, &p).await?;
                txn.commit().await?;
                Ok(saved)
            }
            (None, None) => {
                let txn = req.change().await?;
                let saved = new_plan(req, child, agreement).insert(&txn).await?;
                txn.commit().await?;
                Ok(saved)
            }
        }
    }
    .await;
    saved.map_err(|err| err.not_saved(given))
}

/// Adds a risk to the child's plan (the plan is started if the child has none yet).
pub async fn add_risk(
    req: &Request,
    child: Uuid,
    input: RiskInput,
) -> DomainResult<e::safe_care_risk::Model> {
    let existing = plan_of(req, child).await?;
    match &existing {
        Some(p) => require_record_write(req, child, Kind::SafeCarePlan, p.id, p.restricted).await?,
        None => {
            req.require_write(child, Kind::SafeCarePlan, None, RecordFacts::default())
                .await?;
        }
    }
    let management = required_text("management", &input.management, MAX_TEXT)?;
    let at_risk = at_risk(&input.at_risk)?;
    let txn = req.change().await?;
    let plan = match existing {
        Some(p) => p,
        None => new_plan(req, child, None).insert(&txn).await?,
    };
    let saved = e::safe_care_risk::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        safe_care_plan_id: Set(plan.id),
        category: Set(input.category),
        at_risk: Set(at_risk),
        level: Set(input.level),
        management: Set(management),
        retired_at: Set(None),
        author_id: Set(req.identity.user_id),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

async fn find_risk(req: &Request, id: Uuid) -> DomainResult<e::safe_care_risk::Model> {
    let risk = e::safe_care_risk::Entity::find_by_id(id)
        .filter(e::safe_care_risk::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    require_record_write(req, risk.child_id, Kind::SafeCarePlan, id, risk.restricted).await?;
    if risk.retired_at.is_some() {
        return Err(DomainError::bad_input(
            "id",
            "this risk has been retired: add a new risk instead",
        ));
    }
    Ok(risk)
}

/// Changes a current risk's level, management or who is at risk.
pub async fn change_risk(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    change: RiskChange,
) -> DomainResult<e::safe_care_risk::Model> {
    let risk = find_risk(req, id).await?;
    let mut active = e::safe_care_risk::ActiveModel {
        version: Set(risk.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    if let Some(level) = change.level {
        active.level = Set(level);
    }
    if let Some(text) = &change.management {
        active.management = Set(required_text("management", text, MAX_TEXT)?);
    }
    if let Some(list) = &change.at_risk {
        active.at_risk = Set(at_risk(list)?);
    }
    check_version(risk.version, expected_version)?;
    use e::safe_care_risk::Column as C;
    let txn = req.change().await?;
    let saved = update_versioned(&txn, active, C::Id, C::Version, id, expected_version).await?;
    keep_revision(req, &txn, "safe_care_risks", id, risk.version, &risk).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Retires a risk that no longer applies: it stays in the plan's history with the time and
/// the reason (added to how it was managed), never deleted.
pub async fn retire_risk(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    reason: &str,
) -> DomainResult<e::safe_care_risk::Model> {
    let risk = find_risk(req, id).await?;
    let reason = required_text("reason", reason, MAX_TEXT)?;
    check_version(risk.version, expected_version)?;
    let management = format!(
        "{}\n\nRetired on {}: {reason}",
        risk.management,
        req.now.format("%-d %B %Y")
    );
    use e::safe_care_risk::Column as C;
    let txn = req.change().await?;
    let saved = update_versioned(
        &txn,
        e::safe_care_risk::ActiveModel {
            retired_at: Set(Some(req.now)),
            management: Set(management),
            version: Set(risk.version + 1),
            updated_at: Set(req.now),
            ..Default::default()
        },
        C::Id,
        C::Version,
        id,
        expected_version,
    )
    .await?;
    keep_revision(req, &txn, "safe_care_risks", id, risk.version, &risk).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Records a review of the plan: the regular one, or after an incident or a missing episode
/// (which is then named).
pub async fn record_review(
    req: &Request,
    child: Uuid,
    input: ReviewInput,
) -> DomainResult<e::safe_care_review::Model> {
    req.require_write(child, Kind::SafeCarePlan, None, RecordFacts::default())
        .await?;
    let reviewed_on = not_in_future(req, "reviewedOn", input.reviewed_on)?;
    let notes = optional_text("notes", input.notes.as_deref(), MAX_TEXT)?;
    match (input.trigger, input.missing_episode) {
        (ReviewTrigger::MissingEpisode, None) => {
            return Err(DomainError::bad_input(
                "missingEpisodeId",
                "a review after a missing episode names the episode",
            ));
        }
        (ReviewTrigger::MissingEpisode, Some(episode)) => {
            let found = e::missing_episode::Entity::find_by_id(episode)
                .filter(e::missing_episode::Column::TenantId.eq(req.identity.tenant_id))
                .filter(e::missing_episode::Column::ChildId.eq(child))
                .one(&req.txn)
                .await?;
            if found.is_none() {
                return Err(DomainError::bad_input(
                    "missingEpisodeId",
                    "is not a missing episode of this child",
                ));
            }
        }
        (_, Some(_)) => {
            return Err(DomainError::bad_input(
                "missingEpisodeId",
                "is given only for a review after a missing episode (trigger MISSING_EPISODE)",
            ));
        }
        (_, None) => {}
    }
    let Some(plan) = plan_of(req, child).await? else {
        return Err(DomainError::bad_input(
            "childId",
            "the child has no Safe Care Plan to review yet: write it first",
        ));
    };
    let txn = req.change().await?;
    let saved = e::safe_care_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        safe_care_plan_id: Set(plan.id),
        reviewed_on: Set(reviewed_on),
        trigger: Set(input.trigger),
        missing_episode_id: Set(input.missing_episode),
        notes: Set(notes),
        author_id: Set(req.identity.user_id),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Records the social worker's signature (made under the social worker basis); the plan
/// counts as shared with the social worker from then on if it was not already.
pub async fn sign(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::safe_care_plan::Model> {
    let plan = e::safe_care_plan::Entity::find_by_id(id)
        .filter(e::safe_care_plan::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    require_record_write(req, plan.child_id, Kind::SafeCarePlan, id, plan.restricted).await?;
    require_signature(
        req,
        plan.child_id,
        Kind::SignatureAsSocialWorker,
        id,
        plan.restricted,
        "only the child's allocated social worker signs the Safe Care Plan",
    )
    .await?;
    check_version(plan.version, expected_version)?;
    use e::safe_care_plan::Column as C;
    let txn = req.change().await?;
    let saved = update_versioned(
        &txn,
        e::safe_care_plan::ActiveModel {
            social_worker_signed_at: Set(Some(req.now)),
            social_worker_signed_by_id: Set(Some(req.identity.user_id)),
            shared_with_social_worker_at: Set(plan.shared_with_social_worker_at.or(Some(req.now))),
            version: Set(plan.version + 1),
            updated_at: Set(req.now),
            ..Default::default()
        },
        C::Id,
        C::Version,
        id,
        expected_version,
    )
    .await?;
    keep_revision(req, &txn, "safe_care_plans", id, plan.version, &plan).await?;
    txn.commit().await?;
    Ok(saved)
}
