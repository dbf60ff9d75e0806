//! Subscriptions authenticate at `connection_init` and close when the token expires.

use crate::app::TestApp;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn connect(
    app: &TestApp,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    connect_to(&app.base).await
}

/// A `graphql-transport-ws` socket to the gateway at `base`.
pub async fn connect_to(
    base: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/graphql/ws", base.replacen("http", "ws", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connects")
        .0
}

/// The next JSON message, or the close code.
pub async fn next_json<S>(ws: &mut S) -> Result<Value, Option<u16>>
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            _ => return Err(None),
        }
    }
}

#[tokio::test]
async fn a_subscription_is_authenticated_at_connection_init_and_closed_at_expiry() {
    let app = TestApp::spawn().await;
    let exp = chrono::Utc::now().timestamp() + 3;
    let token = app.token("alice", |c| c["exp"] = json!(exp));
    let mut ws = connect(&app).await;
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
    ws.send(Message::Text(json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription { sessionExpiresIn }"}}).to_string().into())).await.unwrap();
    let first = next_json(&mut ws).await.unwrap();
    assert_eq!(first["type"], "next", "{first}");
    let left = first["payload"]["data"]["sessionExpiresIn"]
        .as_i64()
        .unwrap();
    assert!((0..=3).contains(&left), "{first}");
    // The token expires: the server closes the socket with 4401.
    let closed = loop {
        match next_json(&mut ws).await {
            Ok(_) => continue,
            Err(code) => break code,
        }
    };
    assert_eq!(closed, Some(4401));
    app.stop().await;
}

#[tokio::test]
async fn a_subscription_with_a_bad_token_is_refused_at_connection_init() {
    let app = TestApp::spawn().await;
    let mut ws = connect(&app).await;
    ws.send(Message::Text(
        json!({"type": "connection_init", "payload": {"Authorization": "Bearer nonsense"}})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let closed = next_json(&mut ws).await;
    assert!(matches!(closed, Err(Some(4403))), "{closed:?}");
    app.stop().await;
}
