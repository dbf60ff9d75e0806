//! The rules the database keeps refuse bad rows, and the refusal names the rule.
//!
//! Each test builds a minimal world (tenant, user, home, child), then tries one change inside
//! a transaction for that tenant and converts a refusal with `DomainError::from(DbErr)`.

use crate::support::{World, date};
use keycare_domain::DomainError;
use keycare_domain::db::begin_for_tenant;
use keycare_entity::enums::KeyTeamRole::{CoKeyCarer, KeyCarer};
use keycare_entity::rules::{ONE_KEY_CARER, ONE_OPEN_PLACEMENT};
use keycare_testkit::TestDb;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

/// Asserts that the database refused with the named rule.
fn assert_refused_by(result: Result<Uuid, DbErr>, rule: &str) {
    let err = DomainError::from(result.expect_err("the database accepted a row the rule forbids"));
    assert!(
        matches!(&err, DomainError::Rule(r) if r.name == rule),
        "expected a refusal by rule {rule}, got {err:?}"
    );
}

// --- At most one open placement per child -------------------------------------------------

#[tokio::test]
async fn a_second_open_placement_for_a_child_is_refused_by_uq_placements_one_open_per_child() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    w.place(&txn, w.child, date(2025, 1, 6), None)
        .await
        .expect("first open placement");
    let second = w.place(&txn, w.child, date(2025, 2, 3), None).await;
    assert_refused_by(second, ONE_OPEN_PLACEMENT);
}

#[tokio::test]
async fn a_new_open_placement_after_a_closed_one_is_allowed() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    w.place(&txn, w.child, date(2024, 1, 8), Some(date(2024, 12, 20)))
        .await
        .expect("earlier, closed placement");
    let open = w.place(&txn, w.child, date(2025, 1, 6), None).await;
    assert!(
        open.is_ok(),
        "an open placement after a closed one was refused: {open:?}"
    );
}

#[tokio::test]
async fn the_refusal_explains_the_open_placement_rule() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    w.place(&txn, w.child, date(2025, 1, 6), None)
        .await
        .unwrap();
    let err = DomainError::from(
        w.place(&txn, w.child, date(2025, 2, 3), None)
            .await
            .unwrap_err(),
    );
    assert!(
        err.to_string().contains(ONE_OPEN_PLACEMENT) && err.to_string().contains("open placement"),
        "message does not name the rule: {err}"
    );
}

// --- At most one active key carer per open placement --------------------------------------

#[tokio::test]
async fn a_second_active_key_carer_is_refused_by_uq_key_team_one_active_key_carer() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let p = w
        .place(&txn, w.child, date(2025, 1, 6), None)
        .await
        .unwrap();
    w.appoint(&txn, p, KeyCarer, date(2025, 1, 6), None)
        .await
        .expect("first key carer");
    let second = w.appoint(&txn, p, KeyCarer, date(2025, 3, 1), None).await;
    assert_refused_by(second, ONE_KEY_CARER);
}

#[tokio::test]
async fn an_ended_key_carer_and_a_new_active_one_are_allowed() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let p = w
        .place(&txn, w.child, date(2025, 1, 6), None)
        .await
        .unwrap();
    w.appoint(&txn, p, KeyCarer, date(2025, 1, 6), Some(date(2025, 2, 28)))
        .await
        .expect("former key carer");
    let new = w.appoint(&txn, p, KeyCarer, date(2025, 3, 1), None).await;
    assert!(
        new.is_ok(),
        "a new key carer after an ended one was refused: {new:?}"
    );
}

#[tokio::test]
async fn co_key_carers_are_not_limited_by_the_key_carer_rule() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let p = w
        .place(&txn, w.child, date(2025, 1, 6), None)
        .await
        .unwrap();
    w.appoint(&txn, p, KeyCarer, date(2025, 1, 6), None)
        .await
        .expect("key carer");
    w.appoint(&txn, p, CoKeyCarer, date(2025, 1, 6), None)
        .await
        .expect("first co-key carer");
    let second_co = w.appoint(&txn, p, CoKeyCarer, date(2025, 1, 6), None).await;
    assert!(
        second_co.is_ok(),
        "a second co-key carer was refused: {second_co:?}"
    );
}

// --- Enum columns keep to their values -----------------------------------------------------

fn is_check_violation(err: &DbErr) -> bool {
    // SQLite: "CHECK constraint failed: ..."; PostgreSQL: "... violates check constraint ...".
    err.to_string().to_lowercase().contains("check constraint")
}

#[tokio::test]
async fn a_home_with_status_outside_its_values_is_refused_by_the_check() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let now = chrono::Utc::now();
    // Raw SQL, so that the value does not go through the Rust enum.
    let insert = Query::insert()
        .into_table(Alias::new("homes"))
        .columns(
            [
                "id",
                "tenant_id",
                "name",
                "ofsted_urn",
                "address",
                "beds",
                "status",
                "version",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            Uuid::new_v4().into(),
            w.tenant.into(),
            "Bogus House".into(),
            format!("SC-BOGUS-{}", w.tenant.simple()).into(),
            "2 Test Road".into(),
            3.into(),
            "bogus".into(),
            1.into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    let err = txn
        .execute(&insert)
        .await
        .expect_err("a home with status 'bogus' was accepted");
    assert!(
        is_check_violation(&err),
        "expected a CHECK violation, got {err}"
    );
}

#[tokio::test]
async fn enum_columns_refuse_values_outside_their_enum() {
    // (table, column, row to change): every case sets a value no enum has.
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let setup = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let p = w
        .place(&setup, w.child, date(2025, 1, 6), None)
        .await
        .unwrap();
    let kta = w
        .appoint(&setup, p, KeyCarer, date(2025, 1, 6), None)
        .await
        .unwrap();
    setup.commit().await.unwrap();
    let cases: [(&str, &str, Uuid); 4] = [
        ("homes", "status", w.home),
        ("children", "legal_status", w.child),
        ("key_team_assignments", "role", kta),
        ("key_team_assignments", "end_reason", kta),
    ];
    let mut accepted = Vec::new();
    for (table, column, id) in cases {
        let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
        let update = Query::update()
            .table(Alias::new(table))
            .value(Alias::new(column), "bogus")
            .and_where(Expr::col(Alias::new("id")).eq(id))
            .to_owned();
        match txn.execute(&update).await {
            Err(e) if is_check_violation(&e) => {}
            other => accepted.push(format!("{table}.{column}: {other:?}")),
        }
        txn.rollback().await.unwrap();
    }
    assert!(
        accepted.is_empty(),
        "enum columns not refused by a CHECK: {accepted:#?}"
    );
}

// --- Foreign keys ---------------------------------------------------------------------------

#[tokio::test]
async fn a_placement_of_a_missing_child_is_refused_as_a_missing_reference() {
    let t = TestDb::new().await;
    let w = World::create(&t.db).await;
    let txn = begin_for_tenant(&t.db, w.tenant).await.unwrap();
    let result = w.place(&txn, Uuid::new_v4(), date(2025, 1, 6), None).await;
    let err = DomainError::from(result.expect_err("a placement of a missing child was accepted"));
    assert!(
        matches!(err, DomainError::MissingReference),
        "expected MissingReference, got {err:?}"
    );
}
