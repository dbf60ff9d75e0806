//! A restriction on contact, with who agreed it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "contact_restrictions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub child_id: Uuid,
    pub person_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub agreed_by: crate::enums::RestrictionAuthority,
    pub agreed_on: Date,
    pub notified_at: Option<DateTimeUtc>,
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
        belongs_to = "super::significant_person::Entity",
        from = "Column::PersonId",
        to = "super::significant_person::Column::Id"
    )]
    SignificantPerson,
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

impl Related<super::significant_person::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SignificantPerson.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Author.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
