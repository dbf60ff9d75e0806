//! Browser sign-in state: pending PKCE logins (consumed once, within ten minutes) and cookie
//! sessions (only a hash of the secret is stored; revoked on sign-out).

use crate::db::begin_as_app;
use crate::error::DomainResult;
use chrono::{DateTime, Duration, Utc};
use keycare_entity as e;
use keycare_entity::postgres::TENANT_BY_SLUG;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, IntoActiveModel,
    QueryFilter, Set, Statement,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a sign-in may take between leaving for the provider and coming back.
pub const LOGIN_FLOW_TTL: Duration = Duration::minutes(10);
/// How long a browser session lasts.
pub const SESSION_TTL: Duration = Duration::hours(8);

/// A pending sign-in, as stored.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub pkce_verifier: String,
    pub nonce: String,
    pub redirect_to: String,
}

/// Records a sign-in that has left for the provider.
pub async fn start_login(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    state: &str,
    pending: &PendingLogin,
) -> DomainResult<()> {
    let txn = begin_as_app(db, tenant_id).await?;
    e::login_flow::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        state: Set(state.to_owned()),
        pkce_verifier: Set(pending.pkce_verifier.clone()),
        nonce: Set(pending.nonce.clone()),
        redirect_to: Set(pending.redirect_to.clone()),
        created_at: Set(Utc::now()),
        consumed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes a pending sign-in by its state, once: a replayed or stale state finds nothing.
pub async fn consume_login(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    state: &str,
) -> DomainResult<Option<PendingLogin>> {
    let txn = begin_as_app(db, tenant_id).await?;
    let flow = e::login_flow::Entity::find()
        .filter(e::login_flow::Column::TenantId.eq(tenant_id))
        .filter(e::login_flow::Column::State.eq(state))
        .filter(e::login_flow::Column::ConsumedAt.is_null())
        .filter(e::login_flow::Column::CreatedAt.gt(Utc::now() - LOGIN_FLOW_TTL))
        .one(&txn)
        .await?;
    let Some(flow) = flow else {
        txn.commit().await?;
        return Ok(None);
    };
    let pending = PendingLogin {
        pkce_verifier: flow.pkce_verifier.clone(),
        nonce: flow.nonce.clone(),
        redirect_to: flow.redirect_to.clone(),
    };
    let mut active = flow.into_active_model();
    active.consumed_at = Set(Some(Utc::now()));
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(Some(pending))
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new session: returns the cookie value `tenant.session.secret`.
pub async fn create_session(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    user_id: Uuid,
    secret: &str,
) -> DomainResult<(String, DateTime<Utc>)> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    let expires = now + SESSION_TTL;
    let txn = begin_as_app(db, tenant_id).await?;
    e::web_session::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant_id),
        user_id: Set(user_id),
        secret_hash: Set(hash(secret)),
        created_at: Set(now),
        expires_at: Set(expires),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((format!("{tenant_id}.{id}.{secret}"), expires))
}

/// The user and expiry of a live session named by a cookie value, if any.
pub async fn find_session(
    db: &DatabaseConnection,
    cookie: &str,
) -> DomainResult<Option<(e::user::Model, DateTime<Utc>)>> {
    let mut parts = cookie.splitn(3, '.');
    let (Some(tenant), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let (Ok(tenant_id), Ok(id)) = (Uuid::parse_str(tenant), Uuid::parse_str(id)) else {
        return Ok(None);
    };
    let txn = begin_as_app(db, tenant_id).await?;
    let found = e::web_session::Entity::find_by_id(id)
        .filter(e::web_session::Column::TenantId.eq(tenant_id))
        .filter(e::web_session::Column::RevokedAt.is_null())
        .filter(e::web_session::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(e::user::Entity)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(match found {
        Some((session, Some(user))) if session.secret_hash == hash(secret) => {
            Some((user, session.expires_at))
        }
        _ => None,
    })
}

/// Ends the session named by a cookie value (sign-out). Unknown cookies are ignored.
pub async fn revoke_session(db: &DatabaseConnection, cookie: &str) -> DomainResult<()> {
    let mut parts = cookie.splitn(3, '.');
    let (Some(tenant), Some(id)) = (parts.next(), parts.next()) else {
        return Ok(());
    };
    let (Ok(tenant_id), Ok(id)) = (Uuid::parse_str(tenant), Uuid::parse_str(id)) else {
        return Ok(());
    };
    if find_session(db, cookie).await?.is_none() {
        return Ok(());
    }
    let txn = begin_as_app(db, tenant_id).await?;
    if let Some(session) = e::web_session::Entity::find_by_id(id).one(&txn).await? {
        let mut active = session.into_active_model();
        active.revoked_at = Set(Some(Utc::now()));
        active.update(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The council with this slug, before any tenant is set (on PostgreSQL through the function
/// the migrations made for it: the gateway's role sees no other council's row).
pub async fn tenant_by_slug(
    db: &DatabaseConnection,
    slug: &str,
) -> DomainResult<Option<e::tenant::Model>> {
    let find = e::tenant::Entity::find();
    Ok(if db.get_database_backend() == DbBackend::Postgres {
        find.from_raw_sql(Statement::from_sql_and_values(
            DbBackend::Postgres,
            format!("SELECT * FROM {TENANT_BY_SLUG}($1)"),
            [slug.into()],
        ))
        .one(db)
        .await?
    } else {
        find.filter(e::tenant::Column::Slug.eq(slug))
            .one(db)
            .await?
    })
}
