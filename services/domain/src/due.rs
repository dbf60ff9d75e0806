//! What is due (PRODUCT.md, "What is due"): for each child in placement, every rule yields a
//! due date and a state (`ok`, `due_soon`, `overdue`) with a link to the record that satisfied
//! it. Timescales are the council's ([`Timescales`]); the rules are pure functions of a
//! child's facts and today ([`items`]), tested with dated examples; the facts of many children
//! are loaded together, one query per kind of record ([`for_children`]).
//!
//! A viewer sees the items of the kinds they may read for the child, nothing else, and every
//! fact behind an item comes from records the viewer may read: each kind is loaded within the
//! viewer's read scope of that kind ([`Scope`]), so a record they may not read (a restricted
//! missing episode, for home staff) does not exist for them: it neither satisfies a rule, nor
//! sets or moves a clock, nor is named as an item's record.

use crate::error::DomainResult;
use crate::request::{Request, authz_error};
use crate::timescales::{Timescales, add_months, month_end, month_start, week_start};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use keycare_authz::{Action, Kind, RecordFacts, Scope};
use keycare_entity as e;
use keycare_entity::enums::{
    DueRule, DueState, HealthRegistrationKind, KeyTeamRole, ReportStatus, SessionStatus,
};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The timescale rules the code reads from the council's timescales.
pub const RULES: &[&str] = &[
    "key_carer_appointed",
    "first_key_session",
    "key_sessions_per_week",
    "key_sessions_per_month",
    "monthly_summary",
    "ipcp_review",
    "safe_care_plan_review",
    "safe_care_plan_review_after_incident",
    "file_audit",
    "first_statutory_review",
    "second_statutory_review",
    "later_statutory_review",
    "review_report",
    "return_interview",
    "health_registration",
    "school_liaison",
    "leaving_care_needs_assessment",
];

/// Items done or long past are shown for this many days, then drop off the list.
const RECENT_DAYS: i64 = 31;

/// One thing due for a child.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub child: Uuid,
    pub rule: DueRule,
    /// The kind of record that satisfies it (the viewer must be able to read it).
    pub kind: Kind,
    pub due_on: NaiveDate,
    /// For a rule counted in hours: the moment it is due.
    pub due_at: Option<DateTime<Utc>>,
    pub state: DueState,
    /// The record that satisfied it (or set its clock): its GraphQL type and id.
    pub record: Option<(&'static str, Uuid)>,
    /// What it is about, in a few words (e.g. "week of 2026-11-23").
    pub about: String,
}

/// What the rules need to know about one child in placement, as one viewer may know it: the
/// records of each kind are those of that kind the viewer may read ([`load_facts`]).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub child: Uuid,
    pub date_of_birth: NaiveDate,
    pub looked_after_since: NaiveDate,
    pub admitted: NaiveDate,
    /// The current key carer's assignment (id, start).
    pub key_carer: Option<(Uuid, NaiveDate)>,
    /// Key sessions held (id, day), recent ones.
    pub sessions_held: Vec<(Uuid, NaiveDate)>,
    /// Monthly summaries of recent months: (id, month, submitted and signed by the child).
    pub summaries: Vec<(Uuid, NaiveDate, bool)>,
    /// The latest IPCP review (id, day).
    pub ipcp_review: Option<(Uuid, NaiveDate)>,
    /// The latest Safe Care Plan review (id, day).
    pub scp_review: Option<(Uuid, NaiveDate)>,
    /// Recent missing episodes.
    pub missing: Vec<e::missing_episode::Model>,
    /// File audits (id, week) of recent weeks.
    pub audits: Vec<(Uuid, NaiveDate)>,
    /// Statutory reviews of the child (in any home).
    pub reviews: Vec<e::statutory_review::Model>,
    /// Review reports (review id -> (report id, submitted)).
    pub reports: HashMap<Uuid, (Uuid, bool)>,
    /// Health registrations (id, kind).
    pub registrations: Vec<(Uuid, HealthRegistrationKind)>,
    /// The pathway plan.
    pub pathway: Option<e::pathway_plan::Model>,
    /// Whether the child has a school, college or work place now, and since when.
    pub education_since: Option<NaiveDate>,
    /// School liaison records (id, day) of recent weeks.
    pub liaisons: Vec<(Uuid, NaiveDate)>,
}

fn state(due: NaiveDate, today: NaiveDate, soon_days: i64, done: bool) -> DueState {
    if done {
        DueState::Ok
    } else if today > due {
        DueState::Overdue
    } else if today >= due - Duration::days(soon_days) {
        DueState::DueSoon
    } else {
        DueState::Ok
    }
}

