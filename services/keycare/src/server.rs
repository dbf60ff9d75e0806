//! The HTTP gateway: routes, shared state, start-up and graceful shutdown.

use crate::auth::{Authenticator, rejection};
use crate::config::Config;
use crate::guard::Guard;
use crate::limits::{Limits, Operations};
use crate::metrics::Metrics;
use crate::operation::{self, Ask, Failure};
use crate::persisted::Persisted;
use anyhow::Context;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keycare_auth::DevIssuer;
use keycare_authz::Policy;
use keycare_domain::identity::{self, Identity};
use keycare_graphql::{KeyCareSchema, SchemaDeps};
use keycare_seed::demo::{DEV_AUDIENCE, DEV_ISSUER};
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The Content-Security-Policy of every answer but GraphiQL's page: nothing to load, no frames.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Shared state of the gateway.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub schema: KeyCareSchema,
    pub auth: Authenticator,
    /// HTTP client for identity providers (never follows redirects).
    pub http: reqwest::Client,
    /// The URL clients reach the gateway at.
    pub public_url: String,
    /// The access policy, loaded and validated at start-up.
    pub policy: Policy,
    /// Counters served at /metrics.
    pub metrics: Arc<Metrics>,
    /// Cost, time, size and rate limits, and the production switches.
    pub limits: Arc<Limits>,
    /// Rate limits and in-flight caps.
    pub guard: Arc<Guard>,
    /// Persisted operations and the safelist.
    pub persisted: Arc<Persisted>,
    /// Whether responses carry `Strict-Transport-Security` (the public URL is https).
    pub hsts: bool,
}

async fn metrics_endpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.limits.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                "metrics need their bearer token\n",
            )
                .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&state.db),
    )
        .into_response()
}

/// `/metrics` on the main listener only when no listener of its own is set.
async fn metrics_here(
    State(here): State<bool>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if here {
        next.run(req).await
    } else {
        (
            StatusCode::NOT_FOUND,
            "metrics are served on their own address (metrics_addr)\n",
        )
            .into_response()
    }
}

/// Counts every answer by status.
async fn count_status(
    State(metrics): State<Arc<Metrics>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let res = next.run(req).await;
    metrics
        .http_responses
        .get_or_create(&crate::metrics::StatusLabel {
            status: res.status().as_u16().to_string(),
        })
        .inc();
    res
}

/// Builds the router of API.md (plus the development issuer's routes when it is on).
pub fn router(state: AppState, dev_issuer: Option<Arc<DevIssuer>>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let dev_routes = dev_issuer.map(|d| d.router()).unwrap_or_default();
    let limits = state.limits.clone();
    let hsts = state.hsts;
    let counted = state.metrics.clone();
    let router = Router::new()
        .route("/graphql", get(graphiql_or_query).post(graphql))
        .route("/graphql/ws", get(crate::ws::graphql_ws))
        .merge(crate::browser::routes())
        .merge(crate::graphiql::routes())
        .route("/schema.graphql", get(schema_sdl))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/metrics",
            get(metrics_endpoint).layer(axum::middleware::from_fn_with_state(
                limits.metrics_addr.is_none(),
                metrics_here,
            )),
        )
        .with_state(state)
        .merge(dev_routes)
        .layer(axum::middleware::from_fn_with_state(counted, count_status))
        .layer(DefaultBodyLimit::max(limits.body_max_bytes))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_timeout,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            hsts.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        ));
    router
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(record_status),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The span of one HTTP request. It carries the request id (set by the layer outside this
/// one), so a request's log lines and its exported trace are found from the id a client
/// reports. The path only: a query string may hold a GraphQL document or a sign-in code.
fn request_span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        path = req.uri().path(),
        request_id,
        status = tracing::field::Empty,
        council = tracing::field::Empty,
        "graphql.operation.name" = tracing::field::Empty,
        "graphql.operation.type" = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    // A caller's W3C `traceparent` makes this request part of the caller's trace (when
    // traces are exported; otherwise there is nothing to join).
    crate::telemetry::join_callers_trace(&span, req.headers());
    span
}

