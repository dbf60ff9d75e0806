//! The HTTP gateway: routes, shared state, start-up and graceful shutdown.

use crate::auth::{Authenticator, rejection};
use crate::config::Config;
use anyhow::Context;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keycare_auth::DevIssuer;
use keycare_authz::Policy;
use keycare_domain::identity::{self, Identity};
use keycare_domain::request::Request;
use keycare_graphql::{KeyCareSchema, SchemaDeps};
use keycare_migration::{Migrator, MigratorTrait};
use keycare_seed::demo::{DEV_AUDIENCE, DEV_ISSUER};
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Largest request body accepted (queries and mutations are small; documents go elsewhere).
const MAX_BODY_BYTES: usize = 1024 * 1024;

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
}

/// Counters of the running gateway (Prometheus text format at /metrics).
#[derive(Debug, Default)]
pub struct Metrics {
    /// SQL statements sent to the database.
    pub sql_statements: AtomicU64,
    /// GraphQL requests executed (authenticated).
    pub graphql_requests: AtomicU64,
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let body = format!(
        "# HELP keycare_sql_statements_total SQL statements sent to the database.\n\
         # TYPE keycare_sql_statements_total counter\n\
         keycare_sql_statements_total {}\n\
         # HELP keycare_graphql_requests_total GraphQL requests executed.\n\
         # TYPE keycare_graphql_requests_total counter\n\
         keycare_graphql_requests_total {}\n",
        m.sql_statements.load(Ordering::Relaxed),
        m.graphql_requests.load(Ordering::Relaxed),
    );
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        body,
    )
}

/// Builds the router of API.md (plus the development issuer's routes when it is on).
pub fn router(state: AppState, dev_issuer: Option<Arc<DevIssuer>>) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let dev_routes = dev_issuer.map(|d| d.router()).unwrap_or_default();
    Router::new()
        .route("/graphql", get(graphiql_or_query).post(graphql))
        .route("/graphql/ws", get(crate::ws::graphql_ws))
        .merge(crate::browser::routes())
        .route("/schema.graphql", get(schema_sdl))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .merge(dev_routes)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
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
    );
    // A caller's W3C `traceparent` makes this request part of the caller's trace (when
    // traces are exported; otherwise there is nothing to join).
    crate::telemetry::join_callers_trace(&span, req.headers());
    span
}

/// Records the answer's status on the request's span, then logs as tower-http does.
fn record_status<B>(res: &Response<B>, latency: std::time::Duration, span: &tracing::Span) {
    use tower_http::trace::OnResponse;
    span.record("status", res.status().as_u16());
    tower_http::trace::DefaultOnResponse::new().on_response(res, latency, span);
}

/// Every GraphQL request carries a verified identity; without one it is refused before
/// the schema sees it.
async fn graphql(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLRequest,
) -> Response {
    match state.auth.authenticate_request(&headers).await {
        Ok(identity) => execute(&state, &headers, identity, req.into_inner()).await,
        Err(err) => rejection(&err),
    }
}

/// Runs one GraphQL request for a signed-in caller inside its unit of work: one
/// transaction (tenant set; on PostgreSQL as the application role), the caller's access
/// loaded once, committed before the response leaves.
async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    identity: Identity,
    request: async_graphql::Request,
) -> Response {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    state
        .metrics
        .graphql_requests
        .fetch_add(1, Ordering::Relaxed);
    let unit = match Request::begin(
        &state.db,
        state.policy.clone(),
        identity.clone(),
        request_id.clone(),
    )
    .await
    {
        Ok(unit) => Arc::new(unit),
        Err(e) => return internal_error(&request_id, &e),
    };
    let mut response = state
        .schema
        .execute(keycare_graphql::with_request(request.data(identity), &unit))
        .await;
    keycare_graphql::assign_codes(&mut response);
    // Resolvers are done with the unit of work: commit it before answering.
    let finished = match Arc::try_unwrap(unit) {
        Ok(unit) => unit.finish().await,
        Err(_) => Err(keycare_domain::DomainError::Db(sea_orm::DbErr::Custom(
            "the request's transaction was still in use".into(),
        ))),
    };
    if let Err(e) = finished {
        return internal_error(&request_id, &e);
    }
    GraphQLResponse::from(response).into_response()
}

/// A GraphQL error answer with code INTERNAL and the request id; details only in the log.
fn internal_error(request_id: &str, err: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %err, %request_id, "request failed");
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": format!("internal error (request {request_id})"),
            "extensions": { "code": "INTERNAL", "requestId": request_id },
        }],
    });
    (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
}

/// GraphiQL for a browser; a query in the URL is executed instead.
async fn graphiql_or_query(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if let Some(query) = uri.query().filter(|q| q.contains("query=")) {
        let identity = match state.auth.authenticate_request(&headers).await {
            Ok(identity) => identity,
            Err(err) => return rejection(&err),
        };
        return match async_graphql::http::parse_query_string(query) {
            // A query in the URL may not change anything (links can be followed by anyone).
            Ok(req) if changes_something(&req.query) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "mutations must be sent with POST /graphql",
            )
                .into_response(),
            Ok(req) => execute(&state, &headers, identity, req).await,
            Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
    }
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("KeyCare GraphiQL")
            .finish(),
    )
    .into_response()
}

/// Whether a GraphQL document holds a mutation or subscription (or cannot be parsed: the
/// executor will then say what is wrong, over POST).
fn changes_something(query: &str) -> bool {
    use async_graphql::parser::types::OperationType;
    match async_graphql::parser::parse_query(query) {
        Ok(doc) => doc
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != OperationType::Query),
        Err(_) => false,
    }
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
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting requests, finishes those in flight, and returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await??;
        Ok(())
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
    Migrator::up(&owner, None).await.context(
        "applying migrations failed; run `keycare migrate status` to see where the database stands",
    )?;
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
    let mut db =
        keycare_domain::db::connect_as_app(&config.database_url, config.max_connections).await?;
    let metrics = Arc::new(Metrics::default());
    let counter = metrics.clone();
    db.set_metric_callback(move |info| {
        counter.sql_statements.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(target: "keycare::sql", sql = %info.statement.sql, elapsed_us = info.elapsed.as_micros() as u64);
    });
    let policy = load_policy(&config).await?;
    let schema = keycare_graphql::build_schema(SchemaDeps {
        db: db.clone(),
        traced: config.telemetry.is_some(),
        outbound: {
            let policy = config.outbound.clone();
            keycare_domain::identity_providers::OutboundRule::new(move |url| policy.check(url))
        },
    });
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
    };
    tracing::info!(
        addr = %local,
        ready_ms = started.elapsed().as_millis() as u64,
        "KeyCare listening; GraphiQL at {public_url}/graphql"
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(state, dev_issuer);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Running {
        addr: local,
        public_url,
        db,
        stop,
        task,
    })
}

/// Runs the gateway until Ctrl-C or SIGTERM.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let traces = crate::telemetry::init_tracing(&config)?;
    let served = async {
        let running = start(config, demo).await?;
        println!(
            "KeyCare listening on {url} (GraphiQL at {url}/graphql)",
            url = running.public_url
        );
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
