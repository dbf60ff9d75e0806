//! Schema migrations for KeyCare, runnable up, down and up again on SQLite and PostgreSQL.
//!
//! Migrations run as the database owner. On PostgreSQL they also turn on row-level security
//! (with `FORCE`) on every tenant-owned table and create the non-owner application role
//! [`APP_ROLE`] that the gateway uses for requests.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_initial;
mod m20261125_000002_rules;
mod m20261125_000003_postgres_security;
mod m20261125_000004_browser_sessions;
mod m20261125_000005_one_per_week;
mod m20261130_000006_directory_functions;
pub mod tables;

/// The PostgreSQL role requests run as: it neither owns the tables nor bypasses RLS.
pub use keycare_entity::postgres::APP_ROLE;

/// The names of the database rules, as they appear in index names.
pub use keycare_entity::rules;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_initial::Migration),
            Box::new(m20261125_000002_rules::Migration),
            Box::new(m20261125_000003_postgres_security::Migration),
            Box::new(m20261125_000004_browser_sessions::Migration),
            Box::new(m20261125_000005_one_per_week::Migration),
            Box::new(m20261130_000006_directory_functions::Migration),
        ]
    }
}

/// The key of the PostgreSQL advisory lock that `up_locked` holds while migrating.
pub const MIGRATION_LOCK: i64 = 0x6b65_7963_6172_6501; // "keycare" + 1

/// Applies every pending migration, one migrator at a time: on PostgreSQL it first takes an
/// advisory lock (held by a transaction of its own, so it is released however the process
/// ends), so that replicas or jobs started together wait for each other and then find
/// nothing left to do, instead of racing on `CREATE TYPE`. SQLite has no such lock: a
/// migrator that fails there while another is at work waits (up to a minute) for the other
/// to finish, and succeeds when nothing is left pending.
pub async fn up_locked(db: &sea_orm_migration::sea_orm::DatabaseConnection) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    if db.get_database_backend() != DbBackend::Postgres {
        let mut failed = match Migrator::up(db, None).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        for _ in 0..240 {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if pending_count(db).await.is_ok_and(|n| n == 0) {
                return Ok(());
            }
            match Migrator::up(db, None).await {
                Ok(()) => return Ok(()),
                Err(e) => failed = e,
            }
        }
        return Err(failed);
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        .await?;
    let applied = Migrator::up(db, None).await;
    lock.commit().await?;
    applied
}

/// The names of this build's migrations the database has not applied yet, reading the
/// migration table only (see [`pending_count`]).
pub async fn pending_names<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
) -> Result<Vec<String>, DbErr> {
    use sea_orm_migration::sea_orm::EntityTrait;
    use sea_orm_migration::seaql_migrations;
    let applied: std::collections::HashSet<String> = seaql_migrations::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.version)
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .filter(|m| !applied.contains(m.name()))
        .map(|m| m.name().to_owned())
        .collect())
}

/// How many of this build's migrations the database has not applied yet, reading the
/// migration table only: the gateway's role may read it but not create it, as
/// `Migrator::get_pending_migrations` would try to. A database never migrated is an error.
pub async fn pending_count<C: sea_orm_migration::sea_orm::ConnectionTrait>(
    db: &C,
) -> Result<usize, DbErr> {
    Ok(pending_names(db).await?.len())
}