/// Every item due for a child in placement, today (`now`), by the council's timescales.
pub fn items(f: &Facts, now: DateTime<Utc>, t: &Timescales) -> Vec<DueItem> {
    let today = now.date_naive();
    let mut out = Vec::new();
    let mut push = |rule, kind, due_on, state, record, about: String| {
        out.push(DueItem {
            child: f.child,
            rule,
            kind,
            due_on,
            due_at: None,
            state,
            record,
            about,
        })
    };
    let recent = |d: NaiveDate| d >= today - Duration::days(RECENT_DAYS);

    // The key carer, on or before the admission day.
    let due = t.after(f.admitted, t.rule("key_carer_appointed"));
    let done = f.key_carer.is_some();
    if !done || recent(f.admitted) {
        push(
            DueRule::KeyCarerAppointed,
            Kind::KeyTeam,
            due,
            state(due, today, 7, done),
            None,
            "the key carer".into(),
        );
    }

    // Key sessions: the first within 7 days; each week; each calendar month.
    let due = t.after(f.admitted, t.rule("first_key_session"));
    let first = f
        .sessions_held
        .iter()
        .filter(|(_, d)| *d >= f.admitted)
        .min_by_key(|(_, d)| *d);
    if first.is_none() || recent(f.admitted) {
        push(
            DueRule::FirstKeySession,
            Kind::KeySession,
            due,
            state(due, today, 3, first.is_some()),
            first.map(|(id, _)| ("KeySession", *id)),
            "the first key session".into(),
        );
    }
    let per_week = t.rule("key_sessions_per_week").amount.max(1) as usize;
    let this_week = week_start(today);
    for (week, current) in [(this_week - Duration::weeks(1), false), (this_week, true)] {
        // A week counts only when the placement spans it whole.
        if f.admitted > week {
            continue;
        }
        let end = week + Duration::days(6);
        let held: Vec<_> = f
            .sessions_held
            .iter()
            .filter(|(_, d)| *d >= week && *d <= end)
            .collect();
        let done = held.len() >= per_week;
        if !current && done {
            continue;
        }
        push(
            DueRule::WeeklyKeySession,
            Kind::KeySession,
            end,
            state(end, today, 2, done),
            held.last().map(|(id, _)| ("KeySession", *id)),
            format!("week of {week}"),
        );
    }
    let per_month = t.rule("key_sessions_per_month").amount.max(1) as usize;
    let this_month = month_start(today);
    for (month, current) in [(add_months_back(this_month), false), (this_month, true)] {
        if f.admitted > month {
            continue;
        }
        let end = month_end(month);
        let held: Vec<_> = f
            .sessions_held
            .iter()
            .filter(|(_, d)| *d >= month && *d <= end)
            .collect();
        let done = held.len() >= per_month;
        if !current && done {
            continue;
        }
        push(
            DueRule::MonthlyKeySessions,
            Kind::KeySession,
            end,
            state(end, today, 7, done),
            held.last().map(|(id, _)| ("KeySession", *id)),
            format!("{} of {per_month} in {}", held.len(), month.format("%B %Y")),
        );
    }

    // The monthly summary, submitted and signed by the child by the month's last day: every
    // month of the placement that has none stays overdue until it has one (nothing overdue
    // drops out because time passed), and this month's is always shown.
    let mut months = Vec::new();
    let mut month = month_start(f.admitted);
    while month < this_month {
        months.push((month, false));
        month = add_months(month, 1);
    }
    months.push((this_month, true));
    for (month, current) in months {
        if f.admitted > month_end(month) {
            continue;
        }
        let due = t.after(month_end(month), t.rule("monthly_summary"));
        let summary = f.summaries.iter().find(|(_, m, _)| *m == month);
        let done = summary.is_some_and(|(_, _, ok)| *ok);
        if !current && done {
            continue;
        }
        push(
            DueRule::MonthlySummary,
            Kind::MonthlySummary,
            due,
            state(due, today, 7, done),
            summary.map(|(id, _, _)| ("MonthlySummary", *id)),
            month.format("%B %Y").to_string(),
        );
    }

    // Plans reviewed at least every 31 days (the Safe Care Plan also within 3 days after a
    // missing episode); the clock starts at admission.
    let (base, record) = match f.ipcp_review {
        Some((id, d)) => (d, Some(("CarePlanReview", id))),
        None => (f.admitted, None),
    };
    let due = t.after(base, t.rule("ipcp_review"));
    push(
        DueRule::IpcpReview,
        Kind::CarePlan,
        due,
        state(due, today, 7, false),
        record,
        "the IPCP review".into(),
    );
    let (base, record) = match f.scp_review {
        Some((id, d)) => (d, Some(("SafeCareReview", id))),
        None => (f.admitted, None),
    };
    let mut due = t.after(base, t.rule("safe_care_plan_review"));
    let mut about = "the Safe Care Plan review".to_owned();
    for m in &f.missing {
        let incident = m.returned_at.unwrap_or(m.went_missing_at).date_naive();
        if incident >= base {
            let after = t.after(incident, t.rule("safe_care_plan_review_after_incident"));
            if after < due {
                due = after;
                about = "the Safe Care Plan review after a missing episode".into();
            }
        }
    }
    push(
        DueRule::SafeCarePlanReview,
        Kind::SafeCarePlan,
        due,
        state(due, today, 2, false),
        record,
        about,
    );

    // The weekly file audit: this week's, and last week's if it was missed.
    let every = t.after(this_week, t.rule("file_audit")) - this_week;
    for (week, current) in [(this_week - every, false), (this_week, true)] {
        if f.admitted > week {
            continue;
        }
        let end = week + every - Duration::days(1);
        let audit = f.audits.iter().find(|(_, w)| *w >= week && *w <= end);
        if !current && audit.is_some() {
            continue;
        }
        push(
            DueRule::FileAudit,
            Kind::FileAudit,
            end,
            state(end, today, 2, audit.is_some()),
            audit.map(|(id, _)| ("FileAudit", *id)),
            format!("week of {week}"),
        );
    }

    // The next statutory review: the first within 20 working days of becoming looked after
    // (a move between homes does not restart the cycle), the second within 3 months of the
    // first, later ones at most 6 months apart.
    let mut held: Vec<&e::statutory_review::Model> =
        f.reviews.iter().filter(|r| r.held_on.is_some()).collect();
    held.sort_by_key(|r| r.held_on);
    let (rule, due) = match held.as_slice() {
        [] => (
            DueRule::FirstStatutoryReview,
            t.after(f.looked_after_since, t.rule("first_statutory_review")),
        ),
        [first] => (
            DueRule::SecondStatutoryReview,
            t.after(
                first.held_on.unwrap_or(today),
                t.rule("second_statutory_review"),
            ),
        ),
        [.., last] => (
            DueRule::LaterStatutoryReview,
            t.after(
                last.held_on.unwrap_or(today),
                t.rule("later_statutory_review"),
            ),
        ),
    };
    let next = f
        .reviews
        .iter()
        .filter(|r| r.held_on.is_none())
        .min_by_key(|r| r.scheduled_for);
    let on_time = next.is_some_and(|r| r.scheduled_for <= due);
    push(
        rule,
        Kind::StatutoryReview,
        due,
        match state(due, today, 14, false) {
            DueState::DueSoon if on_time => DueState::Ok,
            s => s,
        },
        next.map(|r| ("StatutoryReview", r.id)),
        match next {
            Some(r) => format!("scheduled for {}", r.scheduled_for),
            None => "not yet scheduled".into(),
        },
    );

    // The report of each review still to be held: 5 working days before it.
    for r in f.reviews.iter().filter(|r| r.held_on.is_none()) {
        let due = t.before(r.scheduled_for, t.rule("review_report"));
        let report = f.reports.get(&r.id);
        let done = report.is_some_and(|(_, submitted)| *submitted);
        push(
            DueRule::ReviewReport,
            Kind::ReviewReport,
            due,
            state(due, today, 7, done),
            report.map(|(id, _)| ("ReviewReport", *id)),
            format!("for the review on {}", r.scheduled_for),
        );
    }

    // The return interview, within 72 hours of return.
    for m in &f.missing {
        let Some(back) = m.returned_at else { continue };
        let done = m.return_interview_at.or(m.advocate_visit_at);
        if done.is_some() && !recent(back.date_naive()) {
            continue;
        }
        let due_at = t.return_interview_due(back);
        let state = if done.is_some() {
            DueState::Ok
        } else if now > due_at {
            DueState::Overdue
        } else {
            DueState::DueSoon
        };
        out.push(DueItem {
            child: f.child,
            rule: DueRule::ReturnInterview,
            kind: Kind::MissingEpisode,
            due_on: due_at.date_naive(),
            due_at: Some(due_at),
            state,
            record: Some(("MissingEpisode", m.id)),
            about: format!("returned {}", back.format("%Y-%m-%d %H:%M")),
        });
    }

    // GP, dentist and optician within 7 days of admission.
    let due = t.after(f.admitted, t.rule("health_registration"));
    for (rule, kind, what) in [
        (DueRule::GpRegistration, HealthRegistrationKind::Gp, "GP"),
        (
            DueRule::DentistRegistration,
            HealthRegistrationKind::Dentist,
            "dentist",
        ),
        (
            DueRule::OpticianRegistration,
            HealthRegistrationKind::Optician,
            "optician",
        ),
    ] {
        let found = f.registrations.iter().find(|(_, k)| *k == kind);
        if found.is_some() && !recent(f.admitted) {
            continue;
        }
        out.push(DueItem {
            child: f.child,
            rule,
            kind: Kind::HealthPlan,
            due_on: due,
            due_at: None,
            state: state(due, today, 3, found.is_some()),
            record: found.map(|(id, _)| ("HealthRegistration", *id)),
            about: format!(
                "registration with {} {what}",
                if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                }
            ),
        });
    }

    // Weekly school liaison while the child has a place (term dates are not kept: every week).
    if let Some(since) = f.education_since {
        let every = t.after(this_week, t.rule("school_liaison")) - this_week;
        for (week, current) in [(this_week - every, false), (this_week, true)] {
            if since > week || f.admitted > week {
                continue;
            }
            let end = week + every - Duration::days(1);
            let found = f.liaisons.iter().find(|(_, d)| *d >= week && *d <= end);
            if !current && found.is_some() {
                continue;
            }
            out.push(DueItem {
                child: f.child,
                rule: DueRule::SchoolLiaison,
                kind: Kind::Education,
                due_on: end,
                due_at: None,
                state: state(end, today, 2, found.is_some()),
                record: found.map(|(id, _)| ("SchoolLiaison", *id)),
                about: format!("week of {week}"),
            });
        }
    }

    // Leaving care: the pathway plan by the council's age, the needs assessment within 3
    // months after the 16th birthday; shown from six months before they are due.
    let plan_due = add_months(f.date_of_birth, t.pathway_plan_months);
    let plan = f.pathway.as_ref();
    if today >= plan_due - Duration::days(183) {
        let done = plan.is_some_and(|p| p.completed_on.is_some());
        out.push(DueItem {
            child: f.child,
            rule: DueRule::PathwayPlan,
            kind: Kind::PathwayPlan,
            due_on: plan_due,
            due_at: None,
            state: state(plan_due, today, 30, done),
            record: plan.map(|p| ("PathwayPlan", p.id)),
            about: "the pathway plan".into(),
        });
    }
    let sixteen = add_months(f.date_of_birth, 16 * 12);
    let assessment_due = t.after(sixteen, t.rule("leaving_care_needs_assessment"));
    if today >= assessment_due - Duration::days(183) {
        let done = plan.is_some_and(|p| p.needs_assessment_on.is_some());
        out.push(DueItem {
            child: f.child,
            rule: DueRule::LeavingCareNeedsAssessment,
            kind: Kind::PathwayPlan,
            due_on: assessment_due,
            due_at: None,
            state: state(assessment_due, today, 30, done),
            record: plan.map(|p| ("PathwayPlan", p.id)),
            about: "the leaving-care needs assessment".into(),
        });
    }
    out.sort_by_key(|i| (i.state, i.due_on));
    out
}

