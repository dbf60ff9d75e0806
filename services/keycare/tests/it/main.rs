//! Integration tests of the `keycare` binary: the gateway started as a real process, its
//! start-up refusals and its `schema` command.
//!
//! On SQLite (default) the server uses `keycare.db` in a temporary working directory; with
//! `KEYCARE_TEST_DATABASE_URL=postgres://...` it gets a fresh, empty PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_log;
mod administration;
mod app;
mod attacks;
mod auth;
mod care_record;
mod council_report;
mod demo_app;
mod due;
mod graphiql;
mod identity_providers;
mod isolation;
mod key_carer_week;
mod matrix;
mod observability;
mod onboarding;
mod operations;
mod placements;
mod plans;
mod records;
mod rls;
mod schema;
mod serve;
mod startup;
mod statements;
mod support;
mod telemetry;
mod ws;
