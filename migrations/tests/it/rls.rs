//! PostgreSQL only: row-level security keeps tenants apart for the application role.
//!
//! The test user (postgres) is a superuser and bypasses RLS, so each check runs in a
//! transaction that first does `SET LOCAL ROLE keycare_app`, the role requests run as.
//! On SQLite each test prints a note and returns.

use crate::support::{World, exec};
use keycare_entity as e;
use keycare_migration::APP_ROLE;
use keycare_testkit::TestDb;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, Set, Statement,
    TransactionTrait,
};
use uuid::Uuid;

/// Two tenants with a child each, or None (with a note) when not on PostgreSQL.
async fn two_tenants() -> Option<(TestDb, World, World)> {
    if keycare_testkit::backend() != DbBackend::Postgres {
        eprintln!(
            "note: RLS test skipped: it needs PostgreSQL (set KEYCARE_TEST_DATABASE_URL=postgres://...)"
        );
        return None;
    }
    let t = TestDb::new().await;
    let a = World::create(&t.db).await;
    let b = World::create(&t.db).await;
    Some((t, a, b))
}

/// A transaction running as the application role, for `tenant` when given.
async fn as_app(t: &TestDb, tenant: Option<Uuid>) -> DatabaseTransaction {
    let txn = t.db.begin().await.unwrap();
    exec(&txn, &format!("SET LOCAL ROLE {APP_ROLE}"))
        .await
        .unwrap();
    if let Some(tenant) = tenant {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [tenant.to_string().into()],
        ))
        .await
        .unwrap();
    }
    txn
}

async fn child_ids(txn: &DatabaseTransaction) -> Vec<Uuid> {
    txn.query_all_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT id FROM children",
    ))
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.try_get::<Uuid>("", "id").unwrap())
    .collect()
}

#[tokio::test]
async fn without_a_tenant_the_app_role_sees_no_child() {
    let Some((t, _a, _b)) = two_tenants().await else {
        return;
    };
    let txn = as_app(&t, None).await;
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM children",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<i64>("", "n").unwrap(),
        0,
        "children visible with no tenant set"
    );
}

#[tokio::test]
async fn with_tenant_a_set_an_unscoped_select_returns_only_a_child_of_a() {
    let Some((t, a, _b)) = two_tenants().await else {
        return;
    };
    let txn = as_app(&t, Some(a.tenant)).await;
    assert_eq!(
        child_ids(&txn).await,
        vec![a.child],
        "SELECT * FROM children as tenant A"
    );
}

#[tokio::test]
async fn the_owner_with_rls_bypassed_sees_both_children() {
    // The control for the two tests above: the rows are there; only the wall hides them.
    let Some((t, _a, _b)) = two_tenants().await else {
        return;
    };
    let txn = t.db.begin().await.unwrap();
    assert_eq!(
        child_ids(&txn).await.len(),
        2,
        "the superuser should see every child"
    );
}

#[tokio::test]
async fn inserting_a_row_of_tenant_b_while_a_is_set_is_refused() {
    let Some((t, a, b)) = two_tenants().await else {
        return;
    };
    let txn = as_app(&t, Some(a.tenant)).await;
    let err = b
        .child_row(Uuid::new_v4(), b.tenant)
        .insert(&txn)
        .await
        .expect_err("tenant A inserted a child of tenant B");
    assert!(
        err.to_string().contains("row-level security"),
        "expected a row-level security refusal, got {err}"
    );
}

#[tokio::test]
async fn the_app_role_cannot_update_or_delete_access_events() {
    let Some((t, a, _b)) = two_tenants().await else {
        return;
    };
    // One event of tenant A, written as the application role (which may append).
    let txn = as_app(&t, Some(a.tenant)).await;
    e::access_event::ActiveModel {
        id: Set(Uuid::new_v4()),
        tenant_id: Set(a.tenant),
        seq: Set(1),
        user_id: Set(Some(a.user)),
        basis: Set(Some("test".into())),
        child_id: Set(Some(a.child)),
        record_kind: Set("child".into()),
        record_id: Set(Some(a.child)),
        action: Set(e::enums::AccessAction::Read),
        allowed: Set(true),
        request_id: Set("req-1".into()),
        at: Set(chrono::Utc::now()),
        prev_hash: Set(String::new()),
        hash: Set("h1".into()),
    }
    .insert(&txn)
    .await
    .expect("the application role may append to the access log");
    txn.commit().await.unwrap();

    let mut allowed = Vec::new();
    for sql in [
        "UPDATE access_events SET allowed = false",
        "DELETE FROM access_events",
    ] {
        let txn = as_app(&t, Some(a.tenant)).await;
        match exec(&txn, sql).await {
            Err(e) if e.to_string().contains("permission denied") => {}
            other => allowed.push(format!("{sql}: {other:?}")),
        }
        txn.rollback().await.unwrap();
    }
    assert!(
        allowed.is_empty(),
        "the access log is not append-only for {APP_ROLE}: {allowed:#?}"
    );
}