fn add_months_back(month: NaiveDate) -> NaiveDate {
    month
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(month)
}

/// The due items of these children (those in placement the caller may see), in one query per
/// kind of record the caller may read: only the items of kinds the caller may read for each
/// child, from the records the caller may read. Each child's items are noted in the access
/// log as reads of the kinds they come from.
pub async fn for_children(req: &Request, children: &[Uuid]) -> DomainResult<Vec<DueItem>> {
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    let visible: Vec<Uuid> = children
        .iter()
        .copied()
        .filter(|c| {
            access
                .get(c)
                .is_some_and(|a| req.access.sees(a).is_allowed())
        })
        .collect();
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let t = req.timescales().await?;
    let facts = load_facts(req, &visible).await?;
    let mut out = Vec::new();
    for f in &facts {
        let Some(a) = access.get(&f.child) else {
            continue;
        };
        let mut noted = Vec::new();
        for item in items(f, req.now, &t) {
            let current = RecordFacts {
                current_placement: true,
                ..RecordFacts::default()
            };
            let decision = req.access.decide(a, item.kind, Action::Read, current);
            if !decision.is_allowed() {
                continue;
            }
            if !noted.contains(&item.kind) {
                noted.push(item.kind);
                req.record_access(Some(f.child), item.kind, None, Action::Read, decision);
            }
            out.push(item);
        }
    }
    Ok(out)
}

