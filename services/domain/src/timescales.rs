//! Timescales as data, and the calendar they are counted on.
//!
//! The defaults are `policies/timescales.csv`; a council's own settings (`timescale_settings`)
//! win over them. Working days skip weekends and the bank holidays of England and Wales
//! (`policies/bank-holidays.csv`, substitute days included) and any closure the council adds
//! (`bank_holidays` with its tenant id). Counting, as PRODUCT.md says: "within N working days
//! of D" ends on the Nth working day after D; "N working days before D" is the Nth working day
//! before D; months are calendar months clamped to the month's last day; hours are hours.

use crate::error::{DomainError, DomainResult};
use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use keycare_entity as e;
use keycare_entity::enums::TimescaleUnit;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use uuid::Uuid;

/// The default timescales (see the file for each rule).
const DEFAULTS: &str = include_str!("../../../policies/timescales.csv");
/// The bank holidays of England and Wales.
const BANK_HOLIDAYS: &str = include_str!("../../../policies/bank-holidays.csv");

/// How long a rule allows: an amount of a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timescale {
    pub amount: i32,
    pub unit: TimescaleUnit,
}

/// Lines of a policy file that carry data: neither blank nor comments, split on commas.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(n, line)| {
        let line = line.trim();
        (!line.is_empty() && !line.starts_with('#'))
            .then(|| (n + 1, line.split(',').map(str::trim).collect()))
    })
}

fn unit(word: &str) -> Option<TimescaleUnit> {
    Some(match word {
        "hours" => TimescaleUnit::Hours,
        "days" => TimescaleUnit::Days,
        "working_days" => TimescaleUnit::WorkingDays,
        "weeks" => TimescaleUnit::Weeks,
        "months" => TimescaleUnit::Months,
        _ => return None,
    })
}

/// The defaults, parsed; a bad line is named (the file is part of the build, so a test reads
/// it).
pub fn defaults() -> Result<HashMap<String, Timescale>, String> {
    let mut out = HashMap::new();
    for (n, cols) in data_lines(DEFAULTS) {
        let [rule, amount, u] = cols[..] else {
            return Err(format!("timescales.csv line {n}: want rule, amount, unit"));
        };
        let amount: i32 = amount
            .parse()
            .map_err(|_| format!("timescales.csv line {n}: amount {amount:?} is not a number"))?;
        let unit = unit(u).ok_or_else(|| format!("timescales.csv line {n}: unknown unit {u:?}"))?;
        out.insert(rule.to_owned(), Timescale { amount, unit });
    }
    Ok(out)
}

/// The bank holidays of England and Wales, parsed.
pub fn bank_holidays() -> Result<BTreeSet<NaiveDate>, String> {
    data_lines(BANK_HOLIDAYS)
        .map(|(n, cols)| {
            NaiveDate::parse_from_str(cols[0], "%Y-%m-%d")
                .map_err(|_| format!("bank-holidays.csv line {n}: {:?} is not a date", cols[0]))
        })
        .collect()
}

/// What a cached council's timescales were read under: the council (its id and creation,
/// so two databases' councils of one id never share an entry), its pathway plan age, and
/// the stamp of its settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    tenant: Uuid,
    created_at: chrono::DateTime<chrono::Utc>,
    pathway_plan_months: i32,
    stamp: String,
}

/// Councils whose timescales one process keeps (one entry each; far more than a
/// deployment serves).
const CACHE_MAX: usize = 4096;

static CACHE: LazyLock<Mutex<HashMap<CacheKey, Arc<Timescales>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A council's timescales and calendar.
#[derive(Debug, Clone)]
pub struct Timescales {
    rules: HashMap<String, Timescale>,
    holidays: BTreeSet<NaiveDate>,
    /// The age in months by which a pathway plan is due.
    pub pathway_plan_months: u32,
}

impl Timescales {
    /// The defaults and the national bank holidays.
    pub fn national() -> DomainResult<Timescales> {
        let bad = |m: String| DomainError::Db(sea_orm::DbErr::Custom(m));
        Ok(Timescales {
            rules: defaults().map_err(bad)?,
            holidays: bank_holidays().map_err(bad)?,
            pathway_plan_months: 186,
        })
    }

    /// The council's timescales: the defaults with its own settings over them, and its
    /// closures added to the bank holidays (two statements; the tenant row is the caller's).
    pub async fn of_tenant<C: ConnectionTrait>(
        db: &C,
        tenant: &e::tenant::Model,
    ) -> DomainResult<Timescales> {
        let mut t = Timescales::national()?;
        for s in e::timescale_setting::Entity::find()
            .filter(e::timescale_setting::Column::TenantId.eq(tenant.id))
            .all(db)
            .await?
        {
            t.rules.insert(
                s.rule,
                Timescale {
                    amount: s.amount,
                    unit: s.unit,
                },
            );
        }
        for h in e::bank_holiday::Entity::find()
            .filter(
                Condition::any()
                    .add(e::bank_holiday::Column::TenantId.is_null())
                    .add(e::bank_holiday::Column::TenantId.eq(tenant.id)),
            )
            .all(db)
            .await?
        {
            t.holidays.insert(h.on_date);
        }
        t.pathway_plan_months = tenant.pathway_plan_due_months.max(0) as u32;
        Ok(t)
    }

