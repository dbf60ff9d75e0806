//! `seed demo`: the demo councils of API.md, loaded idempotently.
//!
//! On PostgreSQL every tenant-owned table has FORCE row-level security, so every read here
//! runs in a transaction for a demo tenant (`begin_for_tenant`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keycare_domain::db::begin_for_tenant;
use keycare_entity as e;
use keycare_entity::enums::KeyCarerChangeReason;
use keycare_seed::demo::{id, seed_demo};
use keycare_testkit::TestDb;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

const COUNCILS: [&str; 2] = ["northshire", "southdale"];

fn tenant(slug: &str) -> Uuid {
    id(slug, "tenant", "")
}

/// The tables holding records of a child (every kind of PRODUCT.md).
const CHILD_RECORD_TABLES: &[&str] = &[
    "key_sessions",
    "monthly_summaries",
    "daily_logs",
    "care_plans",
    "care_plan_reviews",
    "safe_care_plans",
    "safe_care_risks",
    "missing_episodes",
    "safe_care_reviews",
    "statutory_reviews",
    "review_reports",
    "consultation_booklets",
    "health_registrations",
    "health_appointments",
    "health_measurements",
    "health_assessments",
    "medication_records",
    "education_placements",
    "school_liaisons",
    "pep_meetings",
    "exclusions",
    "significant_people",
    "contact_arrangements",
    "contact_restrictions",
    "contact_visits",
    "file_audits",
    "clothing_entries",
    "pathway_plans",
    "weekly_plans",
    "chronology_entries",
];

async fn seeded() -> TestDb {
    let t = TestDb::new().await;
    seed_demo(&t.db).await.expect("seed demo");
    t
}

