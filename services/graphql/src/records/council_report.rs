//! `councilReport`: aggregates per home and for the council; no names, no free text.

use crate::care::Home;
use crate::error::gql;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use keycare_domain::council_report::{self, AnnexA, Figures, Measure, Report};
use keycare_entity::enums::KeyCarerChangeReason;
use std::sync::Arc;

/// How many of how many met a rule.
#[derive(SimpleObject)]
pub struct Share {
    /// How many met it.
    pub met: i32,
    /// Of how many.
    pub of: i32,
    /// `met` as a percentage of `of`, to one decimal place.
    pub percent: f64,
}

fn share(r: &Report, m: Measure) -> Option<Share> {
    r.share(m).map(|m| Share {
        met: m.met as i32,
        of: m.of as i32,
        percent: if m.of == 0 {
            0.0
        } else {
            (m.met as f64 * 1000.0 / m.of as f64).round() / 10.0
        },
    })
}

fn count(r: &Report, n: i64) -> Option<i32> {
    r.count(n).map(|n| n as i32)
}

/// Key carer changes for one reason.
#[derive(SimpleObject)]
pub struct ReasonCount {
    /// Why the key carer changed.
    pub reason: KeyCarerChangeReason,
    /// How many times (null when suppressed).
    pub count: Option<i32>,
}

/// The council report for a period: per home and for all the homes together. Counts below
/// the council's threshold are null (suppressed), and so is a share of fewer children than
/// the threshold.
pub struct CouncilReport(pub Arc<Report>);

/// The council report for a period: per home and for all the homes together. Counts below
/// the council's threshold are null (suppressed), and so is a share of fewer children than
/// the threshold.
#[Object]
impl CouncilReport {
    /// The first day of the period.
    async fn from(&self) -> Date {
        self.0.from.into()
    }
    /// The last day of the period.
    async fn to(&self) -> Date {
        self.0.to.into()
    }
    /// Annex A counts are since this day.
    async fn annex_a_since(&self) -> Date {
        self.0.annex_since.into()
    }
    /// Counts below this are suppressed.
    async fn suppression_threshold(&self) -> i32 {
        self.0.threshold as i32
    }
    /// The homes of the report together.
    async fn total(&self) -> ReportFigures {
        ReportFigures(self.0.clone(), None)
    }
    /// Ofsted Annex A counts of the homes together.
    async fn total_annex_a(&self) -> AnnexACounts {
        AnnexACounts(self.0.clone(), None)
    }
    /// Each home, by name.
    async fn homes(&self) -> Vec<HomeReport> {
        (0..self.0.homes.len())
            .map(|i| HomeReport(self.0.clone(), i))
            .collect()
    }
    /// The report as CSV: a row per home and one for the total, suppressed cells empty.
    async fn csv(&self) -> String {
        to_csv(&self.0)
    }
}

/// One home's figures and Annex A counts.
pub struct HomeReport(Arc<Report>, usize);

/// One home's figures and Annex A counts.
#[Object]
impl HomeReport {
    /// The home.
    async fn home(&self) -> Home {
        Home(self.0.homes[self.1].home.clone())
    }
    /// Its figures for the period.
    async fn figures(&self) -> ReportFigures {
        ReportFigures(self.0.clone(), Some(self.1))
    }
    /// Its Ofsted Annex A counts since `annexASince`.
    async fn annex_a(&self) -> AnnexACounts {
        AnnexACounts(self.0.clone(), Some(self.1))
    }
}

/// The figures of a home, or of the council.
pub struct ReportFigures(Arc<Report>, Option<usize>);

impl ReportFigures {
    fn f(&self) -> &Figures {
        match self.1 {
            Some(i) => &self.0.homes[i].figures,
            None => &self.0.total,
        }
    }
}

/// The figures of a home, or of the council.
#[Object]
impl ReportFigures {
    /// Children placed at some time in the period.
    async fn children(&self) -> Option<i32> {
        count(&self.0, self.f().children)
    }
    /// Children placed for whole calendar months with 4 key sessions held in each.
    async fn monthly_sessions(&self) -> Option<Share> {
        share(&self.0, self.f().monthly_sessions)
    }
    /// Children placed for whole weeks with a key session held in every one.
    async fn weekly_sessions(&self) -> Option<Share> {
        share(&self.0, self.f().weekly_sessions)
    }
    /// Monthly summaries submitted by the month's end and signed by the child.
    async fn summaries_on_time(&self) -> Option<Share> {
        share(&self.0, self.f().summaries_on_time)
    }
    /// Children whose IPCP was reviewed at least every 31 days.
    async fn ipcp_reviews_in_time(&self) -> Option<Share> {
        share(&self.0, self.f().ipcp_reviews_in_time)
    }
    /// Children whose Safe Care Plan was reviewed at least every 31 days and within 3 days
    /// after each missing episode.
    async fn safe_care_reviews_in_time(&self) -> Option<Share> {
        share(&self.0, self.f().safe_care_reviews_in_time)
    }
    /// Reviews held whose report was submitted 5 working days ahead.
    async fn review_reports_on_time(&self) -> Option<Share> {
        share(&self.0, self.f().review_reports_on_time)
    }
    /// Reviews held within their timescale (first, second, later).
    async fn reviews_in_timescale(&self) -> Option<Share> {
        share(&self.0, self.f().reviews_in_timescale)
    }
    /// Missing episodes that began in the period.
    async fn missing_episodes(&self) -> Option<i32> {
        count(&self.0, self.f().missing_episodes)
    }
    /// Children who went missing in the period.
    async fn children_missing(&self) -> Option<i32> {
        count(&self.0, self.f().children_missing)
    }
    /// Returns in the period with a return interview within 72 hours.
    async fn return_interviews_in_time(&self) -> Option<Share> {
        share(&self.0, self.f().return_interviews_in_time)
    }
    /// Key carer changes in the period, by reason (stability).
    async fn key_carer_changes(&self) -> Vec<ReasonCount> {
        use sea_orm::ActiveEnum;
        self.f()
            .key_carer_changes
            .iter()
            .filter_map(|(reason, n)| {
                KeyCarerChangeReason::try_from_value(reason)
                    .ok()
                    .map(|reason| ReasonCount {
                        reason,
                        count: count(&self.0, *n),
                    })
            })
            .collect()
    }
    /// Admissions in the period with a key carer appointed by the admission day.
    async fn key_carer_by_admission(&self) -> Option<Share> {
        share(&self.0, self.f().key_carer_by_admission)
    }
    /// Average days from admission to the key carer's appointment, over the admissions in
    /// the period (null when fewer than the threshold).
    async fn average_days_to_key_carer(&self) -> Option<f64> {
        let f = self.f();
        self.0.share(f.key_carer_by_admission).map(|m| {
            let appointed = m.of.max(1) as f64;
            (f.days_to_key_carer_total as f64 * 10.0 / appointed).round() / 10.0
        })
    }
    /// Admissions registered with a GP, dentist and optician within 7 days.
    async fn health_registrations_in_time(&self) -> Option<Share> {
        share(&self.0, self.f().health_registrations_in_time)
    }
}

