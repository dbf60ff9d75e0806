//! Integration tests of the schema migrations, on SQLite by default and on PostgreSQL when
//! `KEYCARE_TEST_DATABASE_URL=postgres://...` is set.
//!
//! - `up_down`: the migrations go up, down and up again cleanly.
//! - `rules`: the rules the database keeps (partial unique indexes, enum checks, foreign keys)
//!   refuse bad rows with an error that names the rule.
//! - `rls`: PostgreSQL only: row-level security keeps tenants apart for the application role.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rls;
mod rules;
mod support;
mod up_down;
