//! The Safe Care Plan: the missing-from-care agreement, risks, reviews and the social
//! worker's signature.

use super::uuid_of;
use crate::care::{SafeCarePlan, SafeCareReview, SafeCareRisk};
use crate::error::gql;
use crate::request::request;
use crate::scalars::Date;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::safe_care_plans::{self, AtRisk, ReviewInput, RiskChange, RiskInput};
use keycare_entity::enums::{ReviewTrigger, RiskCategory, RiskLevel};

/// Who is at risk.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "AtRisk")]
pub enum AtRiskInput {
    /// The child themself.
    #[graphql(name = "SELF")]
    Child,
    /// Staff.
    Staff,
    /// Other children.
    OtherChildren,
    /// The community.
    Community,
}

fn at_risk(list: Vec<AtRiskInput>) -> Vec<AtRisk> {
    list.into_iter()
        .map(|who| match who {
            AtRiskInput::Child => AtRisk::Child,
            AtRiskInput::Staff => AtRisk::Staff,
            AtRiskInput::OtherChildren => AtRisk::OtherChildren,
            AtRiskInput::Community => AtRisk::Community,
        })
        .collect()
}

/// Writing the child's Safe Care Plan, or changing it.
#[derive(InputObject)]
pub struct SaveSafeCarePlanInput {
    /// The child.
    pub child_id: ID,
    /// The plan's version as read; leave out only when the child has no plan yet.
    pub expected_version: Option<i32>,
    /// When to report the child missing (at most 20,000 characters).
    pub missing_from_care_agreement: Option<String>,
}

/// A new risk (the child's plan is started if there is none yet).
#[derive(InputObject)]
pub struct AddSafeCareRiskInput {
    /// The child.
    pub child_id: ID,
    /// The kind of risk.
    pub category: RiskCategory,
    /// Who is at risk (at least one).
    pub at_risk: Vec<AtRiskInput>,
    /// Low, medium or high.
    pub level: RiskLevel,
    /// How it is managed (required, at most 20,000 characters).
    pub management: String,
}

/// A change to a current risk; what is left out stays as it is.
#[derive(InputObject)]
pub struct ChangeSafeCareRiskInput {
    /// The risk.
    pub id: ID,
    /// Its version as read.
    pub expected_version: i32,
    /// The new level.
    pub level: Option<RiskLevel>,
    /// How it is managed now.
    pub management: Option<String>,
    /// Who is at risk now (at least one).
    pub at_risk: Option<Vec<AtRiskInput>>,
}

/// Retiring a risk that no longer applies (it is kept, never deleted).
#[derive(InputObject)]
pub struct RetireSafeCareRiskInput {
    /// The risk.
    pub id: ID,
    /// Its version as read.
    pub expected_version: i32,
    /// Why it no longer applies (kept with the risk).
    pub reason: String,
}

/// A review of the Safe Care Plan.
#[derive(InputObject)]
pub struct RecordSafeCareReviewInput {
    /// The child.
    pub child_id: ID,
    /// The day of the review (not in the future).
    pub reviewed_on: Date,
    /// Why it took place.
    pub trigger: ReviewTrigger,
    /// The missing episode it followed (required when the trigger is MISSING_EPISODE).
    pub missing_episode_id: Option<ID>,
    /// Notes (at most 20,000 characters).
    pub notes: Option<String>,
}

/// The social worker's signature of the Safe Care Plan.
#[derive(InputObject)]
pub struct SignSafeCarePlanInput {
    /// The plan.
    pub id: ID,
    /// Its version as read.
    pub expected_version: i32,
}

/// The plan as saved.
#[derive(SimpleObject)]
pub struct SafeCarePlanPayload {
    /// The plan.
    pub safe_care_plan: SafeCarePlan,
}

/// The risk as saved.
#[derive(SimpleObject)]
pub struct SafeCareRiskPayload {
    /// The risk.
    pub safe_care_risk: SafeCareRisk,
}

/// The review as recorded.
#[derive(SimpleObject)]
pub struct SafeCareReviewPayload {
    /// The review.
    pub safe_care_review: SafeCareReview,
}

