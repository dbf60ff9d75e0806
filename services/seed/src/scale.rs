//! `seed scale`: synthetic county data for benchmarks, deterministic for a seed.
//!
//! Everything is generated from one ChaCha stream per tenant, seeded from
//! [`ScaleOptions::seed`], and relative to [`ScaleOptions::today`] (never the wall clock), so
//! the same options always give the same rows. Generation streams child by child: rows go to
//! per-table buffers which are flushed as multi-row `INSERT`s (parents first, so foreign keys
//! hold) in one transaction per batch, by a writer task that runs while the next batch is
//! generated. On PostgreSQL every transaction first sets `app.tenant_id` for row-level security.
//!
//! Tenant ids are derived from the tenant slug alone (`scale-<n>`, UUID v5), so [`checksum`]
//! can find the scale tenants without listing the RLS-protected `tenants` table: it probes
//! `scale-1`, `scale-2`, … until one is missing.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SecondsFormat, TimeDelta, Utc};
use keycare_entity as e;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::sea_query::{Alias, Expr, InsertStatement, Query, Value};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Iterable, ModelTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::str::FromStr;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// What to generate. The default is the county of PERFORMANCE.md.
#[derive(Clone, Debug)]
pub struct ScaleOptions {
    /// Number of tenants (slugs `scale-1` … `scale-<n>`).
    pub tenants: u32,
    /// Homes per tenant.
    pub homes: u32,
    /// Children in placement now, per tenant (about 8 times as many earlier children are added).
    pub children: u32,
    /// Years of history.
    pub years: u32,
    /// The seed of the random stream.
    pub seed: u64,
    /// The "now" the data is generated relative to.
    pub today: NaiveDate,
}

impl Default for ScaleOptions {
    fn default() -> Self {
        ScaleOptions {
            tenants: 3,
            homes: 40,
            children: 320,
            years: 10,
            seed: 1,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date"),
        }
    }
}

/// What [`seed_scale`] wrote.
#[derive(Clone, Debug)]
pub struct ScaleReport {
    /// Rows inserted in all tables.
    pub rows: u64,
    /// Wall time of the whole load.
    pub elapsed: Duration,
    /// Rows per table, in insertion order.
    pub per_table: Vec<(&'static str, u64)>,
}

impl ScaleReport {
    /// Rows inserted per second of wall time.
    pub fn rows_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.rows as f64 / secs
        } else {
            0.0
        }
    }
}

/// Why seeding or checksumming failed.
#[derive(thiserror::Error, Debug)]
pub enum ScaleError {
    /// The database refused a statement.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Scale data for this tenant slug is already there.
    #[error("the database already has scale data for tenant `{0}`")]
    NotEmpty(String),
    /// The options cannot give sensible data.
    #[error("invalid scale options: {0}")]
    InvalidOptions(String),
    /// The background writer stopped unexpectedly.
    #[error("the writer task failed: {0}")]
    Writer(String),
}

/// The slug of the n-th scale tenant (1-based).
pub fn tenant_slug(n: u32) -> String {
    format!("scale-{n}")
}

/// The id of the n-th scale tenant (1-based): derived from the slug, not the seed.
pub fn tenant_id(n: u32) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("https://keycare.example/seed/{}", tenant_slug(n)).as_bytes(),
    )
}

// ---------------------------------------------------------------------------------------
// Tables and buffers

struct Table {
    name: &'static str,
    cols: &'static [&'static str],
}

macro_rules! tables {
    ($($idx:ident = $name:literal [$($col:literal),* $(,)?];)*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms, clippy::enum_variant_names)]
        #[derive(Clone, Copy)]
        #[repr(usize)]
        enum T { $($idx),* }
        const TABLES: &[Table] = &[$(Table { name: $name, cols: &[$($col),*] }),*];
    };
}

// Insertion order: parents before children (as in migrations/src/tables.rs).
tables! {
    TENANT = "tenants" ["id", "name", "slug", "clothing_weekly_pence", "pathway_plan_due_months", "report_suppression_threshold", "created_at"];
    IDP = "identity_providers" ["id", "tenant_id", "issuer", "audience", "jwks_url", "client_id", "is_development", "created_at"];
    HOME = "homes" ["id", "tenant_id", "name", "ofsted_urn", "address", "beds", "status", "version", "created_at", "updated_at"];
    USER = "users" ["id", "tenant_id", "issuer", "subject", "name", "email", "job_title", "active", "deactivated_at", "version", "created_at", "updated_at"];
    MEMBERSHIP = "home_memberships" ["id", "tenant_id", "user_id", "home_id", "role", "start_date", "end_date", "created_at"];
    TROLE = "tenant_roles" ["id", "tenant_id", "user_id", "role", "granted_at", "revoked_at"];
    CHILD = "children" ["id", "tenant_id", "legal_name", "preferred_name", "date_of_birth", "gender", "ethnicity", "religion", "first_language", "legal_status", "looked_after_since", "placing_authority", "placing_authority_ref", "nhs_number", "date_of_death", "created_by", "version", "created_at", "updated_at"];
    ALLOC = "allocations" ["id", "tenant_id", "user_id", "child_id", "kind", "start_date", "end_date", "created_at"];
    PLACEMENT = "placements" ["id", "tenant_id", "child_id", "home_id", "admission_date", "planned_end_date", "end_date", "end_reason", "key_carer_pending_reason", "created_by", "version", "created_at", "updated_at"];
    PREVISIT = "pre_admission_visits" ["id", "tenant_id", "child_id", "placement_id", "visited_on", "notes", "author_id", "created_at"];
    KTA = "key_team_assignments" ["id", "tenant_id", "child_id", "placement_id", "user_id", "role", "start_date", "end_date", "end_reason", "end_note", "appointed_by", "ended_by", "version", "created_at"];
    SESSION = "key_sessions" ["id", "tenant_id", "child_id", "planned_at", "venue", "format", "purposes", "purpose_other", "status", "held_by_id", "held_at", "notes", "child_views", "actions", "agencies_to_alert", "settling_in", "cancel_reason", "author_id", "restricted", "version", "created_at", "updated_at"];
    SUMMARY = "monthly_summaries" ["id", "tenant_id", "child_id", "month", "written_by_id", "health", "education", "family_and_friends", "behaviour", "achievements", "ipcp_progress", "status", "child_signed_at", "child_comment", "submitted_at", "acknowledged_at", "acknowledged_by_id", "author_id", "restricted", "version", "created_at", "updated_at"];
    LOG = "daily_logs" ["id", "tenant_id", "child_id", "occurred_at", "text", "categories", "author_id", "restricted", "version", "created_at", "updated_at"];
    PLAN = "care_plans" ["id", "tenant_id", "child_id", "version_number", "status", "outcomes_and_needs", "health", "education", "family_contact", "identity_background", "culture", "heritage", "religion", "diet", "language", "leisure", "independence_skills", "behaviour_goal", "published_at", "signed_child_at", "signed_key_carer_at", "signed_key_carer_id", "signed_social_worker_at", "signed_social_worker_id", "signed_manager_at", "signed_manager_id", "author_id", "restricted", "version", "created_at", "updated_at"];
    PLANREVIEW = "care_plan_reviews" ["id", "tenant_id", "child_id", "care_plan_id", "reviewed_on", "changes_made", "notes", "author_id", "restricted", "version", "created_at", "updated_at"];
    SCP = "safe_care_plans" ["id", "tenant_id", "child_id", "missing_from_care_agreement", "shared_with_social_worker_at", "social_worker_signed_at", "social_worker_signed_by_id", "author_id", "restricted", "version", "created_at", "updated_at"];
    RISK = "safe_care_risks" ["id", "tenant_id", "child_id", "safe_care_plan_id", "category", "at_risk", "level", "management", "retired_at", "author_id", "restricted", "version", "created_at", "updated_at"];
    MISSING = "missing_episodes" ["id", "tenant_id", "child_id", "went_missing_at", "reported_at", "returned_at", "police_reference", "risk_level", "return_interview_at", "advocate_visit_at", "notes", "author_id", "restricted", "version", "created_at", "updated_at"];
    SCREVIEW = "safe_care_reviews" ["id", "tenant_id", "child_id", "safe_care_plan_id", "reviewed_on", "trigger", "missing_episode_id", "notes", "author_id", "restricted", "version", "created_at", "updated_at"];
    STATREVIEW = "statutory_reviews" ["id", "tenant_id", "child_id", "scheduled_for", "iro_id", "sequence", "held_on", "outcome", "action_plan", "author_id", "restricted", "version", "created_at", "updated_at"];
    REPORT = "review_reports" ["id", "tenant_id", "child_id", "review_id", "status", "content", "child_views", "submitted_at", "author_id", "restricted", "version", "created_at", "updated_at"];
    BOOKLET = "consultation_booklets" ["id", "tenant_id", "child_id", "review_id", "source", "content", "received_on", "author_id", "restricted", "version", "created_at", "updated_at"];
    HEALTHREG = "health_registrations" ["id", "tenant_id", "child_id", "kind", "provider_name", "registered_on", "author_id", "restricted", "version", "created_at", "updated_at"];
    MEASURE = "health_measurements" ["id", "tenant_id", "child_id", "measured_on", "height_cm", "weight_kg", "author_id", "restricted", "version", "created_at", "updated_at"];
    EDUCATION = "education_placements" ["id", "tenant_id", "child_id", "kind", "provider_name", "transport", "start_date", "end_date", "author_id", "restricted", "version", "created_at", "updated_at"];
    PERSON = "significant_people" ["id", "tenant_id", "child_id", "name", "relationship", "contact_details", "notes", "author_id", "restricted", "version", "created_at", "updated_at"];
    AUDIT = "file_audits" ["id", "tenant_id", "child_id", "week_of", "checklist", "updates", "signed_at", "signed_by_id", "author_id", "restricted", "version", "created_at", "updated_at"];
    CLOTHING = "clothing_entries" ["id", "tenant_id", "child_id", "entry_on", "kind", "description", "amount_pence", "ordered_via_id", "author_id", "restricted", "version", "created_at", "updated_at"];
}

