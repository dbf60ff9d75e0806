//! A looked-after child.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "children")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: Date,
    pub gender: String,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub first_language: Option<String>,
    pub legal_status: crate::enums::LegalStatus,
    /// The date the child became looked after (starts the statutory review cycle).
    pub looked_after_since: Date,
    pub placing_authority: String,
    /// The placing authority's case number.
    pub placing_authority_ref: Option<String>,
    pub nhs_number: Option<String>,
    pub date_of_death: Option<Date>,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id"
    )]
    Tenant,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::CreatedBy",
        to = "super::user::Column::Id"
    )]
    Creator,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Creator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
