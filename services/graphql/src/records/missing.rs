//! Missing episodes.

use crate::care::person;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::writes::uuid_of;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::missing::{self, ReportInput, UpdateInput};
use keycare_entity as e;
use keycare_entity::enums::RiskLevel;

/// A time the child went missing from the home.
pub struct MissingEpisode(pub e::missing_episode::Model);

/// A time the child went missing from the home.
#[Object]
impl MissingEpisode {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("MissingEpisode", self.0.id)
    }
    /// When the child went missing.
    async fn went_missing_at(&self) -> DateTime<Utc> {
        self.0.went_missing_at
    }
    /// When the child was reported missing to the police.
    async fn reported_at(&self) -> Option<DateTime<Utc>> {
        self.0.reported_at
    }
    /// When the child returned (null while missing).
    async fn returned_at(&self) -> Option<DateTime<Utc>> {
        self.0.returned_at
    }
    /// The police reference.
    async fn police_reference(&self) -> Option<&str> {
        self.0.police_reference.as_deref()
    }
    /// The risk assessed.
    async fn risk_level(&self) -> RiskLevel {
        self.0.risk_level
    }
    /// When the return interview took place.
    async fn return_interview_at(&self) -> Option<DateTime<Utc>> {
        self.0.return_interview_at
    }
    /// When the advocate visited.
    async fn advocate_visit_at(&self) -> Option<DateTime<Utc>> {
        self.0.advocate_visit_at
    }
    /// By when the return interview is due: 72 hours after return (or the council's own
    /// timescale).
    async fn return_interview_due_by(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<DateTime<Utc>>> {
        let req = crate::request::request(ctx)?;
        missing::return_interview_due_by(req, &self.0)
            .await
            .map_err(crate::error::gql)
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted: visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A missing episode as first reported.
#[derive(InputObject)]
pub struct ReportMissingEpisodeInput {
    /// The child.
    pub child_id: ID,
    /// When the child went missing (not in the future).
    pub went_missing_at: DateTime<Utc>,
    /// When the child was reported missing to the police.
    pub reported_at: Option<DateTime<Utc>>,
    /// The police reference.
    pub police_reference: Option<String>,
    /// The risk assessed.
    pub risk_level: RiskLevel,
    /// Notes.
    pub notes: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// What changes in an episode (fields left out are unchanged).
#[derive(InputObject)]
pub struct UpdateMissingEpisodeInput {
    /// The episode.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// When the child was reported missing.
    pub reported_at: Option<DateTime<Utc>>,
    /// When the child returned.
    pub returned_at: Option<DateTime<Utc>>,
    /// The police reference.
    pub police_reference: Option<String>,
    /// The risk assessed.
    pub risk_level: Option<RiskLevel>,
    /// When the return interview took place (after the return).
    pub return_interview_at: Option<DateTime<Utc>>,
    /// When the advocate visited (after the return).
    pub advocate_visit_at: Option<DateTime<Utc>>,
    /// Notes.
    pub notes: Option<String>,
}

/// The episode as saved.
#[derive(SimpleObject)]
pub struct MissingEpisodePayload {
    /// The episode.
    pub missing_episode: MissingEpisode,
}

/// Missing episode mutations.
#[derive(Default)]
pub struct MissingMutation;

/// Missing episode mutations.
#[Object]
impl MissingMutation {
    /// Records that the child went missing; the chronology notes it.
    async fn report_missing_episode(
        &self,
        ctx: &Context<'_>,
        input: ReportMissingEpisodeInput,
    ) -> Result<MissingEpisodePayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = missing::report(
            request(ctx)?,
            child,
            ReportInput {
                went_missing_at: input.went_missing_at,
                reported_at: input.reported_at,
                police_reference: input.police_reference,
                risk_level: input.risk_level,
                notes: input.notes,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(MissingEpisodePayload {
            missing_episode: MissingEpisode(saved),
        })
    }

    /// Updates an episode: the report, the return, the return interview; the earlier version
    /// is kept.
    async fn update_missing_episode(
        &self,
        ctx: &Context<'_>,
        input: UpdateMissingEpisodeInput,
    ) -> Result<MissingEpisodePayload> {
        let id = uuid_of(&input.id, "MissingEpisode", "id")?;
        let saved = missing::update(
            request(ctx)?,
            id,
            input.expected_version,
            UpdateInput {
                reported_at: input.reported_at,
                returned_at: input.returned_at,
                police_reference: input.police_reference,
                risk_level: input.risk_level,
                return_interview_at: input.return_interview_at,
                advocate_visit_at: input.advocate_visit_at,
                notes: input.notes,
            },
        )
        .await
        .map_err(gql)?;
        Ok(MissingEpisodePayload {
            missing_episode: MissingEpisode(saved),
        })
    }
}
