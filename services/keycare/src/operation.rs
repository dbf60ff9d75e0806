//! One GraphQL operation of a signed-in caller, from its document to its committed answer,
//! the same over HTTP and over a websocket. Before anything touches the database: the
//! caller's rate, the document (persisted or listed), its cost, a place among the
//! operations running now. Then its unit of work: one transaction (tenant set; on PostgreSQL
//! as the application role), the caller's access loaded once, committed before the answer
//! leaves, or rolled back when the deadline passes or the answer is refused.

use crate::guard::Refused;
use crate::server::AppState;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keycare_domain::DomainError;
use keycare_domain::identity::Identity;
use keycare_domain::request::Request;
use std::sync::Arc;
use std::time::Duration;

/// Why an operation did not run (or its answer was not given): the HTTP status, the code of
/// API.md, a message for the caller, figures for `extensions`, and when to come back.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status,
            code,
            message: message.into(),
            extra: serde_json::Map::new(),
            retry_after: None,
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<serde_json::Value>) -> Failure {
        self.extra.insert(key.into(), value.into());
        self
    }

    pub fn bad_input(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure::new(status, "BAD_USER_INPUT", message)
    }

    /// 503 `UNAVAILABLE`, to be tried again after `after`.
    pub fn unavailable(message: impl Into<String>, after: Duration) -> Failure {
        let mut f = Failure::new(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", message);
        f.retry_after = Some(after);
        f
    }

    /// 500 `INTERNAL` with the request id; the detail goes to the log only.
    pub fn internal(request_id: &str, err: &dyn std::fmt::Display) -> Failure {
        tracing::error!(error = %err, %request_id, "request failed");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            format!("internal error (request {request_id})"),
        )
        .with("requestId", request_id)
    }

    fn extensions(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut ext = serde_json::Map::new();
        ext.insert("code".into(), self.code.into());
        ext.extend(self.extra.clone());
        ext
    }

    /// The HTTP answer: a GraphQL body of one error, with `Retry-After` when it applies.
    pub fn into_http(self) -> Response {
        let body = serde_json::json!({
            "data": null,
            "errors": [{ "message": self.message, "extensions": self.extensions() }],
        });
        let mut res = (self.status, Json(body)).into_response();
        if let Some(after) = self.retry_after {
            let secs = (after.as_secs() + u64::from(after.subsec_nanos() > 0)).max(1);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }

    /// The same as a GraphQL response (over a websocket, where there is no status).
    pub fn into_graphql(self) -> async_graphql::Response {
        let mut err = async_graphql::ServerError::new(self.message.clone(), None);
        let mut ext = async_graphql::ErrorExtensionValues::default();
        for (k, v) in self.extensions() {
            if let Ok(v) = async_graphql::Value::from_json(v) {
                ext.set(k, v);
            }
        }
        err.extensions = Some(ext);
        async_graphql::Response::from_errors(vec![err])
    }
}

impl From<Refused> for Failure {
    fn from(refused: Refused) -> Failure {
        match refused {
            Refused::RateLimited { scope, retry_after } => {
                let mut f = Failure::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "RATE_LIMITED",
                    format!("too many requests for this {scope}; try again shortly"),
                )
                .with("scope", scope)
                .with("retryAfterMs", retry_after.as_millis() as u64);
                f.retry_after = Some(retry_after);
                f
            }
            Refused::Busy { retry_after } => {
                Failure::unavailable("the gateway is at capacity; try again shortly", retry_after)
            }
        }
    }
}

/// Whether a database error means the database cannot be reached (rather than a fault).
pub fn outage(err: &DomainError) -> bool {
    matches!(
        err,
        DomainError::Db(sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_))
    )
}

fn database_unavailable(request_id: &str, err: &DomainError) -> Failure {
    tracing::error!(error = %err, %request_id, "database unavailable");
    Failure::unavailable(
        "the database is unavailable; try again shortly",
        Duration::from_secs(5),
    )
}

/// Where a request's text holds a NUL character, which no database column stores (PostgreSQL
/// refuses it): the variable's name, or `query` for a literal in the document.
fn nul_character(request: &async_graphql::Request) -> Option<String> {
    fn holds(value: &async_graphql::Value) -> bool {
        match value {
            async_graphql::Value::String(s) => s.contains('\0'),
            async_graphql::Value::List(items) => items.iter().any(holds),
            async_graphql::Value::Object(map) => {
                map.iter().any(|(k, v)| k.contains('\0') || holds(v))
            }
            _ => false,
        }
    }
    if request.query.contains('\0') || request.query.to_ascii_lowercase().contains("\\u0000") {
        return Some("query".to_owned());
    }
    request
        .variables
        .iter()
        .find(|(_, v)| holds(v))
        .map(|(name, _)| name.to_string())
}

