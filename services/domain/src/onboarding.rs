//! Onboarding a council: its tenant, its identity provider and its first tenant
//! administrator, in one transaction, as the platform operator does it (the tables' owner,
//! from the command line). Asking again for what exists is answered "unchanged"; asking for
//! something else under a slug that is taken is a conflict naming what differs.

use crate::db::begin_for_tenant;
use crate::error::{DomainError, DomainResult};
use crate::identity_providers::{OutboundRule, outbound_url, text};
use chrono::Utc;
use keycare_entity as e;
use keycare_entity::enums::TenantRoleKind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

/// A council to create, as the operator gives it.
#[derive(Debug, Clone)]
pub struct NewCouncil {
    pub name: String,
    pub slug: String,
    /// Its OpenID provider: issuer, the audience of its tokens, where its keys are.
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    /// The OAuth client id for browser sign-in, if the council uses it.
    pub client_id: Option<String>,
    /// The first tenant administrator: the `sub` the provider gives them, and their email.
    pub admin_subject: String,
    pub admin_email: String,
    pub admin_name: Option<String>,
}

/// What a council holds, as the operator sees it (no records of children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Council {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub created_at: chrono::DateTime<Utc>,
    pub providers: Vec<ProviderSummary>,
    /// Active tenant administrators: name, email, issuer and subject.
    pub administrators: Vec<(String, String, String, String)>,
    pub homes: u64,
    pub users: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSummary {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    pub client_id: Option<String>,
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Onboarded {
    Created(Council),
    /// The council was there already, exactly as asked.
    Unchanged(Council),
}

/// A slug: 2 to 63 lower-case letters, digits and hyphens, starting with a letter (it is
/// part of sign-in URLs: `/auth/{slug}/login`).
fn slug(value: &str) -> DomainResult<String> {
    let value = value.trim();
    let ok = (2..=63).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(DomainError::bad_input(
            "slug",
            "must be 2 to 63 lower-case letters, digits and hyphens, starting with a letter",
        ))
    }
}

fn email(value: &str) -> DomainResult<String> {
    let value = text("adminEmail", value, 254)?;
    let ok = value
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if ok {
        Ok(value)
    } else {
        Err(DomainError::bad_input(
            "adminEmail",
            "must be an email address",
        ))
    }
}

/// Every council, by slug.
pub async fn list(db: &DatabaseConnection) -> DomainResult<Vec<Council>> {
    let tenants = e::tenant::Entity::find()
        .order_by_asc(e::tenant::Column::Slug)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(tenants.len());
    for t in tenants {
        out.push(describe(db, t).await?);
    }
    Ok(out)
}

/// One council by slug.
pub async fn show(db: &DatabaseConnection, wanted: &str) -> DomainResult<Option<Council>> {
    match crate::sessions::tenant_by_slug(db, wanted.trim()).await? {
        Some(t) => Ok(Some(describe(db, t).await?)),
        None => Ok(None),
    }
}

async fn describe(db: &DatabaseConnection, t: e::tenant::Model) -> DomainResult<Council> {
    let txn = begin_for_tenant(db, t.id).await?;
    let providers = e::identity_provider::Entity::find()
        .filter(e::identity_provider::Column::TenantId.eq(t.id))
        .order_by_asc(e::identity_provider::Column::CreatedAt)
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| ProviderSummary {
            issuer: p.issuer,
            audience: p.audience,
            jwks_url: p.jwks_url,
            client_id: p.client_id,
        })
        .collect();
    let admin_ids: Vec<Uuid> = e::tenant_role::Entity::find()
        .filter(e::tenant_role::Column::TenantId.eq(t.id))
        .filter(e::tenant_role::Column::Role.eq(TenantRoleKind::TenantAdmin))
        .filter(e::tenant_role::Column::RevokedAt.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    let administrators = e::user::Entity::find()
        .filter(e::user::Column::TenantId.eq(t.id))
        .filter(e::user::Column::Id.is_in(admin_ids))
        .filter(e::user::Column::Active.eq(true))
        .order_by_asc(e::user::Column::Name)
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| (u.name, u.email, u.issuer, u.subject))
        .collect();
    let homes = e::home::Entity::find()
        .filter(e::home::Column::TenantId.eq(t.id))
        .count(&txn)
        .await?;
    let users = e::user::Entity::find()
        .filter(e::user::Column::TenantId.eq(t.id))
        .count(&txn)
        .await?;
    txn.commit().await?;
    Ok(Council {
        id: t.id,
        name: t.name,
        slug: t.slug,
        created_at: t.created_at,
        providers,
        administrators,
        homes,
        users,
    })
}