/// Records the answer's status on the request's span and logs one line for the request at
/// info: its id, path, status and duration, and for GraphQL its council, operation and
/// outcome (the span's fields). Never a query's text, variables or anyone's name.
fn record_status<B>(res: &Response<B>, latency: std::time::Duration, span: &tracing::Span) {
    span.record("status", res.status().as_u16());
    tracing::info!(
        parent: span,
        status = res.status().as_u16(),
        duration_ms = latency.as_secs_f64() * 1000.0,
        "request"
    );
}

/// The address a request came from (the peer of its connection).
fn peer(parts: &axum::http::request::Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// Authenticates a request from its headers alone (nothing of its body is read before).
/// Failed sign-ins count against the address they came from; an authentication that failed
/// on the server side (the database is down) answers 503.
async fn authenticate(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<Identity, Response> {
    match state.auth.authenticate_request(&parts.headers).await {
        Ok(identity) => Ok(identity),
        Err(err) => {
            let res = rejection(&err);
            if res.status() == StatusCode::SERVICE_UNAVAILABLE {
                return Err(res);
            }
            state
                .metrics
                .sign_in_failures
                .get_or_create(&crate::metrics::ReasonLabel {
                    reason: err.reason().to_owned(),
                })
                .inc();
            if res.status() == StatusCode::UNAUTHORIZED
                && let Some(address) = peer(parts)
                && let Err(refused) = state.guard.failed_sign_in(address)
            {
                state.metrics.refuse("rate_limited");
                return Err(Failure::from(refused).into_http());
            }
            Err(res)
        }
    }
}

/// Whether a POST's content type is JSON (`application/json` or
/// `application/graphql-response+json`): a form or `text/plain` body could be sent by any web
/// page without a preflight (cross-site request forgery).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/json" || v == "application/graphql-response+json")
}

fn too_large(limit: usize) -> Response {
    Failure::bad_input(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than {limit} bytes"),
    )
    .with("limit", limit as u64)
    .into_http()
}

fn bad_request(status: StatusCode, message: &str) -> Response {
    Failure::bad_input(status, message).into_http()
}

/// The request id the layer outside gave this request.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A GraphQL request from a JSON body, and the persisted document it names, if any
/// (`extensions.persistedQuery.sha256Hash`, or `documentId` as graphql-codegen sends it).
fn parse_request(body: &[u8]) -> Result<(async_graphql::Request, Option<String>), Failure> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        Failure::bad_input(
            StatusCode::BAD_REQUEST,
            format!("the body is not a JSON GraphQL request: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(Failure::bad_input(
            StatusCode::BAD_REQUEST,
            "the body must be one GraphQL request (a JSON object); batches are not accepted",
        ));
    }
    let hash = value
        .pointer("/extensions/persistedQuery/sha256Hash")
        .or_else(|| value.get("documentId"))
        .and_then(|v| v.as_str())
        .map(|h| h.strip_prefix("sha256:").unwrap_or(h).to_owned());
    let request: async_graphql::Request = serde_json::from_value(value).map_err(|e| {
        Failure::bad_input(
            StatusCode::BAD_REQUEST,
            format!("the body is not a GraphQL request: {e}"),
        )
    })?;
    Ok((request, hash))
}

/// `POST /graphql`. In this order, so that nothing is read or run for a caller who may not:
/// the content type (CSRF), the declared length, the token (from headers alone), then the
/// body, read up to the limit.
async fn graphql(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    if !is_json(&parts.headers) {
        return bad_request(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql takes a JSON body (Content-Type: application/json)",
        );
    }
    let limit = state.limits.body_max_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let identity = match authenticate(&state, &parts).await {
        Ok(identity) => identity,
        Err(res) => return res,
    };
    let bytes =
        match http_body_util::BodyExt::collect(http_body_util::Limited::new(body, limit)).await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(limit),
            Err(e) => {
                tracing::debug!(error = %e, "request body not received");
                return bad_request(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request body was not received in time",
                );
            }
        };
    match parse_request(&bytes) {
        Ok((request, hash)) => {
            let ask = Ask {
                identity,
                request,
                hash,
                read_only: false,
                request_id: request_id(&parts.headers),
            };
            operation::over_http(&state, ask).await
        }
        Err(failure) => failure.into_http(),
    }
}

