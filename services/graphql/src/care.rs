//! The care record as GraphQL: children, homes, placements, the key team and the records of
//! each kind, as Relay connections. Resolvers only parse arguments, call the domain crate
//! and map its results; every access decision is the authorization module's.

use crate::connection::{Conn, args, connection};
use crate::error::gql;
use crate::ids::global_id;
use crate::people::{Person, PersonLoader};
use crate::request::request;
use crate::scalars::Date;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::care_record::{self as cr, ChildFilter, PlacementState, tables};
use keycare_domain::request::Request;
use keycare_entity as e;
use keycare_entity::enums::*;
use sea_orm::Condition;
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

pub(crate) async fn person(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<Person>> {
    let Some(id) = id else { return Ok(None) };
    let loader = ctx
        .data::<std::sync::Arc<DataLoader<PersonLoader, async_graphql::dataloader::HashMapCache>>>(
        )?;
    loader.load_one(id).await
}

/// The first page of a kind of record for a child, batched with the other children of the
/// same request.
async fn first_page<E>(
    ctx: &Context<'_>,
    child: Uuid,
    first: Option<i32>,
) -> Result<keycare_domain::pages::Page<E::Model>>
where
    E: sea_orm::EntityTrait + Send + Sync,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync + 'static,
{
    let key = crate::pages::PageKey { child, first };
    load_batched::<crate::pages::FirstPages<E>, _, _>(ctx, key).await
}

/// A page of a child's records of one kind, newest first: the first page batched with the
/// other children of the request, later pages by cursor.
async fn records_page<E>(
    ctx: &Context<'_>,
    child: Uuid,
    table: fn() -> cr::RecordTable<E>,
    paging: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> Result<keycare_domain::pages::Page<E::Model>>
where
    E: sea_orm::EntityTrait + Send + Sync,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync + 'static,
{
    let (first, after, last, before) = paging;
    if first_page_asked(&after, last, &before) {
        return first_page::<E>(ctx, child, first).await;
    }
    cr::records(
        request(ctx)?,
        child,
        &table(),
        &args(first, after, last, before),
        Condition::all(),
    )
    .await
    .map_err(gql)
}

/// A child's records of one kind as a connection, newest first: the first page batched with
/// the other children of the request, later pages by cursor. Null with FORBIDDEN when the
/// viewer may not read the kind.
pub(crate) async fn list<E, T>(
    ctx: &Context<'_>,
    child: Uuid,
    table: fn() -> cr::RecordTable<E>,
    paging: (Option<i32>, Option<String>, Option<i32>, Option<String>),
    wrap: fn(E::Model) -> T,
) -> Result<Option<Conn<T>>>
where
    E: sea_orm::EntityTrait + Send + Sync,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync + 'static,
    T: async_graphql::OutputType,
{
    let page = records_page(ctx, child, table, paging).await?;
    Ok(Some(connection(page, wrap)))
}

/// Whether paging arguments ask for the first page (no cursor, not from the end): such
/// pages of a short list read whole are cut from the list batched for the request.
fn first_page_asked(after: &Option<String>, last: Option<i32>, before: &Option<String>) -> bool {
    after.is_none() && last.is_none() && before.is_none()
}

/// The result of a batched look-up for one key: its value, or NOT_FOUND when the batch left
/// it out.
async fn load_batched<L, K, T>(ctx: &Context<'_>, key: K) -> Result<T>
where
    L: Loader<K, Value = Result<T>, Error = async_graphql::Error>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Send + Sync + Clone + 'static,
{
    match ctx.data::<DataLoader<L>>()?.load_one(key).await? {
        Some(value) => value,
        None => Err(gql(keycare_domain::DomainError::NotFound)),
    }
}

/// A batched look-up's result or error per child, as GraphQL results.
fn per_child<T>(found: cr::ByChild<T>) -> HashMap<Uuid, Result<T>> {
    found
        .into_iter()
        .map(|(child, value)| (child, value.map_err(gql)))
        .collect()
}

/// Loads the placement histories of many children of one request in one statement.
pub struct PlacementLoader(pub Weak<Request>);

impl Loader<Uuid> for PlacementLoader {
    type Value = Result<cr::PlacementHistory>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        Ok(per_child(cr::placements_of(&req, keys).await.map_err(gql)?))
    }
}

/// Loads the key teams of many children of one request in one statement.
pub struct KeyTeamLoader(pub Weak<Request>);

impl Loader<Uuid> for KeyTeamLoader {
    type Value = Result<cr::KeyTeamHistory>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        Ok(per_child(cr::key_teams(&req, keys).await.map_err(gql)?))
    }
}

/// Loads the Safe Care Plans of many children of one request in one statement.
pub struct SafeCarePlanLoader(pub Weak<Request>);

impl Loader<Uuid> for SafeCarePlanLoader {
    type Value = Result<Option<e::safe_care_plan::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        Ok(per_child(
            cr::safe_care_plans(&req, keys).await.map_err(gql)?,
        ))
    }
}