impl DueItem {
    /// A stable identity of the item (for cursors): the child, the rule and what it is about.
    pub fn key(&self) -> Uuid {
        Uuid::new_v5(
            &self.child,
            format!("{:?}|{}|{}", self.rule, self.due_on, self.about).as_bytes(),
        )
    }
}

/// Which children's due items: a home, the caller's key children, a state.
#[derive(Debug, Clone, Default)]
pub struct DueFilter {
    pub home: Option<Uuid>,
    pub my_key_children: bool,
    pub state: Option<DueState>,
}

/// The due items of every child in placement the caller may see (filtered), overdue first,
/// then by due date.
pub async fn for_viewer(req: &Request, filter: &DueFilter) -> DomainResult<Vec<DueItem>> {
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    let mut ids: Vec<Uuid> = access
        .iter()
        .filter(|(_, a)| !filter.my_key_children || a.holds(keycare_authz::Basis::KeyTeam))
        .map(|(id, _)| *id)
        .collect();
    if let Some(home) = filter.home {
        let today = req.now.date_naive();
        let in_home: Vec<Uuid> = e::placement::Entity::find()
            .select_only()
            .column(e::placement::Column::ChildId)
            .filter(e::placement::Column::HomeId.eq(home))
            .filter(e::placement::Column::ChildId.is_in(ids.iter().copied()))
            .filter(open_on(e::placement::Column::EndDate, today))
            .into_tuple()
            .all(&req.txn)
            .await?;
        ids = in_home;
    }
    ids.sort();
    let mut items = for_children(req, &ids).await?;
    if let Some(state) = filter.state {
        items.retain(|i| i.state == state);
    }
    items.sort_by_key(|i| (i.state, i.due_on, i.child));
    Ok(items)
}

