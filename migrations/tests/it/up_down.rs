//! The migrations go up, all the way down and up again on the backend in use.

use crate::support::table_names;
use keycare_migration::tables::tables;
use keycare_migration::{Migrator, MigratorTrait};
use keycare_testkit::TestDb;
use std::collections::BTreeSet;

/// The migrations' own bookkeeping table, which `down --all` leaves in place.
const BOOKKEEPING: &str = "seaql_migrations";

fn entity_tables(t: &TestDb) -> BTreeSet<String> {
    tables(t.backend())
        .into_iter()
        .map(|d| d.name.to_owned())
        .collect()
}

async fn migrated() -> TestDb {
    let t = TestDb::empty().await;
    Migrator::up(&t.db, None).await.expect("migrate up");
    t
}

#[tokio::test]
async fn the_schema_has_46_entity_tables() {
    let t = TestDb::empty().await;
    assert_eq!(
        entity_tables(&t).len(),
        46,
        "tables(): {:?}",
        entity_tables(&t)
    );
}

#[tokio::test]
async fn up_creates_every_entity_table() {
    let t = migrated().await;
    let present = table_names(&t.db).await;
    let missing: Vec<_> = entity_tables(&t).difference(&present).cloned().collect();
    assert!(
        missing.is_empty(),
        "tables missing after `migrate up`: {missing:?}"
    );
}

#[tokio::test]
async fn nothing_is_pending_after_up() {
    let t = migrated().await;
    let pending: Vec<String> = Migrator::get_pending_migrations(&t.db)
        .await
        .expect("pending migrations")
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    assert!(
        pending.is_empty(),
        "pending after `migrate up`: {pending:?}"
    );
}

#[tokio::test]
async fn down_all_removes_every_table_but_the_bookkeeping() {
    let t = migrated().await;
    Migrator::down(&t.db, None)
        .await
        .expect("migrate down --all");
    let left: Vec<_> = table_names(&t.db)
        .await
        .into_iter()
        .filter(|n| n != BOOKKEEPING)
        .collect();
    assert!(
        left.is_empty(),
        "tables left after `migrate down --all`: {left:?}"
    );
}

#[tokio::test]
async fn up_again_after_down_all_recreates_the_same_tables() {
    let t = migrated().await;
    let first = table_names(&t.db).await;
    Migrator::down(&t.db, None)
        .await
        .expect("migrate down --all");
    Migrator::up(&t.db, None).await.expect("migrate up again");
    let second = table_names(&t.db).await;
    assert_eq!(
        first, second,
        "tables differ between the first and the second `migrate up`"
    );
}

#[tokio::test]
async fn every_migration_is_applied_again_after_down_all_and_up() {
    let t = migrated().await;
    Migrator::down(&t.db, None)
        .await
        .expect("migrate down --all");
    Migrator::up(&t.db, None).await.expect("migrate up again");
    let pending = Migrator::get_pending_migrations(&t.db)
        .await
        .expect("pending migrations");
    assert_eq!(
        pending.len(),
        0,
        "migrations pending after up, down --all, up"
    );
}
