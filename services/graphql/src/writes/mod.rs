//! Changes to the care record. Each mutation takes one `input` and returns a payload with the
//! changed record; updates carry `expectedVersion` (a stale one answers CONFLICT).

pub mod care_plans;
pub mod daily_logs;
pub mod key_sessions;
pub mod monthly_summaries;
pub mod placements;
pub mod safe_care_plans;

use crate::error::gql;
use async_graphql::{ID, Result};
use keycare_domain::DomainError;
use uuid::Uuid;

/// The uuid of a global id of `kind`, or BAD_USER_INPUT naming `field`.
pub(crate) fn uuid_of(id: &ID, kind: &str, field: &str) -> Result<Uuid> {
    match crate::ids::parse_global_id(id) {
        Some((k, uuid)) if k == kind => Ok(uuid),
        _ => Err(gql(DomainError::bad_input(
            field,
            format!("is not the id of a {kind}"),
        ))),
    }
}
