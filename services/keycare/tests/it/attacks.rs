//! The gateway as a hostile client would try it, each case a row of issue 10: what must be
//! refused, how, and that everyone else goes on being served meanwhile. Loopback only;
//! every loop is bounded in count and time.

use crate::demo_app::{DemoApp, code};
use crate::statements::{counter, statements};
use crate::ws::{connect_to, next_json as ws_next};
use futures::SinkExt;
use keycare::limits::Operations;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const KEYCARER: &str = "keycarer.oak@northshire.example";
const MANAGER: &str = "manager.oak@northshire.example";
const DPO: &str = "dpo@northshire.example";

/// A document whose fragments each spread the one before twice: 2^levels expansions.
fn fan_out(levels: u32) -> String {
    let mut doc = format!("query {{ me {{ ...F{levels} }} }}\nfragment F0 on Me {{ name }}\n");
    for i in 1..=levels {
        doc.push_str(&format!(
            "fragment F{i} on Me {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    doc
}

async fn operations_begun(app: &DemoApp) -> u64 {
    counter(app, "keycare_graphql_requests_total").await
}

/// Sends raw bytes on a fresh connection and reads whatever comes back within `wait`.
async fn raw(app: &DemoApp, bytes: &[u8], wait: Duration) -> (String, bool) {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    // The gateway may answer and close before it has taken everything.
    let _ = tcp.write_all(bytes).await;
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(wait, tcp.read_to_end(&mut buf))
        .await
        .is_ok();
    (String::from_utf8_lossy(&buf).into_owned(), closed)
}

#[tokio::test]
async fn fragment_fan_out_is_refused_before_any_statement_and_others_go_on() {
    let app = DemoApp::spawn().await;
    // What authentication alone costs: a document that does not parse (the most of three:
    // the issuer directory is cached, so sign-in's statements vary by one or two).
    let mut sign_in = 0;
    for _ in 0..3 {
        let before = statements(&app).await;
        let (_, body) = app.gql(KEYCARER, "{ me { ", json!({})).await;
        assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
        sign_in = sign_in.max(statements(&app).await - before);
    }

    for levels in [20, 30, 40] {
        let (before, begun) = (statements(&app).await, operations_begun(&app).await);
        let started = Instant::now();
        let (status, body) = app.gql(KEYCARER, &fan_out(levels), json!({})).await;
        let took = started.elapsed();
        println!("fan-out 2^{levels}: refused in {} ms", took.as_millis());
        assert_eq!(status, 200);
        assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
        let ext = &body["errors"][0]["extensions"];
        assert!(ext["limit"].is_string(), "{body}");
        assert!(took < Duration::from_secs(2), "2^{levels} took {took:?}");
        assert!(
            statements(&app).await - before <= sign_in,
            "only sign-in touched the database"
        );
        assert_eq!(operations_begun(&app).await, begun, "no unit of work began");
    }

    // While an attacker keeps sending fan-outs, another user is served.
    let attacker = {
        let doc = fan_out(40);
        let (http, base, token) = (app.http.clone(), app.base.clone(), app.token(KEYCARER));
        tokio::spawn(async move {
            for _ in 0..40 {
                let _ = http
                    .post(format!("{base}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({ "query": doc }))
                    .send()
                    .await;
            }
        })
    };
    for _ in 0..10 {
        let started = Instant::now();
        let (status, body) = app.gql(MANAGER, "{ me { name } }", json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["errors"].is_null(), "{body}");
        println!(
            "manager during attack: {} ms",
            started.elapsed().as_millis()
        );
    }
    attacker.await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn aliases_pages_and_exports_are_costed_before_they_run() {
    let app = DemoApp::spawn().await;
    // Lists of the largest page under aliases.
    let one = "children(first: 200) { edges { node { id legalName dailyLogs(first: 200) { edges { node { text } } } } } }";
    let doc = format!(
        "{{ {} }}",
        (0..20)
            .map(|i| format!("a{i}: {one}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (_, body) = app.gql(MANAGER, &doc, json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    let ext = &body["errors"][0]["extensions"];
    assert!(
        ext["cost"].as_u64().unwrap() > ext["budget"].as_u64().unwrap(),
        "{body}"
    );

    // A hundred subject access exports under aliases: refused, nothing logged.
    let bomb = format!(
        "{{ {} }}",
        (0..100)
            .map(|i| format!("e{i}: subjectAccessExport(childId: \"x\")"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (_, body) = app.gql(DPO, &bomb, json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    let two = r#"{ a: subjectAccessExport(childId: "x") b: subjectAccessExport(childId: "y") }"#;
    let (_, body) = app.gql(DPO, two, json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["limit"],
        "subject access exports"
    );

    // An accepted operation says what it cost.
    let (_, body) = app
        .gql(
            MANAGER,
            "{ children(first: 5) { edges { node { legalName } } } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let cost = &body["extensions"]["cost"];
    assert!(cost["requested"].as_u64().unwrap() > 5, "{body}");
    assert_eq!(cost["budget"], 100_000);

    // Depth past the limit is QUERY_TOO_COMPLEX too.
    let deep = format!("{{ me {}{} }}", "{ tenant ".repeat(20), "}".repeat(20));
    let (_, body) = app.gql(MANAGER, &deep, json!({})).await;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn large_bodies_are_refused_before_they_are_read() {
    let app = DemoApp::spawn().await;
    let token = app.token(KEYCARER);
    for auth in [String::new(), format!("Authorization: Bearer {token}\r\n")] {
        // 50 MB announced, none sent: the answer comes without waiting for the body.
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
        );
        let (answer, _) = raw(&app, head.as_bytes(), Duration::from_secs(3)).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    }
    // Chunked, so no length is announced: an anonymous caller is refused before the body is
    // read; a signed-in one is cut at the limit while it streams.
    let chunk = format!("100000\r\n{}\r\n", "x".repeat(0x100000));
    let head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let (answer, _) = raw(&app, head.as_bytes(), Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    let mut signed_in = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    for _ in 0..3 {
        signed_in.extend_from_slice(chunk.as_bytes());
    }
    let (answer, _) = raw(&app, &signed_in, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed() {
    let app = DemoApp::spawn_with(|c| {
        c.limits.header_timeout = Duration::from_millis(500);
        c.limits.body_timeout = Duration::from_millis(500);
    })
    .await;
    // Headers that never finish, and a socket that says nothing.
    for bytes in [&b"POST /graphql HTTP/1.1\r\nHost: x\r\n"[..], &b""[..]] {
        let started = Instant::now();
        let (_, closed) = raw(&app, bytes, Duration::from_secs(5)).await;
        assert!(closed, "the gateway closed the connection");
        println!("closed after {} ms", started.elapsed().as_millis());
    }
    // A body that stalls.
    let token = app.token(KEYCARER);
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"query\""
    );
    let (answer, closed) = raw(&app, head.as_bytes(), Duration::from_secs(5)).await;
    assert!(closed, "{answer}");
    assert!(
        answer.starts_with("HTTP/1.1 408") || answer.is_empty(),
        "{answer}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_user_past_their_rate_is_told_to_wait_and_then_served_again() {
    let app = DemoApp::spawn_with(|c| c.limits.rate_per_user = 60).await;
    let mut limited = None;
    for _ in 0..20 {
        let (status, body) = app.gql(KEYCARER, "{ me { name } }", json!({})).await;
        if status == 429 {
            limited = Some(body);
            break;
        }
    }
    let body = limited.expect("the 11th request within a second is limited");
    assert_eq!(code(&body), Some("RATE_LIMITED"), "{body}");
    let wait = body["errors"][0]["extensions"]["retryAfterMs"]
        .as_u64()
        .unwrap();
    assert!(wait <= 1_000, "{body}");
    // Someone else is not limited by it.
    let (status, _) = app.gql(MANAGER, "{ me { name } }", json!({})).await;
    assert_eq!(status, 200);
    // The header says when; after it, the user is served again.
    let res = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.token(KEYCARER))
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    if res.status() == 429 {
        assert!(res.headers().contains_key("retry-after"));
    }
    tokio::time::sleep(Duration::from_millis(wait + 1_100)).await;
    let (status, body) = app.gql(KEYCARER, "{ me { name } }", json!({})).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

async fn post(app: &DemoApp, email: &str, body: Value) -> Value {
    app.http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.token(email))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn sha256(text: &str) -> String {
    keycare::persisted::sha256_hex(text)
}

#[tokio::test]
async fn automatic_persisted_queries_and_the_safelist() {
    let app = DemoApp::spawn().await;
    let doc = "{ me { name } }";
    let pq = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(doc) } });
    let body = post(&app, KEYCARER, json!({ "extensions": pq })).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"), "{body}");
    let body = post(&app, KEYCARER, json!({ "query": doc, "extensions": pq })).await;
    assert!(body["errors"].is_null(), "{body}");
    let body = post(&app, KEYCARER, json!({ "extensions": pq })).await;
    assert!(body["data"]["me"]["name"].is_string(), "{body}");
    // A GET with only the hash, as a CDN would cache it.
    let url = format!(
        "{}/graphql?extensions={}",
        app.base,
        urlencode(&pq.to_string())
    );
    let res = app
        .http
        .get(url)
        .bearer_auth(app.token(KEYCARER))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["data"]["me"].is_object(), "{body}");
    app.stop().await;

    let app = DemoApp::spawn_with(|c| c.limits.operations = Operations::Safelist).await;
    let body = post(&app, KEYCARER, json!({ "query": doc })).await;
    assert_eq!(code(&body), Some("FORBIDDEN"), "{body}");
    let body = post(&app, KEYCARER, json!({ "extensions": pq })).await;
    assert_eq!(code(&body), Some("PERSISTED_QUERY_NOT_FOUND"), "{body}");
    let listed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../schema/operations/key_carer/my_key_children.graphql"),
    )
    .unwrap();
    let by_hash = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(&listed) } });
    let body = post(&app, KEYCARER, json!({ "extensions": by_hash })).await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(body["data"].is_object(), "{body}");
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn cross_site_requests_are_refused_and_answers_carry_security_headers() {
    let app = DemoApp::spawn().await;
    let token = app.token(KEYCARER);
    for ty in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .http
            .post(format!("{}/graphql", app.base))
            .bearer_auth(&token)
            .header("content-type", ty)
            .body(r#"{"query":"{ me { name } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{ty}");
    }
    // A GET without a token or a preflight header (a link, an <img>) runs nothing.
    let res = app
        .http
        .get(format!("{}/graphql?query=%7Bme%7Bname%7D%7D", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    // A mutation in a URL is refused even with a token (a link must not change anything).
    let mutation = urlencode("mutation { saveWeeklyPlan(input: {}) { weeklyPlan { id } } }");
    let res = app
        .http
        .get(format!("{}/graphql?query={mutation}", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let res = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    let h = res.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(
        !h.contains_key("strict-transport-security"),
        "not over https"
    );
    app.stop().await;
}

#[tokio::test]
async fn production_turns_off_introspection_graphiql_and_suggestions() {
    let app = DemoApp::spawn_with(|c| {
        c.limits.introspection = false;
        c.limits.graphiql = false;
        c.limits.suggestions = false;
    })
    .await;
    let (_, body) = app
        .gql(KEYCARER, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let (_, body) = app.gql(KEYCARER, "{ me { nam } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let res = app
        .http
        .get(format!("{}/graphql", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn an_operation_past_its_deadline_is_cut_and_the_gateway_goes_on() {
    let app = DemoApp::spawn_with(|c| c.limits.operation_deadline = Duration::from_millis(1)).await;
    let mut timeouts = 0;
    // More than the pool holds: each cut operation gives its connection back.
    for _ in 0..12 {
        let (_, body) = app
            .gql(
                MANAGER,
                "{ children(first: 50) { edges { node { legalName dueItems(first: 20) { edges { node { rule } } } } } } }",
                json!({}),
            )
            .await;
        match code(&body) {
            Some("TIMEOUT") => timeouts += 1,
            None => {}
            other => panic!("{other:?}: {body}"),
        }
    }
    assert!(timeouts > 0, "a 1 ms deadline cuts some operations");
    app.stop().await;
}

#[tokio::test]
async fn queries_over_a_websocket_run_as_over_http() {
    let app = DemoApp::spawn_with(|c| {
        c.limits.ws_init_timeout = Duration::from_millis(500);
        c.limits.ws_per_user = 1;
    })
    .await;
    let mut ws = connect_to(&app.base).await;
    let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {}", app.token(KEYCARER))}});
    ws.send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut ws).await.unwrap()["type"], "connection_ack");
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": "{ me { name } children(filter: { myKeyChildren: true }) { edges { node { legalName } } } }"}});
    ws.send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    let next = ws_next(&mut ws).await.unwrap();
    assert_eq!(next["type"], "next", "{next}");
    assert!(next["payload"]["errors"].is_null(), "{next}");
    assert!(next["payload"]["data"]["me"]["name"].is_string(), "{next}");
    assert!(next["payload"]["extensions"]["cost"].is_object(), "{next}");
    // A fan-out is refused there too, with its code.
    let bomb = json!({"id": "2", "type": "subscribe", "payload": {"query": fan_out(30)}});
    ws.send(Message::Text(bomb.to_string().into()))
        .await
        .unwrap();
    loop {
        let msg = ws_next(&mut ws).await.unwrap();
        if msg["id"] == "2" && msg["type"] != "complete" {
            let code = msg["payload"]["errors"][0]["extensions"]["code"]
                .as_str()
                .or(msg["payload"][0]["extensions"]["code"].as_str());
            assert_eq!(code, Some("QUERY_TOO_COMPLEX"), "{msg}");
            break;
        }
    }
    // One socket per user here: a second is refused at connection_init.
    let mut second = connect_to(&app.base).await;
    second
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    assert_eq!(ws_next(&mut second).await, Err(Some(4429)));
    // A socket that never says connection_init is closed.
    let mut silent = connect_to(&app.base).await;
    assert_eq!(ws_next(&mut silent).await, Err(Some(4408)));
    app.stop().await;
}

#[tokio::test]
async fn nul_characters_and_long_searches_are_bad_input() {
    let app = DemoApp::spawn().await;
    let (_, body) = app
        .gql(
            KEYCARER,
            "{ children(filter: { myKeyChildren: true }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let child = body["data"]["children"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = "mutation($child: ID!, $now: DateTime!, $text: String!) { writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: [\"routine\"] }) { dailyLog { id } } }";
    let vars =
        json!({ "child": child, "now": chrono::Utc::now().to_rfc3339(), "text": "tea\u{0}time" });
    let (_, body) = app.gql(KEYCARER, write, vars).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "text", "{body}");
    let literal = format!(
        "mutation {{ writeDailyLog(input: {{ childId: \"{child}\", occurredAt: \"{}\", text: \"tea\\u0000time\", categories: [\"routine\"] }}) {{ dailyLog {{ id }} }} }}",
        chrono::Utc::now().to_rfc3339()
    );
    let (_, body) = app.gql(KEYCARER, &literal, json!({})).await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");

    let long = "x".repeat(100_000);
    let (_, body) = app
        .gql(
            "admin@northshire.example",
            "query($s: String) { users(filter: { search: $s }) { edges { node { id } } } }",
            json!({ "s": long }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    let (_, body) = app
        .gql(
            MANAGER,
            "query($s: String) { children(filter: { name: $s }) { edges { node { id } } } }",
            json!({ "s": long }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_shutdown_under_write_load_keeps_every_acknowledged_write() {
    use base64::Engine;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let mut app = DemoApp::spawn_with(|c| c.limits.shutdown_grace = Duration::from_secs(3)).await;
    let (_, body) = app
        .gql(
            KEYCARER,
            "{ children(filter: { myKeyChildren: true }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let child = body["data"]["children"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = "mutation($child: ID!, $now: DateTime!, $text: String!) { writeDailyLog(input: { childId: $child, occurredAt: $now, text: $text, categories: [\"routine\"] }) { dailyLog { id } } }";
    // Four writers, each writing until the gateway stops answering (at most 200 each).
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (http, base, token, child) =
                (app.http.clone(), app.base.clone(), app.token(KEYCARER), child.clone());
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..200 {
                    let vars = json!({ "child": child, "now": chrono::Utc::now().to_rfc3339(), "text": format!("writer {w} log {i}") });
                    let sent = http
                        .post(format!("{base}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": write, "variables": vars }))
                        .send()
                        .await;
                    let Ok(res) = sent else { break };
                    let Ok(body) = res.json::<Value>().await else {
                        break;
                    };
                    match body["data"]["writeDailyLog"]["dailyLog"]["id"].as_str() {
                        Some(id) => acknowledged.push(id.to_owned()),
                        None if code(&body) == Some("RATE_LIMITED") => {
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        None => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let started = Instant::now();
    let outcome = app.shut_down().await;
    let took = started.elapsed();
    println!(
        "shutdown under write load took {} ms: {outcome:?}",
        took.as_millis()
    );
    assert!(
        took < Duration::from_secs(6),
        "nothing hangs past the grace period"
    );
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(!acknowledged.is_empty(), "some writes were acknowledged");
    let ids: Vec<uuid::Uuid> = acknowledged
        .iter()
        .map(|g| {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(g)
                .unwrap();
            let text = String::from_utf8(raw).unwrap();
            text.rsplit(':').next().unwrap().parse().unwrap()
        })
        .collect();
    let db = keycare_domain::db::connect(crate::demo_app::database_url(&app), 1)
        .await
        .unwrap();
    let found = keycare_entity::daily_log::Entity::find()
        .filter(keycare_entity::daily_log::Column::Id.is_in(ids.clone()))
        .all(&db)
        .await
        .unwrap();
    println!("{} writes acknowledged, {} found", ids.len(), found.len());
    assert_eq!(found.len(), ids.len(), "every acknowledged write is kept");
}

#[tokio::test]
async fn a_date_time_that_does_not_parse_is_bad_input_not_internal() {
    let app = DemoApp::spawn().await;
    let (_, body) = app
        .gql(
            MANAGER,
            "query($from: DateTime) { accessLog(from: $from, first: 1) { edges { node { id } } } }",
            json!({ "from": "yesterday-ish" }),
        )
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_database_outage_answers_503_with_retry_after_and_the_gateway_recovers() {
    // PostgreSQL only: the database is made to refuse connections and then allowed again
    // (an SQLite file cannot go away under an open connection).
    let app = DemoApp::spawn().await;
    let db_url = crate::demo_app::database_url(&app).to_owned();
    if !db_url.starts_with("postgres") {
        app.stop().await;
        return;
    }
    let name = db_url.rsplit('/').next().unwrap().to_owned();
    let admin_url = format!("{}/postgres", db_url.rsplit_once('/').unwrap().0);
    let admin = keycare_domain::db::connect(&admin_url, 1).await.unwrap();
    use sea_orm::ConnectionTrait;
    let (_, body) = app.gql(MANAGER, "{ me { name } }", json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid();"
        ))
        .await
        .unwrap();
    let res = app
        .http
        .post(format!("{}/graphql", app.base))
        .bearer_auth(app.token(MANAGER))
        .json(&json!({ "query": "{ me { name } }" }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let retry = res.headers().get("retry-after").cloned();
    let body: Value = res.json().await.unwrap();
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(retry.is_some(), "Retry-After");
    assert_eq!(code(&body), Some("UNAVAILABLE"), "{body}");
    // Back: served again.
    let mut served = false;
    for _ in 0..50 {
        let (status, _) = app.gql(MANAGER, "{ me { name } }", json!({})).await;
        if status == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(served, "the gateway recovers once the database is back");
    app.stop().await;
}