/// Loads the current (latest published) care plan versions of many children of one request
/// in one statement.
pub struct CurrentCarePlanLoader(pub Weak<Request>);

impl Loader<Uuid> for CurrentCarePlanLoader {
    type Value = Result<Option<e::care_plan::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        let published = Condition::all().add(sea_orm::ColumnTrait::eq(
            &e::care_plan::Column::Status,
            PlanStatus::Published,
        ));
        let found = cr::first_pages_where(&req, &tables::care_plans(), keys, Some(1), published)
            .await
            .map_err(gql)?;
        Ok(found
            .pages
            .into_iter()
            .map(|(child, page)| {
                let current = page
                    .map(|p| p.rows.into_iter().next().map(|(_, m)| m))
                    .map_err(gql);
                (child, current)
            })
            .collect())
    }
}

/// A looked-after child.
pub struct Child(pub e::child::Model);

/// A looked-after child.
#[Object]
impl Child {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("Child", self.0.id)
    }
    /// Legal name.
    async fn legal_name(&self) -> &str {
        &self.0.legal_name
    }
    /// The name the child likes to be called, if different.
    async fn preferred_name(&self) -> Option<&str> {
        self.0.preferred_name.as_deref()
    }
    /// Date of birth.
    async fn date_of_birth(&self) -> Date {
        self.0.date_of_birth.into()
    }
    /// Gender, as the child describes it.
    async fn gender(&self) -> &str {
        &self.0.gender
    }
    /// Ethnicity.
    async fn ethnicity(&self) -> Option<&str> {
        self.0.ethnicity.as_deref()
    }
    /// Religion.
    async fn religion(&self) -> Option<&str> {
        self.0.religion.as_deref()
    }
    /// First language.
    async fn first_language(&self) -> Option<&str> {
        self.0.first_language.as_deref()
    }
    /// The legal basis on which the child is looked after.
    async fn legal_status(&self) -> LegalStatus {
        self.0.legal_status
    }
    /// The date the child became looked after (starts the statutory review cycle).
    async fn looked_after_since(&self) -> Date {
        self.0.looked_after_since.into()
    }
    /// The placing authority.
    async fn placing_authority(&self) -> &str {
        &self.0.placing_authority
    }
    /// The placing authority's case number.
    async fn placing_authority_ref(&self) -> Option<&str> {
        self.0.placing_authority_ref.as_deref()
    }
    /// NHS number.
    async fn nhs_number(&self) -> Option<&str> {
        self.0.nhs_number.as_deref()
    }
    /// Version, for optimistic locking of updates.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Placement history, newest first.
    async fn placements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Placement>> {
        let page = if first_page_asked(&after, last, &before) {
            let rows = load_batched::<PlacementLoader, _, _>(ctx, self.0.id).await?;
            keycare_domain::pages::page_in_memory(rows, &args(first, None, None, None), |(p, _)| {
                p.id
            })
        } else {
            cr::placements(request(ctx)?, self.0.id, &args(first, after, last, before)).await
        }
        .map_err(gql)?;
        Ok(connection(page, |(p, home)| Placement { p, home }))
    }

    /// The key team with its history: current assignments first, then ended ones with the
    /// reason they ended. Null with FORBIDDEN if the viewer may not read it.
    async fn key_team(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<KeyTeamAssignment>>> {
        let page = if first_page_asked(&after, last, &before) {
            let rows = load_batched::<KeyTeamLoader, _, _>(ctx, self.0.id).await?;
            keycare_domain::pages::page_in_memory(rows, &args(first, None, None, None), |(a, _)| {
                a.id
            })
        } else {
            cr::key_team(request(ctx)?, self.0.id, &args(first, after, last, before)).await
        }
        .map_err(gql)?;
        Ok(Some(connection(page, |(a, _)| KeyTeamAssignment(a))))
    }

    /// Key sessions, newest first.
    async fn key_sessions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<KeySession>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0.id, tables::key_sessions, paging, KeySession).await
    }

    /// Monthly summaries, newest month first.
    async fn monthly_summaries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<MonthlySummary>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::monthly_summaries,
            paging,
            MonthlySummary,
        )
        .await
    }

    /// Daily log entries, newest first.
    async fn daily_logs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<DailyLog>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0.id, tables::daily_logs, paging, DailyLog).await
    }

    /// The Individual Placement Care Plan: its versions and monthly reviews.
    async fn care_plan(&self, ctx: &Context<'_>) -> Result<Option<CarePlan>> {
        cr::care_plan(request(ctx)?, self.0.id).await.map_err(gql)?;
        Ok(Some(CarePlan { child: self.0.id }))
    }

    /// The Safe Care Plan, with its risks and reviews (null if none is written yet).
    async fn safe_care_plan(&self, ctx: &Context<'_>) -> Result<Option<SafeCarePlan>> {
        let plan = load_batched::<SafeCarePlanLoader, _, _>(ctx, self.0.id).await?;
        Ok(plan.map(SafeCarePlan))
    }

    /// Statutory (looked-after) reviews, latest scheduled first, with their reports and consultation booklets.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<crate::records::reviews::StatutoryReview>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::statutory_reviews,
            paging,
            crate::records::reviews::StatutoryReview,
        )
        .await
    }

    /// Missing episodes, latest first.
    async fn missing_episodes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<crate::records::missing::MissingEpisode>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::missing_episodes,
            paging,
            crate::records::missing::MissingEpisode,
        )
        .await
    }

    /// Weekly file audits, newest week first.
    async fn file_audits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<crate::records::file_audits::FileAudit>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::file_audits,
            paging,
            crate::records::file_audits::FileAudit,
        )
        .await
    }

    /// The child's weekly plans, newest week first.
    async fn weekly_plans(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<crate::records::plans::WeeklyPlan>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::weekly_plans,
            paging,
            crate::records::plans::WeeklyPlan,
        )
        .await
    }

    /// The chronology: significant events, newest first (written by hand, and noted as missing episodes, exclusions and reviews are recorded).
    async fn chronology(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<crate::records::chronology::ChronologyEntry>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0.id,
            tables::chronology_entries,
            paging,
            crate::records::chronology::ChronologyEntry,
        )
        .await
    }

    /// Health: registrations and assessments (the health plan); appointments,
    /// measurements and medication (health records). Each list answers null with FORBIDDEN
    /// when the viewer may not read it.
    async fn health(&self) -> crate::records::health::ChildHealth {
        crate::records::health::ChildHealth(self.0.id)
    }

    /// Education: the school, college or work placement, weekly school liaison, PEP
    /// meetings and exclusions.
    async fn education(&self) -> crate::records::education::ChildEducation {
        crate::records::education::ChildEducation(self.0.id)
    }

    /// Family and contact: the people who matter to the child, contact arrangements,
    /// restrictions and visits.
    async fn contacts(&self) -> crate::records::family::ChildContacts {
        crate::records::family::ChildContacts(self.0.id)
    }

    /// The clothing allowance: the weekly rate, the balance and the ledger.
    async fn clothing_ledger(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::records::clothing::ClothingAccount>> {
        crate::records::clothing::account(ctx, self.0.id).await
    }

    /// The child's plan for a week (getting up, school transport, contact and return
    /// times): the week starting `weekOf` (a Monday), by default the current week. Null when
    /// that week has no plan; `weeklyPlans` lists them all.
    async fn weekly_plan(
        &self,
        ctx: &Context<'_>,
        week_of: Option<Date>,
    ) -> Result<Option<crate::records::plans::WeeklyPlan>> {
        crate::records::plans::weekly_plan(ctx, self.0.id, week_of.map(|d| d.0)).await
    }

    /// The pathway plan (null if none has been started).
    async fn pathway_plan(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::records::plans::PathwayPlan>> {
        crate::records::plans::pathway_plan(ctx, self.0.id).await
    }

    /// What is due for the child (in placement): every rule of the council's timescales, of
    /// the kinds of record the viewer may read; overdue first, then by due date.
    async fn due_items(
        &self,
        ctx: &Context<'_>,
        state: Option<DueState>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<crate::records::due::DueItem>> {
        let paging = (first, after, last, before);
        crate::records::due::of_child(ctx, self.0.id, state, paging).await
    }

    /// What the viewer may read and write for this child, kind by kind, from the same policy
    /// that enforces it: front ends hide what the viewer cannot use.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<Vec<KindAccess>> {
        let rows = cr::viewer_can(request(ctx)?, self.0.id)
            .await
            .map_err(gql)?;
        Ok(rows
            .into_iter()
            .map(|(kind, read, write)| KindAccess {
                kind: kind.as_str().to_owned(),
                read,
                write,
            })
            .collect())
    }
}

/// Whether the viewer may read and write one kind of record of a child.
#[derive(SimpleObject)]
pub struct KindAccess {
    /// The kind of record, as named in the access policy (e.g. `daily_log`).
    pub kind: String,
    /// The viewer may read records of this kind.
    pub read: bool,
    /// The viewer may create or change records of this kind (some only their own).
    pub write: bool,
}

/// A child's stay in a home.
pub struct Placement {
    pub p: e::placement::Model,
    pub home: Option<e::home::Model>,
}

/// A child's stay in a home.
#[Object]
impl Placement {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("Placement", self.p.id)
    }
    /// The home.
    async fn home(&self) -> Option<Home> {
        self.home.clone().map(Home)
    }
    /// Admission date.
    async fn admission_date(&self) -> Date {
        self.p.admission_date.into()
    }
    /// Planned end date, if any.
    async fn planned_end_date(&self) -> Option<Date> {
        self.p.planned_end_date.map(Date)
    }
    /// The day the placement ended; null while it is open.
    async fn end_date(&self) -> Option<Date> {
        self.p.end_date.map(Date)
    }
    /// Why it ended.
    async fn end_reason(&self) -> Option<&str> {
        self.p.end_reason.as_deref()
    }
    /// Why no key carer was appointed on admission, when the appointment is late.
    async fn key_carer_pending_reason(&self) -> Option<&str> {
        self.p.key_carer_pending_reason.as_deref()
    }
    /// Version, for optimistic locking.
    async fn version(&self) -> i32 {
        self.p.version
    }
}