/// The sha256 of a persisted document a request names in `extensions.persistedQuery`
/// (Apollo's automatic persisted queries).
pub fn persisted_hash(request: &async_graphql::Request) -> Option<String> {
    let async_graphql::Value::Object(pq) = request.extensions.get("persistedQuery")? else {
        return None;
    };
    match pq.get("sha256Hash")? {
        async_graphql::Value::String(hash) => Some(hash.clone()),
        _ => None,
    }
}

/// What a caller asks for, and how.
pub struct Ask {
    pub identity: Identity,
    pub request: async_graphql::Request,
    /// The persisted document's sha256 the request names, if any.
    pub hash: Option<String>,
    /// A GET from a URL: nothing may change.
    pub read_only: bool,
    pub request_id: String,
}

/// What is learnt of an operation as it runs, for its metrics and its log line.
#[derive(Debug, Default)]
struct Facts {
    name: Option<String>,
    kind: &'static str,
    /// The codes of the errors its response carried.
    codes: Vec<String>,
}

/// Runs one operation. `answer` sees the response before the unit of work is committed and
/// may refuse it (too large to send): then nothing the operation did is kept. Its duration
/// is recorded by name, type and outcome, its errors by code, and its name and council on
/// the request's span (so the request's log line carries them).
pub async fn run<T>(
    state: &AppState,
    ask: Ask,
    answer: impl FnOnce(async_graphql::Response) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let started = std::time::Instant::now();
    let span = tracing::Span::current();
    span.record("council", ask.identity.tenant_id.to_string());
    let mut facts = Facts {
        name: ask.request.operation_name.clone(),
        kind: "query",
        codes: Vec::new(),
    };
    let result = run_inner(state, ask, answer, &mut facts).await;
    let outcome = match &result {
        Ok(_) if facts.codes.is_empty() => "ok",
        Ok(_) => "error",
        Err(f) if f.code == "TIMEOUT" => "timeout",
        Err(f)
            if matches!(
                f.code,
                "RATE_LIMITED" | "UNAVAILABLE" | "QUERY_TOO_COMPLEX" | "PERSISTED_QUERY_NOT_FOUND"
            ) =>
        {
            "refused"
        }
        Err(_) => "error",
    };
    if let Err(f) = &result {
        facts.codes.push(f.code.to_owned());
    }
    let metrics = &state.metrics;
    for code in &facts.codes {
        metrics
            .errors
            .get_or_create(&crate::metrics::CodeLabel { code: code.clone() })
            .inc();
    }
    let name = facts.name.as_deref().unwrap_or_default();
    metrics.operation(name, facts.kind, outcome, started.elapsed());
    span.record("graphql.operation.name", name);
    span.record("graphql.operation.type", facts.kind);
    span.record("outcome", outcome);
    result
}

