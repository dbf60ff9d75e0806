//! PostgreSQL only: the gateway itself runs as the application role, and for that role the
//! tenant wall holds on every table, the council directory included.
//!
//! These tests use the running gateway's own connection pool, not a hand-made `SET ROLE`:
//! what they prove is what the server does. On SQLite each test prints a note and returns
//! (there, the application layer alone keeps the wall, and the other tests check it).

use keycare::config::Config;
use keycare::server::{Running, start};
use keycare_migration::tables::tables;
use keycare_seed::demo::id;
use keycare_testkit::TestDb;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};
use uuid::Uuid;

/// The gateway started on a fresh database with the demo data (both councils, records of
/// every kind), or None with a note when not on PostgreSQL.
async fn gateway() -> Option<(TestDb, tempfile::TempDir, Running)> {
    if keycare_testkit::backend() != DbBackend::Postgres {
        eprintln!(
            "note: gateway RLS test skipped: it needs PostgreSQL (set KEYCARE_TEST_DATABASE_URL=postgres://...)"
        );
        return None;
    }
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let running = start(Config::for_tests(db.url.clone(), dir.path().into()), true)
        .await
        .expect("gateway starts with the demo");
    Some((db, dir, running))
}

async fn one_string(conn: &impl ConnectionTrait, sql: &str) -> String {
    conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<String>(0)
        .unwrap()
}

/// How many rows of `table` belong to a council other than `tenant`, as `conn` sees them
/// with `tenant` set (None: no tenant set).
async fn foreign_rows(conn: &DatabaseConnection, table: &str, tenant: Option<Uuid>) -> i64 {
    let column = if table == "tenants" {
        "id"
    } else {
        "tenant_id"
    };
    let txn = conn.begin().await.unwrap();
    if let Some(t) = tenant {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [t.to_string().into()],
        ))
        .await
        .unwrap();
    }
    // Deliberately unscoped but for the comparison that makes a leak visible (national bank
    // holidays, with no council, are everyone's).
    let (sql, values): (String, Vec<Value>) = match tenant {
        Some(t) => (
            format!("SELECT count(*) FROM {table} WHERE {column} <> $1"),
            vec![t.into()],
        ),
        None => (
            format!("SELECT count(*) FROM {table} WHERE {column} IS NOT NULL"),
            vec![],
        ),
    };
    let n = txn
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    txn.rollback().await.unwrap();
    n
}

#[tokio::test]
async fn the_gateway_runs_as_the_application_role_not_as_the_owner() {
    let Some((_db, _dir, running)) = gateway().await else {
        return;
    };
    // Outside any request's transaction too: the role is taken as each connection starts.
    assert_eq!(
        one_string(&running.db, "SELECT current_user::text").await,
        keycare_migration::APP_ROLE
    );
    let rights = one_string(
        &running.db,
        "SELECT (r.rolsuper OR r.rolbypassrls)::text FROM pg_roles r WHERE r.rolname = current_user",
    )
    .await;
    assert_eq!(rights, "false", "the gateway's role must not bypass RLS");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn for_the_gateway_no_table_shows_another_councils_row() {
    let Some((db, _dir, running)) = gateway().await else {
        return;
    };
    let (northshire, southdale) = (
        id("northshire", "tenant", ""),
        id("southdale", "tenant", ""),
    );
    let mut leaks = Vec::new();
    let mut with_rows = 0;
    for table in tables(DbBackend::Postgres) {
        let name = table.name;
        // The control: the owner (a superuser here) sees the other council's rows.
        let present = foreign_rows(&db.db, name, Some(northshire)).await;
        if present > 0 {
            with_rows += 1;
        }
        for (tenant, label) in [
            (Some(northshire), "Northshire set"),
            (Some(southdale), "Southdale set"),
            (None, "no tenant set"),
        ] {
            let seen = foreign_rows(&running.db, name, tenant).await;
            if seen != 0 {
                leaks.push(format!(
                    "{name}: {seen} rows of another council with {label}"
                ));
            }
        }
    }
    assert!(
        with_rows >= 30,
        "the demo should give most tables rows of both councils: {with_rows}"
    );
    assert!(
        leaks.is_empty(),
        "the tenant wall leaks:\n{}",
        leaks.join("\n")
    );
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_directory_reaches_the_gateway_only_through_its_two_functions() {
    let Some((_db, _dir, running)) = gateway().await else {
        return;
    };
    let count = |sql: &'static str| {
        let conn = running.db.clone();
        async move {
            conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
                .await
                .unwrap()
                .unwrap()
                .try_get_by_index::<i64>(0)
                .unwrap()
        }
    };
    // Every council's providers, for routing tokens; one council by its slug.
    assert!(count("SELECT count(*) FROM keycare_identity_directory()").await >= 2);
    assert_eq!(
        count("SELECT count(*) FROM keycare_tenant_by_slug('southdale')").await,
        1
    );
    // The tables themselves, with no tenant set: nothing.
    assert_eq!(count("SELECT count(*) FROM identity_providers").await, 0);
    assert_eq!(count("SELECT count(*) FROM tenants").await, 0);
    // And the access log stays append-only for it.
    let err = running
        .db
        .execute_unprepared("UPDATE access_events SET allowed = false")
        .await
        .expect_err("the gateway's role changed the access log");
    assert!(err.to_string().contains("permission denied"), "{err}");
    running.stop().await.unwrap();
}

/// A login that may not act as the application role is told so, not that the server is down.
#[tokio::test]
async fn a_user_who_cannot_act_as_the_application_role_is_told_what_to_grant() {
    if keycare_testkit::backend() != DbBackend::Postgres {
        eprintln!("note: skipped: it needs PostgreSQL");
        return;
    }
    let db = TestDb::new().await;
    let login = format!("kc_outsider_{}", std::process::id());
    db.db
        .execute_unprepared(&format!(
            "DROP ROLE IF EXISTS {login}; CREATE ROLE {login} LOGIN"
        ))
        .await
        .unwrap();
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username(&login).unwrap();
    let err = keycare_domain::db::connect_as_app(url.as_str(), 1)
        .await
        .expect_err("a login outside keycare_app connected as it");
    db.db
        .execute_unprepared(&format!("DROP ROLE IF EXISTS {login}"))
        .await
        .unwrap();
    assert!(
        matches!(err, keycare_domain::db::ConnectError::AppRole { .. })
            && err.to_string().contains("GRANT keycare_app"),
        "{err}"
    );
}
