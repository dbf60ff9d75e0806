//! Statutory (looked-after) reviews: scheduled with the IRO who chairs them; the key carer's
//! review report goes from draft, to the child's views added, to submitted (after which it
//! is no longer changed); consultation booklets come from the child and the home; after the
//! meeting the IRO records the outcome and the action plan.

use crate::care_record::tables;
use crate::chronology;
use crate::error::{DomainError, DomainResult};
use crate::records::{colleague, plausible_date};
use crate::request::{Request, authz_error};
use crate::writes::{MAX_TEXT, optional_text, required_text};
use chrono::NaiveDate;
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::{BookletSource, ReportStatus, ReviewSequence};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// A review to schedule.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    pub scheduled_for: NaiveDate,
    pub sequence: ReviewSequence,
    pub iro: Option<Uuid>,
    pub restricted: bool,
}

/// Schedules a review.
pub async fn schedule(
    req: &Request,
    child: Uuid,
    input: ScheduleInput,
) -> DomainResult<e::statutory_review::Model> {
    let s = req
        .require_create(child, Kind::StatutoryReview, input.restricted)
        .await?;
    let scheduled_for = plausible_date(req, "scheduledFor", input.scheduled_for, 366, 366)?;
    while_looked_after(req, child, scheduled_for).await?;
    let iro = match input.iro {
        Some(id) => Some(colleague(req, id, "iroId").await?),
        None => None,
    };
    req.insert(e::statutory_review::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        scheduled_for: Set(scheduled_for),
        iro_id: Set(iro),
        sequence: Set(input.sequence),
        held_on: Set(None),
        outcome: Set(None),
        action_plan: Set(None),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Reviews are of a looked-after child (the first is counted from that day): none is dated
/// before it.
async fn while_looked_after(req: &Request, child: Uuid, day: NaiveDate) -> DomainResult<()> {
    let dates = req.child_dates(child).await?;
    if day < dates.looked_after_since {
        return Err(DomainError::bad_input(
            "scheduledFor",
            format!(
                "is before the child became looked after ({})",
                dates.looked_after_since
            ),
        ));
    }
    Ok(())
}

/// Moves a review to another date (or another chairing IRO); not once it has been held.
pub async fn reschedule(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    scheduled_for: NaiveDate,
    iro: Option<Uuid>,
) -> DomainResult<e::statutory_review::Model> {
    let table = tables::statutory_reviews();
    let old = req
        .record_for_change(&table, Kind::StatutoryReview, id, Some(expected_version))
        .await?;
    if old.held_on.is_some() {
        return Err(DomainError::Conflict(
            "the review has been held: it can no longer be rescheduled".into(),
        ));
    }
    let scheduled_for = plausible_date(req, "scheduledFor", scheduled_for, 366, 366)?;
    while_looked_after(req, old.child_id, scheduled_for).await?;
    let iro = match iro {
        Some(id) => Some(colleague(req, id, "iroId").await?),
        None => old.iro_id,
    };
    let active = e::statutory_review::ActiveModel {
        scheduled_for: Set(scheduled_for),
        iro_id: Set(iro),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// Records that the review was held, its outcome and the action plan (the IRO's part; a
/// correction keeps the earlier version). The chronology notes the review.
pub async fn record_outcome(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    held_on: NaiveDate,
    outcome: &str,
    action_plan: Option<&str>,
) -> DomainResult<e::statutory_review::Model> {
    let table = tables::statutory_reviews();
    let old = req
        .record_for_change(&table, Kind::ReviewOutcome, id, Some(expected_version))
        .await?;
    let held_on = plausible_date(req, "heldOn", held_on, 366, 0)?;
    let outcome = required_text("outcome", outcome, MAX_TEXT)?;
    let action_plan = optional_text("actionPlan", action_plan, MAX_TEXT)?;
    let first_time = old.held_on.is_none();
    let active = e::statutory_review::ActiveModel {
        held_on: Set(Some(held_on)),
        outcome: Set(Some(outcome)),
        action_plan: Set(action_plan),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    let saved = req.save_change(&table, &old, active).await?;
    if first_time {
        let txn = req.change().await?;
        let stamp = crate::records::Stamp {
            id: Uuid::now_v7(),
            tenant: saved.tenant_id,
            child: saved.child_id,
            author: req.identity.user_id,
            now: req.now,
        };
        let title = format!("{} looked-after review held", sequence_word(saved.sequence));
        chronology::derive(
            &txn,
            &stamp,
            held_on,
            title,
            (Kind::StatutoryReview, saved.id),
            saved.restricted,
        )
        .await?;
        txn.commit().await?;
    }
    Ok(saved)
}

fn sequence_word(s: ReviewSequence) -> &'static str {
    match s {
        ReviewSequence::First => "First",
        ReviewSequence::Second => "Second",
        ReviewSequence::Later => "Later",
    }
}

/// Creates the review's report (`expected_version` None) or saves the report at that
/// version. Sections left out are unchanged. Once the child's views are in, the report
/// stands at "child's views added". A failed save names the sections that were not saved.
pub async fn save_report(
    req: &Request,
    review: Uuid,
    expected_version: Option<i32>,
    content: Option<String>,
    child_views: Option<String>,
) -> DomainResult<e::review_report::Model> {
    let mut given = Vec::new();
    if content.is_some() {
        given.push("content".to_owned());
    }
    if child_views.is_some() {
        given.push("childViews".to_owned());
    }
    save_report_inner(req, review, expected_version, content, child_views)
        .await
        .map_err(|err| match err {
            DomainError::NotFound | DomainError::Forbidden(_) => err,
            other => other.not_saved(given),
        })
}

async fn save_report_inner(
    req: &Request,
    review: Uuid,
    expected_version: Option<i32>,
    content: Option<String>,
    child_views: Option<String>,
) -> DomainResult<e::review_report::Model> {
    let review = req
        .readable_record(&tables::statutory_reviews(), review)
        .await?;
    let content = optional_text("content", content.as_deref(), MAX_TEXT)?;
    let child_views = optional_text("childViews", child_views.as_deref(), MAX_TEXT)?;
    let existing = e::review_report::Entity::find()
        .filter(e::review_report::Column::ReviewId.eq(review.id))
        .one(&req.txn)
        .await?;
    let Some(expected) = expected_version else {
        let s = req
            .require_create(review.child_id, Kind::ReviewReport, review.restricted)
            .await?;
        if existing.is_some() {
            return Err(DomainError::Conflict(
                "this review already has a report: save it with its expectedVersion".into(),
            ));
        }
        let status = if child_views.is_some() {
            ReportStatus::ChildViewsAdded
        } else {
            ReportStatus::Draft
        };
        return req
            .insert(e::review_report::ActiveModel {
                id: Set(s.id),
                tenant_id: Set(s.tenant),
                child_id: Set(review.child_id),
                review_id: Set(review.id),
                status: Set(status),
                content: Set(content),
                child_views: Set(child_views),
                submitted_at: Set(None),
                author_id: Set(s.author),
                restricted: Set(review.restricted),
                version: Set(1),
                created_at: Set(s.now),
                updated_at: Set(s.now),
            })
            .await;
    };
    let Some(existing) = existing else {
        return Err(DomainError::bad_input(
            "expectedVersion",
            "the review has no report yet: leave expectedVersion out to start one",
        ));
    };
    let table = tables::review_reports();
    let old = req
        .record_for_change(&table, Kind::ReviewReport, existing.id, Some(expected))
        .await?;
    if old.status == ReportStatus::Submitted {
        return Err(DomainError::Conflict(
            "the report has been submitted: it can no longer be changed".into(),
        ));
    }
    let content = content.or(old.content.clone());
    let child_views = child_views.or(old.child_views.clone());
    let status = if child_views.is_some() {
        ReportStatus::ChildViewsAdded
    } else {
        ReportStatus::Draft
    };
    let active = e::review_report::ActiveModel {
        content: Set(content),
        child_views: Set(child_views),
        status: Set(status),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// Submits the report for the review: it needs its content and the child's views.
pub async fn submit_report(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::review_report::Model> {
    let table = tables::review_reports();
    let old = req
        .record_for_change(&table, Kind::ReviewReport, id, Some(expected_version))
        .await?;
    if old.status == ReportStatus::Submitted {
        return Err(DomainError::Conflict(
            "the report has already been submitted".into(),
        ));
    }
    if old.content.is_none() {
        return Err(DomainError::bad_input(
            "content",
            "the report has no content yet: write it before submitting",
        ));
    }
    if old.child_views.is_none() {
        return Err(DomainError::bad_input(
            "childViews",
            "add the child's views before submitting the report",
        ));
    }
    let active = e::review_report::ActiveModel {
        status: Set(ReportStatus::Submitted),
        submitted_at: Set(Some(req.now)),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// A consultation booklet as received.
#[derive(Debug, Clone)]
pub struct BookletInput {
    pub source: BookletSource,
    pub content: String,
    pub received_on: NaiveDate,
}

/// Adds a consultation booklet (from the child or the home) to a review.
pub async fn add_booklet(
    req: &Request,
    review: Uuid,
    input: BookletInput,
) -> DomainResult<e::consultation_booklet::Model> {
    let review = req
        .readable_record(&tables::statutory_reviews(), review)
        .await?;
    let s = req
        .require_create(
            review.child_id,
            Kind::ConsultationBooklet,
            review.restricted,
        )
        .await?;
    let content = required_text("content", &input.content, MAX_TEXT)?;
    let received_on = plausible_date(req, "receivedOn", input.received_on, 366, 0)?;
    req.insert(e::consultation_booklet::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(review.child_id),
        review_id: Set(review.id),
        source: Set(input.source),
        content: Set(content),
        received_on: Set(received_on),
        author_id: Set(s.author),
        restricted: Set(review.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// The reports and booklets of many reviews (already read by the caller), in one query
/// each. Per review: the report (None when there is none, or when the caller may read
/// reports only once submitted and this one is not), and the booklets; each an error of its
/// own when the caller may not read that kind for the child.
pub struct ReviewParts {
    pub reports: HashMap<Uuid, DomainResult<Option<e::review_report::Model>>>,
    pub booklets: HashMap<Uuid, DomainResult<Vec<e::consultation_booklet::Model>>>,
}

/// The facts a review's report or booklet may have that decide who reads it: (submitted,
/// restricted).
const REPORT_FACTS: [(bool, bool); 4] =
    [(false, false), (false, true), (true, false), (true, true)];

/// Loads the parts of these reviews: reports when `reports`, booklets when `booklets`. The
/// queries ask only for the rows the caller may read (per review, the submitted and
/// restricted facts the policy lets them read), so nothing is fetched and then hidden.
pub async fn parts(
    req: &Request,
    reviews: &[(Uuid, Uuid)],
    reports: bool,
    booklets: bool,
) -> DomainResult<ReviewParts> {
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    let decide = |child: Uuid, kind: Kind, (submitted, restricted): (bool, bool)| {
        access
            .get(&child)
            .map(|a| {
                let facts = RecordFacts {
                    submitted,
                    restricted,
                    ..Default::default()
                };
                req.access.decide(a, kind, Action::Read, facts)
            })
            .unwrap_or(Decision::Denied)
    };
    // The reviews whose rows with these facts the caller may read.
    let reviews_reading = |kind: Kind, facts: (bool, bool)| -> Vec<Uuid> {
        reviews
            .iter()
            .filter(|(_, child)| decide(*child, kind, facts).is_allowed())
            .map(|(review, _)| *review)
            .collect()
    };
    // A review whose records of a kind the caller may not read at all (not even submitted
    // and unrestricted): FORBIDDEN for that part, and a denied event.
    let deny = |child: Uuid, kind: Kind| {
        req.record_access(Some(child), kind, None, Action::Read, Decision::Denied);
        DomainError::cannot_read(kind)
    };
    let mut out = ReviewParts {
        reports: HashMap::new(),
        booklets: HashMap::new(),
    };
    if reports {
        use e::review_report::Column as C;
        let mut readable = Condition::any();
        for facts in REPORT_FACTS {
            let ids = reviews_reading(Kind::ReviewReport, facts);
            if ids.is_empty() {
                continue;
            }
            let status = if facts.0 {
                C::Status.eq(ReportStatus::Submitted)
            } else {
                C::Status.ne(ReportStatus::Submitted)
            };
            readable = readable.add(
                Condition::all()
                    .add(C::ReviewId.is_in(ids))
                    .add(status)
                    .add(C::Restricted.eq(facts.1)),
            );
        }
        let rows = if readable.is_empty() {
            Vec::new()
        } else {
            e::review_report::Entity::find()
                .filter(readable)
                .all(&req.txn)
                .await?
        };
        let mut by_review: HashMap<Uuid, e::review_report::Model> =
            rows.into_iter().map(|r| (r.review_id, r)).collect();
        for (review, child) in reviews {
            if !decide(*child, Kind::ReviewReport, (true, false)).is_allowed() {
                out.reports
                    .insert(*review, Err(deny(*child, Kind::ReviewReport)));
                continue;
            }
            let report = by_review.remove(review).inspect(|r| {
                let facts = (r.status == ReportStatus::Submitted, r.restricted);
                let decision = decide(r.child_id, Kind::ReviewReport, facts);
                req.record_access(
                    Some(r.child_id),
                    Kind::ReviewReport,
                    Some(r.id),
                    Action::Read,
                    decision,
                );
            });
            out.reports.insert(*review, Ok(report));
        }
    }
    if booklets {
        use e::consultation_booklet::Column as C;
        let mut readable = Condition::any();
        for restricted in [false, true] {
            let ids = reviews_reading(Kind::ConsultationBooklet, (false, restricted));
            if !ids.is_empty() {
                readable = readable.add(
                    Condition::all()
                        .add(C::ReviewId.is_in(ids))
                        .add(C::Restricted.eq(restricted)),
                );
            }
        }
        let rows = if readable.is_empty() {
            Vec::new()
        } else {
            e::consultation_booklet::Entity::find()
                .filter(readable)
                .order_by_asc(C::ReceivedOn)
                .order_by_asc(C::Id)
                .all(&req.txn)
                .await?
        };
        let mut by_review: HashMap<Uuid, Vec<e::consultation_booklet::Model>> = HashMap::new();
        for row in rows {
            by_review.entry(row.review_id).or_default().push(row);
        }
        for (review, child) in reviews {
            if !decide(*child, Kind::ConsultationBooklet, (false, false)).is_allowed() {
                out.booklets
                    .insert(*review, Err(deny(*child, Kind::ConsultationBooklet)));
                continue;
            }
            let rows = by_review.remove(review).unwrap_or_default();
            for r in &rows {
                let decision = decide(r.child_id, Kind::ConsultationBooklet, (false, r.restricted));
                req.record_access(
                    Some(r.child_id),
                    Kind::ConsultationBooklet,
                    Some(r.id),
                    Action::Read,
                    decision,
                );
            }
            out.booklets.insert(*review, Ok(rows));
        }
    }
    Ok(out)
}

/// Whether the caller may read the outcome and action plan of each of these reviews
/// (review, child, restricted), a kind of its own in the policy (`review_outcome`): Ok, with
/// an allowed event, or FORBIDDEN, with a denied one. No query: the caller's bases are
/// already loaded.
pub async fn outcomes(
    req: &Request,
    reviews: &[(Uuid, Uuid, bool)],
) -> DomainResult<HashMap<Uuid, DomainResult<()>>> {
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    Ok(reviews
        .iter()
        .map(|&(review, child, restricted)| {
            let facts = RecordFacts {
                restricted,
                ..Default::default()
            };
            let decision = access
                .get(&child)
                .map(|a| {
                    req.access
                        .decide(a, Kind::ReviewOutcome, Action::Read, facts)
                })
                .unwrap_or(Decision::Denied);
            req.record_access(
                Some(child),
                Kind::ReviewOutcome,
                Some(review),
                Action::Read,
                decision,
            );
            let answer = if decision.is_allowed() {
                Ok(())
            } else {
                Err(DomainError::cannot_read(Kind::ReviewOutcome))
            };
            (review, answer)
        })
        .collect())
}