/// Whether a GET request carries something a plain link or form could not: a bearer token or
/// one of the preflight headers Apollo's and other clients send (CSRF prevention for reads).
fn preflighted(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key("apollo-require-preflight")
        || headers.contains_key("x-apollo-operation-name")
        || headers.contains_key("graphql-preflight")
}

/// GraphiQL for a browser (when on); a query (or a persisted query's hash) in the URL is
/// executed instead.
async fn graphiql_or_query(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, _body) = req.into_parts();
    let query = parts.uri.query().unwrap_or_default();
    if ["query=", "extensions=", "documentId="]
        .iter()
        .any(|k| query.contains(k))
    {
        if !preflighted(&parts.headers) {
            return bad_request(
                StatusCode::BAD_REQUEST,
                "a GET request must carry Authorization or an apollo-require-preflight header",
            );
        }
        let identity = match authenticate(&state, &parts).await {
            Ok(identity) => identity,
            Err(res) => return res,
        };
        let mut pairs = url::form_urlencoded::parse(query.as_bytes());
        let document_id = pairs
            .find(|(k, _)| k == "documentId")
            .map(|(_, v)| v.into_owned());
        return match async_graphql::http::parse_query_string(query) {
            Ok(req) => {
                let hash = operation::persisted_hash(&req).or(document_id);
                let ask = Ask {
                    identity,
                    request: req,
                    hash,
                    read_only: true,
                    request_id: request_id(&parts.headers),
                };
                operation::over_http(&state, ask).await
            }
            Err(e) => bad_request(StatusCode::BAD_REQUEST, &e.to_string()),
        };
    }
    if !state.limits.graphiql {
        return Failure::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "GraphiQL is off on this gateway (setting graphiql); send queries with POST /graphql",
        )
        .into_http();
    }
    crate::graphiql::page(parts.uri.query())
}

async fn schema_sdl() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; charset=utf-8",
        )],
        keycare_graphql::sdl(),
    )
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers and no migration is pending.
async fn readyz(State(state): State<AppState>) -> Response {
    let database = keycare_domain::db::ping(&state.db).await;
    let pending = if database {
        keycare_migration::pending_count(&state.db).await.ok()
    } else {
        None
    };
    let ready = database && pending == Some(0);
    let body = serde_json::json!({
        "ready": ready,
        "database": if database { "reachable" } else { "unreachable" },
        "pendingMigrations": pending,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// A gateway that is running: its address and a way to stop it.
pub struct Running {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// The URL clients reach it at.
    pub public_url: String,
    /// Its database connection pool (on PostgreSQL, as the application role).
    pub db: DatabaseConnection,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Drained>,
}

/// How a shutdown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished within the grace period.
    All,
    /// This many connections were still busy when the grace period ran out, and were cut.
    Cut(usize),
}

impl Running {
    /// Stops accepting requests and lets those in flight finish within the grace period
    /// (`shutdown_grace_ms`); what is still running then is cut, and that is an error.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        match self.task.await? {
            Drained::All => Ok(()),
            Drained::Cut(n) => anyhow::bail!(
                "{n} connection(s) were still busy when the shutdown grace period ran out and were cut"
            ),
        }
    }

    /// Runs until the server stops by itself (never, in practice) or `signal` resolves.
    pub async fn until(self, signal: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.stop().await
    }
}

