//! The gateway's production settings: what an operation may cost, how long anything may
//! take, how much may be sent, how often, and which documents may run. Each has a default
//! (README: "Production settings"), a `KEYCARE_*` variable and a key of `[limits]` in
//! `keycare.toml`; a bad value stops start-up naming it.

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Which documents may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operations {
    /// Any document (automatic persisted queries may stand in for it).
    Open,
    /// Only the documents of the manifest, by their sha256.
    Safelist,
}

/// The resolved limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Cost, depth, fields, aliases, root fields, directives, tokens per operation.
    pub cost: keycare_graphql::cost::Limits,
    /// Execution deadline of one operation (then `TIMEOUT`, its transaction rolled back).
    pub operation_deadline: Duration,
    /// PostgreSQL `statement_timeout` on the gateway's connections.
    pub statement_timeout: Duration,
    /// PostgreSQL `idle_in_transaction_session_timeout` on the gateway's connections.
    pub idle_in_transaction_timeout: Duration,
    /// Largest request body (refused with 413 from `Content-Length`, or while streaming).
    pub body_max_bytes: usize,
    /// Largest GraphQL response (larger answers are replaced by an error).
    pub response_max_bytes: usize,
    /// Time to receive a request's headers; also how long an idle keep-alive connection stays.
    pub header_timeout: Duration,
    /// Time to receive a request's body.
    pub body_timeout: Duration,
    /// Requests per minute of one user (token bucket; the burst is a tenth of it, at least 10).
    pub rate_per_user: u32,
    /// Requests per minute of one council.
    pub rate_per_council: u32,
    /// Failed sign-ins per minute from one address.
    pub auth_failures_per_address: u32,
    /// GraphQL operations running at once in this replica; more are shed with 503.
    pub max_in_flight: usize,
    /// GraphQL operations of one council running at once in this replica.
    pub max_in_flight_per_council: usize,
    /// After SIGTERM: time for requests in flight to finish before they are cut.
    pub shutdown_grace: Duration,
    /// Time from a websocket's opening to its `connection_init`.
    pub ws_init_timeout: Duration,
    /// Websockets one user may hold open at once in this replica.
    pub ws_per_user: usize,
    /// A websocket with no message either way for this long is closed.
    pub ws_idle_timeout: Duration,
    /// Which documents may run.
    pub operations: Operations,
    /// The manifest of persisted documents (JSON object: sha256 → document), added to
    /// `schema/operations/`.
    pub operations_manifest: Option<PathBuf>,
    /// Whether introspection answers (default: on in development only).
    pub introspection: bool,
    /// Whether GraphiQL is served at `GET /graphql` (default: on in development only).
    pub graphiql: bool,
    /// Whether errors suggest field names ("did you mean"; default: development only).
    pub suggestions: bool,
    /// Where `/metrics` is served: its own address (production default 127.0.0.1:9464), or
    /// `None` for the main listener (development default; `metrics_addr = "main"`).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// A bearer token `/metrics` requires, if set.
    pub metrics_token: Option<String>,
}

impl Limits {
    /// The defaults: development conveniences on when `development` is.
    pub fn defaults(development: bool) -> Limits {
        Limits {
            cost: keycare_graphql::cost::Limits::default(),
            operation_deadline: Duration::from_secs(15),
            statement_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(30),
            body_max_bytes: 1024 * 1024,
            response_max_bytes: 16 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(15),
            rate_per_user: 1_200,
            rate_per_council: 12_000,
            auth_failures_per_address: 60,
            max_in_flight: 64,
            max_in_flight_per_council: 32,
            shutdown_grace: Duration::from_secs(20),
            ws_init_timeout: Duration::from_secs(10),
            ws_per_user: 8,
            ws_idle_timeout: Duration::from_secs(300),
            operations: Operations::Open,
            operations_manifest: None,
            introspection: development,
            graphiql: development,
            suggestions: development,
            metrics_addr: if development {
                None
            } else {
                Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9464)))
            },
            metrics_token: None,
        }
    }
}

/// `[limits]` of `keycare.toml`: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    cost_budget: Option<u64>,
    max_depth: Option<u64>,
    max_aliases: Option<u64>,
    max_root_fields: Option<u64>,
    max_directives: Option<u64>,
    max_tokens: Option<u64>,
    operation_deadline_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    idle_in_transaction_timeout_ms: Option<u64>,
    body_max_bytes: Option<u64>,
    response_max_bytes: Option<u64>,
    header_timeout_ms: Option<u64>,
    body_timeout_ms: Option<u64>,
    rate_per_user: Option<u64>,
    rate_per_council: Option<u64>,
    auth_failures_per_address: Option<u64>,
    max_in_flight: Option<u64>,
    max_in_flight_per_council: Option<u64>,
    shutdown_grace_ms: Option<u64>,
    ws_init_timeout_ms: Option<u64>,
    ws_per_user: Option<u64>,
    ws_idle_timeout_ms: Option<u64>,
    operations: Option<String>,
    operations_manifest: Option<PathBuf>,
    introspection: Option<bool>,
    graphiql: Option<bool>,
    suggestions: Option<bool>,
    metrics_addr: Option<String>,
    metrics_token: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A whole number from `KEYCARE_<KEY>` or the file, at least `min`.
fn number(key: &str, file: Option<u64>, default: u64, min: u64) -> anyhow::Result<u64> {
    let var = format!("KEYCARE_{}", key.to_ascii_uppercase());
    let value = match env(&var) {
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| anyhow!("setting {key} ({var}): {v:?} is not a whole number"))?,
        None => file.unwrap_or(default),
    };
    if value < min {
        bail!("setting {key} ({var}): {value} is less than {min}");
    }
    Ok(value)
}

