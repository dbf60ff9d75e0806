//! Council-wide reporting (PRODUCT.md): aggregates per home and for the council over a
//! period, and the Ofsted Annex A counts since a date. No names, no free text, no dates of
//! birth: only counts and shares, and counts below the council's threshold are suppressed.
//!
//! The figures of every home come from one query per kind of record over the period (about a
//! dozen statements whatever the number of homes), and are computed here, with the same
//! timescales as "what is due".

use crate::error::{DomainError, DomainResult};
use crate::request::{Request, authz_error};
use crate::timescales::{Timescales, add_months, month_end, month_start, week_start};
use chrono::{Duration, NaiveDate};
use keycare_authz::{Action, Kind, ReportScope};
use keycare_entity as e;
use keycare_entity::enums::{
    HealthRegistrationKind, KeyCarerChangeReason, KeyTeamRole, SessionStatus,
};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// The longest period one report covers.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// A count, or None when it is suppressed (between 1 and the threshold less one).
pub type Count = Option<i64>;

/// A share: how many of how many met a rule; None when there are too few to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Measure {
    pub met: i64,
    pub of: i64,
}

/// The figures of one home, or of the council.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Children placed at some time in the period.
    pub children: i64,
    /// Children placed for whole months who had 4 (the council's number) sessions in each.
    pub monthly_sessions: Measure,
    /// Children placed for whole weeks who had a session held in each.
    pub weekly_sessions: Measure,
    /// Monthly summaries submitted by the month's end and signed by the child, of those due.
    pub summaries_on_time: Measure,
    /// Children whose IPCP was reviewed at least every 31 days.
    pub ipcp_reviews_in_time: Measure,
    /// Children whose Safe Care Plan was reviewed at least every 31 days (and within 3 days
    /// after each missing episode).
    pub safe_care_reviews_in_time: Measure,
    /// Reviews held whose report was submitted 5 working days ahead.
    pub review_reports_on_time: Measure,
    /// Reviews held within their timescale (first, second, later).
    pub reviews_in_timescale: Measure,
    /// Missing episodes that began in the period, and the children involved.
    pub missing_episodes: i64,
    pub children_missing: i64,
    /// Returns in the period followed by a return interview in time (the council's
    /// `return_interview` timescale, 72 hours by default).
    pub return_interviews_in_time: Measure,
    /// Key carer changes in the period, by reason (stability).
    pub key_carer_changes: BTreeMap<String, i64>,
    /// Admissions in the period with a key carer by the admission day, and the days from
    /// admission to key carer (summed, over those appointed).
    pub key_carer_by_admission: Measure,
    pub days_to_key_carer_total: i64,
    /// Admissions in the period registered with a GP, dentist and optician within 7 days.
    pub health_registrations_in_time: Measure,
}

/// Ofsted Annex A counts of a home since a date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnexA {
    pub admissions: i64,
    pub leavers: i64,
    pub current_children: i64,
    pub missing_episodes: i64,
    pub children_missing: i64,
}

/// One home's part of the report.
#[derive(Debug, Clone)]
pub struct HomeReport {
    pub home: e::home::Model,
    pub figures: Figures,
    pub annex_a: AnnexA,
}

/// The report: per home, and for the council (the homes of the report together).
#[derive(Debug, Clone)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub annex_since: NaiveDate,
    pub threshold: i64,
    pub homes: Vec<HomeReport>,
    pub total: Figures,
    pub total_annex_a: AnnexA,
}

impl Report {
    /// A count as shown: suppressed (None) when between 1 and the threshold less one.
    pub fn count(&self, n: i64) -> Count {
        (n == 0 || n >= self.threshold).then_some(n)
    }

    /// A share as shown: None when fewer than the threshold were counted.
    pub fn share(&self, m: Measure) -> Option<Measure> {
        (m.of >= self.threshold.max(1)).then_some(m)
    }
}

