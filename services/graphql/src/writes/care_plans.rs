//! Drafting, publishing, reviewing and signing the Individual Placement Care Plan (IPCP).

use super::uuid_of;
use crate::care::{CarePlanReview, CarePlanVersion};
use crate::error::gql;
use crate::request::request;
use crate::scalars::Date;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::care_plans::{self, PlanSections, Signatory};

/// The Equality and Diversity plan of a draft: identity and culture. A section left out
/// keeps its text; an empty text clears it.
#[derive(InputObject, Default)]
pub struct EqualityAndDiversityInput {
    /// Background.
    pub background: Option<String>,
    /// Culture.
    pub culture: Option<String>,
    /// Heritage.
    pub heritage: Option<String>,
    /// Religion.
    pub religion: Option<String>,
    /// Diet.
    pub diet: Option<String>,
    /// Language.
    pub language: Option<String>,
}

/// A new draft of the IPCP, or a change to the child's draft. A new draft starts from the
/// published version's text; a section left out keeps its text, an empty text clears it.
/// Each section is at most 20,000 characters.
#[derive(InputObject)]
pub struct DraftCarePlanVersionInput {
    /// The child.
    pub child_id: ID,
    /// The draft's version when updating the child's draft; leave out to start a new draft
    /// (there is at most one draft per child).
    pub expected_version: Option<i32>,
    /// Outcomes and needs.
    pub outcomes_and_needs: Option<String>,
    /// Health.
    pub health: Option<String>,
    /// Education.
    pub education: Option<String>,
    /// Family contact.
    pub family_contact: Option<String>,
    /// The Equality and Diversity plan.
    pub equality_and_diversity: Option<EqualityAndDiversityInput>,
    /// Leisure.
    pub leisure: Option<String>,
    /// Independence skills.
    pub independence_skills: Option<String>,
    /// A behaviour goal.
    pub behaviour_goal: Option<String>,
}

/// Publishing a draft: it becomes the current plan and the version before it is superseded.
#[derive(InputObject)]
pub struct PublishCarePlanVersionInput {
    /// The draft version.
    pub id: ID,
    /// The draft's version as read.
    pub expected_version: i32,
}

/// A monthly review of the IPCP, recorded even when nothing changes.
#[derive(InputObject)]
pub struct RecordCarePlanReviewInput {
    /// The child.
    pub child_id: ID,
    /// The day of the review (not in the future).
    pub reviewed_on: Date,
    /// Whether the plan changed.
    pub changes_made: bool,
    /// Notes (at most 20,000 characters).
    pub notes: Option<String>,
}

/// Whose signature is recorded on a plan.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CarePlanSignatory {
    /// The child, recorded on the child's behalf by the key team or the manager.
    Child,
    /// The key carer (a member of the child's key team).
    KeyCarer,
    /// The child's allocated social worker.
    SocialWorker,
    /// The manager of the child's home.
    Manager,
}

/// A signature of the published IPCP, made under the matching relationship with the child.
#[derive(InputObject)]
pub struct SignCarePlanInput {
    /// The published version.
    pub id: ID,
    /// Its version as read.
    pub expected_version: i32,
    /// Whose signature this is.
    #[graphql(name = "as")]
    pub signatory: CarePlanSignatory,
}

/// The IPCP version as saved.
#[derive(SimpleObject)]
pub struct CarePlanVersionPayload {
    /// The version.
    pub care_plan_version: CarePlanVersion,
}

/// The review as recorded.
#[derive(SimpleObject)]
pub struct CarePlanReviewPayload {
    /// The review.
    pub care_plan_review: CarePlanReview,
}

/// IPCP mutations.
#[derive(Default)]
pub struct CarePlanMutation;

/// IPCP mutations.
#[Object]
impl CarePlanMutation {
    /// Starts the next IPCP version as a draft (from the published version's text), or
    /// updates the child's draft when `expectedVersion` is given. A failed save lists the
    /// sections that were not saved in `extensions.notSaved`.
    async fn draft_care_plan_version(
        &self,
        ctx: &Context<'_>,
        input: DraftCarePlanVersionInput,
    ) -> Result<CarePlanVersionPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let ed = input.equality_and_diversity.unwrap_or_default();
        let sections = PlanSections {
            outcomes_and_needs: input.outcomes_and_needs,
            health: input.health,
            education: input.education,
            family_contact: input.family_contact,
            background: ed.background,
            culture: ed.culture,
            heritage: ed.heritage,
            religion: ed.religion,
            diet: ed.diet,
            language: ed.language,
            leisure: input.leisure,
            independence_skills: input.independence_skills,
            behaviour_goal: input.behaviour_goal,
        };
        let saved = care_plans::draft(request(ctx)?, child, input.expected_version, sections)
            .await
            .map_err(gql)?;
        Ok(CarePlanVersionPayload {
            care_plan_version: CarePlanVersion(saved),
        })
    }

    /// Publishes the draft: it becomes the current plan and the previously published
    /// version is superseded.
    async fn publish_care_plan_version(
        &self,
        ctx: &Context<'_>,
        input: PublishCarePlanVersionInput,
    ) -> Result<CarePlanVersionPayload> {
        let id = uuid_of(&input.id, "CarePlanVersion", "id")?;
        let saved = care_plans::publish(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(CarePlanVersionPayload {
            care_plan_version: CarePlanVersion(saved),
        })
    }

    /// Records a monthly review of the current IPCP (also when nothing changes).
    async fn record_care_plan_review(
        &self,
        ctx: &Context<'_>,
        input: RecordCarePlanReviewInput,
    ) -> Result<CarePlanReviewPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = care_plans::record_review(
            request(ctx)?,
            child,
            input.reviewed_on.0,
            input.changes_made,
            input.notes.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(CarePlanReviewPayload {
            care_plan_review: CarePlanReview(saved),
        })
    }

    /// Signs the published IPCP for the child, the key carer, the social worker or the
    /// manager; each signature needs the matching relationship with the child.
    async fn sign_care_plan(
        &self,
        ctx: &Context<'_>,
        input: SignCarePlanInput,
    ) -> Result<CarePlanVersionPayload> {
        let id = uuid_of(&input.id, "CarePlanVersion", "id")?;
        let signatory = match input.signatory {
            CarePlanSignatory::Child => Signatory::Child,
            CarePlanSignatory::KeyCarer => Signatory::KeyCarer,
            CarePlanSignatory::SocialWorker => Signatory::SocialWorker,
            CarePlanSignatory::Manager => Signatory::Manager,
        };
        let saved = care_plans::sign(request(ctx)?, id, input.expected_version, signatory)
            .await
            .map_err(gql)?;
        Ok(CarePlanVersionPayload {
            care_plan_version: CarePlanVersion(saved),
        })
    }
}