    /// The council's timescales from this process's cache while `stamp` (what the
    /// request's first statement read of the council's settings and bank holidays) and the
    /// council's row are unchanged; read again otherwise. Each replica keeps its own cache,
    /// and every request checks it against the database, so a change made through any
    /// replica (or in SQL) is seen by the next request everywhere.
    pub async fn cached<C: ConnectionTrait>(
        db: &C,
        tenant: &e::tenant::Model,
        stamp: &str,
    ) -> DomainResult<Arc<Timescales>> {
        let key = CacheKey {
            tenant: tenant.id,
            created_at: tenant.created_at,
            pathway_plan_months: tenant.pathway_plan_due_months,
            stamp: stamp.to_owned(),
        };
        if let Some(found) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(found);
        }
        let fresh = Arc::new(Timescales::of_tenant(db, tenant).await?);
        if let Ok(mut cache) = CACHE.lock() {
            cache.retain(|k, _| k.tenant != key.tenant);
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(key, fresh.clone());
        }
        Ok(fresh)
    }

    /// A rule's timescale (a rule missing from both the file and the council's settings is
    /// a fault of the build: the file's test reads every rule the code asks for).
    pub fn rule(&self, rule: &str) -> Timescale {
        self.rules.get(rule).copied().unwrap_or(Timescale {
            amount: 0,
            unit: TimescaleUnit::Days,
        })
    }

    /// Whether a day is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d)
    }

    /// The `n`th working day after `d` (`n` 0: `d` itself).
    pub fn working_days_after(&self, d: NaiveDate, n: i32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day += Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The `n`th working day before `d`.
    pub fn working_days_before(&self, d: NaiveDate, n: i32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            day -= Duration::days(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The day a timescale after `d` ends (hours count as whole days, rounded up).
    /// When the return interview after a child's return is due: the council's
    /// `return_interview` timescale (72 hours by default) counted from the return. The one
    /// rule behind what is due, the episode's `returnInterviewDueBy` and the council report.
    pub fn return_interview_due(
        &self,
        back: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let rule = self.rule("return_interview");
        match rule.unit {
            keycare_entity::enums::TimescaleUnit::Hours => {
                back + chrono::Duration::hours(rule.amount.into())
            }
            _ => self
                .after(back.date_naive(), rule)
                .and_time(back.time())
                .and_utc(),
        }
    }

    pub fn after(&self, d: NaiveDate, t: Timescale) -> NaiveDate {
        let n = t.amount.max(0);
        match t.unit {
            TimescaleUnit::Hours => d + Duration::days(((n + 23) / 24).into()),
            TimescaleUnit::Days => d + Duration::days(n.into()),
            TimescaleUnit::WorkingDays => self.working_days_after(d, n),
            TimescaleUnit::Weeks => d + Duration::weeks(n.into()),
            TimescaleUnit::Months => add_months(d, n as u32),
        }
    }

    /// The day a timescale before `d` begins.
    pub fn before(&self, d: NaiveDate, t: Timescale) -> NaiveDate {
        let n = t.amount.max(0);
        match t.unit {
            TimescaleUnit::Hours => d - Duration::days(((n + 23) / 24).into()),
            TimescaleUnit::Days => d - Duration::days(n.into()),
            TimescaleUnit::WorkingDays => self.working_days_before(d, n),
            TimescaleUnit::Weeks => d - Duration::weeks(n.into()),
            TimescaleUnit::Months => d.checked_sub_months(Months::new(n as u32)).unwrap_or(d),
        }
    }
}

/// Calendar months, clamped to the month's last day (30 November + 3 months = 28 February,
/// or 29 in a leap year).
pub fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months)).unwrap_or(d)
}

/// The Monday of the week of `d`.
pub fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday().into())
}

/// The first day of the month of `d`.
pub fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The last day of the month of `d`.
pub fn month_end(d: NaiveDate) -> NaiveDate {
    add_months(month_start(d), 1) - Duration::days(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn the_policy_files_parse_and_name_every_rule_the_code_uses() {
        let rules = defaults().expect("timescales.csv parses");
        for rule in crate::due::RULES {
            assert!(rules.contains_key(*rule), "timescales.csv lacks {rule}");
        }
        let holidays = bank_holidays().expect("bank-holidays.csv parses");
        assert!(
            holidays.contains(&day("2026-12-28")),
            "Boxing Day 2026 (substitute)"
        );
        assert!(holidays.contains(&day("2022-09-19")), "the state funeral");
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        let t = Timescales::national().expect("the national calendar");
        // Admitted Monday 2 March 2026: 20 working days later is Monday 30 March.
        assert_eq!(
            t.working_days_after(day("2026-03-02"), 20),
            day("2026-03-30")
        );
        // Over Easter 2026 (Good Friday 3 April, Easter Monday 6 April): 5 working days after
        // Tuesday 31 March is Thursday 9 April.
        assert_eq!(
            t.working_days_after(day("2026-03-31"), 5),
            day("2026-04-09")
        );
        // 5 working days before a review on Tuesday 29 December 2026 (Christmas Friday 25,
        // Boxing Day substitute Monday 28): Friday 18 December.
        assert_eq!(
            t.working_days_before(day("2026-12-29"), 5),
            day("2026-12-18")
        );
    }

    #[test]
    fn months_are_calendar_months_clamped_to_the_last_day() {
        assert_eq!(add_months(day("2026-11-30"), 3), day("2027-02-28"));
        assert_eq!(add_months(day("2027-11-30"), 3), day("2028-02-29"));
        assert_eq!(add_months(day("2026-01-31"), 1), day("2026-02-28"));
        assert_eq!(month_end(day("2028-02-10")), day("2028-02-29"));
        assert_eq!(week_start(day("2026-11-29")), day("2026-11-23"));
    }
}