/// A children's home.
pub struct Home(pub e::home::Model);

/// A children's home.
#[Object]
impl Home {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("Home", self.0.id)
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Ofsted unique reference number.
    async fn ofsted_urn(&self) -> &str {
        &self.0.ofsted_urn
    }
    /// Address.
    async fn address(&self) -> &str {
        &self.0.address
    }
    /// Number of beds.
    async fn beds(&self) -> i32 {
        self.0.beds
    }
    /// Whether the home is operating.
    async fn status(&self) -> HomeStatus {
        self.0.status
    }
    /// Optimistic-locking version: pass it back as `expectedVersion` to `changeHome`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A key carer or co-key carer assignment, current or ended.
pub struct KeyTeamAssignment(pub e::key_team_assignment::Model);

/// A key carer or co-key carer assignment, current or ended.
#[Object]
impl KeyTeamAssignment {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("KeyTeamAssignment", self.0.id)
    }
    /// Key carer or co-key carer.
    async fn role(&self) -> KeyTeamRole {
        self.0.role
    }
    /// The member of staff.
    async fn member(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.user_id)).await
    }
    /// First day.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// The day it ended; null while current.
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }
    /// Why it ended.
    async fn end_reason(&self) -> Option<KeyCarerChangeReason> {
        self.0.end_reason
    }
    /// The note given with the reason.
    async fn end_note(&self) -> Option<&str> {
        self.0.end_note.as_deref()
    }
    /// The manager who appointed them.
    async fn appointed_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.appointed_by)).await
    }
    /// True while the assignment is current.
    async fn current(&self) -> bool {
        self.0.end_date.is_none()
    }
}

