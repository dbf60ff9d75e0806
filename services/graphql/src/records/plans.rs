//! The pathway plan and weekly plans.

use super::opt_uuid;
use crate::care::person;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use chrono::{Datelike, NaiveDate};
use keycare_domain::care_record::tables;
use keycare_domain::plans::{self, PathwayInput, WeekInput};
use keycare_domain::request::Request;
use keycare_entity as e;
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// The child's pathway plan, if started (null with FORBIDDEN for a viewer who may not read
/// it).
pub(crate) async fn pathway_plan(ctx: &Context<'_>, child: Uuid) -> Result<Option<PathwayPlan>> {
    let plans = crate::care::list(
        ctx,
        child,
        tables::pathway_plans,
        (Some(1), None, None, None),
        PathwayPlan,
    )
    .await?;
    Ok(plans.and_then(|c| c.edges.into_iter().next().map(|e| e.node)))
}

/// The child's plan of the week starting `week_of` (by default the current week), batched
/// with the other children of the request.
pub(crate) async fn weekly_plan(
    ctx: &Context<'_>,
    child: Uuid,
    week_of: Option<NaiveDate>,
) -> Result<Option<WeeklyPlan>> {
    let req = request(ctx)?;
    let week = match week_of {
        Some(w) => keycare_domain::education::monday("weekOf", w).map_err(gql)?,
        None => {
            let today = req.now.date_naive();
            today - chrono::Duration::days(today.weekday().num_days_from_monday().into())
        }
    };
    let loader = ctx.data::<DataLoader<WeekLoader>>()?;
    match loader.load_one((child, week)).await? {
        Some(found) => Ok(found?.map(WeeklyPlan)),
        None => Ok(None),
    }
}

/// Loads the plans of given weeks of many children of one request in one query.
pub struct WeekLoader(pub Weak<Request>);

impl Loader<(Uuid, NaiveDate)> for WeekLoader {
    type Value = Result<Option<e::weekly_plan::Model>>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(Uuid, NaiveDate)],
    ) -> Result<HashMap<(Uuid, NaiveDate), Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        Ok(plans::weeks(&req, keys)
            .await
            .map_err(gql)?
            .into_iter()
            .map(|(key, plan)| (key, plan.map_err(gql)))
            .collect())
    }
}

/// The pathway plan for leaving care (due by 15 years 6 months, the council's policy).
pub struct PathwayPlan(pub e::pathway_plan::Model);

/// The pathway plan for leaving care (due by 15 years 6 months, the council's policy).
#[Object]
impl PathwayPlan {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("PathwayPlan", self.0.id)
    }
    /// When it is due.
    async fn due_on(&self) -> Option<Date> {
        self.0.due_on.map(Date)
    }
    /// The leaving-care worker.
    async fn leaving_care_worker(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.leaving_care_worker_id).await
    }
    /// The plan.
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    /// When the leaving-care needs assessment took place.
    async fn needs_assessment_on(&self) -> Option<Date> {
        self.0.needs_assessment_on.map(Date)
    }
    /// When the plan was completed.
    async fn completed_on(&self) -> Option<Date> {
        self.0.completed_on.map(Date)
    }
    /// Who started it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
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

/// The child's week: getting up, school transport, contact and return times.
pub struct WeeklyPlan(pub e::weekly_plan::Model);

/// The child's week: getting up, school transport, contact and return times.
#[Object]
impl WeeklyPlan {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("WeeklyPlan", self.0.id)
    }
    /// The Monday of the week.
    async fn week_of(&self) -> Date {
        self.0.week_of.into()
    }
    /// Getting up.
    async fn getting_up(&self) -> Option<&str> {
        self.0.getting_up.as_deref()
    }
    /// School transport.
    async fn school_transport(&self) -> Option<&str> {
        self.0.school_transport.as_deref()
    }
    /// Contact times.
    async fn contact_times(&self) -> Option<&str> {
        self.0.contact_times.as_deref()
    }
    /// When the child is to be back.
    async fn return_times(&self) -> Option<&str> {
        self.0.return_times.as_deref()
    }
    /// Anything else about the week.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Who wrote it.
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
}

/// The pathway plan as saved: fields left out are unchanged.
#[derive(InputObject)]
pub struct SavePathwayPlanInput {
    /// The child.
    pub child_id: ID,
    /// The plan's version; leave out to start the plan.
    pub expected_version: Option<i32>,
    /// When it is due (by the council's policy when a plan is started without it).
    pub due_on: Option<Date>,
    /// The leaving-care worker (a user).
    pub leaving_care_worker_id: Option<ID>,
    /// The plan.
    pub content: Option<String>,
    /// When the leaving-care needs assessment took place.
    pub needs_assessment_on: Option<Date>,
    /// When the plan was completed.
    pub completed_on: Option<Date>,
}

/// A week's plan as saved: fields left out are unchanged.
#[derive(InputObject)]
pub struct SaveWeeklyPlanInput {
    /// The child.
    pub child_id: ID,
    /// The Monday of the week.
    pub week_of: Date,
    /// The plan's version; leave out to start the week's plan.
    pub expected_version: Option<i32>,
    /// Getting up.
    pub getting_up: Option<String>,
    /// School transport.
    pub school_transport: Option<String>,
    /// Contact times.
    pub contact_times: Option<String>,
    /// When the child is to be back.
    pub return_times: Option<String>,
    /// Anything else about the week.
    pub notes: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// The pathway plan as saved.
#[derive(SimpleObject)]
pub struct PathwayPlanPayload {
    /// The plan.
    pub pathway_plan: PathwayPlan,
}

/// The weekly plan as saved.
#[derive(SimpleObject)]
pub struct WeeklyPlanPayload {
    /// The plan.
    pub weekly_plan: WeeklyPlan,
}

/// Pathway and weekly plan mutations.
#[derive(Default)]
pub struct PlanMutation;

/// Pathway and weekly plan mutations.
#[Object]
impl PlanMutation {
    /// Starts or saves the pathway plan (a failed save lists in `extensions.notSaved` what
    /// was not saved).
    async fn save_pathway_plan(
        &self,
        ctx: &Context<'_>,
        input: SavePathwayPlanInput,
    ) -> Result<PathwayPlanPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let worker = opt_uuid(
            input.leaving_care_worker_id.as_ref(),
            "User",
            "leavingCareWorkerId",
        )?;
        let saved = plans::save_pathway(
            request(ctx)?,
            child,
            input.expected_version,
            PathwayInput {
                due_on: input.due_on.map(|d| d.0),
                leaving_care_worker: worker,
                content: input.content,
                needs_assessment_on: input.needs_assessment_on.map(|d| d.0),
                completed_on: input.completed_on.map(|d| d.0),
            },
        )
        .await
        .map_err(gql)?;
        Ok(PathwayPlanPayload {
            pathway_plan: PathwayPlan(saved),
        })
    }

    /// Starts or saves the plan of a week (one per child and week).
    async fn save_weekly_plan(
        &self,
        ctx: &Context<'_>,
        input: SaveWeeklyPlanInput,
    ) -> Result<WeeklyPlanPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = plans::save_week(
            request(ctx)?,
            child,
            input.week_of.0,
            input.expected_version,
            WeekInput {
                getting_up: input.getting_up,
                school_transport: input.school_transport,
                contact_times: input.contact_times,
                return_times: input.return_times,
                notes: input.notes,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(WeeklyPlanPayload {
            weekly_plan: WeeklyPlan(saved),
        })
    }
}