/// Bind parameters per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 30_000;
/// Pending rows that trigger a flush.
const BATCH_ROWS: usize = 40_000;
/// Connections writing at once on PostgreSQL.
const WRITERS: usize = 3;

macro_rules! row {
    ($($v:expr),* $(,)?) => { vec![$(Value::from($v)),*] };
}

const NO_UUID: Option<Uuid> = None;
const NO_TS: Option<DateTime<Utc>> = None;
const NO_DATE: Option<NaiveDate> = None;
const NO_STR: Option<String> = None;

struct Buffers {
    rows: Vec<Vec<Vec<Value>>>,
    pending: usize,
    totals: Vec<u64>,
}

impl Buffers {
    fn new() -> Self {
        Buffers {
            rows: TABLES.iter().map(|_| Vec::new()).collect(),
            pending: 0,
            totals: vec![0; TABLES.len()],
        }
    }

    fn push(&mut self, t: T, row: Vec<Value>) {
        debug_assert_eq!(
            row.len(),
            TABLES[t as usize].cols.len(),
            "{}",
            TABLES[t as usize].name
        );
        self.rows[t as usize].push(row);
        self.pending += 1;
    }

    /// Turns every buffer into INSERT statements, parents first.
    fn take_statements(&mut self) -> Vec<InsertStatement> {
        let mut out = Vec::new();
        for (i, table) in TABLES.iter().enumerate() {
            let rows = std::mem::take(&mut self.rows[i]);
            self.totals[i] += rows.len() as u64;
            let per_stmt = (MAX_PARAMS / table.cols.len()).max(1);
            let mut it = rows.into_iter().peekable();
            while it.peek().is_some() {
                let mut stmt = Query::insert();
                stmt.into_table(Alias::new(table.name))
                    .columns(table.cols.iter().map(|c| Alias::new(*c)));
                for row in it.by_ref().take(per_stmt) {
                    stmt.values_panic(row.into_iter().map(Expr::val));
                }
                out.push(stmt);
            }
        }
        self.pending = 0;
        out
    }
}

struct Batch {
    tenant: Uuid,
    stmts: Vec<InsertStatement>,
}

async fn write_batch(db: &DatabaseConnection, batch: Batch) -> Result<(), ScaleError> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT set_config('app.tenant_id', '{}', true)",
            batch.tenant
        ))
        .await?;
    }
    for stmt in &batch.stmts {
        txn.execute(stmt).await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn set_tenant<C: ConnectionTrait>(conn: &C, tenant: Uuid) -> Result<(), ScaleError> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!(
            "SELECT set_config('app.tenant_id', '{tenant}', true)"
        ))
        .await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Word lists