/// The facts of children in placement (children without an open placement have none), as the
/// caller may know them: each kind of record is loaded within the caller's read scope of that
/// kind (restricted rows only for the children whose restricted records they may read), and
/// not at all when that scope holds none of these children. A record outside the scope is
/// absent: no rule counts it, whatever kind the rule's item is of.
async fn load_facts(req: &Request, children: &[Uuid]) -> DomainResult<Vec<Facts>> {
    let db = &req.txn;
    let today = req.now.date_naive();
    let ids = || children.iter().copied();
    let placements = e::placement::Entity::find()
        .filter(e::placement::Column::ChildId.is_in(ids()))
        .filter(open_on(e::placement::Column::EndDate, today))
        .find_also_related(e::child::Entity)
        .all(db)
        .await?;
    let mut facts: HashMap<Uuid, Facts> = HashMap::new();
    for (p, child) in placements {
        let Some(child) = child else { continue };
        facts.insert(
            p.child_id,
            Facts {
                child: p.child_id,
                date_of_birth: child.date_of_birth,
                looked_after_since: child.looked_after_since,
                admitted: p.admission_date,
                ..Default::default()
            },
        );
    }
    if facts.is_empty() {
        return Ok(Vec::new());
    }
    let in_placement: HashSet<Uuid> = facts.keys().copied().collect();
    let window = today - Duration::days(70);
    let earliest_admission = facts
        .values()
        .map(|f| month_start(f.admitted))
        .min()
        .unwrap_or(today);

    // Key team assignments have no `restricted` column: the scope's children.
    if let Some(scope) = scope_of(req, Kind::KeyTeam, &in_placement).await? {
        use e::key_team_assignment::Column as C;
        for a in e::key_team_assignment::Entity::find()
            .filter(C::ChildId.is_in(scope.children))
            .filter(C::Role.eq(KeyTeamRole::KeyCarer))
            .filter(open_on(C::EndDate, today))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&a.child_id) {
                f.key_carer = Some((a.id, a.start_date));
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::KeySession, &in_placement).await? {
        use e::key_session::Column as C;
        for s in e::key_session::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .filter(C::Status.eq(SessionStatus::Held))
            .filter(C::PlannedAt.gte(window.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&s.child_id) {
                let day = s.held_at.unwrap_or(s.planned_at).date_naive();
                f.sessions_held.push((s.id, day));
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::MonthlySummary, &in_placement).await? {
        use e::monthly_summary::Column as C;
        // Every month of the placement counts (a month missed long ago is still overdue).
        for m in e::monthly_summary::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .filter(C::Month.gte(earliest_admission))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&m.child_id) {
                let done = m.submitted_at.is_some() && m.child_signed_at.is_some();
                f.summaries.push((m.id, month_start(m.month), done));
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::CarePlan, &in_placement).await? {
        use e::care_plan_review::Column as C;
        let found = latest::<e::care_plan_review::Entity>(
            req,
            scope.condition(C::ChildId, C::Restricted),
            C::Id,
            C::ChildId,
            C::ReviewedOn,
        )
        .await?;
        for (child, review) in found {
            if let Some(f) = facts.get_mut(&child) {
                f.ipcp_review = Some(review);
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::SafeCarePlan, &in_placement).await? {
        use e::safe_care_review::Column as C;
        let found = latest::<e::safe_care_review::Entity>(
            req,
            scope.condition(C::ChildId, C::Restricted),
            C::Id,
            C::ChildId,
            C::ReviewedOn,
        )
        .await?;
        for (child, review) in found {
            if let Some(f) = facts.get_mut(&child) {
                f.scp_review = Some(review);
            }
        }
    }
    // Missing episodes set the return interview's clock and bring the Safe Care Plan review
    // forward: only those the caller may read do either.
    if let Some(scope) = scope_of(req, Kind::MissingEpisode, &in_placement).await? {
        use e::missing_episode::Column as C;
        let since = (today - Duration::days(120))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        // Recent episodes (they bring the Safe Care Plan review forward), and every episode
        // whose return interview is still owed, however long ago the child went missing.
        for m in e::missing_episode::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .filter(
                Condition::any()
                    .add(C::WentMissingAt.gte(since))
                    .add(C::ReturnedAt.gte(since))
                    .add(
                        Condition::all()
                            .add(C::ReturnedAt.is_not_null())
                            .add(C::ReturnInterviewAt.is_null())
                            .add(C::AdvocateVisitAt.is_null()),
                    ),
            )
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&m.child_id) {
                f.missing.push(m);
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::FileAudit, &in_placement).await? {
        use e::file_audit::Column as C;
        for a in e::file_audit::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .filter(C::WeekOf.gte(week_start(today) - Duration::weeks(2)))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&a.child_id) {
                f.audits.push((a.id, a.week_of));
            }
        }
    }
    // A review report's item is about a review still to be held: with no review the caller
    // may read, there is none, whatever reports they may read.
    if let Some(scope) = scope_of(req, Kind::StatutoryReview, &in_placement).await? {
        use e::statutory_review::Column as C;
        for r in e::statutory_review::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.child_id) {
                f.reviews.push(r);
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::ReviewReport, &in_placement).await? {
        use e::review_report::Column as R;
        for r in e::review_report::Entity::find()
            .filter(scope.condition(R::ChildId, R::Restricted))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.child_id) {
                f.reports
                    .insert(r.review_id, (r.id, r.status == ReportStatus::Submitted));
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::HealthPlan, &in_placement).await? {
        use e::health_registration::Column as C;
        for r in e::health_registration::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&r.child_id) {
                // Registrations count for the current placement only.
                if r.registered_on >= f.admitted - Duration::days(7) {
                    f.registrations.push((r.id, r.kind));
                }
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::PathwayPlan, &in_placement).await? {
        use e::pathway_plan::Column as C;
        for p in e::pathway_plan::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&p.child_id) {
                f.pathway = Some(p);
            }
        }
    }
    if let Some(scope) = scope_of(req, Kind::Education, &in_placement).await? {
        use e::education_placement::Column as C;
        for p in e::education_placement::Entity::find()
            .filter(scope.condition(C::ChildId, C::Restricted))
            .filter(open_on(C::EndDate, today))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&p.child_id) {
                let since = f
                    .education_since
                    .map_or(p.start_date, |s| s.min(p.start_date));
                f.education_since = Some(since);
            }
        }
        use e::school_liaison::Column as L;
        for l in e::school_liaison::Entity::find()
            .filter(scope.condition(L::ChildId, L::Restricted))
            .filter(L::WeekOf.gte(week_start(today) - Duration::weeks(2)))
            .all(db)
            .await?
        {
            if let Some(f) = facts.get_mut(&l.child_id) {
                f.liaisons.push((l.id, l.week_of));
            }
        }
    }
    let mut out: Vec<Facts> = facts.into_values().collect();
    out.sort_by_key(|f| f.child);
    Ok(out)
}