/// A key session between the child and a member of staff.
pub struct KeySession(pub e::key_session::Model);

/// A key session between the child and a member of staff.
#[Object]
impl KeySession {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("KeySession", self.0.id)
    }
    /// When it is or was planned for.
    async fn planned_at(&self) -> DateTime<Utc> {
        self.0.planned_at
    }
    /// Where.
    async fn venue(&self) -> Option<&str> {
        self.0.venue.as_deref()
    }
    /// Formal or built around an activity.
    async fn format(&self) -> SessionFormat {
        self.0.format
    }
    /// Purposes of the session.
    async fn purposes(&self) -> Vec<String> {
        serde_json::from_value(self.0.purposes.clone()).unwrap_or_default()
    }
    /// Planned, held, cancelled or declined by the child.
    async fn status(&self) -> SessionStatus {
        self.0.status
    }
    /// Who held it (any staff member of the home).
    async fn held_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.held_by_id).await
    }
    /// When it was held.
    async fn held_at(&self) -> Option<DateTime<Utc>> {
        self.0.held_at
    }
    /// Notes, written to the child.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// The child's views, in their words.
    async fn child_views(&self) -> Option<&str> {
        self.0.child_views.as_deref()
    }
    /// Actions agreed.
    async fn actions(&self) -> Option<&str> {
        self.0.actions.as_deref()
    }
    /// Agencies to alert.
    async fn agencies_to_alert(&self) -> Option<&str> {
        self.0.agencies_to_alert.as_deref()
    }
    /// The settling-in checklist, on the first session after admission.
    async fn settling_in(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.settling_in.clone().map(async_graphql::Json)
    }
    /// Who wrote the record.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted records are visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Version, for optimistic locking of updates.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A monthly summary, written to the child, read and signed by them.
