//! Writing and correcting daily logs.

use super::uuid_of;
use crate::care::DailyLog;
use crate::error::gql;
use crate::request::request;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::daily_logs::{self, LogInput};

/// A new daily log entry, written to the child.
#[derive(InputObject)]
pub struct WriteDailyLogInput {
    /// The child.
    pub child_id: ID,
    /// When it happened (not in the future).
    pub occurred_at: DateTime<Utc>,
    /// The entry, in plain language, to the child.
    pub text: String,
    /// Categories, e.g. `routine`, `school`, `health`.
    #[graphql(default)]
    pub categories: Vec<String>,
    /// Restricted entries (e.g. a disclosure) are visible only to the key team, the manager
    /// and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// A correction of a daily log entry (the earlier version is kept).
#[derive(InputObject)]
pub struct CorrectDailyLogInput {
    /// The entry.
    pub id: ID,
    /// The version the correction was made on.
    pub expected_version: i32,
    /// The corrected text.
    pub text: String,
    /// New categories (unchanged when omitted).
    pub categories: Option<Vec<String>>,
}

/// The entry as saved.
#[derive(SimpleObject)]
pub struct DailyLogPayload {
    /// The entry.
    pub daily_log: DailyLog,
}

/// Daily log mutations.
#[derive(Default)]
pub struct DailyLogMutation;

/// Daily log mutations.
#[Object]
impl DailyLogMutation {
    /// Writes a daily log entry.
    async fn write_daily_log(
        &self,
        ctx: &Context<'_>,
        input: WriteDailyLogInput,
    ) -> Result<DailyLogPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = daily_logs::write(
            request(ctx)?,
            child,
            LogInput {
                occurred_at: input.occurred_at,
                text: input.text,
                categories: input.categories,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(DailyLogPayload {
            daily_log: DailyLog(saved),
        })
    }

    /// Corrects a daily log entry; the earlier version is kept. Home staff may correct only
    /// what they wrote.
    async fn correct_daily_log(
        &self,
        ctx: &Context<'_>,
        input: CorrectDailyLogInput,
    ) -> Result<DailyLogPayload> {
        let id = uuid_of(&input.id, "DailyLog", "id")?;
        let saved = daily_logs::correct(
            request(ctx)?,
            id,
            input.expected_version,
            &input.text,
            input.categories.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(DailyLogPayload {
            daily_log: DailyLog(saved),
        })
    }
}
