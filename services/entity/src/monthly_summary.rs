//! The key carer's monthly summary, read and signed by the child.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "monthly_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    /// First day of the month summarised.
    pub month: Date,
    pub written_by_id: Uuid,
    #[sea_orm(column_type = "Text")]
    pub health: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub education: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub family_and_friends: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub behaviour: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub achievements: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub ipcp_progress: Option<String>,
    pub status: crate::enums::SummaryStatus,
    pub child_signed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub child_comment: Option<String>,
    pub submitted_at: Option<DateTimeUtc>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by_id: Option<Uuid>,
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
        from = "Column::WrittenById",
        to = "super::user::Column::Id"
    )]
    WrittenBy,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::AcknowledgedById",
        to = "super::user::Column::Id"
    )]
    AcknowledgedBy,
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
