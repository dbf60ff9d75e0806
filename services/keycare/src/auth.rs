//! Authentication of every request: a bearer token from one of the councils' issuers,
//! verified against that issuer's keys, naming an active KeyCare account.

use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use keycare_auth::{
    AuthError, IssuerSettings, Verifier, VerifierOptions, bearer_token, peek_issuer,
};
use keycare_domain::identity::{self, Identity, Provider};
use keycare_domain::sessions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How often an unknown issuer may trigger a reload of the issuer directory.
const DIRECTORY_RELOAD: Duration = Duration::from_secs(5);

/// How long a verified token's account is remembered (which account an issuer and subject
/// name never changes; whether it is still there and active is decided by each request's
/// own first statement), and how many are.
const ACCOUNT_TTL: Duration = Duration::from_secs(300);
const ACCOUNTS_MAX: u64 = 100_000;

/// (issuer, subject, the councils whose providers verified the token) → (user, council).
type AccountKey = (String, String, Vec<uuid::Uuid>);

/// Checks bearer tokens and finds their accounts.
#[derive(Clone)]
pub struct Authenticator {
    db: DatabaseConnection,
    verifier: Verifier,
    /// Whether the local development issuer is on; its providers are ignored otherwise.
    development: bool,
    directory: Arc<RwLock<Directory>>,
    accounts: mini_moka::sync::Cache<AccountKey, (uuid::Uuid, uuid::Uuid)>,
}

struct Directory {
    providers: Vec<Provider>,
    loaded: Option<Instant>,
}

impl Authenticator {
    /// `opts` carries the refetch interval, maximum token lifetime and outbound policy.
    pub fn new(db: DatabaseConnection, development: bool, opts: VerifierOptions) -> Self {
        Authenticator {
            db,
            verifier: Verifier::new(keycare_auth::outbound_client(&opts.outbound), opts),
            development,
            directory: Arc::new(RwLock::new(Directory {
                providers: Vec::new(),
                loaded: None,
            })),
            accounts: mini_moka::sync::Cache::builder()
                .max_capacity(ACCOUNTS_MAX)
                .time_to_live(ACCOUNT_TTL)
                .build(),
        }
    }

    /// The verifier (shared with browser sign-in).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The providers trusted for `issuer`, reloading the directory when it may be stale.
    async fn providers_for(&self, issuer: &str) -> Result<Vec<Provider>, AuthError> {
        let matching = |d: &Directory| -> Vec<Provider> {
            d.providers
                .iter()
                .filter(|p| p.issuer == issuer && (self.development || !p.is_development))
                .cloned()
                .collect()
        };
        {
            let dir = self.directory.read().await;
            let found = matching(&dir);
            // A known issuer is answered from memory only while the directory is fresh: a
            // changed audience or JWKS URL (saved through any replica) is picked up within
            // the reload interval, not at the next restart.
            let fresh = dir.loaded.is_some_and(|t| t.elapsed() < DIRECTORY_RELOAD);
            if fresh {
                return Ok(found);
            }
        }
        let mut dir = self.directory.write().await;
        if dir.loaded.is_none_or(|t| t.elapsed() >= DIRECTORY_RELOAD) {
            match identity::providers(&self.db).await {
                Ok(providers) => {
                    dir.providers = providers;
                    dir.loaded = Some(Instant::now());
                }
                // The directory as last read still routes the issuers it knows.
                Err(e) if !matching(&dir).is_empty() => {
                    tracing::warn!(error = %e, "reloading identity providers failed; using the last directory");
                }
                Err(e) => {
                    tracing::error!(error = %e, "loading identity providers failed");
                    return Err(AuthError::Config(
                        "the issuer directory could not be read".into(),
                    ));
                }
            }
        }
        Ok(matching(&dir))
    }

    /// The signed-in identity of a request: its bearer token or, without an `Authorization`
    /// header, its browser session cookie.
    pub async fn authenticate_request(&self, headers: &HeaderMap) -> Result<Identity, AuthError> {
        let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        if header.is_none()
            && let Some(cookie) = crate::browser::session_cookie(headers)
        {
            return self.authenticate_session(&cookie).await;
        }
        self.authenticate(header).await
    }

