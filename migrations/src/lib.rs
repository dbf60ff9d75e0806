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
pub mod tables;

/// The PostgreSQL role requests run as: it neither owns the tables nor bypasses RLS.
pub const APP_ROLE: &str = "keycare_app";

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
        ]
    }
}