/// The council report for the period (`from`..=`to`), with Annex A since `annex_since`
/// (default `from`), for every home the caller may report on (or the one asked for).
pub async fn report(
    req: &Request,
    from: NaiveDate,
    to: NaiveDate,
    home: Option<Uuid>,
    annex_since: Option<NaiveDate>,
) -> DomainResult<Report> {
    let scope = req
        .access
        .report_homes(&req.txn)
        .await
        .map_err(authz_error)?;
    let allowed = scope.decision();
    req.record_access(None, Kind::CouncilReport, home, Action::Read, allowed);
    if !allowed.is_allowed() {
        return Err(DomainError::Forbidden(
            "council reports are for council reporting and the managers of homes".into(),
        ));
    }
    if to < from {
        return Err(DomainError::bad_input("to", "is before `from`"));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(DomainError::bad_input(
            "to",
            format!("a report covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    let today = req.now.date_naive();
    let annex_since = annex_since.unwrap_or(from);
    let mut select = e::home::Entity::find()
        .filter(e::home::Column::TenantId.eq(req.identity.tenant_id))
        .order_by_asc(e::home::Column::Name);
    if let ReportScope::Homes(_, mine) = &scope {
        select = select.filter(e::home::Column::Id.is_in(mine.iter().copied()));
    }
    if let Some(home) = home {
        select = select.filter(e::home::Column::Id.eq(home));
    }
    let homes = select.all(&req.txn).await?;
    if home.is_some() && homes.is_empty() {
        return Err(DomainError::NotFound);
    }
    let t = req.timescales().await?;
    let threshold = e::tenant::Entity::find_by_id(req.identity.tenant_id)
        .one(&req.txn)
        .await?
        .map_or(5, |t| i64::from(t.report_suppression_threshold));
    let data = Data::load(req, &homes, from.min(annex_since), to).await?;
    let mut out = Report {
        from,
        to,
        annex_since,
        threshold,
        homes: Vec::new(),
        total: Figures::default(),
        total_annex_a: AnnexA::default(),
    };
    for home in homes {
        let placements: Vec<&e::placement::Model> = data
            .placements
            .iter()
            .filter(|p| p.home_id == home.id)
            .collect();
        let figures = figures(&data, &placements, from, to, today, &t);
        let annex_a = annex_a(&data, &placements, annex_since, today);
        add(&mut out.total, &figures);
        add_annex(&mut out.total_annex_a, &annex_a);
        out.homes.push(HomeReport {
            home,
            figures,
            annex_a,
        });
    }
    Ok(out)
}

/// The records of the homes' children over the period, one query per kind.
#[derive(Default)]
struct Data {
    placements: Vec<e::placement::Model>,
    children: HashMap<Uuid, e::child::Model>,
    sessions: HashMap<Uuid, Vec<NaiveDate>>,
    summaries: HashMap<(Uuid, NaiveDate), e::monthly_summary::Model>,
    ipcp_reviews: HashMap<Uuid, Vec<NaiveDate>>,
    scp_reviews: HashMap<Uuid, Vec<NaiveDate>>,
    reviews: HashMap<Uuid, Vec<e::statutory_review::Model>>,
    reports: HashMap<Uuid, e::review_report::Model>,
    missing: Vec<e::missing_episode::Model>,
    assignments: Vec<e::key_team_assignment::Model>,
    registrations: HashMap<Uuid, Vec<e::health_registration::Model>>,
}

impl Data {
    async fn load(
        req: &Request,
        homes: &[e::home::Model],
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<Data> {
        let db = &req.txn;
        let mut d = Data::default();
        if homes.is_empty() {
            return Ok(d);
        }
        use e::placement::Column as P;
        d.placements = e::placement::Entity::find()
            .filter(P::HomeId.is_in(homes.iter().map(|h| h.id)))
            .filter(P::AdmissionDate.lte(to))
            .filter(
                Condition::any()
                    .add(P::EndDate.is_null())
                    .add(P::EndDate.gte(from)),
            )
            .all(db)
            .await?;
        let kids: Vec<Uuid> = {
            let set: HashSet<Uuid> = d.placements.iter().map(|p| p.child_id).collect();
            set.into_iter().collect()
        };
        if kids.is_empty() {
            return Ok(d);
        }
        let ids = || kids.iter().copied();
        let start = |day: NaiveDate| day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        // Reviews and sessions a little before the period set its clocks.
        let lookback = from - Duration::days(62);
        for c in e::child::Entity::find()
            .filter(e::child::Column::Id.is_in(ids()))
            .all(db)
            .await?
        {
            d.children.insert(c.id, c);
        }
        {
            use e::key_session::Column as C;
            for s in e::key_session::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::Status.eq(SessionStatus::Held))
                .filter(C::PlannedAt.gte(start(lookback)))
                .filter(C::PlannedAt.lt(start(to + Duration::days(1))))
                .all(db)
                .await?
            {
                let day = s.held_at.unwrap_or(s.planned_at).date_naive();
                d.sessions.entry(s.child_id).or_default().push(day);
            }
        }
        {
            use e::monthly_summary::Column as C;
            for m in e::monthly_summary::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::Month.gte(month_start(from)))
                .filter(C::Month.lte(to))
                .all(db)
                .await?
            {
                d.summaries.insert((m.child_id, month_start(m.month)), m);
            }
        }
        {
            use e::care_plan_review::Column as C;
            for r in e::care_plan_review::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::ReviewedOn.gte(lookback))
                .filter(C::ReviewedOn.lte(to))
                .all(db)
                .await?
            {
                d.ipcp_reviews
                    .entry(r.child_id)
                    .or_default()
                    .push(r.reviewed_on);
            }
        }
        {
            use e::safe_care_review::Column as C;
            for r in e::safe_care_review::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::ReviewedOn.gte(lookback))
                .filter(C::ReviewedOn.lte(to))
                .all(db)
                .await?
            {
                d.scp_reviews
                    .entry(r.child_id)
                    .or_default()
                    .push(r.reviewed_on);
            }
        }
        {
            use e::statutory_review::Column as C;
            let reviews = e::statutory_review::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::HeldOn.is_not_null())
                .filter(C::HeldOn.lte(to))
                .all(db)
                .await?;
            let in_period: Vec<Uuid> = reviews
                .iter()
                .filter(|r| r.held_on.is_some_and(|h| h >= from))
                .map(|r| r.id)
                .collect();
            for r in reviews {
                d.reviews.entry(r.child_id).or_default().push(r);
            }
            if !in_period.is_empty() {
                use e::review_report::Column as R;
                for r in e::review_report::Entity::find()
                    .filter(R::ReviewId.is_in(in_period))
                    .all(db)
                    .await?
                {
                    d.reports.insert(r.review_id, r);
                }
            }
        }
        {
            use e::missing_episode::Column as C;
            d.missing = e::missing_episode::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::WentMissingAt.gte(start(lookback)))
                .filter(C::WentMissingAt.lt(start(to + Duration::days(1))))
                .all(db)
                .await?;
        }
        {
            use e::key_team_assignment::Column as C;
            d.assignments = e::key_team_assignment::Entity::find()
                .filter(C::PlacementId.is_in(d.placements.iter().map(|p| p.id)))
                .filter(C::Role.eq(KeyTeamRole::KeyCarer))
                .all(db)
                .await?;
        }
        {
            use e::health_registration::Column as C;
            for r in e::health_registration::Entity::find()
                .filter(C::ChildId.is_in(ids()))
                .filter(C::RegisteredOn.gte(from - Duration::days(7)))
                .all(db)
                .await?
            {
                d.registrations.entry(r.child_id).or_default().push(r);
            }
        }
        Ok(d)
    }
}