fn millis(key: &str, file: Option<u64>, default: Duration) -> anyhow::Result<Duration> {
    number(key, file, default.as_millis() as u64, 1).map(Duration::from_millis)
}

fn switch(key: &str, file: Option<bool>, default: bool) -> anyhow::Result<bool> {
    let var = format!("KEYCARE_{}", key.to_ascii_uppercase());
    match env(&var) {
        Some(v) => match v.as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => bail!("setting {key} ({var}): {v:?} is not true or false"),
        },
        None => Ok(file.unwrap_or(default)),
    }
}

impl LimitsFile {
    /// The limits: environment, then this file, then the defaults.
    pub fn resolve(self, development: bool) -> anyhow::Result<Limits> {
        let d = Limits::defaults(development);
        let f = self;
        let size = |key: &str, file: Option<u64>, default: usize| -> anyhow::Result<usize> {
            usize::try_from(number(key, file, default as u64, 1)?)
                .with_context(|| format!("setting {key}: too large"))
        };
        let operations = match env("KEYCARE_OPERATIONS").or(f.operations) {
            None => d.operations,
            Some(v) => match v.as_str() {
                "open" => Operations::Open,
                "safelist" => Operations::Safelist,
                other => bail!(
                    "setting operations (KEYCARE_OPERATIONS): {other:?} is not one of open, safelist"
                ),
            },
        };
        let limits = Limits {
            cost: keycare_graphql::cost::Limits {
                budget: number("cost_budget", f.cost_budget, d.cost.budget, 1)?,
                max_depth: number("max_depth", f.max_depth, d.cost.max_depth, 1)?,
                max_fields: d.cost.max_fields,
                max_aliases: number("max_aliases", f.max_aliases, d.cost.max_aliases, 0)?,
                max_root_fields: number(
                    "max_root_fields",
                    f.max_root_fields,
                    d.cost.max_root_fields,
                    1,
                )?,
                max_directives: number(
                    "max_directives",
                    f.max_directives,
                    d.cost.max_directives,
                    0,
                )?,
                max_tokens: number("max_tokens", f.max_tokens, d.cost.max_tokens, 1)?,
            },
            operation_deadline: millis(
                "operation_deadline_ms",
                f.operation_deadline_ms,
                d.operation_deadline,
            )?,
            statement_timeout: millis(
                "statement_timeout_ms",
                f.statement_timeout_ms,
                d.statement_timeout,
            )?,
            idle_in_transaction_timeout: millis(
                "idle_in_transaction_timeout_ms",
                f.idle_in_transaction_timeout_ms,
                d.idle_in_transaction_timeout,
            )?,
            body_max_bytes: size("body_max_bytes", f.body_max_bytes, d.body_max_bytes)?,
            response_max_bytes: size(
                "response_max_bytes",
                f.response_max_bytes,
                d.response_max_bytes,
            )?,
            header_timeout: millis("header_timeout_ms", f.header_timeout_ms, d.header_timeout)?,
            body_timeout: millis("body_timeout_ms", f.body_timeout_ms, d.body_timeout)?,
            rate_per_user: number("rate_per_user", f.rate_per_user, d.rate_per_user.into(), 1)?
                .try_into()
                .context("setting rate_per_user: too large")?,
            rate_per_council: number(
                "rate_per_council",
                f.rate_per_council,
                d.rate_per_council.into(),
                1,
            )?
            .try_into()
            .context("setting rate_per_council: too large")?,
            auth_failures_per_address: number(
                "auth_failures_per_address",
                f.auth_failures_per_address,
                d.auth_failures_per_address.into(),
                1,
            )?
            .try_into()
            .context("setting auth_failures_per_address: too large")?,
            max_in_flight: size("max_in_flight", f.max_in_flight, d.max_in_flight)?,
            max_in_flight_per_council: size(
                "max_in_flight_per_council",
                f.max_in_flight_per_council,
                d.max_in_flight_per_council,
            )?,
            shutdown_grace: millis("shutdown_grace_ms", f.shutdown_grace_ms, d.shutdown_grace)?,
            ws_init_timeout: millis(
                "ws_init_timeout_ms",
                f.ws_init_timeout_ms,
                d.ws_init_timeout,
            )?,
            ws_per_user: size("ws_per_user", f.ws_per_user, d.ws_per_user)?,
            ws_idle_timeout: millis(
                "ws_idle_timeout_ms",
                f.ws_idle_timeout_ms,
                d.ws_idle_timeout,
            )?,
            operations,
            operations_manifest: env("KEYCARE_OPERATIONS_MANIFEST")
                .map(PathBuf::from)
                .or(f.operations_manifest),
            introspection: switch("introspection", f.introspection, d.introspection)?,
            graphiql: switch("graphiql", f.graphiql, d.graphiql)?,
            suggestions: switch("suggestions", f.suggestions, d.suggestions)?,
            metrics_addr: match env("KEYCARE_METRICS_ADDR").or(f.metrics_addr).as_deref() {
                None => d.metrics_addr,
                Some("main") => None,
                Some(a) => Some(a.parse().map_err(|_| {
                    anyhow!(
                        "setting metrics_addr (KEYCARE_METRICS_ADDR): {a:?} is not a socket address such as 0.0.0.0:9464, or main"
                    )
                })?),
            },
            metrics_token: env("KEYCARE_METRICS_TOKEN").or(f.metrics_token),
        };
        if limits.operations == Operations::Safelist && limits.operations_manifest.is_none() {
            tracing::info!(
                "safelist mode with the built-in operations of schema/operations/ only (no operations_manifest)"
            );
        }
        Ok(limits)
    }
}
