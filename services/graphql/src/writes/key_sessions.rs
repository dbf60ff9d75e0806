//! Planning, recording and cancelling key sessions.

use super::uuid_of;
use crate::care::KeySession;
use crate::error::gql;
use crate::request::request;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::key_sessions::{self, HeldInput, PlanInput};
use keycare_entity::enums::{SessionFormat, SessionPurpose};

/// A key session to plan.
#[derive(InputObject)]
pub struct PlanKeySessionInput {
    /// The child.
    pub child_id: ID,
    /// When.
    pub planned_at: DateTime<Utc>,
    /// Where.
    pub venue: Option<String>,
    /// Formal or built around an activity.
    pub format: SessionFormat,
    /// Why (at least one).
    pub purposes: Vec<SessionPurpose>,
    /// The purpose, when OTHER.
    pub purpose_other: Option<String>,
}

/// The settling-in checklist of the first key session after admission.
#[derive(InputObject, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlingInInput {
    /// The child understands why they are placed and for how long.
    pub understands_why_placed: bool,
    /// The IPCP is done, or dated.
    pub ipcp_done_or_dated: bool,
    /// The Children's Guide was given.
    pub childrens_guide_given: bool,
    /// Fire precautions were explained.
    pub fire_precautions_explained: bool,
    /// Toiletries provided.
    pub toiletries: bool,
    /// Clothing provided.
    pub clothing: bool,
    /// Bedding provided.
    pub bedding: bool,
    /// Towels provided.
    pub towels: bool,
}

/// What happened in a session that was held.
#[derive(InputObject)]
pub struct RecordKeySessionInput {
    /// The planned session.
    pub id: ID,
    /// The version it was read at.
    pub expected_version: i32,
    /// When it was held (now when omitted; never in the future).
    pub held_at: Option<DateTime<Utc>>,
    /// Who held it (any staff member of the home; the viewer when omitted).
    pub held_by_id: Option<ID>,
    /// Notes, written to the child.
    pub notes: Option<String>,
    /// The child's views, in their words.
    pub child_views: Option<String>,
    /// Actions agreed.
    pub actions: Option<String>,
    /// Agencies to alert.
    pub agencies_to_alert: Option<String>,
    /// The settling-in checklist (required on the first session after admission).
    pub settling_in: Option<SettlingInInput>,
}

/// A planned session that will not take place.
#[derive(InputObject)]
pub struct CancelKeySessionInput {
    /// The planned session.
    pub id: ID,
    /// The version it was read at.
    pub expected_version: i32,
    /// True when the child declined it (otherwise the home cancelled it).
    #[graphql(default)]
    pub declined_by_child: bool,
    /// Why.
    pub reason: String,
}

/// The session as saved.
#[derive(SimpleObject)]
pub struct KeySessionPayload {
    /// The session.
    pub key_session: KeySession,
}

/// Key session mutations.
#[derive(Default)]
pub struct KeySessionMutation;

/// Key session mutations.
#[Object]
impl KeySessionMutation {
    /// Plans a key session.
    async fn plan_key_session(
        &self,
        ctx: &Context<'_>,
        input: PlanKeySessionInput,
    ) -> Result<KeySessionPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = key_sessions::plan(
            request(ctx)?,
            child,
            PlanInput {
                planned_at: input.planned_at,
                venue: input.venue,
                format: input.format,
                purposes: input.purposes,
                purpose_other: input.purpose_other,
            },
        )
        .await
        .map_err(gql)?;
        Ok(KeySessionPayload {
            key_session: KeySession(saved),
        })
    }

    /// Records a planned session as held.
    async fn record_key_session(
        &self,
        ctx: &Context<'_>,
        input: RecordKeySessionInput,
    ) -> Result<KeySessionPayload> {
        let id = uuid_of(&input.id, "KeySession", "id")?;
        let held_by = match &input.held_by_id {
            Some(u) => Some(uuid_of(u, "User", "heldById")?),
            None => None,
        };
        let settling_in = match &input.settling_in {
            Some(s) => Some(serde_json::to_value(s)?),
            None => None,
        };
        let saved = key_sessions::record_held(
            request(ctx)?,
            id,
            input.expected_version,
            HeldInput {
                held_at: input.held_at,
                held_by,
                notes: input.notes,
                child_views: input.child_views,
                actions: input.actions,
                agencies_to_alert: input.agencies_to_alert,
                settling_in,
            },
        )
        .await
        .map_err(gql)?;
        Ok(KeySessionPayload {
            key_session: KeySession(saved),
        })
    }

    /// Cancels a planned session, or records that the child declined it.
    async fn cancel_key_session(
        &self,
        ctx: &Context<'_>,
        input: CancelKeySessionInput,
    ) -> Result<KeySessionPayload> {
        let id = uuid_of(&input.id, "KeySession", "id")?;
        let saved = key_sessions::cancel(
            request(ctx)?,
            id,
            input.expected_version,
            input.declined_by_child,
            &input.reason,
        )
        .await
        .map_err(gql)?;
        Ok(KeySessionPayload {
            key_session: KeySession(saved),
        })
    }
}
