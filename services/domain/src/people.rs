//! Staff named on records: names and job titles of the council's users.

use crate::error::DomainResult;
use crate::request::Request;
use keycare_entity as e;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// The council's users with these ids, in one query (names on records are no secret within
/// the council; nothing else about them is returned).
pub async fn by_ids(req: &Request, ids: &[Uuid]) -> DomainResult<Vec<e::user::Model>> {
    Ok(e::user::Entity::find()
        .filter(e::user::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::user::Column::Id.is_in(ids.iter().copied()))
        .all(&req.txn)
        .await?)
}