/// Connects, migrates, optionally loads the demo, binds and starts serving.
pub async fn start(config: Config, demo: bool) -> anyhow::Result<Running> {
    let started = Instant::now();
    // What only the owner may do (migrations, the demo data, pointing the development
    // providers at this gateway) runs on a short-lived pool of its own; everything after
    // runs as the application role.
    let owner = keycare_domain::db::connect(&config.database_url, 2).await?;
    if config.migrate || demo {
        keycare_migration::up_locked(&owner).await.context(
            "applying migrations failed; run `keycare migrate status` to see where the database stands",
        )?;
    } else {
        let pending = keycare_migration::pending_names(&owner).await.context(
            "reading the migration table failed: has `keycare migrate up` been run on this database?",
        )?;
        if !pending.is_empty() {
            anyhow::bail!(
                "{} migration(s) pending ({}): run `keycare migrate up` as the tables' owner first (in development, `serve --migrate`)",
                pending.len(),
                pending.join(", ")
            );
        }
    }
    if config.environment == crate::config::Environment::Production
        && let Some(why) = keycare_domain::db::too_privileged(&owner).await?
    {
        anyhow::bail!(
            "in production the gateway connects as a login of the role keycare_app, not as {why}: create one with `CREATE ROLE keycare_gateway LOGIN PASSWORD '...' IN ROLE keycare_app` and give serve its URL (migrations and onboarding keep the owner's)"
        );
    }
    if demo {
        let report = keycare_seed::demo::seed_demo(&owner).await?;
        tracing::info!(%report, "demo data ready");
    }
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (--addr / KEYCARE_ADDR): is another server using it?",
                config.addr
            )
        })?;
    let local = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let dev_issuer = if config.dev_issuer {
        let dev = DevIssuer::load_or_create(&config.data_dir, DEV_ISSUER, DEV_AUDIENCE)
            .with_context(|| {
                format!(
                    "the development issuer's key in {} (--data-dir / KEYCARE_DATA_DIR)",
                    config.data_dir.display()
                )
            })?;
        let jwks_url = format!("{public_url}{}/jwks.json", keycare_auth::DEV_ISSUER_PATH);
        identity::point_development_providers(&owner, &jwks_url).await?;
        tracing::info!(%jwks_url, "local development issuer on: `keycare token EMAIL` prints tokens");
        Some(Arc::new(dev))
    } else {
        None
    };
    owner
        .close()
        .await
        .context("closing the owner's connections")?;
    let mut db = keycare_domain::db::connect_as_app_with(
        &config.database_url,
        config.max_connections,
        keycare_domain::db::AppSession {
            statement_timeout: config.limits.statement_timeout,
            idle_in_transaction_timeout: config.limits.idle_in_transaction_timeout,
        },
    )
    .await?;
    let metrics = Arc::new(Metrics::default());
    let counter = metrics.clone();
    db.set_metric_callback(move |info| {
        counter.sql_statements.inc();
        tracing::trace!(target: "keycare::sql", sql = %info.statement.sql, elapsed_us = info.elapsed.as_micros() as u64);
    });
    let policy = load_policy(&config).await?;
    let limits = Arc::new(config.limits.clone());
    let schema = keycare_graphql::build_schema(SchemaDeps {
        db: db.clone(),
        traced: config.telemetry.is_some(),
        introspection: limits.introspection,
        suggestions: limits.suggestions,
        outbound: config.outbound_rule(),
    });
    let persisted = Persisted::load(
        limits.operations == Operations::Safelist,
        limits.operations_manifest.as_deref(),
    )?;
    let guard = Arc::new(Guard::new(&limits));
    let auth = Authenticator::new(
        db.clone(),
        dev_issuer.is_some(),
        keycare_auth::VerifierOptions {
            min_refetch_interval: config.jwks_refetch_interval,
            max_token_lifetime: config.max_token_lifetime,
            outbound: config.outbound.clone(),
            ..keycare_auth::VerifierOptions::default()
        },
    );
    let state = AppState {
        db: db.clone(),
        schema,
        auth,
        http: keycare_auth::outbound_client(&config.outbound),
        public_url: public_url.clone(),
        policy,
        metrics,
        limits: limits.clone(),
        guard: guard.clone(),
        persisted: Arc::new(persisted),
        hsts: public_url.starts_with("https://"),
    };
    tracing::info!(
        addr = %local,
        ready_ms = started.elapsed().as_millis() as u64,
        "KeyCare listening; GraphiQL at {public_url}/graphql"
    );
    let metrics_listener = match limits.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "cannot listen on {addr} for /metrics (metrics_addr / KEYCARE_METRICS_ADDR)"
                )
            })?;
            tracing::info!(addr = %listener.local_addr()?, "metrics served on their own address");
            let metrics_app = Router::new()
                .route("/metrics", get(metrics_endpoint))
                .with_state(state.clone());
            Some(tokio::spawn(async move {
                let _ = axum::serve(listener, metrics_app).await;
            }))
        }
        None => None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(state, dev_issuer);
    // Buckets that are full again are forgotten now and then, so memory stays bounded.
    let tidy = tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            guard.tidy();
        }
    });
    let task = tokio::spawn(async move {
        let drained = serve_connections(listener, app, &limits, stopped).await;
        tidy.abort();
        if let Some(m) = metrics_listener {
            m.abort();
        }
        drained
    });
    Ok(Running {
        addr: local,
        public_url,
        db,
        stop,
        task,
    })
}