/// The last day a placement covers within `to` (and today).
fn last_day(p: &e::placement::Model, to: NaiveDate, today: NaiveDate) -> NaiveDate {
    let end = p.end_date.map_or(to, |e| e.min(to));
    end.min(today)
}

fn figures(
    d: &Data,
    placements: &[&e::placement::Model],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    t: &Timescales,
) -> Figures {
    let mut f = Figures::default();
    let children: HashSet<Uuid> = placements.iter().map(|p| p.child_id).collect();
    f.children = children.len() as i64;
    let per_month = t.rule("key_sessions_per_month").amount.max(1) as usize;
    let per_week = t.rule("key_sessions_per_week").amount.max(1) as usize;
    let ipcp_every = t.rule("ipcp_review");
    let scp_every = t.rule("safe_care_plan_review");
    let scp_after = t.rule("safe_care_plan_review_after_incident");
    for p in placements {
        let child = p.child_id;
        let sessions = d.sessions.get(&child).map(Vec::as_slice).unwrap_or(&[]);
        let held_between =
            |a: NaiveDate, b: NaiveDate| sessions.iter().filter(|s| **s >= a && **s <= b).count();
        let placed =
            |a: NaiveDate, b: NaiveDate| p.admission_date <= a && p.end_date.is_none_or(|e| e >= b);
        let whole = |a: NaiveDate, b: NaiveDate| a >= from && b <= to && b <= today;

        // Sessions: whole months, whole weeks.
        let mut month = month_start(from);
        let (mut months, mut months_met) = (0, 0);
        while month <= to {
            let end = month_end(month);
            if whole(month, end) && placed(month, end) {
                months += 1;
                if held_between(month, end) >= per_month {
                    months_met += 1;
                }
            }
            month = add_months(month, 1);
        }
        if months > 0 {
            f.monthly_sessions.of += 1;
            f.monthly_sessions.met += i64::from(months_met == months);
        }
        let mut week = week_start(from);
        let (mut weeks, mut weeks_met) = (0, 0);
        while week <= to {
            let end = week + Duration::days(6);
            if whole(week, end) && placed(week, end) {
                weeks += 1;
                if held_between(week, end) >= per_week {
                    weeks_met += 1;
                }
            }
            week += Duration::weeks(1);
        }
        if weeks > 0 {
            f.weekly_sessions.of += 1;
            f.weekly_sessions.met += i64::from(weeks_met == weeks);
        }

        // Summaries: each month ending in the period while placed.
        let mut month = month_start(from);
        while month <= to {
            let end = month_end(month);
            let due = t.after(end, t.rule("monthly_summary"));
            if end >= from
                && end <= to
                && due < today
                && p.admission_date <= end
                && p.end_date.is_none_or(|e| e >= end)
            {
                f.summaries_on_time.of += 1;
                let on_time = d.summaries.get(&(child, month)).is_some_and(|s| {
                    s.child_signed_at.is_some()
                        && s.submitted_at.is_some_and(|at| at.date_naive() <= due)
                });
                f.summaries_on_time.met += i64::from(on_time);
            }
            month = add_months(month, 1);
        }

        // Plan reviews: no gap longer than the timescale while placed in the period.
        let first = p.admission_date.max(from);
        let last = last_day(p, to, today);
        if first <= last {
            let ipcp = d.ipcp_reviews.get(&child).map(Vec::as_slice).unwrap_or(&[]);
            f.ipcp_reviews_in_time.of += 1;
            f.ipcp_reviews_in_time.met += i64::from(kept_up(
                ipcp,
                p.admission_date,
                first,
                last,
                |day| t.after(day, ipcp_every),
                &[],
            ));
            let scp = d.scp_reviews.get(&child).map(Vec::as_slice).unwrap_or(&[]);
            let incidents: Vec<(NaiveDate, NaiveDate)> = d
                .missing
                .iter()
                .filter(|m| m.child_id == child)
                .map(|m| m.returned_at.unwrap_or(m.went_missing_at).date_naive())
                .filter(|day| *day >= first && *day <= last)
                .map(|day| (day, t.after(day, scp_after)))
                .collect();
            f.safe_care_reviews_in_time.of += 1;
            f.safe_care_reviews_in_time.met += i64::from(kept_up(
                scp,
                p.admission_date,
                first,
                last,
                |day| t.after(day, scp_every),
                &incidents,
            ));
        }

        // Statutory reviews held in the period while placed here.
        let child_row = d.children.get(&child);
        let mut held: Vec<&e::statutory_review::Model> = d
            .reviews
            .get(&child)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        held.sort_by_key(|r| r.held_on);
        for (i, r) in held.iter().enumerate() {
            let Some(on) = r.held_on else { continue };
            if on < from
                || on > to
                || !(p.admission_date <= on && p.end_date.is_none_or(|e| e >= on))
            {
                continue;
            }
            let due = match i {
                0 => child_row
                    .map(|c| t.after(c.looked_after_since, t.rule("first_statutory_review"))),
                1 => held[0]
                    .held_on
                    .map(|h| t.after(h, t.rule("second_statutory_review"))),
                _ => held[i - 1]
                    .held_on
                    .map(|h| t.after(h, t.rule("later_statutory_review"))),
            };
            f.reviews_in_timescale.of += 1;
            f.reviews_in_timescale.met += i64::from(due.is_some_and(|due| on <= due));
            let report_due = t.before(r.scheduled_for.min(on), t.rule("review_report"));
            f.review_reports_on_time.of += 1;
            f.review_reports_on_time.met += i64::from(d.reports.get(&r.id).is_some_and(|rep| {
                rep.submitted_at
                    .is_some_and(|at| at.date_naive() <= report_due)
            }));
        }

        // Missing episodes that began here in the period; returns and their interviews.
        let mut went_missing = false;
        for m in d.missing.iter().filter(|m| m.child_id == child) {
            let began = m.went_missing_at.date_naive();
            let here = p.admission_date <= began && p.end_date.is_none_or(|e| e >= began);
            if !here {
                continue;
            }
            if began >= from && began <= to {
                f.missing_episodes += 1;
                went_missing = true;
            }
            if let Some(back) = m.returned_at
                && back.date_naive() >= from
                && back.date_naive() <= to
            {
                let due = t.return_interview_due(back);
                f.return_interviews_in_time.of += 1;
                f.return_interviews_in_time.met += i64::from(
                    m.return_interview_at
                        .or(m.advocate_visit_at)
                        .is_some_and(|at| at <= due),
                );
            }
        }
        f.children_missing += i64::from(went_missing);

        // Key carers: changes in the period; appointments for admissions in the period.
        for a in d.assignments.iter().filter(|a| a.placement_id == p.id) {
            if let (Some(end), Some(reason)) = (a.end_date, a.end_reason)
                && end >= from
                && end <= to
                && reason != KeyCarerChangeReason::PlacementEnded
            {
                *f.key_carer_changes
                    .entry(sea_orm::ActiveEnum::to_value(&reason))
                    .or_default() += 1;
            }
        }
        if p.admission_date >= from && p.admission_date <= to {
            let first_key_carer = d
                .assignments
                .iter()
                .filter(|a| a.placement_id == p.id)
                .map(|a| a.start_date)
                .min();
            f.key_carer_by_admission.of += 1;
            if let Some(start) = first_key_carer {
                f.key_carer_by_admission.met += i64::from(start <= p.admission_date);
                f.days_to_key_carer_total += (start - p.admission_date).num_days().max(0);
            }
            let due = t.after(p.admission_date, t.rule("health_registration"));
            if due < today {
                let regs = d
                    .registrations
                    .get(&child)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let all = [
                    HealthRegistrationKind::Gp,
                    HealthRegistrationKind::Dentist,
                    HealthRegistrationKind::Optician,
                ]
                .iter()
                .all(|k| {
                    regs.iter().any(|r| {
                        r.kind == *k
                            && r.registered_on >= p.admission_date - Duration::days(7)
                            && r.registered_on <= due
                    })
                });
                f.health_registrations_in_time.of += 1;
                f.health_registrations_in_time.met += i64::from(all);
            }
        }
    }
    f
}

