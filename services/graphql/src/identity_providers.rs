//! The council's identity providers, for the tenant administrator.

use crate::error::gql;
use crate::ids::global_id;
use crate::request::request;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::identity_providers::{self, OutboundRule, ProviderSettings};
use keycare_entity::identity_provider::Model;

/// An OpenID Connect issuer the council trusts for sign-in.
#[derive(SimpleObject)]
pub struct IdentityProvider {
    /// Global id.
    pub id: ID,
    /// Issuer identifier (`iss` of its tokens).
    pub issuer: String,
    /// The audience (`aud`) its tokens must carry for KeyCare.
    pub audience: String,
    /// Where its signing keys are published.
    pub jwks_url: String,
    /// OAuth client id for browser sign-in; browser sign-in is off without one.
    pub client_id: Option<String>,
    /// The local development issuer (demo data only; refused in production).
    pub is_development: bool,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<Model> for IdentityProvider {
    fn from(m: Model) -> Self {
        IdentityProvider {
            id: global_id("IdentityProvider", m.id),
            issuer: m.issuer,
            audience: m.audience,
            jwks_url: m.jwks_url,
            client_id: m.client_id,
            is_development: m.is_development,
            created_at: m.created_at,
        }
    }
}

/// An issuer to trust, or new settings for one already trusted (matched by issuer).
#[derive(InputObject)]
pub struct ConfigureIdentityProviderInput {
    /// Issuer identifier, an http(s) URL.
    pub issuer: String,
    /// The audience tokens must carry.
    pub audience: String,
    /// Where the issuer publishes its keys, an http(s) URL.
    pub jwks_url: String,
    /// OAuth client id for browser sign-in (optional).
    pub client_id: Option<String>,
}

/// The result of `configureIdentityProvider`.
#[derive(SimpleObject)]
pub struct ConfigureIdentityProviderPayload {
    /// The provider as saved.
    pub identity_provider: IdentityProvider,
}

/// Queries of this module.
#[derive(Default)]
pub struct IdentityProviderQuery;

/// Queries of this module.
#[Object]
impl IdentityProviderQuery {
    /// The identity providers the council trusts (tenant administrators only).
    async fn identity_providers(&self, ctx: &Context<'_>) -> Result<Vec<IdentityProvider>> {
        let req = request(ctx)?;
        let rows = identity_providers::list(req).await.map_err(gql)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// Mutations of this module.
#[derive(Default)]
pub struct IdentityProviderMutation;

/// Mutations of this module.
#[Object]
impl IdentityProviderMutation {
    /// Trusts an issuer for the council, or changes its settings (tenant administrators only).
    /// The issuer and JWKS URL must be https on public addresses unless the deployment allows
    /// otherwise; a URL that is not answers BAD_USER_INPUT naming the field.
    async fn configure_identity_provider(
        &self,
        ctx: &Context<'_>,
        input: ConfigureIdentityProviderInput,
    ) -> Result<ConfigureIdentityProviderPayload> {
        let req = request(ctx)?;
        let outbound = ctx.data::<OutboundRule>()?;
        let saved = identity_providers::configure(
            req,
            ProviderSettings {
                issuer: input.issuer,
                audience: input.audience,
                jwks_url: input.jwks_url,
                client_id: input.client_id,
            },
            outbound,
        )
        .await
        .map_err(gql)?;
        Ok(ConfigureIdentityProviderPayload {
            identity_provider: saved.into(),
        })
    }
}