/// `SELECT count(*)` of a query, run for `slug`'s tenant.
async fn count_sql(db: &DatabaseConnection, slug: &str, sql: &str) -> i64 {
    let txn = begin_for_tenant(db, tenant(slug)).await.unwrap();
    let row = txn
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a count");
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Every table of the database but the migrations' bookkeeping.
async fn all_tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'seaql_migrations'"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Rows of every table, counted once with each demo tenant set.
async fn table_counts(db: &DatabaseConnection) -> BTreeMap<(String, &'static str), i64> {
    let mut counts = BTreeMap::new();
    for table in all_tables(db).await {
        for slug in COUNCILS {
            let n = count_sql(db, slug, &format!("SELECT count(*) FROM {table}")).await;
            counts.insert((table.clone(), slug), n);
        }
    }
    counts
}

/// Names of the homes of a council, with the number of children placed there now.
async fn homes_with_open_placements(db: &DatabaseConnection, slug: &str) -> BTreeMap<String, u64> {
    let txn = begin_for_tenant(db, tenant(slug)).await.unwrap();
    let homes = e::home::Entity::find()
        .filter(e::home::Column::TenantId.eq(tenant(slug)))
        .all(&txn)
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for h in homes {
        let open = e::placement::Entity::find()
            .filter(e::placement::Column::HomeId.eq(h.id))
            .filter(e::placement::Column::EndDate.is_null())
            .count(&txn)
            .await
            .unwrap();
        out.insert(h.name, open);
    }
    out
}

// --- Idempotence ----------------------------------------------------------------------------

#[tokio::test]
async fn a_second_run_reports_both_councils_already_present() {
    let t = seeded().await;
    let second = seed_demo(&t.db).await.expect("second seed demo");
    assert!(
        second.created.is_empty()
            && second.already_present == ["Northshire County Council", "Southdale Borough Council"],
        "second run: {second:?} ({second})"
    );
}

#[tokio::test]
async fn a_second_run_changes_no_table_count() {
    let t = seeded().await;
    let before = table_counts(&t.db).await;
    seed_demo(&t.db).await.expect("second seed demo");
    assert_eq!(
        table_counts(&t.db).await,
        before,
        "row counts changed on the second run"
    );
}

// --- The councils and homes of API.md --------------------------------------------------------

#[tokio::test]
async fn there_are_two_tenants() {
    let t = seeded().await;
    let n = count_sql(&t.db, "northshire", "SELECT count(*) FROM tenants").await;
    assert_eq!(n, 2, "tenants");
}

#[tokio::test]
async fn each_demo_home_has_its_children_in_open_placements() {
    // (council, home, fewest children placed now, most)
    let cases = [
        ("northshire", "Oak House", 4, u64::MAX),
        ("northshire", "Beech Lodge", 4, u64::MAX),
        ("northshire", "Willow Court", 4, u64::MAX),
        ("southdale", "Harbour View", 3, 3),
    ];
    let t = seeded().await;
    let mut wrong = Vec::new();
    for (slug, home, min, max) in cases {
        let homes = homes_with_open_placements(&t.db, slug).await;
        match homes.get(home) {
            Some(n) if (min..=max).contains(n) => {}
            other => wrong.push(format!(
                "{slug} / {home}: {other:?} open placements, want {min}..={max}"
            )),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn each_council_has_exactly_its_homes() {
    let cases = [
        (
            "northshire",
            vec!["Beech Lodge", "Oak House", "Willow Court"],
        ),
        ("southdale", vec!["Harbour View"]),
    ];
    let t = seeded().await;
    for (slug, want) in cases {
        let have: Vec<String> = homes_with_open_placements(&t.db, slug)
            .await
            .into_keys()
            .collect();
        assert_eq!(have, want, "homes of {slug}");
    }
}

// --- The users of API.md ----------------------------------------------------------------------

#[tokio::test]
async fn every_demo_user_exists_with_the_expected_active_flag() {
    // (council, email, active)
    let cases = [
        ("northshire", "manager.oak@northshire.example", true),
        ("northshire", "keycarer.oak@northshire.example", true),
        ("northshire", "cokey.oak@northshire.example", true),
        ("northshire", "staff.oak@northshire.example", true),
        ("northshire", "manager.beech@northshire.example", true),
        ("northshire", "staff.beech@northshire.example", true),
        ("northshire", "sw@northshire.example", true),
        ("northshire", "iro@northshire.example", true),
        ("northshire", "reporting@northshire.example", true),
        ("northshire", "dpo@northshire.example", true),
        ("northshire", "admin@northshire.example", true),
        ("northshire", "former.oak@northshire.example", false),
        ("southdale", "manager.harbour@southdale.example", true),
        ("southdale", "sw@southdale.example", true),
    ];
    let t = seeded().await;
    let mut wrong = Vec::new();
    for (slug, email, active) in cases {
        let txn = begin_for_tenant(&t.db, tenant(slug)).await.unwrap();
        let user = e::user::Entity::find()
            .filter(e::user::Column::Email.eq(email))
            .one(&txn)
            .await
            .unwrap();
        match user {
            Some(u) if u.active == active && u.tenant_id == tenant(slug) => {}
            other => wrong.push(format!(
                "{email}: want active={active} in {slug}, got {:?}",
                other.map(|u| (u.active, u.tenant_id))
            )),
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// --- Histories the demo shows -----------------------------------------------------------------

#[tokio::test]
async fn there_is_exactly_one_closed_placement() {
    let t = seeded().await;
    let mut closed = 0;
    for slug in COUNCILS {
        let txn = begin_for_tenant(&t.db, tenant(slug)).await.unwrap();
        closed += e::placement::Entity::find()
            .filter(e::placement::Column::TenantId.eq(tenant(slug)))
            .filter(e::placement::Column::EndDate.is_not_null())
            .count(&txn)
            .await
            .unwrap();
    }
    assert_eq!(closed, 1, "closed placements");
}

#[tokio::test]
async fn a_key_carer_change_ended_an_assignment_with_reason_staff_left() {
    let t = seeded().await;
    let txn = begin_for_tenant(&t.db, tenant("northshire")).await.unwrap();
    let n = e::key_team_assignment::Entity::find()
        .filter(e::key_team_assignment::Column::EndDate.is_not_null())
        .filter(e::key_team_assignment::Column::EndReason.eq(KeyCarerChangeReason::StaffLeft))
        .count(&txn)
        .await
        .unwrap();
    assert!(
        n >= 1,
        "no key team assignment ended with reason staff_left"
    );
}

#[tokio::test]
async fn there_is_at_least_one_restricted_record() {
    let t = seeded().await;
    let mut restricted = 0;
    for table in CHILD_RECORD_TABLES {
        let sql = format!("SELECT count(*) FROM {table} WHERE restricted = TRUE");
        restricted += count_sql(&t.db, "northshire", &sql).await;
    }
    assert!(
        restricted >= 1,
        "no restricted record in any child-record table"
    );
}

#[tokio::test]
async fn every_child_record_table_has_a_row() {
    let t = seeded().await;
    let mut empty = BTreeSet::new();
    for table in CHILD_RECORD_TABLES {
        if count_sql(
            &t.db,
            "northshire",
            &format!("SELECT count(*) FROM {table}"),
        )
        .await
            == 0
        {
            empty.insert(*table);
        }
    }
    assert!(
        empty.is_empty(),
        "child-record tables without a demo row: {empty:?}"
    );
}