/// Creates a council with its identity provider and first tenant administrator, or answers
/// `Unchanged` when exactly that is there already. A slug taken by a council that differs
/// is a `Conflict` naming each difference (change an existing council through the API).
pub async fn create(
    db: &DatabaseConnection,
    input: NewCouncil,
    outbound: &OutboundRule,
) -> DomainResult<Onboarded> {
    let name = text("name", &input.name, 200)?;
    let slug = slug(&input.slug)?;
    let issuer = outbound_url("issuer", &input.issuer, outbound)?;
    let jwks_url = outbound_url("jwksUrl", &input.jwks_url, outbound)?;
    let audience = text("audience", &input.audience, 200)?;
    let client_id = match input.client_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(text("clientId", c, 200)?),
    };
    let admin_subject = text("adminSubject", &input.admin_subject, 255)?;
    let admin_email = email(&input.admin_email)?;
    let admin_name = match input.admin_name.as_deref().map(str::trim) {
        None | Some("") => admin_email.clone(),
        Some(n) => text("adminName", n, 200)?,
    };

    let wanted = ProviderSummary {
        issuer: issuer.clone(),
        audience,
        jwks_url,
        client_id,
    };
    if let Some(existing) = show(db, &slug).await? {
        let mut differs = Vec::new();
        if existing.name != name {
            differs.push(format!("name is {:?}", existing.name));
        }
        if !existing.providers.contains(&wanted) {
            differs.push("its identity provider settings differ".to_owned());
        }
        let admin_there = existing.administrators.iter().any(|(_, email, iss, sub)| {
            *iss == issuer && *sub == admin_subject && *email == admin_email
        });
        if !admin_there {
            differs.push("its administrators do not include this one".to_owned());
        }
        return if differs.is_empty() {
            Ok(Onboarded::Unchanged(existing))
        } else {
            Err(DomainError::Conflict(format!(
                "a council with slug {slug:?} already exists and differs: {}; change it through the API (configureIdentityProvider, grantTenantRole) or choose another slug",
                differs.join("; ")
            )))
        };
    }

    let tenant = Uuid::now_v7();
    let now = Utc::now();
    let txn = begin_for_tenant(db, tenant).await?;
    e::tenant::ActiveModel {
        id: Set(tenant),
        name: Set(name),
        slug: Set(slug.clone()),
        // PRODUCT.md's defaults; a council changes them later.
        clothing_weekly_pence: Set(2_500),
        pathway_plan_due_months: Set(186),
        report_suppression_threshold: Set(5),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    e::identity_provider::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant),
        issuer: Set(issuer.clone()),
        audience: Set(wanted.audience),
        jwks_url: Set(wanted.jwks_url),
        client_id: Set(wanted.client_id),
        is_development: Set(false),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let admin = Uuid::now_v7();
    e::user::ActiveModel {
        id: Set(admin),
        tenant_id: Set(tenant),
        issuer: Set(issuer),
        subject: Set(admin_subject),
        name: Set(admin_name),
        email: Set(admin_email),
        job_title: Set(Some("Tenant administrator".to_owned())),
        active: Set(true),
        deactivated_at: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    e::tenant_role::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant),
        user_id: Set(admin),
        role: Set(TenantRoleKind::TenantAdmin),
        granted_at: Set(now),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let created = show(db, &slug).await?.ok_or_else(|| {
        DomainError::Conflict(format!("council {slug:?} vanished as it was made"))
    })?;
    Ok(Onboarded::Created(created))
}
