//! Who a signed-in caller is: identity providers, accounts by (issuer, subject), and the
//! signed-in user's own view (`me`).
//!
//! The identity-provider directory is read before any tenant is set (it names councils'
//! issuers and holds no personal data), on PostgreSQL through a function, since the
//! gateway's role sees no other council's rows; accounts are read inside the tenant's
//! transaction.

use crate::db::{begin_as_app, begin_for_tenant};
use crate::error::DomainResult;
use keycare_entity as e;
use keycare_entity::enums::{HomeRole, TenantRoleKind};
use keycare_entity::postgres::IDENTITY_DIRECTORY;
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    Statement, sea_query::Expr,
};
use uuid::Uuid;

/// An identity provider a council trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub tenant_id: Uuid,
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    /// OAuth client id for browser sign-in, when the council enabled it.
    pub client_id: Option<String>,
    pub is_development: bool,
}

/// Every identity provider of every council (the directory used to route a token). On
/// PostgreSQL the gateway's role sees its own council's rows only, so the directory comes
/// from the one function the migrations made for it.
pub async fn providers(db: &DatabaseConnection) -> DomainResult<Vec<Provider>> {
    let find = e::identity_provider::Entity::find();
    let rows = if db.get_database_backend() == DbBackend::Postgres {
        find.from_raw_sql(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT * FROM {IDENTITY_DIRECTORY}()"),
        ))
        .all(db)
        .await?
    } else {
        find.order_by_asc(e::identity_provider::Column::Id)
            .all(db)
            .await?
    };
    Ok(rows
        .into_iter()
        .map(|p| Provider {
            tenant_id: p.tenant_id,
            issuer: p.issuer,
            audience: p.audience,
            jwks_url: p.jwks_url,
            client_id: p.client_id,
            is_development: p.is_development,
        })
        .collect())
}

/// Points every development identity provider at the running gateway's JWKS URL.
pub async fn point_development_providers(
    db: &DatabaseConnection,
    jwks_url: &str,
) -> DomainResult<u64> {
    let mut changed = 0;
    for p in providers(db).await? {
        if !p.is_development || p.jwks_url == jwks_url {
            continue;
        }
        let txn = begin_for_tenant(db, p.tenant_id).await?;
        let res = e::identity_provider::Entity::update_many()
            .col_expr(e::identity_provider::Column::JwksUrl, Expr::value(jwks_url))
            .filter(e::identity_provider::Column::TenantId.eq(p.tenant_id))
            .filter(e::identity_provider::Column::IsDevelopment.eq(true))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        changed += res.rows_affected;
    }
    Ok(changed)
}

/// The account of (issuer, subject) in one of the given tenants, active or not.
pub async fn find_account(
    db: &DatabaseConnection,
    tenants: &[Uuid],
    issuer: &str,
    subject: &str,
) -> DomainResult<Option<e::user::Model>> {
    for tenant in tenants {
        let txn = begin_as_app(db, *tenant).await?;
        let user = e::user::Entity::find()
            .filter(e::user::Column::TenantId.eq(*tenant))
            .filter(e::user::Column::Issuer.eq(issuer))
            .filter(e::user::Column::Subject.eq(subject))
            .one(&txn)
            .await?;
        txn.commit().await?;
        if user.is_some() {
            return Ok(user);
        }
    }
    Ok(None)
}

/// The account with this email, in whichever council holds it.
pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
) -> DomainResult<Option<e::user::Model>> {
    let tenants = e::tenant::Entity::find()
        .order_by_asc(e::tenant::Column::Id)
        .all(db)
        .await?;
    for tenant in tenants {
        let txn = begin_for_tenant(db, tenant.id).await?;
        let user = e::user::Entity::find()
            .filter(e::user::Column::TenantId.eq(tenant.id))
            .filter(e::user::Column::Email.eq(email.trim().to_lowercase()))
            .one(&txn)
            .await?;
        txn.commit().await?;
        if user.is_some() {
            return Ok(user);
        }
    }
    Ok(None)
}

/// The signed-in user, as found when their token was checked.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub issuer: String,
    pub subject: String,
    /// When the credential (token or browser session) stops being valid.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// A home membership as the user sees it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub id: Uuid,
    pub home_id: Uuid,
    pub home_name: String,
    pub role: HomeRole,
    pub start_date: chrono::NaiveDate,
    pub end_date: Option<chrono::NaiveDate>,
}

/// What `me` shows: the user, their council and council-wide roles.
#[derive(Debug, Clone)]
pub struct Me {
    pub user: e::user::Model,
    pub tenant: e::tenant::Model,
    pub roles: Vec<TenantRoleKind>,
}

/// The signed-in user's own view, as the request read it when it began (no statement).
pub fn me(req: &crate::request::Request) -> Me {
    let mut roles = req.access.principal().tenant_roles.clone();
    roles.sort_by_key(|r| r.to_value());
    Me {
        user: req.user.clone(),
        tenant: req.tenant.clone(),
        roles,
    }
}

/// The signed-in user's home memberships, current and past, oldest first (one statement).
pub async fn memberships(req: &crate::request::Request) -> DomainResult<Vec<Membership>> {
    Ok(e::home_membership::Entity::find()
        .filter(e::home_membership::Column::UserId.eq(req.identity.user_id))
        .find_also_related(e::home::Entity)
        .order_by_asc(e::home_membership::Column::StartDate)
        .order_by_asc(e::home_membership::Column::Id)
        .all(&req.txn)
        .await?
        .into_iter()
        .filter_map(|(m, h)| {
            h.map(|h| Membership {
                id: m.id,
                home_id: h.id,
                home_name: h.name,
                role: m.role,
                start_date: m.start_date,
                end_date: m.end_date,
            })
        })
        .collect())
}
