//! The pathway plan (one per child, due by the council's age, 15 years 6 months by default,
//! with the leaving-care worker) and the weekly plan (the child's week: getting up, school
//! transport, contact and return times), one per child and week.

use crate::care_record::tables;
use crate::education::monday;
use crate::error::{DomainError, DomainResult};
use crate::records::{colleague, plausible_date};
use crate::request::Request;
use crate::writes::{MAX_TEXT, optional_text};
use chrono::{Months, NaiveDate};
use keycare_authz::Kind;
use keycare_entity as e;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// The pathway plan as saved: each field given replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct PathwayInput {
    pub due_on: Option<NaiveDate>,
    pub leaving_care_worker: Option<Uuid>,
    pub content: Option<String>,
    pub needs_assessment_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
}

/// When the pathway plan is due for this child by the council's policy (age in months).
pub async fn due_by_policy(req: &Request, child: &e::child::Model) -> DomainResult<NaiveDate> {
    let months = req.tenant.pathway_plan_due_months;
    Ok(child
        .date_of_birth
        .checked_add_months(Months::new(months.max(0) as u32))
        .unwrap_or(child.date_of_birth))
}

/// Starts the pathway plan (`expected_version` None) or saves it at that version.
pub async fn save_pathway(
    req: &Request,
    child: Uuid,
    expected_version: Option<i32>,
    input: PathwayInput,
) -> DomainResult<e::pathway_plan::Model> {
    let given: Vec<String> = [
        ("dueOn", input.due_on.is_some()),
        ("leavingCareWorkerId", input.leaving_care_worker.is_some()),
        ("content", input.content.is_some()),
        ("needsAssessmentOn", input.needs_assessment_on.is_some()),
        ("completedOn", input.completed_on.is_some()),
    ]
    .iter()
    .filter(|(_, g)| *g)
    .map(|(f, _)| (*f).to_owned())
    .collect();
    save_pathway_inner(req, child, expected_version, input)
        .await
        .map_err(|err| match err {
            DomainError::NotFound | DomainError::Forbidden(_) => err,
            other => other.not_saved(given),
        })
}

