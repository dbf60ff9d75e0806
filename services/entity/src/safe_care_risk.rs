//! A risk in the Safe Care Plan.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "safe_care_risks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    pub safe_care_plan_id: Uuid,
    pub category: crate::enums::RiskCategory,
    /// Who is at risk: self, staff, other_children, community.
    #[sea_orm(column_type = "JsonBinary")]
    pub at_risk: Json,
    pub level: crate::enums::RiskLevel,
    #[sea_orm(column_type = "Text")]
    pub management: String,
    pub retired_at: Option<DateTimeUtc>,
    pub author_id: Uuid,
    /// Restricted records (e.g. a disclosure) are visible only to the key team, the manager and the social worker.
    pub restricted: bool,
    /// Optimistic-locking version; bumped on every change.
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
        belongs_to = "super::child::Entity",
        from = "Column::ChildId",
        to = "super::child::Column::Id"
    )]
    Child,
    #[sea_orm(
        belongs_to = "super::safe_care_plan::Entity",
        from = "Column::SafeCarePlanId",
        to = "super::safe_care_plan::Column::Id"
    )]
    SafeCarePlan,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AuthorId",
        to = "super::user::Column::Id"
    )]
    Author,
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

impl Related<super::safe_care_plan::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SafeCarePlan.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