const FIRST: &[&str] = &[
    "Aaron", "Abigail", "Aisha", "Alfie", "Amelia", "Archie", "Ava", "Bella", "Ben", "Charlie",
    "Chloe", "Daisy", "Dylan", "Ella", "Ellie", "Ethan", "Evie", "Finley", "Freya", "George",
    "Grace", "Harry", "Harvey", "Isla", "Jack", "Jacob", "Jayden", "Jessica", "Kai", "Leo", "Lily",
    "Logan", "Mason", "Maya", "Mia", "Noah", "Olivia", "Oscar", "Poppy", "Reece", "Riley", "Rosie",
    "Ruby", "Sam", "Sophie", "Tyler", "Zara", "Zain",
];
const SURNAMES: &[&str] = &[
    "Ahmed", "Allen", "Bailey", "Baker", "Bennett", "Brown", "Clarke", "Cooper", "Davies",
    "Edwards", "Evans", "Green", "Hall", "Harris", "Hughes", "Jackson", "James", "Johnson",
    "Jones", "Khan", "King", "Lewis", "Martin", "Moore", "Morgan", "Morris", "Murphy", "Patel",
    "Phillips", "Price", "Roberts", "Robinson", "Shaw", "Smith", "Taylor", "Thomas", "Thompson",
    "Turner", "Walker", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
];
const PLACES: &[&str] = &[
    "Oakfield",
    "Ashby",
    "Brookside",
    "Cedar",
    "Elm Grove",
    "Fernhill",
    "Hawthorn",
    "Larch",
    "Maple",
    "Meadow",
    "Millbrook",
    "Orchard",
    "Pinewood",
    "Riverside",
    "Rowan",
    "Willow",
    "Beacon",
    "Harbour",
    "Kingsway",
    "Linden",
];
const STREETS: &[&str] = &[
    "Road", "Lane", "Close", "Avenue", "Drive", "Street", "Way", "Crescent",
];
const ACTIVITIES: &[&str] = &[
    "enjoyed football after school",
    "cooked pasta with staff",
    "went swimming at the leisure centre",
    "played board games in the lounge",
    "walked the dog in the park",
    "finished your homework",
    "tidied your room",
    "watched a film with the other young people",
    "went to the cinema",
    "helped with the shopping",
    "practised the guitar",
    "went to youth club",
    "baked a cake",
    "played on the games console",
    "rode your bike by the river",
    "did some drawing",
    "went to the library",
    "talked to your mum on the phone",
    "had a bath and an early night",
    "helped to plan the weekend trip",
];
const WHEN: &[&str] = &[
    "this morning",
    "after school",
    "this afternoon",
    "before tea",
    "this evening",
    "after tea",
];
const FEELINGS: &[&str] = &[
    "You seemed happy and relaxed.",
    "You were a bit quiet but joined in.",
    "You laughed a lot.",
    "You told staff you were tired.",
    "You were proud of yourself.",
    "You found it hard to settle at first.",
    "You were kind to the younger children.",
    "You asked for some time on your own, which was fine.",
    "You went to bed on time.",
    "You said it was the best part of your day.",
];
const CATEGORIES: &[&str] = &[
    "education",
    "health",
    "family",
    "activity",
    "behaviour",
    "wellbeing",
    "food",
    "sleep",
    "contact",
];
const PURPOSES: &[&str] = &[
    "progress",
    "specific_issue",
    "review_or_court_preparation",
    "future_planning",
    "talking_about_past",
    "after_family_visit",
];
const VENUES: &[&str] = &[
    "the lounge",
    "the garden",
    "a café in town",
    "the park",
    "the office",
    "a walk",
];
const RELATIONSHIPS: &[&str] = &[
    "mother",
    "father",
    "grandmother",
    "grandfather",
    "aunt",
    "older brother",
    "older sister",
    "family friend",
];
const RISKS: &[&str] = &[
    "violence",
    "criminal_exploitation",
    "sexual_exploitation",
    "gang_or_drug_related",
    "inappropriate_contacts",
    "self_harm",
    "going_missing",
    "other",
];
const AT_RISK: &[&str] = &["self", "staff", "other_children", "community"];
const CHANGE_REASONS: &[&str] = &[
    "child_complaint",
    "staff_left",
    "relationship_not_established",
    "not_in_best_interests",
    "other",
];
const LEGAL: &[&str] = &[
    "s20",
    "s31_care_order",
    "s31_care_order",
    "s31_care_order",
    "interim_care_order",
    "placement_order",
    "remand",
    "other",
];
const ETHNICITY: &[&str] = &[
    "White British",
    "Mixed White and Black Caribbean",
    "Asian British Pakistani",
    "Black British",
    "White Irish",
    "Any other White background",
];
const RELIGION: &[&str] = &[
    "None",
    "Christian",
    "Muslim",
    "Sikh",
    "Hindu",
    "No religion stated",
];
const CLOTHES: &[&str] = &[
    "school shoes",
    "a winter coat",
    "trainers",
    "school trousers",
    "a hoodie",
    "pyjamas",
    "jeans",
    "a swimming costume",
    "socks and underwear",
    "a football kit",
];

fn pick<'a, R: Rng>(rng: &mut R, list: &'a [&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or("")
}

fn log_text<R: Rng>(rng: &mut R) -> String {
    let mut s = format!("You {} {}.", pick(rng, ACTIVITIES), pick(rng, WHEN));
    if rng.gen_bool(0.7) {
        s.push(' ');
        s.push_str(pick(rng, FEELINGS));
    }
    s
}