async fn save_pathway_inner(
    req: &Request,
    child: Uuid,
    expected_version: Option<i32>,
    input: PathwayInput,
) -> DomainResult<e::pathway_plan::Model> {
    let existing = e::pathway_plan::Entity::find()
        .filter(e::pathway_plan::Column::ChildId.eq(child))
        .order_by_asc(e::pathway_plan::Column::CreatedAt)
        .one(&req.txn)
        .await?;
    let worker = match input.leaving_care_worker {
        Some(id) => Some(colleague(req, id, "leavingCareWorkerId").await?),
        None => None,
    };
    let date = |field: &str, d: Option<NaiveDate>| match d {
        Some(d) => plausible_date(req, field, d, 7_300, 3_660).map(Some),
        None => Ok(None),
    };
    let needs_assessment_on = date("needsAssessmentOn", input.needs_assessment_on)?;
    let completed_on = date("completedOn", input.completed_on)?;
    let due_on = date("dueOn", input.due_on)?;
    let content = optional_text("content", input.content.as_deref(), MAX_TEXT)?;
    let Some(expected) = expected_version else {
        let s = req.require_create(child, Kind::PathwayPlan, false).await?;
        if existing.is_some() {
            return Err(DomainError::Conflict(
                "the child already has a pathway plan: save it with its expectedVersion".into(),
            ));
        }
        let due_on = match due_on {
            Some(d) => d,
            None => {
                let child = e::child::Entity::find_by_id(child)
                    .one(&req.txn)
                    .await?
                    .ok_or(DomainError::NotFound)?;
                due_by_policy(req, &child).await?
            }
        };
        return req
            .insert(e::pathway_plan::ActiveModel {
                id: Set(s.id),
                tenant_id: Set(s.tenant),
                child_id: Set(child),
                due_on: Set(Some(due_on)),
                leaving_care_worker_id: Set(worker),
                content: Set(content),
                needs_assessment_on: Set(needs_assessment_on),
                completed_on: Set(completed_on),
                author_id: Set(s.author),
                restricted: Set(false),
                version: Set(1),
                created_at: Set(s.now),
                updated_at: Set(s.now),
            })
            .await;
    };
    let Some(existing) = existing else {
        // Not revealed before the caller's access is checked.
        req.require_write(child, Kind::PathwayPlan, None, Default::default())
            .await?;
        return Err(DomainError::bad_input(
            "expectedVersion",
            "the child has no pathway plan yet: leave expectedVersion out to start one",
        ));
    };
    let table = tables::pathway_plans();
    let old = req
        .record_for_change(&table, Kind::PathwayPlan, existing.id, Some(expected))
        .await?;
    let active = e::pathway_plan::ActiveModel {
        due_on: Set(due_on.or(old.due_on)),
        leaving_care_worker_id: Set(worker.or(old.leaving_care_worker_id)),
        content: Set(content.or(old.content.clone())),
        needs_assessment_on: Set(needs_assessment_on.or(old.needs_assessment_on)),
        completed_on: Set(completed_on.or(old.completed_on)),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// The child's week as planned: each field given replaces the stored one.
#[derive(Debug, Clone, Default)]
pub struct WeekInput {
    pub getting_up: Option<String>,
    pub school_transport: Option<String>,
    pub contact_times: Option<String>,
    pub return_times: Option<String>,
    pub notes: Option<String>,
    pub restricted: bool,
}

/// Starts the plan of a week (`expected_version` None) or saves it at that version.
pub async fn save_week(
    req: &Request,
    child: Uuid,
    week_of: NaiveDate,
    expected_version: Option<i32>,
    input: WeekInput,
) -> DomainResult<e::weekly_plan::Model> {
    let week_of = monday("weekOf", week_of)?;
    let week_of = plausible_date(req, "weekOf", week_of, 366, 366)?;
    let text = |field: &str, v: &Option<String>| optional_text(field, v.as_deref(), MAX_TEXT);
    let getting_up = text("gettingUp", &input.getting_up)?;
    let school_transport = text("schoolTransport", &input.school_transport)?;
    let contact_times = text("contactTimes", &input.contact_times)?;
    let return_times = text("returnTimes", &input.return_times)?;
    let notes = text("notes", &input.notes)?;
    let existing = e::weekly_plan::Entity::find()
        .filter(e::weekly_plan::Column::ChildId.eq(child))
        .filter(e::weekly_plan::Column::WeekOf.eq(week_of))
        .one(&req.txn)
        .await?;
    let Some(expected) = expected_version else {
        let s = req
            .require_create(child, Kind::WeeklyPlan, input.restricted)
            .await?;
        if existing.is_some() {
            return Err(DomainError::Conflict(format!(
                "the week of {week_of} already has a plan: save it with its expectedVersion"
            )));
        }
        return req
            .insert(e::weekly_plan::ActiveModel {
                id: Set(s.id),
                tenant_id: Set(s.tenant),
                child_id: Set(child),
                week_of: Set(week_of),
                getting_up: Set(getting_up),
                school_transport: Set(school_transport),
                contact_times: Set(contact_times),
                return_times: Set(return_times),
                notes: Set(notes),
                author_id: Set(s.author),
                restricted: Set(input.restricted),
                version: Set(1),
                created_at: Set(s.now),
                updated_at: Set(s.now),
            })
            .await;
    };
    let Some(existing) = existing else {
        req.require_write(child, Kind::WeeklyPlan, None, Default::default())
            .await?;
        return Err(DomainError::bad_input(
            "expectedVersion",
            "the week has no plan yet: leave expectedVersion out to start one",
        ));
    };
    let table = tables::weekly_plans();
    let old = req
        .record_for_change(&table, Kind::WeeklyPlan, existing.id, Some(expected))
        .await?;
    let active = e::weekly_plan::ActiveModel {
        getting_up: Set(getting_up.or(old.getting_up.clone())),
        school_transport: Set(school_transport.or(old.school_transport.clone())),
        contact_times: Set(contact_times.or(old.contact_times.clone())),
        return_times: Set(return_times.or(old.return_times.clone())),
        notes: Set(notes.or(old.notes.clone())),
        restricted: Set(input.restricted || old.restricted),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// The plans of given weeks of many children, in one query: per (child, week), the plan
/// (None when that week has none), or the child's error (FORBIDDEN, NOT_FOUND) when the
/// caller may not read weekly plans. Each read is noted.
pub async fn weeks(
    req: &Request,
    keys: &[(Uuid, NaiveDate)],
) -> DomainResult<HashMap<(Uuid, NaiveDate), DomainResult<Option<e::weekly_plan::Model>>>> {
    use e::weekly_plan::Column as C;
    let mut out = HashMap::new();
    let (mut readable, mut restricted_ok) = (Vec::new(), Vec::new());
    for (child, week) in keys {
        match req.require_read(*child, Kind::WeeklyPlan, None).await {
            Ok(_) => {
                readable.push((*child, *week));
                let all = req
                    .decide_read(
                        *child,
                        Kind::WeeklyPlan,
                        keycare_authz::RecordFacts {
                            restricted: true,
                            ..Default::default()
                        },
                    )
                    .await?
                    .is_allowed();
                if all {
                    restricted_ok.push(*child);
                }
            }
            Err(err) => {
                out.insert((*child, *week), Err(err));
            }
        }
    }
    if readable.is_empty() {
        return Ok(out);
    }
    let children: Vec<Uuid> = readable.iter().map(|(c, _)| *c).collect();
    let weeks: Vec<NaiveDate> = readable.iter().map(|(_, w)| *w).collect();
    let rows = e::weekly_plan::Entity::find()
        .filter(C::ChildId.is_in(children))
        .filter(C::WeekOf.is_in(weeks))
        .filter(
            Condition::any()
                .add(C::Restricted.eq(false))
                .add(C::ChildId.is_in(restricted_ok)),
        )
        .all(&req.txn)
        .await?;
    let mut found: HashMap<(Uuid, NaiveDate), e::weekly_plan::Model> = rows
        .into_iter()
        .map(|r| ((r.child_id, r.week_of), r))
        .collect();
    for key in readable {
        out.insert(key, Ok(found.remove(&key)));
    }
    Ok(out)
}