    /// The identity of a browser session cookie.
    pub async fn authenticate_session(&self, cookie: &str) -> Result<Identity, AuthError> {
        let found = sessions::find_session(&self.db, cookie)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "session lookup failed");
                AuthError::Config("the session could not be looked up".into())
            })?;
        let Some((user, expires_at)) = found else {
            return Err(AuthError::Malformed(
                "the session has ended; sign in again".into(),
            ));
        };
        if !user.active {
            return Err(AuthError::Deactivated);
        }
        Ok(Identity {
            user_id: user.id,
            tenant_id: user.tenant_id,
            issuer: user.issuer,
            subject: user.subject,
            expires_at,
        })
    }

    /// The signed-in identity of a request with this `Authorization` header.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Identity, AuthError> {
        let token = bearer_token(header)?;
        let issuer = peek_issuer(token)?;
        let providers = self.providers_for(&issuer).await?;
        if providers.is_empty() {
            return Err(AuthError::WrongIssuer);
        }
        // Councils sharing an issuer with the same settings are verified once.
        let mut last_err = AuthError::WrongIssuer;
        let mut tried: Vec<IssuerSettings> = Vec::new();
        for p in &providers {
            let settings = IssuerSettings {
                issuer: p.issuer.clone(),
                audience: p.audience.clone(),
                jwks_url: p.jwks_url.clone(),
            };
            if tried.contains(&settings) {
                continue;
            }
            match self.verifier.verify(token, &settings).await {
                Ok(claims) => {
                    let tenants: Vec<_> = providers
                        .iter()
                        .filter(|q| {
                            q.audience == settings.audience && q.jwks_url == settings.jwks_url
                        })
                        .map(|q| q.tenant_id)
                        .collect();
                    let key: AccountKey = (claims.iss.clone(), claims.sub.clone(), tenants);
                    let (user_id, tenant_id) = match self.accounts.get(&key) {
                        Some(found) => found,
                        None => {
                            let user =
                                identity::find_account(&self.db, &key.2, &claims.iss, &claims.sub)
                                    .await
                                    .map_err(|e| {
                                        tracing::error!(error = %e, "account lookup failed");
                                        AuthError::Config(
                                            "the account could not be looked up".into(),
                                        )
                                    })?
                                    .ok_or(AuthError::UnknownAccount)?;
                            if !user.active {
                                return Err(AuthError::Deactivated);
                            }
                            self.accounts.insert(key, (user.id, user.tenant_id));
                            (user.id, user.tenant_id)
                        }
                    };
                    return Ok(Identity {
                        user_id,
                        tenant_id,
                        issuer: claims.iss,
                        subject: claims.sub,
                        expires_at: chrono::DateTime::from_timestamp(claims.exp, 0)
                            .unwrap_or_else(chrono::Utc::now),
                    });
                }
                Err(e) => last_err = e,
            }
            tried.push(settings);
        }
        Err(last_err)
    }
}

/// The HTTP answer to a failed authentication: 401 (403 for a deactivated account) with a
/// GraphQL error body naming the reason.
pub fn rejection(err: &AuthError) -> Response {
    let (status, code, message) = match err.code() {
        "FORBIDDEN" => (StatusCode::FORBIDDEN, "FORBIDDEN", err.to_string()),
        "UNAUTHENTICATED" => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", err.to_string()),
        // Failed on the server side (the database is down, a setting is wrong): nothing the
        // caller did; they may try again shortly.
        _ => {
            tracing::error!(error = %err, "authentication failed on the server side");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "authentication is unavailable; try again shortly".to_owned(),
            )
        }
    };
    let body = serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code } }],
    });
    let mut res = (status, axum::Json(body)).into_response();
    let headers = res.headers_mut();
    match status {
        StatusCode::UNAUTHORIZED => {
            headers.insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            headers.insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("5"),
            );
        }
        _ => {}
    }
    res
}