fn sentences<R: Rng>(rng: &mut R, n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        if i > 0 {
            out.push(' ');
        }
        if rng.gen_bool(0.5) {
            out.push_str(&format!("This month you {}.", pick(rng, ACTIVITIES)));
        } else {
            out.push_str(pick(rng, FEELINGS));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Dates

fn at(d: NaiveDate, minutes: i64) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc() + TimeDelta::minutes(minutes)
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn is_holiday(d: NaiveDate) -> bool {
    matches!((d.month(), d.day()), (1, 1) | (12, 25) | (12, 26))
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(1)).unwrap_or(d)
}

// ---------------------------------------------------------------------------------------
// Generation

struct Home {
    id: Uuid,
    manager: Uuid,
    deputy: Uuid,
    staff: Vec<Uuid>,
}

struct Gen {
    rng: ChaCha8Rng,
    tenant: Uuid,
    today: NaiveDate,
    horizon: NaiveDate,
    homes: Vec<Home>,
    social_workers: Vec<Uuid>,
    iros: Vec<Uuid>,
    bufs: Buffers,
    clothing_rate: i32,
}

impl Gen {
    fn id(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.rng.r#gen()).into_uuid()
    }

    fn tenant_rows(&mut self, n: u32, opts: &ScaleOptions) {
        let t = self.tenant;
        let slug = tenant_slug(n);
        let since = at(self.horizon - days(30), 9 * 60);
        self.bufs.push(
            T::TENANT,
            row![
                t,
                format!("Scale County {n}"),
                slug.clone(),
                self.clothing_rate,
                186,
                5,
                since
            ],
        );
        let issuer = format!("https://idp.{slug}.example");
        let idp = self.id();
        self.bufs.push(
            T::IDP,
            row![
                idp,
                t,
                issuer.clone(),
                "keycare",
                format!("{issuer}/jwks.json"),
                Some("keycare".to_owned()),
                false,
                since
            ],
        );
        let mut k = 0u32;
        let mut user = |g: &mut Gen, name: String, title: &str| -> Uuid {
            k += 1;
            let id = g.id();
            g.bufs.push(
                T::USER,
                row![
                    id,
                    t,
                    issuer.clone(),
                    format!("u{k}"),
                    name,
                    format!("u{k}@{slug}.example"),
                    Some(title.to_owned()),
                    true,
                    NO_TS,
                    1,
                    since,
                    since
                ],
            );
            id
        };
        for h in 0..opts.homes {
            let id = self.id();
            let place = PLACES[h as usize % PLACES.len()];
            let name = if (h as usize) < PLACES.len() {
                format!("{place} House")
            } else {
                format!("{place} House {}", h as usize / PLACES.len() + 1)
            };
            let urn = format!("SC{:06}", 900_000 + n * 1_000 + h);
            let street = pick(&mut self.rng, STREETS);
            let address = format!(
                "{} {place} {street}, Scale County {n}",
                self.rng.gen_range(1..200)
            );
            let beds = self.rng.gen_range(6..=10);
            self.bufs.push(
                T::HOME,
                row![id, t, name, urn, address, beds, "open", 1, since, since],
            );
            let mut staff = Vec::new();
            let mut manager = Uuid::nil();
            let mut deputy = Uuid::nil();
            for s in 0..30 {
                let person = format!(
                    "{} {}",
                    pick(&mut self.rng, FIRST),
                    pick(&mut self.rng, SURNAMES)
                );
                let (title, role) = match s {
                    0 => ("Registered Manager", "manager"),
                    1 => ("Deputy Manager", "deputy_manager"),
                    _ => ("Residential Care Worker", "staff"),
                };
                let u = user(self, person, title);
                let m = self.id();
                self.bufs.push(
                    T::MEMBERSHIP,
                    row![m, t, u, id, role, self.horizon - days(30), NO_DATE, since],
                );
                match s {
                    0 => manager = u,
                    1 => deputy = u,
                    _ => staff.push(u),
                }
            }
            self.homes.push(Home {
                id,
                manager,
                deputy,
                staff,
            });
        }
        let mut role = |g: &mut Gen, title: &str, kind: &str| -> Uuid {
            let person = format!("{} {}", pick(&mut g.rng, FIRST), pick(&mut g.rng, SURNAMES));
            let u = user(g, person, title);
            let r = g.id();
            g.bufs.push(T::TROLE, row![r, t, u, kind, since, NO_TS]);
            u
        };
        for _ in 0..(opts.homes / 2 + 2) {
            let u = role(self, "Social Worker", "social_worker");
            self.social_workers.push(u);
        }
        for _ in 0..(opts.homes / 5 + 1) {
            let u = role(self, "Independent Reviewing Officer", "iro");
            self.iros.push(u);
        }
        role(self, "Performance Analyst", "reporting");
        role(self, "Data Protection Officer", "dpo");
        role(self, "System Administrator", "tenant_admin");
    }

    /// One child with one placement from `admission` to `end` (None: placed now).
    fn child(&mut self, admission: NaiveDate, end: Option<NaiveDate>) {
        let t = self.tenant;
        let rng = &mut self.rng;
        let h = rng.gen_range(0..self.homes.len());
        let (home_id, manager, deputy) = (
            self.homes[h].id,
            self.homes[h].manager,
            self.homes[h].deputy,
        );
        let staff = self.homes[h].staff.clone();
        let sw = *self.social_workers.choose(rng).unwrap_or(&manager);
        let iro = *self.iros.choose(rng).unwrap_or(&manager);
        let first = pick(rng, FIRST);
        let legal_name = format!("{first} {}", pick(rng, SURNAMES));
        let age_days = rng.gen_range(9 * 365..16 * 365);
        let dob = admission - days(age_days);
        let las = admission - days(rng.gen_range(0..400));
        let gender = if rng.gen_bool(0.5) { "female" } else { "male" };
        let legal = pick(rng, LEGAL);
        let eth = pick(rng, ETHNICITY);
        let rel = pick(rng, RELIGION);
        let nhs = format!(
            "{:03} {:03} {:04}",
            rng.gen_range(400..999),
            rng.gen_range(0..999),
            rng.gen_range(0..9999)
        );
        let pref = if rng.gen_bool(0.3) {
            Some(first.chars().take(3).collect::<String>())
        } else {
            None
        };
        let created = at(admission - days(3), 10 * 60);
        let child = self.id();
        let last_day = end
            .unwrap_or(self.today - days(1))
            .min(self.today - days(1));
        self.bufs.push(
            T::CHILD,
            row![
                child,
                t,
                legal_name,
                pref,
                dob,
                gender,
                Some(eth.to_owned()),
                Some(rel.to_owned()),
                Some("English".to_owned()),
                legal,
                las,
                "Scale County Council",
                Some(format!("LA{}", self.rng.gen_range(100_000..999_999))),
                Some(nhs),
                NO_DATE,
                manager,
                1,
                created,
                created
            ],
        );
        for (user, kind) in [(sw, "social_worker"), (iro, "iro")] {
            let a = self.id();
            self.bufs
                .push(T::ALLOC, row![a, t, user, child, kind, las, end, created]);
        }
        let placement = self.id();
        let planned_end = if self.rng.gen_bool(0.5) {
            Some(admission + days(self.rng.gen_range(180..900)))
        } else {
            None
        };
        let end_reason = end.map(|_| {
            [
                "Returned home to family.",
                "Moved to foster care.",
                "Moved to supported lodgings.",
                "Moved to another home.",
            ][self.rng.gen_range(0..4)]
            .to_owned()
        });
        self.bufs.push(
            T::PLACEMENT,
            row![
                placement,
                t,
                child,
                home_id,
                admission,
                planned_end,
                end,
                end_reason,
                NO_STR,
                manager,
                1,
                created,
                end.map_or(created, |e| at(e, 17 * 60))
            ],
        );
        let pv = self.id();
        self.bufs.push(
            T::PREVISIT,
            row![
                pv,
                t,
                child,
                placement,
                admission - days(7),
                Some("You came for tea and saw your bedroom.".to_owned()),
                manager,
                created
            ],
        );

        // Key team: a key carer from admission, sometimes changed once, sometimes a co-key carer.
        let kc1 = *staff.choose(&mut self.rng).unwrap_or(&manager);
        let span = (last_day - admission).num_days().max(0);
        let change = if span > 120 && self.rng.gen_bool(0.25) {
            Some(admission + days(self.rng.gen_range(60..span)))
        } else {
            None
        };
        let kc2 = *staff.choose(&mut self.rng).unwrap_or(&manager);
        let end_closed = |e: Option<NaiveDate>| e.map(|_| "placement_ended");
        match change {
            Some(c) => {
                let a = self.id();
                let reason = pick(&mut self.rng, CHANGE_REASONS);
                self.bufs.push(
                    T::KTA,
                    row![
                        a,
                        t,
                        child,
                        placement,
                        kc1,
                        "key_carer",
                        admission,
                        Some(c),
                        Some(reason),
                        Some("Agreed with you and your social worker.".to_owned()),
                        manager,
                        Some(manager),
                        1,
                        created
                    ],
                );
                let b = self.id();
                self.bufs.push(
                    T::KTA,
                    row![
                        b,
                        t,
                        child,
                        placement,
                        kc2,
                        "key_carer",
                        c,
                        end,
                        end_closed(end),
                        NO_STR,
                        manager,
                        end.map(|_| manager),
                        1,
                        at(c, 9 * 60)
                    ],
                );
            }
            None => {
                let a = self.id();
                self.bufs.push(
                    T::KTA,
                    row![
                        a,
                        t,
                        child,
                        placement,
                        kc1,
                        "key_carer",
                        admission,
                        end,
                        end_closed(end),
                        NO_STR,
                        manager,
                        end.map(|_| manager),
                        1,
                        created
                    ],
                );
            }
        }
        if self.rng.gen_bool(0.3) {
            let co = *staff.choose(&mut self.rng).unwrap_or(&deputy);
            let a = self.id();
            self.bufs.push(
                T::KTA,
                row![
                    a,
                    t,
                    child,
                    placement,
                    co,
                    "co_key_carer",
                    admission,
                    end,
                    end_closed(end),
                    NO_STR,
                    manager,
                    end.map(|_| manager),
                    1,
                    created
                ],
            );
        }
        let key_carer = |d: NaiveDate| match change {
            Some(c) if d >= c => kc2,
            _ => kc1,
        };

        // Registrations, education, people.
        for (kind, provider) in [
            ("gp", "Health Centre"),
            ("dentist", "Dental Practice"),
            ("optician", "Opticians"),
        ] {
            let id = self.id();
            let on = admission + days(self.rng.gen_range(1..7));
            let provider = format!("{} {provider}", pick(&mut self.rng, PLACES));
            self.bufs.push(
                T::HEALTHREG,
                row![
                    id,
                    t,
                    child,
                    kind,
                    provider,
                    on,
                    key_carer(on),
                    false,
                    1,
                    at(on, 11 * 60),
                    at(on, 11 * 60)
                ],
            );
        }
        {
            let id = self.id();
            let school = format!("{} Academy", pick(&mut self.rng, PLACES));
            let kind = if age_days > 16 * 365 {
                "college"
            } else {
                "school"
            };
            self.bufs.push(
                T::EDUCATION,
                row![
                    id,
                    t,
                    child,
                    kind,
                    school,
                    Some("Taxi arranged by the council.".to_owned()),
                    admission,
                    end,
                    key_carer(admission),
                    false,
                    1,
                    created,
                    created
                ],
            );
        }
        for _ in 0..self.rng.gen_range(1..=3) {
            let id = self.id();
            let name = format!(
                "{} {}",
                pick(&mut self.rng, FIRST),
                pick(&mut self.rng, SURNAMES)
            );
            let relation = pick(&mut self.rng, RELATIONSHIPS);
            self.bufs.push(
                T::PERSON,
                row![
                    id,
                    t,
                    child,
                    name,
                    relation,
                    Some("Phone number held by the social worker.".to_owned()),
                    NO_STR,
                    sw,
                    false,
                    1,
                    created,
                    created
                ],
            );
        }

        // Care plans: a new version every year; reviews monthly.
        let mut plans: Vec<(NaiveDate, Uuid)> = Vec::new();
        let mut start = admission + days(3);
        let mut version = 1;
        while start <= last_day {
            let id = self.id();
            plans.push((start, id));
            let next = start + days(365);
            let status = if next <= last_day {
                "superseded"
            } else {
                "published"
            };
            let pub_at = at(start, 15 * 60);
            let kc = key_carer(start);
            let mut text = || Some(sentences(&mut self.rng, 2));
            let (a, b, c, d, e2, f, g, h2, i, j, k, l, m) = (
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
                text(),
            );
            self.bufs.push(
                T::PLAN,
                row![
                    id,
                    t,
                    child,
                    version,
                    status,
                    a,
                    b,
                    c,
                    d,
                    e2,
                    f,
                    g,
                    h2,
                    i,
                    j,
                    k,
                    l,
                    m,
                    Some(pub_at),
                    Some(pub_at),
                    Some(pub_at),
                    Some(kc),
                    Some(pub_at + days(2)),
                    Some(sw),
                    Some(pub_at + days(1)),
                    Some(manager),
                    kc,
                    false,
                    1,
                    at(start, 10 * 60),
                    pub_at + days(2)
                ],
            );
            version += 1;
            start = next;
        }
        let mut d = admission + days(31);
        while d <= last_day {
            let plan = plans
                .iter()
                .rev()
                .find(|(s, _)| *s <= d)
                .map_or(Uuid::nil(), |p| p.1);
            let id = self.id();
            let changes = self.rng.gen_bool(0.2);
            let notes = if changes {
                "We updated your plan together."
            } else {
                "Nothing needed to change this month."
            };
            self.bufs.push(
                T::PLANREVIEW,
                row![
                    id,
                    t,
                    child,
                    plan,
                    d,
                    changes,
                    Some(notes.to_owned()),
                    key_carer(d),
                    false,
                    1,
                    at(d, 14 * 60),
                    at(d, 14 * 60)
                ],
            );
            d += days(self.rng.gen_range(26..=31));
        }

        // Safe Care Plan with risks, missing episodes and reviews.
        let scp = self.id();
        let scp_at = at(admission + days(1), 12 * 60);
        self.bufs.push(
            T::SCP,
            row![scp, t, child, Some("Staff report you missing if you are not back 30 minutes after your agreed time.".to_owned()), Some(scp_at + days(1)), Some(scp_at + days(3)), Some(sw), key_carer(admission), false, 1, scp_at, scp_at + days(3)],
        );
        for _ in 0..self.rng.gen_range(1..=4) {
            let id = self.id();
            let cat = pick(&mut self.rng, RISKS);
            let who = json!([pick(&mut self.rng, AT_RISK)]);
            let level = ["low", "medium", "high"][self.rng.gen_range(0..3)];
            self.bufs.push(
                T::RISK,
                row![
                    id,
                    t,
                    child,
                    scp,
                    cat,
                    who,
                    level,
                    "Staff talk with you about keeping safe and check in often.",
                    NO_TS,
                    key_carer(admission),
                    false,
                    1,
                    scp_at,
                    scp_at
                ],
            );
        }
        let mut missing: Vec<(NaiveDate, Uuid)> = Vec::new();
        if span > 30 && self.rng.gen_bool(0.04) {
            for _ in 0..self.rng.gen_range(1..=5) {
                let on = admission + days(self.rng.gen_range(7..span));
                let went = at(on, self.rng.gen_range(17 * 60..23 * 60));
                let back = went + TimeDelta::minutes(self.rng.gen_range(90..2000));
                let id = self.id();
                let police = format!("PR{}", self.rng.gen_range(10_000_000..99_999_999));
                let level = ["low", "medium", "high"][self.rng.gen_range(0..3)];
                self.bufs.push(
                    T::MISSING,
                    row![
                        id,
                        t,
                        child,
                        went,
                        Some(went + TimeDelta::minutes(45)),
                        Some(back),
                        Some(police),
                        level,
                        Some(back + TimeDelta::hours(30)),
                        Some(back + TimeDelta::hours(48)),
                        Some("You came back safe and talked to staff.".to_owned()),
                        key_carer(on),
                        false,
                        1,
                        went,
                        back
                    ],
                );
                missing.push((back.date_naive(), id));
            }
        }
        let mut d = admission + days(31);
        while d <= last_day {
            let id = self.id();
            self.bufs.push(
                T::SCREVIEW,
                row![
                    id,
                    t,
                    child,
                    scp,
                    d,
                    "scheduled",
                    NO_UUID,
                    Some("Your plan still fits.".to_owned()),
                    key_carer(d),
                    false,
                    1,
                    at(d, 13 * 60),
                    at(d, 13 * 60)
                ],
            );
            d += days(self.rng.gen_range(26..=31));
        }
        for (back, ep) in missing {
            let on = (back + days(1)).min(self.today);
            let id = self.id();
            self.bufs.push(
                T::SCREVIEW,
                row![
                    id,
                    t,
                    child,
                    scp,
                    on,
                    "missing_episode",
                    Some(ep),
                    Some("We talked about what happened when you went missing.".to_owned()),
                    key_carer(on),
                    false,
                    1,
                    at(on, 13 * 60),
                    at(on, 13 * 60)
                ],
            );
        }

        // Statutory reviews on the statutory timescale, while placed (and the next one ahead).
        let mut sched = las + days(28);
        let mut n = 0;
        let stop = end.unwrap_or(self.today + days(190));
        while sched <= stop {
            if sched >= admission {
                let held = sched < self.today;
                let id = self.id();
                let seq = match n {
                    0 => "first",
                    1 => "second",
                    _ => "later",
                };
                let held_on = held.then_some(sched);
                let (outcome, action) = if held {
                    (
                        Some("The plan for you to stay here was agreed.".to_owned()),
                        Some("Keep up school attendance; plan more family time.".to_owned()),
                    )
                } else {
                    (None, None)
                };
                self.bufs.push(
                    T::STATREVIEW,
                    row![
                        id,
                        t,
                        child,
                        sched,
                        Some(iro),
                        seq,
                        held_on,
                        outcome,
                        action,
                        iro,
                        false,
                        1,
                        at(sched - days(30), 9 * 60),
                        at(sched.min(self.today), 16 * 60)
                    ],
                );
                let kc = key_carer(sched.min(last_day));
                let rid = self.id();
                let sub = sched - days(7);
                let (status, submitted) = if sub < self.today {
                    ("submitted", Some(at(sub, 15 * 60)))
                } else {
                    ("draft", None)
                };
                let content = Some(sentences(&mut self.rng, 3));
                self.bufs.push(
                    T::REPORT,
                    row![
                        rid,
                        t,
                        child,
                        id,
                        status,
                        content,
                        Some("You said you feel settled.".to_owned()),
                        submitted,
                        kc,
                        false,
                        1,
                        at(sched - days(14), 10 * 60),
                        at(sub.min(self.today), 15 * 60)
                    ],
                );
                if held {
                    for (source, text) in [
                        ("child", "I like my room and my key worker."),
                        ("home", "You have settled well and made friends."),
                    ] {
                        let bid = self.id();
                        let on = sched - days(3);
                        self.bufs.push(
                            T::BOOKLET,
                            row![
                                bid,
                                t,
                                child,
                                id,
                                source,
                                text,
                                on,
                                kc,
                                false,
                                1,
                                at(on, 12 * 60),
                                at(on, 12 * 60)
                            ],
                        );
                    }
                }
            }
            sched += days(if n == 0 { 91 } else { 182 });
            n += 1;
        }

        // Health measurements every six months.
        let mut d = admission + days(10);
        let mut height = 120.0 + (age_days as f64 / 365.0) * 5.0;
        let mut weight = 25.0 + (age_days as f64 / 365.0) * 2.5;
        while d <= last_day {
            let id = self.id();
            self.bufs.push(
                T::MEASURE,
                row![
                    id,
                    t,
                    child,
                    d,
                    Some((height * 10.0f64).round() / 10.0),
                    Some((weight * 10.0f64).round() / 10.0),
                    key_carer(d),
                    false,
                    1,
                    at(d, 10 * 60),
                    at(d, 10 * 60)
                ],
            );
            height += 2.5;
            weight += 1.5;
            d += days(182);
        }

        // Monthly summaries for each month of placement that has ended.
        let mut m = month_start(admission);
        while next_month(m) <= self.today && m <= last_day {
            let month_end = next_month(m) - days(1);
            let kc = key_carer(month_end.min(last_day));
            let r: f64 = self.rng.r#gen();
            let status = if r < 0.85 {
                "acknowledged"
            } else if r < 0.95 {
                "submitted"
            } else {
                "draft"
            };
            let written = at(month_end, 15 * 60);
            let signed = (status != "draft").then_some(written + TimeDelta::hours(2));
            let submitted = (status != "draft").then_some(written + TimeDelta::hours(3));
            let acked = (status == "acknowledged").then_some(written + days(2));
            let acked_by = (status == "acknowledged").then_some(manager);
            let id = self.id();
            let mut text = || Some(sentences(&mut self.rng, 2));
            let (a, b, c, d2, e2, f) = (text(), text(), text(), text(), text(), text());
            let comment = signed.map(|_| "I agree with this.".to_owned());
            self.bufs.push(
                T::SUMMARY,
                row![
                    id,
                    t,
                    child,
                    m,
                    kc,
                    a,
                    b,
                    c,
                    d2,
                    e2,
                    f,
                    status,
                    signed,
                    comment,
                    submitted,
                    acked,
                    acked_by,
                    kc,
                    false,
                    1,
                    written,
                    acked.or(submitted).unwrap_or(written)
                ],
            );
            m = next_month(m);
        }

        // Weekly: key sessions, file audits, clothing.
        let mut d = admission + days(2);
        let mut first_session = true;
        while d <= end.unwrap_or(self.today + days(6)) {
            let id = self.id();
            let planned = at(d, self.rng.gen_range(16 * 60..19 * 60));
            let kc = key_carer(d.min(last_day));
            let format = if self.rng.gen_bool(0.6) {
                "formal"
            } else {
                "activity"
            };
            let purposes = json!([pick(&mut self.rng, PURPOSES)]);
            let venue = Some(pick(&mut self.rng, VENUES).to_owned());
            let holder = if self.rng.gen_bool(0.85) {
                kc
            } else {
                *staff.choose(&mut self.rng).unwrap_or(&kc)
            };
            let r: f64 = self.rng.r#gen();
            let status = if d >= self.today {
                "planned"
            } else if r < 0.85 {
                "held"
            } else if r < 0.93 {
                "cancelled"
            } else {
                "declined_by_child"
            };
            let held = status == "held";
            let settling = (first_session && held).then(|| {
                json!({"understands_why_placed": true, "ipcp": true, "childrens_guide": true, "fire_precautions": true, "essentials": true})
            });
            let (notes, views, actions) = if held {
                (
                    Some(format!(
                        "We met in {}. You {}.",
                        venue.as_deref().unwrap_or("the lounge"),
                        pick(&mut self.rng, ACTIVITIES)
                    )),
                    Some(pick(&mut self.rng, FEELINGS).to_owned()),
                    Some("Talk again next week.".to_owned()),
                )
            } else {
                (None, None, None)
            };
            let cancel = match status {
                "cancelled" => Some("Staff shortage on the day.".to_owned()),
                "declined_by_child" => Some("You did not want to meet today.".to_owned()),
                _ => None,
            };
            let updated = if d < self.today {
                planned + TimeDelta::hours(1)
            } else {
                at(self.today - days(1), 9 * 60)
            };
            self.bufs.push(
                T::SESSION,
                row![
                    id,
                    t,
                    child,
                    planned,
                    venue,
                    format,
                    purposes,
                    NO_STR,
                    status,
                    held.then_some(holder),
                    held.then_some(planned),
                    notes,
                    views,
                    actions,
                    NO_STR,
                    settling,
                    cancel,
                    kc,
                    false,
                    1,
                    planned.min(updated) - days(2),
                    updated
                ],
            );
            if held {
                first_session = false;
            }
            d += days(7);
        }
        let mut week =
            admission + days((7 - admission.weekday().num_days_from_monday() as i64) % 7);
        while week <= last_day {
            let kc = key_carer(week);
            let id = self.id();
            let signed = at(week + days(4).min(self.today - week), 16 * 60);
            self.bufs.push(
                T::AUDIT,
                row![
                    id,
                    t,
                    child,
                    week,
                    {
                        use keycare_entity::enums::{AuditDocument as D, AuditItem};
                        let mut on_file = vec![
                            D::CarePlan,
                            D::Ipcp,
                            D::Chronology,
                            D::HealthPlan,
                            D::SafeCarePlan,
                        ];
                        if self.rng.gen_bool(0.95) {
                            on_file.push(D::MedicalConsent);
                        }
                        AuditItem::checklist(&on_file)
                    },
                    Some("Daily logs and plans checked.".to_owned()),
                    Some(signed),
                    Some(manager),
                    kc,
                    false,
                    1,
                    signed,
                    signed
                ],
            );
            let id = self.id();
            self.bufs.push(
                T::CLOTHING,
                row![
                    id,
                    t,
                    child,
                    week,
                    "allowance",
                    "Weekly clothing allowance",
                    self.clothing_rate,
                    NO_UUID,
                    manager,
                    false,
                    1,
                    at(week, 8 * 60),
                    at(week, 8 * 60)
                ],
            );
            if self.rng.gen_bool(0.5) {
                let id = self.id();
                let on = (week + days(self.rng.gen_range(0..7))).min(last_day);
                let item = pick(&mut self.rng, CLOTHES);
                let amount = self.rng.gen_range(500..4_500);
                self.bufs.push(
                    T::CLOTHING,
                    row![
                        id,
                        t,
                        child,
                        on,
                        "purchase",
                        format!("Bought {item}"),
                        amount,
                        Some(manager),
                        kc,
                        false,
                        1,
                        at(on, 12 * 60),
                        at(on, 12 * 60)
                    ],
                );
            }
            week += days(7);
        }

        // Daily logs: about three a day, fewer on bank holidays and some busy days.
        let mut d = admission;
        while d <= last_day {
            let count = if is_holiday(d) || self.rng.gen_bool(0.04) {
                2
            } else {
                3
            };
            for slot in 0..count {
                let base = [8 * 60, 15 * 60, 20 * 60][slot];
                let when = at(d, base + self.rng.gen_range(0..90));
                let id = self.id();
                let author = if self.rng.gen_bool(0.3) {
                    key_carer(d)
                } else {
                    *staff.choose(&mut self.rng).unwrap_or(&manager)
                };
                let text = log_text(&mut self.rng);
                let cats = json!([pick(&mut self.rng, CATEGORIES)]);
                let restricted = self.rng.gen_bool(0.02);
                let saved = when + TimeDelta::minutes(10);
                self.bufs.push(
                    T::LOG,
                    row![
                        id, t, child, when, text, cats, author, restricted, 1, saved, saved
                    ],
                );
            }
            d += days(1);
        }
    }
}

/// Loads synthetic county data. Refuses ([`ScaleError::NotEmpty`]) when any of the tenant
/// slugs `scale-1` … `scale-<tenants>` is already present. Reports progress as
/// `progress(table_or_phase, rows_so_far)`.
pub async fn seed_scale(
    db: &DatabaseConnection,
    opts: &ScaleOptions,
    mut progress: impl FnMut(&str, u64),
) -> Result<ScaleReport, ScaleError> {
    use sea_orm::sea_query::ExprTrait as _;
    let started = Instant::now();
    if opts.tenants == 0 || opts.homes == 0 || opts.years == 0 {
        return Err(ScaleError::InvalidOptions(
            "tenants, homes and years must be at least 1".into(),
        ));
    }
    if opts.homes > 999 {
        return Err(ScaleError::InvalidOptions(
            "at most 999 homes per tenant".into(),
        ));
    }
    for n in 1..=opts.tenants {
        let slug = tenant_slug(n);
        let txn = db.begin().await?;
        set_tenant(&txn, tenant_id(n)).await?;
        let found = e::tenant::Entity::find()
            .filter(
                e::tenant::Column::Slug
                    .eq(slug.clone())
                    .or(e::tenant::Column::Id.eq(tenant_id(n))),
            )
            .one(&txn)
            .await?;
        txn.commit().await?;
        if found.is_some() {
            return Err(ScaleError::NotEmpty(slug));
        }
    }

    // Writers run while the next batch is generated. PostgreSQL takes batches on several
    // connections at once (each batch is self-contained: its children with all their
    // records); SQLite has one writer anyway.
    let writers = if db.get_database_backend() == DbBackend::Postgres {
        WRITERS
    } else {
        1
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(writers + 1);
    let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
    let mut handles = Vec::new();
    for _ in 0..writers {
        let writer_db = db.clone();
        let rx = rx.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let next = rx.lock().await.recv().await;
                let Some(batch) = next else { break };
                if let Err(err) = write_batch(&writer_db, batch).await {
                    rx.lock().await.close();
                    return Err(err);
                }
            }
            Ok::<(), ScaleError>(())
        }));
    }
    let result = generate(db, opts, &tx, &mut progress).await;
    drop(tx);
    let mut written = Ok(());
    for handle in handles {
        let outcome = handle
            .await
            .map_err(|e| ScaleError::Writer(e.to_string()))?;
        if written.is_ok() {
            written = outcome;
        }
    }
    let totals = match (result, written) {
        (_, Err(err)) => return Err(err),
        (Err(err), Ok(())) => return Err(err),
        (Ok(totals), Ok(())) => totals,
    };
    let per_table: Vec<(&'static str, u64)> = TABLES
        .iter()
        .zip(&totals)
        .map(|(t, n)| (t.name, *n))
        .collect();
    let rows = totals.iter().sum();
    // Fresh statistics, so the planner knows a child has thousands of logs and a council a
    // thousand users (stale estimates of a few rows pick hash joins over index lookups).
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    progress("done", rows);
    Ok(ScaleReport {
        rows,
        elapsed: started.elapsed(),
        per_table,
    })
}