pub struct MonthlySummary(pub e::monthly_summary::Model);

/// A monthly summary, written to the child, read and signed by them.
#[Object]
impl MonthlySummary {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("MonthlySummary", self.0.id)
    }
    /// The first day of the month summarised.
    async fn month(&self) -> Date {
        self.0.month.into()
    }
    /// Draft, submitted or acknowledged.
    async fn status(&self) -> SummaryStatus {
        self.0.status
    }
    /// Health.
    async fn health(&self) -> Option<&str> {
        self.0.health.as_deref()
    }
    /// Education.
    async fn education(&self) -> Option<&str> {
        self.0.education.as_deref()
    }
    /// Family and friends.
    async fn family_and_friends(&self) -> Option<&str> {
        self.0.family_and_friends.as_deref()
    }
    /// Behaviour.
    async fn behaviour(&self) -> Option<&str> {
        self.0.behaviour.as_deref()
    }
    /// Achievements.
    async fn achievements(&self) -> Option<&str> {
        self.0.achievements.as_deref()
    }
    /// Progress against the IPCP.
    async fn ipcp_progress(&self) -> Option<&str> {
        self.0.ipcp_progress.as_deref()
    }
    /// Who wrote it (the key carer or a nominee).
    async fn written_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.written_by_id)).await
    }
    /// When the child signed it.
    async fn child_signed_at(&self) -> Option<DateTime<Utc>> {
        self.0.child_signed_at
    }
    /// The child's comment, in their words.
    async fn child_comment(&self) -> Option<&str> {
        self.0.child_comment.as_deref()
    }
    /// When it was submitted to the manager.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// When the manager acknowledged it.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    /// The manager who acknowledged it.
    async fn acknowledged_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.acknowledged_by_id).await
    }
    /// Version, for optimistic locking of updates.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A daily log entry, written to the child.
