//! A key carer or co-key carer assignment on a placement, with its history.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "key_team_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    pub placement_id: Uuid,
    pub user_id: Uuid,
    pub role: crate::enums::KeyTeamRole,
    pub start_date: Date,
    pub end_date: Option<Date>,
    pub end_reason: Option<crate::enums::KeyCarerChangeReason>,
    #[sea_orm(column_type = "Text")]
    pub end_note: Option<String>,
    pub appointed_by: Uuid,
    pub ended_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
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
        belongs_to = "super::child::Entity",
        from = "Column::ChildId",
        to = "super::child::Column::Id"
    )]
    Child,
    #[sea_orm(
        belongs_to = "super::placement::Entity",
        from = "Column::PlacementId",
        to = "super::placement::Column::Id"
    )]
    Placement,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id"
    )]
    Member,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AppointedBy",
        to = "super::user::Column::Id"
    )]
    AppointedBy,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::EndedBy",
        to = "super::user::Column::Id"
    )]
    EndedBy,
}

impl Related<super::tenant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tenant.def()
    }
}

impl Related<super::child::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Child.def()
    }
}

impl Related<super::placement::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Placement.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

/// The user an assignment is for (the key carer or co-key carer).
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Member.def()
    }
}
