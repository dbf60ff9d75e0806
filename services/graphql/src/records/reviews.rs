//! Statutory reviews, their reports and consultation booklets, and the IRO's outcome.

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
use keycare_domain::request::Request;
use keycare_domain::reviews::{self, BookletInput, ScheduleInput};
use keycare_entity as e;
use keycare_entity::enums::{BookletSource, ReportStatus, ReviewSequence};
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// A statutory (looked-after) review of the child's care, chaired by an IRO.
pub struct StatutoryReview(pub e::statutory_review::Model);

/// A statutory (looked-after) review of the child's care, chaired by an IRO.
#[Object]
impl StatutoryReview {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("StatutoryReview", self.0.id)
    }
    /// The date the review is scheduled for.
    async fn scheduled_for(&self) -> Date {
        self.0.scheduled_for.into()
    }
    /// The Independent Reviewing Officer chairing it.
    async fn iro(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.iro_id).await
    }
    /// First, second or a later review.
    async fn sequence(&self) -> ReviewSequence {
        self.0.sequence
    }
    /// When the review was held (set with the outcome). FORBIDDEN for a viewer who may not
    /// read review outcomes.
    async fn held_on(&self, ctx: &Context<'_>) -> Result<Option<Date>> {
        self.outcome_readable(ctx).await?;
        Ok(self.0.held_on.map(Date))
    }
    /// The outcome, recorded by the IRO after the meeting. FORBIDDEN for a viewer who may
    /// not read review outcomes.
    async fn outcome(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.outcome_readable(ctx).await?;
        Ok(self.0.outcome.as_deref())
    }
    /// The action plan agreed at the review. FORBIDDEN for a viewer who may not read review
    /// outcomes.
    async fn action_plan(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        self.outcome_readable(ctx).await?;
        Ok(self.0.action_plan.as_deref())
    }
    /// The key carer's review report: null when none is started, and for a viewer who may
    /// read reports only once submitted (the IRO) until it is submitted. FORBIDDEN for a
    /// viewer who may not read reports.
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<ReviewReport>> {
        let loader = ctx.data::<DataLoader<ReportLoader>>()?;
        match loader.load_one(ReviewKey::of(&self.0)).await? {
            Some(found) => Ok(found?.map(ReviewReport)),
            None => Ok(None),
        }
    }
    /// Consultation booklets from the child and the home, oldest first.
    async fn consultation_booklets(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<ConsultationBooklet>>> {
        let loader = ctx.data::<DataLoader<BookletLoader>>()?;
        match loader.load_one(ReviewKey::of(&self.0)).await? {
            Some(found) => Ok(Some(found?.into_iter().map(ConsultationBooklet).collect())),
            None => Ok(Some(Vec::new())),
        }
    }
    /// Who scheduled it.
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

impl StatutoryReview {
    /// The outcome and action plan are a kind of their own in the access policy
    /// (`review_outcome`): decided (and logged) once per review and request, however many of
    /// its fields are asked for.
    async fn outcome_readable(&self, ctx: &Context<'_>) -> Result<()> {
        let loader = ctx.data::<DataLoader<OutcomeLoader>>()?;
        match loader.load_one(ReviewKey::of(&self.0)).await? {
            Some(answer) => answer,
            // The request is over: nothing to answer with.
            None => Err(gql(keycare_domain::DomainError::NotFound)),
        }
    }
}

/// The key carer's report for a review: draft, then the child's views added, then submitted
/// (5 working days before the review).
pub struct ReviewReport(pub e::review_report::Model);

/// The key carer's report for a review: draft, then the child's views added, then submitted
/// (5 working days before the review).
#[Object]
impl ReviewReport {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ReviewReport", self.0.id)
    }
    /// Where the report stands.
    async fn status(&self) -> ReportStatus {
        self.0.status
    }
    /// The report.
    async fn content(&self) -> Option<&str> {
        self.0.content.as_deref()
    }
    /// The child's views, in their words.
    async fn child_views(&self) -> Option<&str> {
        self.0.child_views.as_deref()
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// Who wrote it.
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

/// A consultation booklet for a review, from the child or from the home.
pub struct ConsultationBooklet(pub e::consultation_booklet::Model);

/// A consultation booklet for a review, from the child or from the home.
#[Object]
impl ConsultationBooklet {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ConsultationBooklet", self.0.id)
    }
    /// Who it is from.
    async fn source(&self) -> BookletSource {
        self.0.source
    }
    /// What it says.
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// When it was received.
    async fn received_on(&self) -> Date {
        self.0.received_on.into()
    }
    /// Who entered it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A review, its child and whether it is restricted, as a loader key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReviewKey {
    review: Uuid,
    child: Uuid,
    restricted: bool,
}

impl ReviewKey {
    fn of(r: &e::statutory_review::Model) -> Self {
        ReviewKey {
            review: r.id,
            child: r.child_id,
            restricted: r.restricted,
        }
    }
}

/// Loads the reports of many reviews of one request in one query.
pub struct ReportLoader(pub Weak<Request>);
/// Loads the consultation booklets of many reviews of one request in one query.
pub struct BookletLoader(pub Weak<Request>);
/// Decides, once per review of a request, whether its outcome may be read.
pub struct OutcomeLoader(pub Weak<Request>);

async fn load_parts(
    request: &Weak<Request>,
    keys: &[ReviewKey],
    reports: bool,
) -> Result<Option<reviews::ReviewParts>> {
    let Some(req) = request.upgrade() else {
        return Ok(None);
    };
    let pairs: Vec<(Uuid, Uuid)> = keys.iter().map(|k| (k.review, k.child)).collect();
    let parts = reviews::parts(&req, &pairs, reports, !reports)
        .await
        .map_err(gql)?;
    Ok(Some(parts))
}

fn by_key<T>(
    keys: &[ReviewKey],
    mut found: HashMap<Uuid, keycare_domain::DomainResult<T>>,
) -> HashMap<ReviewKey, Result<T>> {
    keys.iter()
        .filter_map(|k| found.remove(&k.review).map(|v| (*k, v.map_err(gql))))
        .collect()
}

impl Loader<ReviewKey> for ReportLoader {
    type Value = Result<Option<e::review_report::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReviewKey]) -> Result<HashMap<ReviewKey, Self::Value>> {
        Ok(match load_parts(&self.0, keys, true).await? {
            Some(parts) => by_key(keys, parts.reports),
            None => HashMap::new(),
        })
    }
}

