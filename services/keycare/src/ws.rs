//! GraphQL over WebSocket (`graphql-transport-ws`, and the older `graphql-ws`). The token is
//! checked at `connection_init` with the same rules as HTTP, and the socket closes with code
//! 4401 when the token (or session) expires. Queries and mutations sent over the socket run
//! exactly as over HTTP (`operation::run`: rate, safelist, cost, their own unit of work);
//! subscriptions are costed the same way. A socket must send `connection_init` in time
//! (4408 otherwise), one user may hold only so many, and an idle one is closed.

use crate::operation::{self, Ask, Failure};
use crate::server::AppState;
use async_graphql::Data;
use async_graphql::parser::types::OperationType;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use keycare_domain::identity::Identity;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Close code sent when the credential expires during a subscription.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4401;
/// Close code of `graphql-transport-ws` for a refused `connection_init`.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// Close code of `graphql-transport-ws` when `connection_init` does not come in time.
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// Close code when a user already holds as many sockets as allowed.
pub const CLOSE_TOO_MANY: u16 = 4429;

/// Runs what a socket asks for as the identity its `connection_init` proved.
#[derive(Clone)]
struct SocketExecutor {
    state: AppState,
    identity: Arc<OnceLock<Identity>>,
}

/// Whether the operation a request runs is a subscription.
fn is_subscription(request: &async_graphql::Request) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    doc.operations.iter().any(|(name, op)| {
        op.node.ty == OperationType::Subscription
            && match (&request.operation_name, name) {
                (Some(wanted), Some(name)) => wanted == name.as_str(),
                _ => true,
            }
    })
}

impl async_graphql::Executor for SocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let mut stream = self.execute_stream(request, None);
        futures::StreamExt::next(&mut stream)
            .await
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let Some(identity) = self.identity.get().cloned() else {
            let f = Failure::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                "send connection_init with a token first",
            );
            return futures::stream::once(async move { f.into_graphql() }).boxed();
        };
        if is_subscription(&request) {
            if let Err(refusal) = keycare_graphql::cost::analyze(
                &request.query,
                &request.variables,
                &self.state.limits.cost,
            ) {
                let response =
                    async_graphql::Response::from_errors(vec![refusal.to_server_error()]);
                return futures::stream::once(async move { response }).boxed();
            }
            return self
                .state
                .schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default());
        }
        let state = self.state.clone();
        let hash = operation::persisted_hash(&request);
        futures::stream::once(async move {
            let ask = Ask {
                identity,
                request,
                hash,
                read_only: false,
                request_id: uuid::Uuid::new_v4().to_string(),
            };
            match operation::run(&state, ask, Ok).await {
                Ok(response) => response,
                Err(failure) => failure.into_graphql(),
            }
        })
        .boxed()
    }
}

/// The `Authorization` value in a `connection_init` payload (`Authorization`,
/// `authorization` or `authToken`), as a header value.
fn authorization(payload: &serde_json::Value) -> Option<String> {
    let value = ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .map(str::to_owned);
    value.or_else(|| {
        payload
            .get("authToken")
            .and_then(|v| v.as_str())
            .map(|t| format!("Bearer {t}"))
    })
}

pub async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let cookie = crate::browser::session_cookie(&headers);
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let (mut sink, stream) = socket.split();
            let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(16);
            let (expiry_tx, expiry_rx) = tokio::sync::oneshot::channel();
            let auth = state.auth.clone();
            let guard = state.guard.clone();
            let limits = state.limits.clone();
            // Set when connection_init is refused, to close with the protocol's code.
            let refused = Arc::new(std::sync::atomic::AtomicU16::new(0));
            let refused_at_init = refused.clone();
            let identity = Arc::new(OnceLock::new());
            let identity_at_init = identity.clone();
            // The socket's place among its user's sockets, held while it is open.
            let permit = Arc::new(std::sync::Mutex::new(None));
            let permit_at_init = permit.clone();
            // When anything last came in or went out (milliseconds since the socket opened).
            let opened = tokio::time::Instant::now();
            let last = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let last_in = last.clone();
            let stream = stream.inspect(move |_| {
                last_in.store(opened.elapsed().as_millis() as u64, Ordering::Relaxed);
            });
            let executor = SocketExecutor {
                state: state.clone(),
                identity: identity.clone(),
            };
            let serve = GraphQLWebSocket::new_with_pair(tx, stream, executor, protocol)
                .on_connection_init(move |payload| async move {
                    let found = match (authorization(&payload), cookie) {
                        (Some(header), _) => auth.authenticate(Some(&header)).await,
                        (None, Some(cookie)) => auth.authenticate_session(&cookie).await,
                        (None, None) => auth.authenticate(None).await,
                    };
                    let identity = found.map_err(|e| {
                        refused_at_init.store(CLOSE_FORBIDDEN, Ordering::SeqCst);
                        async_graphql::Error::new(e.to_string())
                    })?;
                    let held = guard.open_socket(identity.user_id).map_err(|_| {
                        refused_at_init.store(CLOSE_TOO_MANY, Ordering::SeqCst);
                        async_graphql::Error::new(
                            "this user holds as many websockets as allowed; close one first",
                        )
                    })?;
                    if let Ok(mut slot) = permit_at_init.lock() {
                        *slot = Some(held);
                    }
                    let _ = expiry_tx.send(identity.expires_at);
                    let mut data = Data::default();
                    data.insert(identity.clone());
                    let _ = identity_at_init.set(identity);
                    Ok(data)
                })
                .serve();
            let forward = async move {
                let close = |code: u16, reason: &'static str| {
                    Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    }))
                };
                let initialised = identity.clone();
                let expiry = async move {
                    match expiry_rx.await {
                        Ok(at) => {
                            let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
                            tokio::time::sleep(left).await;
                        }
                        Err(_) => std::future::pending::<()>().await,
                    }
                };
                tokio::pin!(expiry);
                let init_deadline = tokio::time::sleep(limits.ws_init_timeout);
                tokio::pin!(init_deadline);
                let mut idle_check = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tokio::select! {
                        msg = rx.next() => match msg {
                            Some(Message::Close(Some(frame))) if refused.load(Ordering::SeqCst) != 0 => {
                                let code = refused.load(Ordering::SeqCst);
                                let frame = CloseFrame { code, reason: frame.reason };
                                let _ = sink.send(Message::Close(Some(frame))).await;
                                break;
                            }
                            Some(m) => {
                                last.store(opened.elapsed().as_millis() as u64, Ordering::Relaxed);
                                if sink.send(m).await.is_err() { break }
                            }
                            None => break,
                        },
                        _ = &mut expiry => {
                            let _ = sink.send(close(CLOSE_TOKEN_EXPIRED, "token expired")).await;
                            break;
                        }
                        _ = &mut init_deadline, if initialised.get().is_none() => {
                            let _ = sink
                                .send(close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout"))
                                .await;
                            break;
                        }
                        _ = idle_check.tick() => {
                            let quiet = opened.elapsed().as_millis() as u64
                                - last.load(Ordering::Relaxed).min(opened.elapsed().as_millis() as u64);
                            if quiet >= limits.ws_idle_timeout.as_millis() as u64 {
                                let _ = sink.send(close(1000, "idle")).await;
                                break;
                            }
                        }
                    }
                }
            };
            tokio::pin!(serve);
            tokio::pin!(forward);
            tokio::select! {
                _ = &mut serve => forward.await,
                _ = &mut forward => {}
            }
            drop(permit);
        })
}
