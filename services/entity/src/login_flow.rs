//! A browser sign-in in progress (authorization code with PKCE), consumed once at callback.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "login_flows")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The OAuth `state` sent to the provider.
    #[sea_orm(unique)]
    pub state: String,
    /// The PKCE code verifier (never leaves the server).
    pub pkce_verifier: String,
    pub nonce: String,
    /// Where to send the browser after sign-in (a path on this server).
    pub redirect_to: String,
    pub created_at: DateTimeUtc,
    pub consumed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::tenant::Entity",
        from = "Column::TenantId",
        to = "super::tenant::Column::Id"
    )]
    Tenant,
}

impl ActiveModelBehavior for ActiveModel {}