pub struct DailyLog(pub e::daily_log::Model);

/// A daily log entry, written to the child.
#[Object]
impl DailyLog {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("DailyLog", self.0.id)
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The entry.
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// Categories.
    async fn categories(&self) -> Vec<String> {
        serde_json::from_value(self.0.categories.clone()).unwrap_or_default()
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted entries (e.g. a disclosure) are visible only to the key team, the manager
    /// and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Version, for optimistic locking of corrections.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// The Individual Placement Care Plan: versions and monthly reviews.
pub struct CarePlan {
    child: Uuid,
}

/// The Individual Placement Care Plan: versions and monthly reviews.
#[Object]
impl CarePlan {
    /// The current (latest published) version.
    async fn current(&self, ctx: &Context<'_>) -> Result<Option<CarePlanVersion>> {
        let current = load_batched::<CurrentCarePlanLoader, _, _>(ctx, self.child).await?;
        Ok(current.map(CarePlanVersion))
    }
    /// Every version, newest first.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<CarePlanVersion>> {
        let paging = (first, after, last, before);
        let page = records_page(ctx, self.child, tables::care_plans, paging).await?;
        Ok(connection(page, CarePlanVersion))
    }
    /// Monthly reviews, newest first (recorded even when nothing changes).
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<CarePlanReview>> {
        let paging = (first, after, last, before);
        let page = records_page(ctx, self.child, tables::care_plan_reviews, paging).await?;
        Ok(connection(page, CarePlanReview))
    }
}

/// One version of the IPCP, with its Equality and Diversity plan.
pub struct CarePlanVersion(pub e::care_plan::Model);

/// One version of the IPCP, with its Equality and Diversity plan.
#[Object]
impl CarePlanVersion {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("CarePlanVersion", self.0.id)
    }
    /// Version number, from 1.
    async fn version_number(&self) -> i32 {
        self.0.version_number
    }
    /// Draft, published or superseded.
    async fn status(&self) -> PlanStatus {
        self.0.status
    }
    /// Outcomes and needs.
    async fn outcomes_and_needs(&self) -> Option<&str> {
        self.0.outcomes_and_needs.as_deref()
    }
    /// Health.
    async fn health(&self) -> Option<&str> {
        self.0.health.as_deref()
    }
    /// Education.
    async fn education(&self) -> Option<&str> {
        self.0.education.as_deref()
    }
    /// Family contact.
    async fn family_contact(&self) -> Option<&str> {
        self.0.family_contact.as_deref()
    }
    /// The Equality and Diversity plan.
    async fn equality_and_diversity(&self) -> EqualityAndDiversity {
        EqualityAndDiversity {
            background: self.0.identity_background.clone(),
            culture: self.0.culture.clone(),
            heritage: self.0.heritage.clone(),
            religion: self.0.religion.clone(),
            diet: self.0.diet.clone(),
            language: self.0.language.clone(),
        }
    }
    /// Leisure.
    async fn leisure(&self) -> Option<&str> {
        self.0.leisure.as_deref()
    }
    /// Independence skills.
    async fn independence_skills(&self) -> Option<&str> {
        self.0.independence_skills.as_deref()
    }
    /// A behaviour goal.
    async fn behaviour_goal(&self) -> Option<&str> {
        self.0.behaviour_goal.as_deref()
    }
    /// When it was published.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// Signatures: child, key carer, social worker, manager.
    async fn signatures(&self) -> PlanSignatures {
        PlanSignatures {
            child_at: self.0.signed_child_at,
            key_carer_at: self.0.signed_key_carer_at,
            social_worker_at: self.0.signed_social_worker_at,
            manager_at: self.0.signed_manager_at,
        }
    }
    /// Version, for optimistic locking of updates.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// The Equality and Diversity plan: identity and culture.
#[derive(SimpleObject)]
pub struct EqualityAndDiversity {
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

/// When each party signed a plan.
#[derive(SimpleObject)]
pub struct PlanSignatures {
    /// The child.
    pub child_at: Option<DateTime<Utc>>,
    /// The key carer.
    pub key_carer_at: Option<DateTime<Utc>>,
    /// The social worker.
    pub social_worker_at: Option<DateTime<Utc>>,
    /// The manager.
    pub manager_at: Option<DateTime<Utc>>,
}

/// A monthly review of the IPCP.
pub struct CarePlanReview(pub e::care_plan_review::Model);

/// A monthly review of the IPCP.
#[Object]
impl CarePlanReview {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("CarePlanReview", self.0.id)
    }
    /// The day of the review.
    async fn reviewed_on(&self) -> Date {
        self.0.reviewed_on.into()
    }
    /// Whether the plan changed.
    async fn changes_made(&self) -> bool {
        self.0.changes_made
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
}

/// The Safe Care Plan: risks, the missing-from-care agreement, reviews, the social worker's
/// signature.
pub struct SafeCarePlan(pub e::safe_care_plan::Model);

/// The Safe Care Plan: risks, the missing-from-care agreement, reviews, the social worker's
/// signature.
#[Object]
impl SafeCarePlan {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("SafeCarePlan", self.0.id)
    }
    /// When to report the child missing.
    async fn missing_from_care_agreement(&self) -> Option<&str> {
        self.0.missing_from_care_agreement.as_deref()
    }
    /// When it was shared with the social worker.
    async fn shared_with_social_worker_at(&self) -> Option<DateTime<Utc>> {
        self.0.shared_with_social_worker_at
    }
    /// When the social worker signed it.
    async fn social_worker_signed_at(&self) -> Option<DateTime<Utc>> {
        self.0.social_worker_signed_at
    }
    /// The risks, newest first; retired risks included with their retirement time.
    async fn risks(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<SafeCareRisk>> {
        let paging = (first, after, last, before);
        let page = records_page(ctx, self.0.child_id, tables::safe_care_risks, paging).await?;
        Ok(connection(page, SafeCareRisk))
    }
    /// Reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<SafeCareReview>> {
        let paging = (first, after, last, before);
        let page = records_page(ctx, self.0.child_id, tables::safe_care_reviews, paging).await?;
        Ok(connection(page, SafeCareReview))
    }
    /// Version, for optimistic locking of updates.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A risk in the Safe Care Plan.
pub struct SafeCareRisk(pub e::safe_care_risk::Model);

/// A risk in the Safe Care Plan.
#[Object]
impl SafeCareRisk {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("SafeCareRisk", self.0.id)
    }
    /// The kind of risk.
    async fn category(&self) -> RiskCategory {
        self.0.category
    }
    /// Who is at risk: self, staff, other_children, community.
    async fn at_risk(&self) -> Vec<String> {
        serde_json::from_value(self.0.at_risk.clone()).unwrap_or_default()
    }
    /// Low, medium or high.
    async fn level(&self) -> RiskLevel {
        self.0.level
    }
    /// How it is managed.
    async fn management(&self) -> &str {
        &self.0.management
    }
    /// When it was retired; null while current.
    async fn retired_at(&self) -> Option<DateTime<Utc>> {
        self.0.retired_at
    }
    /// Version, for optimistic locking of changes.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A review of the Safe Care Plan.
pub struct SafeCareReview(pub e::safe_care_review::Model);

/// A review of the Safe Care Plan.
#[Object]
impl SafeCareReview {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("SafeCareReview", self.0.id)
    }
    /// The day of the review.
    async fn reviewed_on(&self) -> Date {
        self.0.reviewed_on.into()
    }
    /// Why it took place: scheduled, after an incident or after a missing episode.
    async fn trigger(&self) -> ReviewTrigger {
        self.0.trigger
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
}

/// Which placements a children list covers.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlacementFilter {
    /// Children in placement now.
    #[default]
    Open,
    /// Children whose placement has ended.
    Closed,
    /// Both.
    Any,
}

/// Filters of `children`.
#[derive(InputObject, Default)]
pub struct ChildrenFilter {
    /// Only children placed in this home.
    pub home_id: Option<ID>,
    /// Only the viewer's key children (key carer or co-key carer).
    #[graphql(default)]
    pub my_key_children: bool,
    /// Open placements (default), closed ones, or both.
    #[graphql(default)]
    pub placement: PlacementFilter,
    /// Part of the legal or preferred name, any case.
    pub name: Option<String>,
}

/// Queries of the care record.
#[derive(Default)]
pub struct CareQuery;

fn uuid_of(id: &ID, kind: &str, field: &str) -> Result<Uuid> {
    match crate::ids::parse_global_id(id) {
        Some((k, uuid)) if k == kind => Ok(uuid),
        _ => Err(gql(keycare_domain::DomainError::bad_input(
            field,
            format!("is not the id of a {kind}"),
        ))),
    }
}

/// Queries of the care record.
#[Object]
impl CareQuery {
    /// The homes the viewer works in or whose children they may see (every home of the
    /// council for the tenant administrator and council reporting).
    async fn homes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Home>> {
        let page = cr::homes(request(ctx)?, &args(first, after, last, before))
            .await
            .map_err(gql)?;
        Ok(connection(page, Home))
    }

