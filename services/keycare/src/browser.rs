//! Browser sign-in for GraphiQL and web consoles: authorization code with PKCE against the
//! council's provider, ending in an HttpOnly, Secure, SameSite cookie session; sign-out.
//!
//! `GET /auth/{council}/login?redirect=/graphql` -> provider -> `GET /auth/{council}/callback`
//! -> cookie set, browser sent back to `redirect`. `POST /auth/logout` ends the session.

use crate::server::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use keycare_auth::{AuthError, IssuerSettings, discover, finish_login, start_login};
use keycare_domain::identity;
use keycare_domain::sessions::{self, PendingLogin};
use rand::RngCore;
use serde::Deserialize;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "keycare_session";

/// The sign-in routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/{council}/login", get(login))
        .route("/auth/{council}/callback", get(callback))
        .route("/auth/logout", post(logout))
}

/// The session cookie's value in a request, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

#[derive(Deserialize)]
struct LoginQuery {
    redirect: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.into(),
    )
        .into_response()
}

fn internal(err: impl std::fmt::Display) -> Response {
    tracing::error!(error = %err, "browser sign-in failed");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "sign-in is unavailable; try again later",
    )
}

/// Only paths on this server: never an open redirect.
fn safe_redirect(target: Option<String>) -> String {
    match target {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.contains('\\') => t,
        _ => "/graphql".to_owned(),
    }
}

fn callback_url(state: &AppState, council: &str) -> String {
    format!("{}/auth/{council}/callback", state.public_url)
}

/// The council's provider that allows browser sign-in (one with a client id).
async fn browser_provider(
    state: &AppState,
    council: &str,
) -> Result<(uuid::Uuid, identity::Provider, String), Response> {
    let tenant = sessions::tenant_by_slug(&state.db, council)
        .await
        .map_err(internal)?
        .ok_or_else(|| refuse(StatusCode::NOT_FOUND, "no such council"))?;
    let providers = identity::providers(&state.db).await.map_err(internal)?;
    let (provider, client_id) = providers
        .into_iter()
        .filter(|p| p.tenant_id == tenant.id && !p.is_development)
        .find_map(|p| p.client_id.clone().map(|c| (p, c)))
        .ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                "browser sign-in is not set up for this council",
            )
        })?;
    Ok((tenant.id, provider, client_id))
}

async fn login(
    State(state): State<AppState>,
    Path(council): Path<String>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (tenant_id, provider, client_id) = match browser_provider(&state, &council).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let endpoints = match discover(&state.http, &provider.issuer).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let start = match start_login(&endpoints, &client_id, &callback_url(&state, &council)) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let pending = PendingLogin {
        pkce_verifier: start.pkce_verifier,
        nonce: start.nonce,
        redirect_to: safe_redirect(q.redirect),
    };
    if let Err(e) = sessions::start_login(&state.db, tenant_id, &start.state, &pending).await {
        return internal(e);
    }
    Redirect::to(&start.authorize_url).into_response()
}

async fn callback(
    State(state): State<AppState>,
    Path(council): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    if let Some(error) = q.error {
        return refuse(
            StatusCode::UNAUTHORIZED,
            format!("the identity provider refused the sign-in: {error}"),
        );
    }
    let (Some(code), Some(state_param)) = (q.code, q.state) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the sign-in callback needs code and state",
        );
    };
    let (tenant_id, provider, client_id) = match browser_provider(&state, &council).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let pending = match sessions::consume_login(&state.db, tenant_id, &state_param).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this sign-in has expired or was already used; start again",
            );
        }
        Err(e) => return internal(e),
    };
    let endpoints = match discover(&state.http, &provider.issuer).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let settings = IssuerSettings {
        issuer: provider.issuer.clone(),
        audience: client_id.clone(),
        jwks_url: provider.jwks_url.clone(),
    };
    let claims = match finish_login(
        &state.http,
        state.auth.verifier(),
        &endpoints,
        &settings,
        &client_id,
        None,
        &callback_url(&state, &council),
        &code,
        &pending.pkce_verifier,
        &pending.nonce,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return refuse(StatusCode::UNAUTHORIZED, format!("sign-in failed: {e}")),
    };
    let user = match identity::find_account(&state.db, &[tenant_id], &claims.iss, &claims.sub).await
    {
        Ok(Some(u)) => u,
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                AuthError::UnknownAccount.to_string(),
            );
        }
        Err(e) => return internal(e),
    };
    if !user.active {
        return refuse(StatusCode::FORBIDDEN, AuthError::Deactivated.to_string());
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let (cookie, _) =
        match sessions::create_session(&state.db, tenant_id, user.id, &hex::encode(secret)).await {
            Ok(c) => c,
            Err(e) => return internal(e),
        };
    let max_age = sessions::SESSION_TTL.num_seconds();
    let set_cookie = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}"
    );
    let mut res = Redirect::to(&pending.redirect_to).into_response();
    match HeaderValue::from_str(&set_cookie) {
        Ok(v) => {
            res.headers_mut().insert(header::SET_COOKIE, v);
            res
        }
        Err(e) => internal(e),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(cookie) = session_cookie(&headers)
        && let Err(e) = sessions::revoke_session(&state.db, &cookie).await
    {
        return internal(e);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0");
    let mut res = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}