/// Whether reviews kept up with their timescale from `first` to `last`: the clock starts at
/// admission (or the last review before the period), each review restarts it, and each
/// incident (day, deadline) wants a review between the two.
fn kept_up(
    reviews: &[NaiveDate],
    admitted: NaiveDate,
    first: NaiveDate,
    last: NaiveDate,
    next: impl Fn(NaiveDate) -> NaiveDate,
    incidents: &[(NaiveDate, NaiveDate)],
) -> bool {
    let mut days: Vec<NaiveDate> = reviews
        .iter()
        .copied()
        .filter(|d| *d >= admitted && *d <= last)
        .collect();
    days.sort();
    let mut clock = days
        .iter()
        .copied()
        .filter(|d| *d < first)
        .max()
        .unwrap_or(admitted);
    for day in days.iter().copied().filter(|d| *d >= first) {
        if day > next(clock) {
            return false;
        }
        clock = day;
    }
    if last > next(clock) {
        return false;
    }
    incidents.iter().all(|(day, deadline)| {
        *deadline > last || days.iter().any(|d| *d >= *day && *d <= *deadline)
    })
}

fn annex_a(
    d: &Data,
    placements: &[&e::placement::Model],
    since: NaiveDate,
    today: NaiveDate,
) -> AnnexA {
    let mut a = AnnexA {
        admissions: placements
            .iter()
            .filter(|p| p.admission_date >= since)
            .count() as i64,
        leavers: placements
            .iter()
            .filter(|p| p.end_date.is_some_and(|e| e >= since && e <= today))
            .count() as i64,
        current_children: placements
            .iter()
            .filter(|p| p.admission_date <= today && p.end_date.is_none_or(|e| e > today))
            .count() as i64,
        ..Default::default()
    };
    let mut involved = HashSet::new();
    for m in &d.missing {
        let began = m.went_missing_at.date_naive();
        if began < since {
            continue;
        }
        let here = placements.iter().any(|p| {
            p.child_id == m.child_id
                && p.admission_date <= began
                && p.end_date.is_none_or(|e| e >= began)
        });
        if here {
            a.missing_episodes += 1;
            involved.insert(m.child_id);
        }
    }
    a.children_missing = involved.len() as i64;
    a
}