async fn generate(
    db: &DatabaseConnection,
    opts: &ScaleOptions,
    tx: &tokio::sync::mpsc::Sender<Batch>,
    progress: &mut impl FnMut(&str, u64),
) -> Result<Vec<u64>, ScaleError> {
    let mut totals = vec![0u64; TABLES.len()];
    let history_days = i64::from(opts.years) * 365;
    for n in 1..=opts.tenants {
        let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
        rng.set_stream(u64::from(n));
        let horizon = opts.today - days(history_days);
        let mut g = Gen {
            rng,
            tenant: tenant_id(n),
            today: opts.today,
            horizon,
            homes: Vec::new(),
            social_workers: Vec::new(),
            iros: Vec::new(),
            bufs: Buffers::new(),
            clothing_rate: 1_500,
        };
        progress(&format!("tenant {}", tenant_slug(n)), 0);
        g.tenant_rows(n, opts);
        // The tenant, its homes and staff go in first, on their own, before any child batch
        // that refers to them can run on another connection.
        let before = g.bufs.totals.clone();
        let stmts = g.bufs.take_statements();
        write_batch(
            db,
            Batch {
                tenant: g.tenant,
                stmts,
            },
        )
        .await
        .map_err(|err| match err {
            ScaleError::Db(db_err)
                if matches!(db_err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
            {
                ScaleError::NotEmpty(format!("{} ({db_err})", tenant_slug(n)))
            }
            other => other,
        })?;
        for (i, table) in TABLES.iter().enumerate() {
            let added = g.bufs.totals[i] - before[i];
            if added > 0 {
                totals[i] += added;
                progress(table.name, totals[i]);
            }
        }
        // Children placed now: admitted over the last three years (or the history, if shorter).
        let recent = history_days.clamp(14, 3 * 365);
        for _ in 0..opts.children {
            let admission = opts.today - days(g.rng.gen_range(7..=recent));
            g.child(admission, None);
            if g.bufs.pending >= BATCH_ROWS {
                flush(&mut g, tx, progress, &mut totals).await?;
            }
        }
        // Earlier children, about 8 for each child placed now, with closed placements.
        for _ in 0..(opts.children * 8 - opts.children / 4) {
            let length = g.rng.gen_range(30..=(history_days / 4).clamp(60, 900));
            let end = opts.today - days(g.rng.gen_range(1..=history_days));
            let admission = (end - days(length)).max(horizon);
            if admission >= end {
                continue;
            }
            g.child(admission, Some(end));
            if g.bufs.pending >= BATCH_ROWS {
                flush(&mut g, tx, progress, &mut totals).await?;
            }
        }
        flush(&mut g, tx, progress, &mut totals).await?;
    }
    Ok(totals)
}

async fn flush(
    g: &mut Gen,
    tx: &tokio::sync::mpsc::Sender<Batch>,
    progress: &mut impl FnMut(&str, u64),
    totals: &mut [u64],
) -> Result<(), ScaleError> {
    if g.bufs.pending == 0 {
        return Ok(());
    }
    let before = g.bufs.totals.clone();
    let stmts = g.bufs.take_statements();
    for (i, table) in TABLES.iter().enumerate() {
        let added = g.bufs.totals[i] - before[i];
        if added > 0 {
            totals[i] += added;
            progress(table.name, totals[i]);
        }
    }
    // A closed channel means a writer failed: the caller reports the writer's error.
    tx.send(Batch {
        tenant: g.tenant,
        stmts,
    })
    .await
    .map_err(|_| ScaleError::Writer("the writers stopped".into()))
}

// ---------------------------------------------------------------------------------------
// Checksum

fn render(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Bool(Some(b)) => out.push_str(if *b { "t" } else { "f" }),
        Value::TinyInt(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::SmallInt(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::Int(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(Some(f)) => {
            let _ = write!(out, "{:.4}", f64::from(*f));
        }
        Value::Double(Some(f)) => {
            let _ = write!(out, "{f:.4}");
        }
        Value::String(Some(s)) => {
            let _ = write!(out, "{}:{s}", s.len());
        }
        Value::Uuid(Some(u)) => {
            let _ = write!(out, "{}", u.hyphenated());
        }
        Value::ChronoDate(Some(d)) => {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }
        Value::ChronoDateTimeUtc(Some(t)) => {
            out.push_str(&t.to_rfc3339_opts(SecondsFormat::Micros, true))
        }
        Value::ChronoDateTime(Some(t)) => {
            out.push_str(&t.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true))
        }
        Value::Json(Some(j)) => canonical_json(j, out),
        other if is_null(other) => out.push('~'),
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}

fn is_null(v: &Value) -> bool {
    matches!(
        v,
        Value::Bool(None)
            | Value::TinyInt(None)
            | Value::SmallInt(None)
            | Value::Int(None)
            | Value::BigInt(None)
            | Value::Float(None)
            | Value::Double(None)
            | Value::String(None)
            | Value::Uuid(None)
            | Value::ChronoDate(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::ChronoDateTime(None)
            | Value::Json(None)
    )
}

/// JSON with object keys sorted and numbers normalised (jsonb reorders keys).
fn canonical_json(j: &serde_json::Value, out: &mut String) {
    use serde_json::Value as J;
    match j {
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&J::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        J::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        J::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => out.push_str(&format!("{:.4}", n.as_f64().unwrap_or(0.0))),
        },
        other => out.push_str(&other.to_string()),
    }
}

/// Hashes one table's rows of one tenant, in id order, paging by id.
async fn hash_table<E, C>(
    conn: &C,
    tenant: Uuid,
    tenant_col: &str,
    h: &mut Sha256,
) -> Result<u64, ScaleError>
where
    E: EntityTrait,
    E::Model: ModelTrait<Entity = E> + Sync,
    C: ConnectionTrait,
{
    let name = E::default().table_name().to_owned();
    let (Ok(id_col), Ok(tenant_col)) = (E::Column::from_str("id"), E::Column::from_str(tenant_col))
    else {
        return Err(ScaleError::InvalidOptions(format!(
            "table {name} has no id or tenant column"
        )));
    };
    h.update(format!("#{name}\n").as_bytes());
    let mut last: Option<Uuid> = None;
    let mut count = 0u64;
    let mut line = String::new();
    loop {
        let mut q = E::find().filter(tenant_col.eq(tenant));
        if let Some(l) = last {
            q = q.filter(id_col.gt(l));
        }
        let page = q.order_by_asc(id_col).limit(5_000).all(conn).await?;
        if page.is_empty() {
            break;
        }
        for model in &page {
            line.clear();
            for (i, col) in E::Column::iter().enumerate() {
                if i > 0 {
                    line.push('|');
                }
                render(&model.get(col), &mut line);
            }
            line.push('\n');
            h.update(line.as_bytes());
            if let Value::Uuid(Some(u)) = model.get(id_col) {
                last = Some(u);
            }
        }
        count += page.len() as u64;
    }
    h.update(format!("={count}\n").as_bytes());
    Ok(count)
}

/// A SHA-256 (hex) over the content of every table for the scale tenants, in a canonical
/// order: tenants `scale-1`, `scale-2`, … (probed by their slug-derived ids until one is
/// missing, because on PostgreSQL the `tenants` table cannot be listed across tenants), then
/// for each tenant every table in creation order, rows ordered by id, every column rendered
/// canonically (UUIDs hyphenated, timestamps UTC RFC 3339 at microseconds, floats to 4
/// places, JSON with sorted keys). The same data gives the same checksum on SQLite and
/// PostgreSQL. Rows of other tenants (and national bank holidays) are not covered.
pub async fn checksum(db: &DatabaseConnection) -> Result<String, ScaleError> {
    let mut h = Sha256::new();
    let mut n = 1;
    loop {
        let tenant = tenant_id(n);
        let txn = db.begin().await?;
        set_tenant(&txn, tenant).await?;
        let found = e::tenant::Entity::find_by_id(tenant).one(&txn).await?;
        if found.is_none() {
            txn.commit().await?;
            break;
        }
        h.update(format!("@{tenant}\n").as_bytes());
        macro_rules! hash {
            ($($m:ident),*) => { $( hash_table::<e::$m::Entity, _>(&txn, tenant, "tenant_id", &mut h).await?; )* };
        }
        hash_table::<e::tenant::Entity, _>(&txn, tenant, "id", &mut h).await?;
        hash!(
            identity_provider,
            home,
            user,
            home_membership,
            tenant_role,
            child,
            allocation,
            placement,
            pre_admission_visit,
            key_team_assignment,
            key_session,
            monthly_summary,
            daily_log,
            care_plan,
            care_plan_review,
            safe_care_plan,
            safe_care_risk,
            missing_episode,
            safe_care_review,
            statutory_review,
            review_report,
            consultation_booklet,
            health_registration,
            health_appointment,
            health_measurement,
            health_assessment,
            medication_record,
            education_placement,
            school_liaison,
            pep_meeting,
            exclusion,
            significant_person,
            contact_arrangement,
            contact_restriction,
            contact_visit,
            file_audit,
            clothing_entry,
            pathway_plan,
            weekly_plan,
            chronology_entry,
            draft,
            record_revision,
            timescale_setting,
            bank_holiday,
            access_event
        );
        txn.commit().await?;
        n += 1;
    }
    Ok(hex::encode(h.finalize()))
}

/// Weekday helper kept for callers that want the Monday of a week.
pub fn monday_of(d: NaiveDate) -> NaiveDate {
    d - days(i64::from(d.weekday().num_days_from_monday()))
}
