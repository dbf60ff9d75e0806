//! The signed-in user (`me`).

use crate::error::gql;
use crate::ids::global_id;
use crate::scalars::Date;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use keycare_domain::identity;
use keycare_entity::enums::{HomeRole, TenantRoleKind};

/// What `me` returns.
pub struct Me(identity::Me);

/// The signed-in user: who they are, their council, the homes they belong to and their
/// council-wide roles.
#[Object]
impl Me {
    /// Global id of the user.
    async fn id(&self) -> ID {
        global_id("User", self.0.user.id)
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.user.name
    }
    /// Work email address.
    async fn email(&self) -> &str {
        &self.0.user.email
    }
    /// Job title, if recorded.
    async fn job_title(&self) -> Option<&str> {
        self.0.user.job_title.as_deref()
    }
    /// False once the account is deactivated (a deactivated user cannot sign in).
    async fn active(&self) -> bool {
        self.0.user.active
    }
    /// The council the user belongs to.
    async fn tenant(&self) -> Tenant {
        Tenant {
            id: global_id("Tenant", self.0.tenant.id),
            name: self.0.tenant.name.clone(),
        }
    }
    /// Memberships of homes, current and past, oldest first.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<HomeMembership>> {
        let found = identity::memberships(crate::request::request(ctx)?)
            .await
            .map_err(gql)?;
        Ok(found
            .into_iter()
            .map(|m| HomeMembership {
                id: global_id("HomeMembership", m.id),
                home_id: global_id("Home", m.home_id),
                home_name: m.home_name,
                role: m.role,
                start_date: m.start_date.into(),
                end_date: m.end_date.map(Date),
            })
            .collect())
    }
    /// Council-wide roles currently held.
    async fn roles(&self) -> &[TenantRoleKind] {
        &self.0.roles
    }
}

/// A council (tenant).
#[derive(SimpleObject)]
pub struct Tenant {
    /// Global id.
    pub id: ID,
    /// The council's name.
    pub name: String,
}

/// A user's role in a home, with its dates.
#[derive(SimpleObject)]
pub struct HomeMembership {
    /// Global id.
    pub id: ID,
    /// Global id of the home.
    pub home_id: ID,
    /// Name of the home.
    pub home_name: String,
    /// Role in the home.
    pub role: HomeRole,
    /// First day of the membership.
    pub start_date: Date,
    /// The day it ended or ends, once set: from that day on it gives no access.
    pub end_date: Option<Date>,
}

/// Resolves `me` for the signed-in caller.
pub async fn resolve(ctx: &Context<'_>) -> Result<Me> {
    Ok(Me(identity::me(crate::request::request(ctx)?)))
}