/// The caller's read scope of `kind` narrowed to `children`; `None` when it holds none of
/// them (the kind's query is then not run at all).
async fn scope_of(
    req: &Request,
    kind: Kind,
    children: &HashSet<Uuid>,
) -> DomainResult<Option<Scope>> {
    let scope = req
        .access
        .read_scope(&req.txn, kind)
        .await
        .map_err(authz_error)?;
    let within = |ids: Vec<Uuid>| -> Vec<Uuid> {
        ids.into_iter().filter(|c| children.contains(c)).collect()
    };
    let scope = Scope {
        children: within(scope.children),
        restricted_children: within(scope.restricted_children),
    };
    Ok((!scope.children.is_empty()).then_some(scope))
}

/// Open on `today`: no end date, or one after today.
fn open_on<C: ColumnTrait>(end: C, today: NaiveDate) -> Condition {
    Condition::any().add(end.is_null()).add(end.gt(today))
}

/// The latest record of each child by a date column, among the rows `readable` (the caller's
/// read scope): child -> (id, day), in two queries (the latest day per child, then the rows
/// of those days).
async fn latest<E: EntityTrait>(
    req: &Request,
    readable: Condition,
    id_col: E::Column,
    child_col: E::Column,
    day_col: E::Column,
) -> DomainResult<HashMap<Uuid, (Uuid, NaiveDate)>> {
    let days: Vec<(Uuid, NaiveDate)> = E::find()
        .select_only()
        .column(child_col)
        .column_as(Expr::expr(Func::max(Expr::col(day_col))), "day")
        .filter(readable.clone())
        .group_by(child_col)
        .into_tuple()
        .all(&req.txn)
        .await?;
    if days.is_empty() {
        return Ok(HashMap::new());
    }
    let wanted: HashMap<Uuid, NaiveDate> = days.into_iter().collect();
    let rows: Vec<(Uuid, Uuid, NaiveDate)> = E::find()
        .select_only()
        .column(id_col)
        .column(child_col)
        .column(day_col)
        .filter(readable)
        .filter(child_col.is_in(wanted.keys().copied()))
        .filter(day_col.is_in(wanted.values().copied()))
        .into_tuple()
        .all(&req.txn)
        .await?;
    let mut out = HashMap::new();
    for (id, child, day) in rows {
        if wanted.get(&child) == Some(&day) {
            out.entry(child).or_insert((id, day));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    fn at(s: &str, hour: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day(s).and_hms_opt(hour, 0, 0).expect("a time"))
    }

    fn calendar() -> Timescales {
        Timescales::national().expect("the national calendar")
    }

    /// A child of 14 admitted (and looked after from) Monday 2 March 2026.
    fn admitted_2_march() -> Facts {
        Facts {
            child: Uuid::nil(),
            date_of_birth: day("2012-01-15"),
            looked_after_since: day("2026-03-02"),
            admitted: day("2026-03-02"),
            ..Default::default()
        }
    }

    fn item(items: &[DueItem], rule: DueRule) -> &DueItem {
        items
            .iter()
            .find(|i| i.rule == rule)
            .unwrap_or_else(|| panic!("no {rule:?} in {items:#?}"))
    }

    #[test]
    fn admitted_monday_2_march_the_first_things_fall_due() {
        let items = items(&admitted_2_march(), at("2026-03-05", 9), &calendar());
        // No key carer by the admission day: overdue from the day after.
        let k = item(&items, DueRule::KeyCarerAppointed);
        assert_eq!((k.due_on, k.state), (day("2026-03-02"), DueState::Overdue));
        // The first key session within 7 days: by Monday 9 March.
        let s = item(&items, DueRule::FirstKeySession);
        assert_eq!((s.due_on, s.state), (day("2026-03-09"), DueState::Ok));
        // The first review within 20 working days of becoming looked after: Monday 30 March.
        let r = item(&items, DueRule::FirstStatutoryReview);
        assert_eq!((r.due_on, r.state), (day("2026-03-30"), DueState::Ok));
        // GP, dentist and optician within 7 days.
        assert_eq!(
            item(&items, DueRule::GpRegistration).due_on,
            day("2026-03-09")
        );
        // The IPCP and Safe Care Plan clocks start at admission: 31 days.
        assert_eq!(item(&items, DueRule::IpcpReview).due_on, day("2026-04-02"));
        // Admitted on the Monday, the placement spans this week whole: a session is due by
        // Sunday 8 March (no hurry on the Thursday).
        let week = item(&items, DueRule::WeeklyKeySession);
        assert_eq!((week.due_on, week.state), (day("2026-03-08"), DueState::Ok));
        // Admitted on the Wednesday instead, the week does not count.
        let mut wednesday = admitted_2_march();
        wednesday.admitted = day("2026-03-04");
        let part = super::items(&wednesday, at("2026-03-05", 9), &calendar());
        assert!(part.iter().all(|i| i.rule != DueRule::WeeklyKeySession));
        // Not yet 15: nothing about leaving care.
        assert!(items.iter().all(|i| i.rule != DueRule::PathwayPlan));
    }

    #[test]
    fn a_session_held_satisfies_the_first_session_and_the_week() {
        let mut f = admitted_2_march();
        let session = Uuid::from_u128(7);
        f.sessions_held.push((session, day("2026-03-10")));
        let items = items(&f, at("2026-03-12", 9), &calendar());
        let first = item(&items, DueRule::FirstKeySession);
        assert_eq!(first.state, DueState::Ok);
        assert_eq!(first.record, Some(("KeySession", session)));
        let week = items
            .iter()
            .find(|i| i.rule == DueRule::WeeklyKeySession && i.due_on == day("2026-03-15"))
            .expect("this week's session");
        assert_eq!(week.state, DueState::Ok);
        // Last week was the week of admission, spanned whole: no session then is overdue.
        let missed = items
            .iter()
            .find(|i| i.rule == DueRule::WeeklyKeySession && i.state == DueState::Overdue)
            .expect("the missed week of 2 March");
        assert_eq!(missed.due_on, day("2026-03-08"));
    }

    #[test]
    fn every_month_of_the_placement_without_a_summary_stays_overdue() {
        // Admitted in January, no summary ever: on 2 December every month from January to
        // November is overdue, and December's is due.
        let mut f = admitted_2_march();
        f.admitted = day("2026-01-12");
        let items = items(&f, at("2026-12-02", 9), &calendar());
        let summaries: Vec<_> = items
            .iter()
            .filter(|i| i.rule == DueRule::MonthlySummary)
            .collect();
        assert_eq!(summaries.len(), 12, "{summaries:#?}");
        let overdue = summaries
            .iter()
            .filter(|i| i.state == DueState::Overdue)
            .count();
        assert_eq!(overdue, 11);
        assert!(summaries.iter().any(|i| i.about == "January 2026"));
        // A signed summary for March takes March away, and only March.
        f.summaries
            .push((Uuid::from_u128(3), day("2026-03-01"), true));
        let items = super::items(&f, at("2026-12-02", 9), &calendar());
        let left: Vec<_> = items
            .iter()
            .filter(|i| i.rule == DueRule::MonthlySummary)
            .map(|i| i.about.clone())
            .collect();
        assert_eq!(left.len(), 11);
        assert!(!left.contains(&"March 2026".to_owned()));
    }

    #[test]
    fn the_return_interview_is_due_72_hours_after_return() {
        let mut f = admitted_2_march();
        f.missing.push(e::missing_episode::Model {
            id: Uuid::from_u128(9),
            tenant_id: Uuid::nil(),
            child_id: Uuid::nil(),
            went_missing_at: at("2026-03-10", 8),
            reported_at: None,
            returned_at: Some(at("2026-03-10", 18)),
            police_reference: None,
            risk_level: keycare_entity::enums::RiskLevel::Medium,
            return_interview_at: None,
            advocate_visit_at: None,
            notes: None,
            author_id: Uuid::nil(),
            restricted: false,
            version: 1,
            created_at: at("2026-03-10", 8),
            updated_at: at("2026-03-10", 8),
        });
        let before = items(&f, at("2026-03-13", 17), &calendar());
        let i = item(&before, DueRule::ReturnInterview);
        assert_eq!(
            (i.due_at, i.state),
            (Some(at("2026-03-13", 18)), DueState::DueSoon)
        );
        let after = items(&f, at("2026-03-13", 19), &calendar());
        assert_eq!(
            item(&after, DueRule::ReturnInterview).state,
            DueState::Overdue
        );
        // The episode brings the Safe Care Plan review forward: within 3 days of return.
        let scp = item(&after, DueRule::SafeCarePlanReview);
        assert_eq!(
            (scp.due_on, scp.state),
            (day("2026-03-13"), DueState::DueSoon)
        );
    }

    #[test]
    fn reviews_follow_20_working_days_then_3_months_then_6_months() {
        let mut f = admitted_2_march();
        let review = |n: u128, on: &str, held: bool| e::statutory_review::Model {
            id: Uuid::from_u128(n),
            tenant_id: Uuid::nil(),
            child_id: Uuid::nil(),
            scheduled_for: day(on),
            iro_id: None,
            sequence: keycare_entity::enums::ReviewSequence::First,
            held_on: held.then(|| day(on)),
            outcome: None,
            action_plan: None,
            author_id: Uuid::nil(),
            restricted: false,
            version: 1,
            created_at: at(on, 9),
            updated_at: at(on, 9),
        };
        // First held on Monday 30 November 2026: the second is due by 28 February 2027.
        f.reviews.push(review(1, "2026-11-30", true));
        let items1 = items(&f, at("2026-12-01", 9), &calendar());
        let second = item(&items1, DueRule::SecondStatutoryReview);
        assert_eq!(second.due_on, day("2027-02-28"));
        // A review scheduled for Tuesday 29 December: its report is due 5 working days
        // before, over Christmas: Friday 18 December. Not submitted on the 19th: overdue.
        f.reviews.push(review(2, "2026-12-29", false));
        let items2 = items(&f, at("2026-12-19", 9), &calendar());
        let report = item(&items2, DueRule::ReviewReport);
        assert_eq!(
            (report.due_on, report.state),
            (day("2026-12-18"), DueState::Overdue)
        );
        f.reports
            .insert(Uuid::from_u128(2), (Uuid::from_u128(3), true));
        let items3 = items(&f, at("2026-12-19", 9), &calendar());
        let report = item(&items3, DueRule::ReviewReport);
        assert_eq!(report.state, DueState::Ok);
        assert_eq!(report.record, Some(("ReviewReport", Uuid::from_u128(3))));
        // With two held, later reviews are at most 6 months apart.
        f.reviews.push(review(4, "2027-02-20", true));
        let items4 = items(&f, at("2027-02-21", 9), &calendar());
        assert_eq!(
            item(&items4, DueRule::LaterStatutoryReview).due_on,
            day("2027-08-20")
        );
    }

    #[test]
    fn leaving_care_is_due_by_15_and_a_half_and_3_months_after_16() {
        let mut f = admitted_2_march();
        f.date_of_birth = day("2011-01-31");
        let items = items(&f, at("2026-03-05", 9), &calendar());
        // 15 years 6 months from 31 January 2011: 31 July 2026.
        assert_eq!(item(&items, DueRule::PathwayPlan).due_on, day("2026-07-31"));
        // 16 on 31 January 2027; three months later, clamped: 30 April 2027 (not yet shown).
        assert!(
            items
                .iter()
                .all(|i| i.rule != DueRule::LeavingCareNeedsAssessment)
        );
        let later = super::items(&f, at("2026-11-01", 9), &calendar());
        assert_eq!(
            item(&later, DueRule::LeavingCareNeedsAssessment).due_on,
            day("2027-04-30")
        );
    }
}
