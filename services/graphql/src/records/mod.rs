//! The record kinds beyond the daily care (PRODUCT.md records 6–15): statutory reviews,
//! health, education, family and contact, missing episodes, file audits, clothing, the
//! pathway and weekly plans, and the chronology. Each module holds the GraphQL types of its
//! records and its mutations; lists hang off `Child` (see `care.rs`).

pub mod chronology;
pub mod clothing;
pub mod council_report;
pub mod due;
pub mod education;
pub mod family;
pub mod file_audits;
pub mod health;
pub mod missing;
pub mod plans;
pub mod reviews;

use crate::writes::uuid_of;
use async_graphql::{ID, Result};
use uuid::Uuid;

/// The uuid of an optional global id of `kind`.
pub(crate) fn opt_uuid(id: Option<&ID>, kind: &str, field: &str) -> Result<Option<Uuid>> {
    id.map(|id| uuid_of(id, kind, field)).transpose()
}
