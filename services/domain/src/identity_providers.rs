//! A council's identity providers, as the tenant administrator manages them.

use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use keycare_authz::{Action, Kind};
use keycare_entity as e;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use std::sync::Arc;
use uuid::Uuid;

/// The deployment's rule for the addresses the gateway may call (API.md, "Production": https
/// to public addresses unless allowed). The gateway makes it from its configuration
/// (`keycare_auth::OutboundPolicy`); the domain knows which settings are such addresses.
/// `Err` ends a sentence about the setting, such as "must use https".
#[derive(Clone)]
pub struct OutboundRule(Arc<UrlCheck>);

/// A check of one URL: `Err` says why the gateway may not call it.
type UrlCheck = dyn Fn(&url::Url) -> Result<(), String> + Send + Sync;

impl OutboundRule {
    /// A rule from a check of one URL.
    pub fn new(check: impl Fn(&url::Url) -> Result<(), String> + Send + Sync + 'static) -> Self {
        OutboundRule(Arc::new(check))
    }

    /// Whether the gateway may call `url`, and if not why.
    pub fn check(&self, url: &url::Url) -> Result<(), String> {
        (self.0)(url)
    }
}

impl std::fmt::Debug for OutboundRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboundRule")
    }
}

/// The council's identity providers, oldest first (tenant_admin only).
pub async fn list(req: &Request) -> DomainResult<Vec<e::identity_provider::Model>> {
    req.require_tenant(Kind::IdentityProviders, Action::Read)?;
    Ok(e::identity_provider::Entity::find()
        .filter(e::identity_provider::Column::TenantId.eq(req.identity.tenant_id))
        .order_by_asc(e::identity_provider::Column::CreatedAt)
        .order_by_asc(e::identity_provider::Column::Id)
        .all(&req.txn)
        .await?)
}

/// Settings of an identity provider, as entered.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: String,
    pub client_id: Option<String>,
}

/// An address the gateway will call: an http(s) URL the outbound rule allows.
pub(crate) fn outbound_url(
    field: &str,
    value: &str,
    outbound: &OutboundRule,
) -> DomainResult<String> {
    let value = value.trim();
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => {
            outbound
                .check(&u)
                .map_err(|reason| DomainError::bad_input(field, reason))?;
            Ok(value.trim_end_matches('/').to_owned())
        }
        _ => Err(DomainError::bad_input(
            field,
            "must be an http(s) URL such as https://login.example.gov.uk/tenant/v2.0",
        )),
    }
}

pub(crate) fn text(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(DomainError::bad_input(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(DomainError::bad_input(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

/// Adds the council's provider for an issuer, or changes the one it has (tenant_admin only).
/// The issuer (where discovery is fetched) and the JWKS URL are addresses the gateway calls,
/// so each must keep to the `outbound` rule.
pub async fn configure(
    req: &Request,
    input: ProviderSettings,
    outbound: &OutboundRule,
) -> DomainResult<e::identity_provider::Model> {
    req.require_tenant(Kind::IdentityProviders, Action::Write)?;
    let issuer = outbound_url("issuer", &input.issuer, outbound)?;
    let jwks_url = outbound_url("jwksUrl", &input.jwks_url, outbound)?;
    let audience = text("audience", &input.audience, 200)?;
    let client_id = match input.client_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(text("clientId", c, 200)?),
    };
    let tenant = req.identity.tenant_id;
    let existing = e::identity_provider::Entity::find()
        .filter(e::identity_provider::Column::TenantId.eq(tenant))
        .filter(e::identity_provider::Column::Issuer.eq(issuer.clone()))
        .one(&req.txn)
        .await?;
    let saved = match existing {
        Some(p) if p.is_development => {
            return Err(DomainError::bad_input(
                "issuer",
                "the local development issuer is managed by the server, not here",
            ));
        }
        Some(p) => {
            let mut active = p.into_active_model();
            active.audience = Set(audience);
            active.jwks_url = Set(jwks_url);
            active.client_id = Set(client_id);
            active.update(&req.txn).await?
        }
        None => {
            e::identity_provider::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant),
                issuer: Set(issuer),
                audience: Set(audience),
                jwks_url: Set(jwks_url),
                client_id: Set(client_id),
                is_development: Set(false),
                created_at: Set(req.now),
            }
            .insert(&req.txn)
            .await?
        }
    };
    Ok(saved)
}