async fn run_inner<T>(
    state: &AppState,
    ask: Ask,
    answer: impl FnOnce(async_graphql::Response) -> Result<T, Failure>,
    facts: &mut Facts,
) -> Result<T, Failure> {
    let Ask {
        identity,
        mut request,
        hash,
        read_only,
        request_id,
    } = ask;
    let metrics = &state.metrics;
    if let Err(refused) = state.guard.admit(identity.user_id, identity.tenant_id) {
        metrics.refuse("rate_limited");
        return Err(refused.into());
    }
    request.query = state
        .persisted
        .resolve(&request.query, hash.as_deref())
        .map_err(|e| Failure::new(StatusCode::OK, e.code(), e.to_string()))?;
    if let Some(field) = nul_character(&request) {
        return Err(Failure::bad_input(
            StatusCode::OK,
            format!("{field}: text may not contain the NUL character (\\u0000)"),
        )
        .with("field", field));
    }
    let cost = keycare_graphql::cost::analyze_operation(
        &request.query,
        request.operation_name.as_deref(),
        &request.variables,
        &state.limits.cost,
    )
    .map_err(|refusal| {
        metrics.refuse("too_complex");
        let err = refusal.to_server_error();
        let mut f = Failure::new(
            StatusCode::OK,
            if matches!(refusal, keycare_graphql::cost::Refusal::TooComplex { .. }) {
                "QUERY_TOO_COMPLEX"
            } else {
                "BAD_USER_INPUT"
            },
            err.message,
        );
        if let Some(ext) = err.extensions
            && let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&ext)
        {
            f.extra = map;
            f.extra.remove("code");
        }
        f
    })?;
    facts.name = cost.operation.clone().or(facts.name.take());
    facts.kind = cost.kind;
    // A query in the URL may not change anything (links can be followed by anyone).
    if read_only && cost.kind != "query" {
        return Err(Failure::bad_input(
            StatusCode::METHOD_NOT_ALLOWED,
            "mutations must be sent with POST /graphql",
        ));
    }
    let _running = state.guard.start(identity.tenant_id).map_err(|refused| {
        metrics.refuse("shed");
        Failure::from(refused)
    })?;
    metrics.graphql_requests.inc();
    let unit = match Request::begin(
        &state.db,
        state.policy.clone(),
        identity.clone(),
        request_id.clone(),
    )
    .await
    {
        Ok(unit) => Arc::new(unit),
        // The account was deactivated, or is gone, since the credential was checked.
        Err(DomainError::Forbidden(m)) => {
            return Err(Failure::new(StatusCode::FORBIDDEN, "FORBIDDEN", m));
        }
        Err(DomainError::Unauthenticated(m)) => {
            return Err(Failure::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", m));
        }
        Err(e) if outage(&e) => return Err(database_unavailable(&request_id, &e)),
        Err(e) => return Err(Failure::internal(&request_id, &e)),
    };
    let deadline = state.limits.operation_deadline;
    let executed = tokio::time::timeout(
        deadline,
        state
            .schema
            .execute(keycare_graphql::with_request(request.data(identity), &unit)),
    )
    .await;
    let Ok(mut response) = executed else {
        // The execution is dropped with its hold on the unit of work; dropping the unit
        // rolls its transaction back and returns the connection.
        drop(unit);
        metrics.timeouts.inc();
        let ms = deadline.as_millis() as u64;
        tracing::warn!(%request_id, deadline_ms = ms, "operation passed its deadline");
        return Err(Failure::new(
            StatusCode::OK,
            "TIMEOUT",
            format!("the operation did not finish within {ms} ms; nothing was changed"),
        )
        .with("deadlineMs", ms));
    };
    keycare_graphql::assign_codes(&mut response);
    facts.codes = response
        .errors
        .iter()
        .filter_map(|e| match e.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        })
        .collect();
    response.extensions.insert("cost".into(), cost.to_value());
    let answered = answer(response)?;
    // Resolvers are done with the unit of work: commit it before answering.
    let committing = std::time::Instant::now();
    let finished = match Arc::try_unwrap(unit) {
        Ok(unit) => unit.finish().await,
        Err(_) => Err(DomainError::Db(sea_orm::DbErr::Custom(
            "the request's transaction was still in use".into(),
        ))),
    };
    metrics
        .commit_seconds
        .observe(committing.elapsed().as_secs_f64());
    match finished {
        Ok(()) => Ok(answered),
        Err(e) if outage(&e) => Err(database_unavailable(&request_id, &e)),
        Err(e) => Err(Failure::internal(&request_id, &e)),
    }
}

/// The HTTP answer of an operation: its JSON, unless larger than `max` bytes.
pub async fn over_http(state: &AppState, ask: Ask) -> Response {
    let max = state.limits.response_max_bytes;
    let request_id = ask.request_id.clone();
    let answered = run(state, ask, |mut response| {
        let headers = std::mem::take(&mut response.http_headers);
        let body =
            serde_json::to_vec(&response).map_err(|e| Failure::internal(&request_id, &e))?;
        if body.len() > max {
            return Err(Failure::new(
                StatusCode::OK,
                "QUERY_TOO_COMPLEX",
                format!(
                    "the answer would be {} bytes, more than the limit of {max}: ask for fewer rows or fields",
                    body.len()
                ),
            )
            .with("bytes", body.len() as u64)
            .with("limit", max as u64));
        }
        Ok((headers, body))
    })
    .await;
    match answered {
        Ok((headers, body)) => {
            let mut res = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            for (name, value) in headers.iter() {
                res.headers_mut().append(name.clone(), value.clone());
            }
            res
        }
        Err(failure) => failure.into_http(),
    }
}