/// Ofsted Annex A counts since a date.
pub struct AnnexACounts(Arc<Report>, Option<usize>);

impl AnnexACounts {
    fn a(&self) -> &AnnexA {
        match self.1 {
            Some(i) => &self.0.homes[i].annex_a,
            None => &self.0.total_annex_a,
        }
    }
}

/// Ofsted Annex A counts since a date.
#[Object]
impl AnnexACounts {
    /// Admissions since the date.
    async fn admissions(&self) -> Option<i32> {
        count(&self.0, self.a().admissions)
    }
    /// Children who left since the date.
    async fn leavers(&self) -> Option<i32> {
        count(&self.0, self.a().leavers)
    }
    /// Children placed today.
    async fn current_children(&self) -> Option<i32> {
        count(&self.0, self.a().current_children)
    }
    /// Missing episodes since the date.
    async fn missing_episodes(&self) -> Option<i32> {
        count(&self.0, self.a().missing_episodes)
    }
    /// Children involved in those episodes.
    async fn children_missing(&self) -> Option<i32> {
        count(&self.0, self.a().children_missing)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn to_csv(r: &Report) -> String {
    let c = |n: i64| r.count(n).map(|n| n.to_string()).unwrap_or_default();
    let s = |m: Measure| match r.share(m) {
        Some(m) => format!("{},{}", m.met, m.of),
        None => ",".to_owned(),
    };
    let measures = [
        "monthly_sessions",
        "weekly_sessions",
        "summaries_on_time",
        "ipcp_reviews_in_time",
        "safe_care_reviews_in_time",
        "review_reports_on_time",
        "reviews_in_timescale",
        "return_interviews_in_time",
        "key_carer_by_admission",
        "health_registrations_in_time",
    ];
    let mut out = String::from("home,ofsted_urn,children,missing_episodes,children_missing");
    for m in measures {
        out.push_str(&format!(",{m}_met,{m}_of"));
    }
    out.push_str(",key_carer_changes,annex_a_admissions,annex_a_leavers,annex_a_current_children,annex_a_missing_episodes,annex_a_children_missing\n");
    let row = |name: &str, urn: &str, f: &Figures, a: &AnnexA| {
        let changes: i64 = f.key_carer_changes.values().sum();
        let mut line = format!(
            "{},{},{},{},{}",
            csv_field(name),
            csv_field(urn),
            c(f.children),
            c(f.missing_episodes),
            c(f.children_missing)
        );
        for m in [
            f.monthly_sessions,
            f.weekly_sessions,
            f.summaries_on_time,
            f.ipcp_reviews_in_time,
            f.safe_care_reviews_in_time,
            f.review_reports_on_time,
            f.reviews_in_timescale,
            f.return_interviews_in_time,
            f.key_carer_by_admission,
            f.health_registrations_in_time,
        ] {
            line.push(',');
            line.push_str(&s(m));
        }
        line.push_str(&format!(
            ",{},{},{},{},{},{}\n",
            c(changes),
            c(a.admissions),
            c(a.leavers),
            c(a.current_children),
            c(a.missing_episodes),
            c(a.children_missing)
        ));
        line
    };
    for h in &r.homes {
        out.push_str(&row(
            &h.home.name,
            &h.home.ofsted_urn,
            &h.figures,
            &h.annex_a,
        ));
    }
    out.push_str(&row("Total", "", &r.total, &r.total_annex_a));
    out
}

/// The `councilReport` query.
#[derive(Default)]
pub struct CouncilReportQuery;

/// The `councilReport` query.
#[Object]
impl CouncilReportQuery {
    /// Aggregates per home and for the council over a period (at most a year): council
    /// reporting sees every home, a manager their own. No names and no free text; counts
    /// below the council's threshold are suppressed. Annex A counts are since `annexASince`
    /// (default `from`).
    async fn council_report(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        home_id: Option<ID>,
        annex_a_since: Option<Date>,
    ) -> Result<CouncilReport> {
        let home = match &home_id {
            Some(id) => Some(uuid_of(id, "Home", "homeId")?),
            None => None,
        };
        let report = council_report::report(
            request(ctx)?,
            from.0,
            to.0,
            home,
            annex_a_since.map(|d| d.0),
        )
        .await
        .map_err(gql)?;
        Ok(CouncilReport(Arc::new(report)))
    }
}
