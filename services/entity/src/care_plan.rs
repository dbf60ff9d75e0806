//! A version of the Individual Placement Care Plan (IPCP), with its Equality and Diversity plan.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "care_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    pub version_number: i32,
    pub status: crate::enums::PlanStatus,
    #[sea_orm(column_type = "Text")]
    pub outcomes_and_needs: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub health: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub education: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub family_contact: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub identity_background: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub culture: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub heritage: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub religion: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub diet: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub language: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub leisure: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub independence_skills: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub behaviour_goal: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub signed_child_at: Option<DateTimeUtc>,
    pub signed_key_carer_at: Option<DateTimeUtc>,
    pub signed_key_carer_id: Option<Uuid>,
    pub signed_social_worker_at: Option<DateTimeUtc>,
    pub signed_social_worker_id: Option<Uuid>,
    pub signed_manager_at: Option<DateTimeUtc>,
    pub signed_manager_id: Option<Uuid>,
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
        belongs_to = "super::user::Entity",
        from = "Column::SignedKeyCarerId",
        to = "super::user::Column::Id"
    )]
    SignedKeyCarer,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::SignedSocialWorkerId",
        to = "super::user::Column::Id"
    )]
    SignedSocialWorker,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::SignedManagerId",
        to = "super::user::Column::Id"
    )]
    SignedManager,
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

impl ActiveModelBehavior for ActiveModel {}
