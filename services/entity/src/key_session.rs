//! A key session between the child and a member of staff.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "key_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    pub planned_at: DateTimeUtc,
    pub venue: Option<String>,
    pub format: crate::enums::SessionFormat,
    /// Purposes (a list of SessionPurpose values).
    #[sea_orm(column_type = "JsonBinary")]
    pub purposes: Json,
    #[sea_orm(column_type = "Text")]
    pub purpose_other: Option<String>,
    pub status: crate::enums::SessionStatus,
    pub held_by_id: Option<Uuid>,
    pub held_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub notes: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub child_views: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub actions: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub agencies_to_alert: Option<String>,
    /// The settling-in checklist, on the first session after admission.
    #[sea_orm(column_type = "JsonBinary")]
    pub settling_in: Option<Json>,
    #[sea_orm(column_type = "Text")]
    pub cancel_reason: Option<String>,
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
        from = "Column::HeldById",
        to = "super::user::Column::Id"
    )]
    HeldBy,
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
