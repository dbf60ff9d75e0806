//! GraphQL subscriptions over WebSocket (`graphql-transport-ws`, and the older
//! `graphql-ws`). The token is checked at `connection_init` with the same rules as HTTP, and
//! the socket closes with code 4401 when the token (or session) expires.

use crate::server::AppState;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Close code sent when the credential expires during a subscription.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4401;
/// Close code of `graphql-transport-ws` for a refused `connection_init`.
pub const CLOSE_FORBIDDEN: u16 = 4403;

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
            // Set when connection_init is refused, to close with the protocol's 4403.
            let refused = Arc::new(AtomicBool::new(false));
            let refused_at_init = refused.clone();
            let serve = GraphQLWebSocket::new_with_pair(tx, stream, state.schema.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let identity = match (authorization(&payload), cookie) {
                        (Some(header), _) => auth.authenticate(Some(&header)).await,
                        (None, Some(cookie)) => auth.authenticate_session(&cookie).await,
                        (None, None) => auth.authenticate(None).await,
                    }
                    .map_err(|e| {
                        refused_at_init.store(true, Ordering::SeqCst);
                        async_graphql::Error::new(e.to_string())
                    })?;
                    let _ = expiry_tx.send(identity.expires_at);
                    let mut data = Data::default();
                    data.insert(identity);
                    Ok(data)
                })
                .serve();
            let forward = async move {
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
                loop {
                    tokio::select! {
                        msg = rx.next() => match msg {
                            Some(Message::Close(Some(frame))) if refused.load(Ordering::SeqCst) => {
                                let frame = CloseFrame { code: CLOSE_FORBIDDEN, reason: frame.reason };
                                let _ = sink.send(Message::Close(Some(frame))).await;
                                break;
                            }
                            Some(m) => if sink.send(m).await.is_err() { break },
                            None => break,
                        },
                        _ = &mut expiry => {
                            let _ = sink
                                .send(Message::Close(Some(CloseFrame {
                                    code: CLOSE_TOKEN_EXPIRED,
                                    reason: "token expired".into(),
                                })))
                                .await;
                            break;
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
        })
}