/// Accepts connections until `stopped`, each served by hyper with a header-read timeout
/// (which also closes idle keep-alive connections), then drains them within the grace period.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &Limits,
    stopped: tokio::sync::oneshot::Receiver<()>,
) -> Drained {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // Told to every connection when the gateway stops: finish the request in hand, then close.
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = app.clone().map_request(
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(ConnectInfo(peer));
                        req.map(axum::body::Body::new)
                    },
                );
                let service = hyper_util::service::TowerToHyperService::new(service);
                let conn = builder
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                let mut closing = closing_rx.clone();
                connections.spawn(async move {
                    tokio::pin!(conn);
                    tokio::select! {
                        result = conn.as_mut() => {
                            if let Err(e) = result {
                                tracing::trace!(error = %e, "connection ended with an error");
                            }
                            return;
                        }
                        _ = closing.wait_for(|c| *c) => conn.as_mut().graceful_shutdown(),
                    }
                    if let Err(e) = conn.await {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = &mut stopped => break,
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    match drained {
        Ok(()) => Drained::All,
        Err(_) => {
            let cut = connections.len();
            connections.abort_all();
            tracing::warn!(cut, "shutdown grace period ran out; cutting what is left");
            if cut == 0 {
                Drained::All
            } else {
                Drained::Cut(cut)
            }
        }
    }
}

/// Runs the gateway until Ctrl-C or SIGTERM.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let traces = crate::telemetry::init_tracing(&config)?;
    let served = async {
        let running = start(config, demo).await?;
        // For a person at a terminal; a JSON log stays one object a line.
        if std::env::var("KEYCARE_LOG_FORMAT").as_deref() != Ok("json") {
            println!(
                "KeyCare listening on {url} (GraphiQL at {url}/graphql)",
                url = running.public_url
            );
        }
        running.until(shutdown_signal()).await
    }
    .await;
    // Also when start-up failed: the spans of what it did are worth having.
    traces.shutdown().await;
    served
}

/// The access policy: `KEYCARE_POLICY_DIR/{model.conf,policy.csv}` when set, otherwise the
/// policy built into the binary from `policies/`. A bad line stops start-up, naming it.
async fn load_policy(config: &Config) -> anyhow::Result<Policy> {
    let policy = match &config.policy_dir {
        Some(dir) => {
            let read = |name: &str| {
                let path = dir.join(name);
                std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {} (KEYCARE_POLICY_DIR)", path.display()))
            };
            Policy::load(&read("model.conf")?, &read("policy.csv")?).await?
        }
        None => Policy::shipped().await?,
    };
    Ok(policy)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