/// Safe Care Plan mutations.
#[derive(Default)]
pub struct SafeCarePlanMutation;

/// Safe Care Plan mutations.
#[Object]
impl SafeCarePlanMutation {
    /// Writes the child's Safe Care Plan, or changes its missing-from-care agreement.
    async fn save_safe_care_plan(
        &self,
        ctx: &Context<'_>,
        input: SaveSafeCarePlanInput,
    ) -> Result<SafeCarePlanPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = safe_care_plans::save(
            request(ctx)?,
            child,
            input.expected_version,
            input.missing_from_care_agreement.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(SafeCarePlanPayload {
            safe_care_plan: SafeCarePlan(saved),
        })
    }

    /// Adds a risk to the child's Safe Care Plan.
    async fn add_safe_care_risk(
        &self,
        ctx: &Context<'_>,
        input: AddSafeCareRiskInput,
    ) -> Result<SafeCareRiskPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = safe_care_plans::add_risk(
            request(ctx)?,
            child,
            RiskInput {
                category: input.category,
                at_risk: at_risk(input.at_risk),
                level: input.level,
                management: input.management,
            },
        )
        .await
        .map_err(gql)?;
        Ok(SafeCareRiskPayload {
            safe_care_risk: SafeCareRisk(saved),
        })
    }

    /// Changes a current risk: its level, how it is managed, who is at risk. The earlier
    /// version is kept.
    async fn change_safe_care_risk(
        &self,
        ctx: &Context<'_>,
        input: ChangeSafeCareRiskInput,
    ) -> Result<SafeCareRiskPayload> {
        let id = uuid_of(&input.id, "SafeCareRisk", "id")?;
        let saved = safe_care_plans::change_risk(
            request(ctx)?,
            id,
            input.expected_version,
            RiskChange {
                level: input.level,
                management: input.management,
                at_risk: input.at_risk.map(at_risk),
            },
        )
        .await
        .map_err(gql)?;
        Ok(SafeCareRiskPayload {
            safe_care_risk: SafeCareRisk(saved),
        })
    }

    /// Retires a risk that no longer applies; it stays in the plan with the time and the
    /// reason.
    async fn retire_safe_care_risk(
        &self,
        ctx: &Context<'_>,
        input: RetireSafeCareRiskInput,
    ) -> Result<SafeCareRiskPayload> {
        let id = uuid_of(&input.id, "SafeCareRisk", "id")?;
        let saved =
            safe_care_plans::retire_risk(request(ctx)?, id, input.expected_version, &input.reason)
                .await
                .map_err(gql)?;
        Ok(SafeCareRiskPayload {
            safe_care_risk: SafeCareRisk(saved),
        })
    }

    /// Records a review of the Safe Care Plan: the regular one, or after an incident or a
    /// missing episode.
    async fn record_safe_care_review(
        &self,
        ctx: &Context<'_>,
        input: RecordSafeCareReviewInput,
    ) -> Result<SafeCareReviewPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let missing_episode = match &input.missing_episode_id {
            Some(id) => Some(uuid_of(id, "MissingEpisode", "missingEpisodeId")?),
            None => None,
        };
        let saved = safe_care_plans::record_review(
            request(ctx)?,
            child,
            ReviewInput {
                reviewed_on: input.reviewed_on.0,
                trigger: input.trigger,
                missing_episode,
                notes: input.notes,
            },
        )
        .await
        .map_err(gql)?;
        Ok(SafeCareReviewPayload {
            safe_care_review: SafeCareReview(saved),
        })
    }

    /// Records the social worker's signature of the Safe Care Plan (the plan then counts as
    /// shared with them).
    async fn sign_safe_care_plan(
        &self,
        ctx: &Context<'_>,
        input: SignSafeCarePlanInput,
    ) -> Result<SafeCarePlanPayload> {
        let id = uuid_of(&input.id, "SafeCarePlan", "id")?;
        let saved = safe_care_plans::sign(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(SafeCarePlanPayload {
            safe_care_plan: SafeCarePlan(saved),
        })
    }
}