fn add_measure(a: &mut Measure, b: Measure) {
    a.met += b.met;
    a.of += b.of;
}

fn add(total: &mut Figures, f: &Figures) {
    total.children += f.children;
    add_measure(&mut total.monthly_sessions, f.monthly_sessions);
    add_measure(&mut total.weekly_sessions, f.weekly_sessions);
    add_measure(&mut total.summaries_on_time, f.summaries_on_time);
    add_measure(&mut total.ipcp_reviews_in_time, f.ipcp_reviews_in_time);
    add_measure(
        &mut total.safe_care_reviews_in_time,
        f.safe_care_reviews_in_time,
    );
    add_measure(&mut total.review_reports_on_time, f.review_reports_on_time);
    add_measure(&mut total.reviews_in_timescale, f.reviews_in_timescale);
    total.missing_episodes += f.missing_episodes;
    total.children_missing += f.children_missing;
    add_measure(
        &mut total.return_interviews_in_time,
        f.return_interviews_in_time,
    );
    for (reason, n) in &f.key_carer_changes {
        *total.key_carer_changes.entry(reason.clone()).or_default() += n;
    }
    add_measure(&mut total.key_carer_by_admission, f.key_carer_by_admission);
    total.days_to_key_carer_total += f.days_to_key_carer_total;
    add_measure(
        &mut total.health_registrations_in_time,
        f.health_registrations_in_time,
    );
}

fn add_annex(total: &mut AnnexA, a: &AnnexA) {
    total.admissions += a.admissions;
    total.leavers += a.leavers;
    total.current_children += a.current_children;
    total.missing_episodes += a.missing_episodes;
    total.children_missing += a.children_missing;
}