impl Loader<ReviewKey> for OutcomeLoader {
    type Value = Result<()>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReviewKey]) -> Result<HashMap<ReviewKey, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        let reviews: Vec<(Uuid, Uuid, bool)> = keys
            .iter()
            .map(|k| (k.review, k.child, k.restricted))
            .collect();
        let found = reviews::outcomes(&req, &reviews).await.map_err(gql)?;
        Ok(by_key(keys, found))
    }
}

impl Loader<ReviewKey> for BookletLoader {
    type Value = Result<Vec<e::consultation_booklet::Model>>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReviewKey]) -> Result<HashMap<ReviewKey, Self::Value>> {
        Ok(match load_parts(&self.0, keys, false).await? {
            Some(parts) => by_key(keys, parts.booklets),
            None => HashMap::new(),
        })
    }
}

/// A review to schedule.
#[derive(InputObject)]
pub struct ScheduleStatutoryReviewInput {
    /// The child.
    pub child_id: ID,
    /// The date of the review.
    pub scheduled_for: Date,
    /// First, second or later.
    pub sequence: ReviewSequence,
    /// The IRO who chairs it (a user).
    pub iro_id: Option<ID>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// A review moved to another date (or IRO).
#[derive(InputObject)]
pub struct RescheduleStatutoryReviewInput {
    /// The review.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// The new date.
    pub scheduled_for: Date,
    /// A different chairing IRO (unchanged when omitted).
    pub iro_id: Option<ID>,
}

/// The outcome of a review, recorded by the IRO after the meeting.
#[derive(InputObject)]
pub struct RecordReviewOutcomeInput {
    /// The review.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// When it was held (not in the future).
    pub held_on: Date,
    /// The outcome.
    pub outcome: String,
    /// The action plan agreed.
    pub action_plan: Option<String>,
}

/// The review report as saved: sections left out are unchanged.
#[derive(InputObject)]
pub struct SaveReviewReportInput {
    /// The review.
    pub review_id: ID,
    /// The report's version; leave out to start the report.
    pub expected_version: Option<i32>,
    /// The report.
    pub content: Option<String>,
    /// The child's views, in their words.
    pub child_views: Option<String>,
}

/// A report to submit.
#[derive(InputObject)]
pub struct SubmitReviewReportInput {
    /// The report.
    pub id: ID,
    /// The version submitted.
    pub expected_version: i32,
}

/// A consultation booklet received for a review.
#[derive(InputObject)]
pub struct AddConsultationBookletInput {
    /// The review.
    pub review_id: ID,
    /// From the child or the home.
    pub source: BookletSource,
    /// What it says.
    pub content: String,
    /// When it was received.
    pub received_on: Date,
}

/// The review as saved.
#[derive(SimpleObject)]
pub struct StatutoryReviewPayload {
    /// The review.
    pub statutory_review: StatutoryReview,
}

/// The report as saved.
#[derive(SimpleObject)]
pub struct ReviewReportPayload {
    /// The report.
    pub review_report: ReviewReport,
}

/// The booklet as saved.
#[derive(SimpleObject)]
pub struct ConsultationBookletPayload {
    /// The booklet.
    pub consultation_booklet: ConsultationBooklet,
}

/// Statutory review mutations.
#[derive(Default)]
pub struct ReviewMutation;

/// Statutory review mutations.
#[Object]
impl ReviewMutation {
    /// Schedules a statutory review (the key team or the manager).
    async fn schedule_statutory_review(
        &self,
        ctx: &Context<'_>,
        input: ScheduleStatutoryReviewInput,
    ) -> Result<StatutoryReviewPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let iro = opt_uuid(input.iro_id.as_ref(), "User", "iroId")?;
        let saved = reviews::schedule(
            request(ctx)?,
            child,
            ScheduleInput {
                scheduled_for: input.scheduled_for.0,
                sequence: input.sequence,
                iro,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(StatutoryReviewPayload {
            statutory_review: StatutoryReview(saved),
        })
    }

    /// Moves a review to another date (not once it has been held).
    async fn reschedule_statutory_review(
        &self,
        ctx: &Context<'_>,
        input: RescheduleStatutoryReviewInput,
    ) -> Result<StatutoryReviewPayload> {
        let id = uuid_of(&input.id, "StatutoryReview", "id")?;
        let iro = opt_uuid(input.iro_id.as_ref(), "User", "iroId")?;
        let saved = reviews::reschedule(
            request(ctx)?,
            id,
            input.expected_version,
            input.scheduled_for.0,
            iro,
        )
        .await
        .map_err(gql)?;
        Ok(StatutoryReviewPayload {
            statutory_review: StatutoryReview(saved),
        })
    }

    /// Records that the review was held, its outcome and action plan (the IRO; the key team
    /// and the manager too). The chronology notes the review.
    async fn record_review_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordReviewOutcomeInput,
    ) -> Result<StatutoryReviewPayload> {
        let id = uuid_of(&input.id, "StatutoryReview", "id")?;
        let saved = reviews::record_outcome(
            request(ctx)?,
            id,
            input.expected_version,
            input.held_on.0,
            &input.outcome,
            input.action_plan.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(StatutoryReviewPayload {
            statutory_review: StatutoryReview(saved),
        })
    }

    /// Starts or saves the key carer's review report (kept on the server as it is written; a
    /// failed save lists in `extensions.notSaved` what was not saved). Not once submitted.
    async fn save_review_report(
        &self,
        ctx: &Context<'_>,
        input: SaveReviewReportInput,
    ) -> Result<ReviewReportPayload> {
        let review = uuid_of(&input.review_id, "StatutoryReview", "reviewId")?;
        let saved = reviews::save_report(
            request(ctx)?,
            review,
            input.expected_version,
            input.content,
            input.child_views,
        )
        .await
        .map_err(gql)?;
        Ok(ReviewReportPayload {
            review_report: ReviewReport(saved),
        })
    }

    /// Submits the review report (it needs its content and the child's views); the IRO can
    /// read it from then on.
    async fn submit_review_report(
        &self,
        ctx: &Context<'_>,
        input: SubmitReviewReportInput,
    ) -> Result<ReviewReportPayload> {
        let id = uuid_of(&input.id, "ReviewReport", "id")?;
        let saved = reviews::submit_report(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(ReviewReportPayload {
            review_report: ReviewReport(saved),
        })
    }

    /// Adds a consultation booklet to a review.
    async fn add_consultation_booklet(
        &self,
        ctx: &Context<'_>,
        input: AddConsultationBookletInput,
    ) -> Result<ConsultationBookletPayload> {
        let review = uuid_of(&input.review_id, "StatutoryReview", "reviewId")?;
        let saved = reviews::add_booklet(
            request(ctx)?,
            review,
            BookletInput {
                source: input.source,
                content: input.content,
                received_on: input.received_on.0,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ConsultationBookletPayload {
            consultation_booklet: ConsultationBooklet(saved),
        })
    }
}