    /// One home.
    async fn home(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Home>> {
        let id = uuid_of(&id, "Home", "id")?;
        Ok(Some(Home(cr::home(request(ctx)?, id).await.map_err(gql)?)))
    }

    /// The children the viewer may see, by legal name.
    async fn children(
        &self,
        ctx: &Context<'_>,
        filter: Option<ChildrenFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<Child>> {
        let f = filter.unwrap_or_default();
        let home = match &f.home_id {
            Some(id) => Some(uuid_of(id, "Home", "filter.homeId")?),
            None => None,
        };
        let filter = ChildFilter {
            home,
            my_key_children: f.my_key_children,
            placement: match f.placement {
                PlacementFilter::Open => PlacementState::Open,
                PlacementFilter::Closed => PlacementState::Closed,
                PlacementFilter::Any => PlacementState::Any,
            },
            name: f.name,
        };
        let page = cr::children(request(ctx)?, &filter, &args(first, after, last, before))
            .await
            .map_err(gql)?;
        Ok(connection(page, Child))
    }

    /// One child (NOT_FOUND if the viewer may not see them).
    async fn child(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Child>> {
        let id = uuid_of(&id, "Child", "id")?;
        Ok(Some(Child(
            cr::child(request(ctx)?, id).await.map_err(gql)?,
        )))
    }
}
