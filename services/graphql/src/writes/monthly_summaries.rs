//! The monthly summary: drafted, submitted, signed by the child, acknowledged by the manager.

use super::uuid_of;
use crate::care::MonthlySummary;
use crate::error::gql;
use crate::request::request;
use crate::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::monthly_summaries::{self, Sections};

/// The draft of a month's summary: sections sent are saved, sections left out are kept.
#[derive(InputObject)]
pub struct SaveMonthlySummaryDraftInput {
    /// The child.
    pub child_id: ID,
    /// Any day of the month summarised (a month under way or past).
    pub month: Date,
    /// The version of the draft being updated (omit when starting the month's summary).
    pub expected_version: Option<i32>,
    /// Health.
    pub health: Option<String>,
    /// Education.
    pub education: Option<String>,
    /// Family and friends.
    pub family_and_friends: Option<String>,
    /// Behaviour.
    pub behaviour: Option<String>,
    /// Achievements.
    pub achievements: Option<String>,
    /// Progress against the IPCP.
    pub ipcp_progress: Option<String>,
}

/// A step in a summary's life (submit, acknowledge).
#[derive(InputObject)]
pub struct MonthlySummaryStepInput {
    /// The summary.
    pub id: ID,
    /// The version it was read at.
    pub expected_version: i32,
}

/// The child's signature, recorded on their behalf.
#[derive(InputObject)]
pub struct ChildSignMonthlySummaryInput {
    /// The summary.
    pub id: ID,
    /// The version the child read.
    pub expected_version: i32,
    /// The child's comment, in their words.
    pub comment: Option<String>,
}

/// The summary as saved.
#[derive(SimpleObject)]
pub struct MonthlySummaryPayload {
    /// The summary.
    pub monthly_summary: MonthlySummary,
}

/// Monthly summary mutations.
#[derive(Default)]
pub struct MonthlySummaryMutation;

/// Monthly summary mutations.
#[Object]
impl MonthlySummaryMutation {
    /// Saves the month's draft on the server (nothing typed is lost). If the save fails, the
    /// error's `extensions.notSaved` names the sections that were not saved.
    async fn save_monthly_summary_draft(
        &self,
        ctx: &Context<'_>,
        input: SaveMonthlySummaryDraftInput,
    ) -> Result<MonthlySummaryPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let sections = Sections {
            health: input.health,
            education: input.education,
            family_and_friends: input.family_and_friends,
            behaviour: input.behaviour,
            achievements: input.achievements,
            ipcp_progress: input.ipcp_progress,
        };
        let saved = monthly_summaries::save_draft(
            request(ctx)?,
            child,
            input.month.0,
            input.expected_version,
            sections,
        )
        .await
        .map_err(gql)?;
        Ok(MonthlySummaryPayload {
            monthly_summary: MonthlySummary(saved),
        })
    }

    /// Submits the draft to the manager.
    async fn submit_monthly_summary(
        &self,
        ctx: &Context<'_>,
        input: MonthlySummaryStepInput,
    ) -> Result<MonthlySummaryPayload> {
        let id = uuid_of(&input.id, "MonthlySummary", "id")?;
        let saved = monthly_summaries::submit(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(MonthlySummaryPayload {
            monthly_summary: MonthlySummary(saved),
        })
    }

    /// Records that the child read and signed the summary, with their comment.
    async fn child_sign_monthly_summary(
        &self,
        ctx: &Context<'_>,
        input: ChildSignMonthlySummaryInput,
    ) -> Result<MonthlySummaryPayload> {
        let id = uuid_of(&input.id, "MonthlySummary", "id")?;
        let saved = monthly_summaries::child_sign(
            request(ctx)?,
            id,
            input.expected_version,
            input.comment.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(MonthlySummaryPayload {
            monthly_summary: MonthlySummary(saved),
        })
    }

    /// The manager acknowledges a submitted, signed summary.
    async fn acknowledge_monthly_summary(
        &self,
        ctx: &Context<'_>,
        input: MonthlySummaryStepInput,
    ) -> Result<MonthlySummaryPayload> {
        let id = uuid_of(&input.id, "MonthlySummary", "id")?;
        let saved = monthly_summaries::acknowledge(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(MonthlySummaryPayload {
            monthly_summary: MonthlySummary(saved),
        })
    }
}
