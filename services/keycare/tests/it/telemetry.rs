//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, `keycare serve` sends its spans to that
//! OpenTelemetry collector over OTLP/HTTP (protobuf). Here the collector is a stand-in on
//! loopback that keeps what it receives; protobuf strings are plain UTF-8 in a body, so the
//! checks look for names and ids in the bytes.

use crate::support::{free_port, keycare};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header::CONTENT_TYPE};
use axum::response::IntoResponse;
use keycare_testkit::TestDb;
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// OpenTelemetry's variables, removed so a developer's own collector settings do not leak in.
const OTEL_VARS: &[&str] = &[
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_SDK_DISABLED",
];

/// A `keycare` command with neither KeyCare's nor OpenTelemetry's settings inherited.
fn command(dir: &Path) -> Command {
    let mut cmd = keycare(dir);
    for var in OTEL_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// One export the collector received.
#[derive(Debug)]
struct Export {
    content_type: String,
    body: Bytes,
}

type Received = Arc<Mutex<Vec<Export>>>;

/// A stand-in collector on 127.0.0.1 answering `POST /v1/traces`; returns its base URL.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route("/v1/traces", axum::routing::post(receive))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, received)
}

async fn receive(
    State(received): State<Received>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    received.lock().unwrap().push(Export { content_type, body });
    // An empty ExportTraceServiceResponse: everything accepted.
    ([(CONTENT_TYPE, "application/x-protobuf")], Bytes::new())
}

/// The trace id of a caller's `traceparent` (W3C's example).
const CALLER_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Waits for the child to exit by itself (the collector on this runtime keeps answering);
/// kills it after `limit`.
async fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[tokio::test]
async fn a_graphql_request_reaches_the_collector_as_a_trace_carrying_its_request_id() {
    let (collector, received) = collector().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let db = match std::env::var(keycare_testkit::DATABASE_URL_ENV) {
        Ok(url) if url.starts_with("postgres") => Some(TestDb::empty().await),
        _ => None,
    };
    let with_db = |cmd: &mut Command| {
        cmd.arg("--data-dir").arg(&data);
        if let Some(db) = &db {
            cmd.args(["--database-url", &db.url]);
        }
    };
    let addr = format!("127.0.0.1:{}", free_port());
    let base = format!("http://{addr}");
    let mut serve = command(dir.path());
    serve.args(["serve", "--demo", "--addr", &addr]);
    with_db(&mut serve);
    // Every SQL statement is logged, and none of them may become a span.
    serve
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &collector)
        .env("KEYCARE_LOG", "info,keycare::sql=trace")
        .stdout(Stdio::from(
            std::fs::File::create(dir.path().join("stdout.log")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).unwrap(),
        ));
    let mut child = serve.spawn().expect("spawn keycare serve");
    let logs = || {
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap_or_default();
        format!(
            "--- stderr ---\n{}\n--- stdout ---\n{}",
            read("stderr.log"),
            read("stdout.log")
        )
    };

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("keycare serve exited early ({status})\n{}", logs());
        }
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "keycare serve did not answer /healthz\n{}",
            logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut token = command(dir.path());
    token.args(["token", "manager.oak@northshire.example"]);
    with_db(&mut token);
    let out = token.output().expect("run keycare token");
    assert!(out.status.success(), "keycare token: {out:?}");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let r = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        // A caller's trace, which the request's spans join.
        .header(
            "traceparent",
            format!("00-{CALLER_TRACE}-00f067aa0ba902b7-01"),
        )
        .json(&json!({"query": "{ apiVersion }"}))
        .send()
        .await
        .unwrap();
    let request_id = r
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        r.status().is_success() && !request_id.is_empty(),
        "POST /graphql: {} (x-request-id {request_id:?})",
        r.status()
    );

    // Ask it to stop as an operator would: the spans still batched must go out before exit.
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success(), "kill -TERM");
    let status = wait_exit(&mut child, Duration::from_secs(30)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "keycare serve did not stop cleanly on SIGTERM ({status:?})\n{}",
        logs()
    );

    let received = received.lock().unwrap();
    let bodies: Vec<u8> = received.iter().flat_map(|e| e.body.to_vec()).collect();
    let content_types: Vec<&str> = received.iter().map(|e| e.content_type.as_str()).collect();
    let found = |needle: &str| contains(&bodies, needle.as_bytes());
    let caller_trace: Vec<u8> = (0..CALLER_TRACE.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&CALLER_TRACE[i..i + 2], 16).unwrap())
        .collect();
    // The resource attribute service.name = "keycare", as protobuf lays out a KeyValue.
    let service_name = [&b"service.name\x12\x09\x0a\x07"[..], b"keycare"].concat();
    assert!(
        !received.is_empty()
            && content_types.iter().all(|t| *t == "application/x-protobuf")
            // service.name, the HTTP request's span with its id, async-graphql's spans
            && contains(&bodies, &service_name)
            && found(&request_id)
            && found("/graphql")
            && found("execute")
            && found("validation")
            // the caller's trace id, as protobuf carries it (16 raw bytes)
            && contains(&bodies, &caller_trace)
            // neither the statement log nor the GraphQL document (it may hold records' contents)
            && !found("SELECT")
            && !found("apiVersion"),
        "exports to the collector: {} ({content_types:?}), {} bytes; want protobuf with \
         service.name keycare, request id {request_id}, /graphql, execute, validation, the caller's trace id, and no SELECT nor \
         apiVersion; body:\n{}\n{}",
        received.len(),
        bodies.len(),
        String::from_utf8_lossy(&bodies),
        logs()
    );
}

#[tokio::test]
async fn a_malformed_collector_endpoint_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let cases = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://127.0.0.1:4318"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
    ];
    let mut wrong = Vec::new();
    for (name, value) in cases {
        let mut cmd = command(dir.path());
        // Were the setting let through, the database URL would stop it (not serve forever).
        cmd.args(["serve", "--addr", &addr, "--database-url", "mysql://x"])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env(name, value);
        if name.ends_with("PROTOCOL") {
            cmd.env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        }
        let out = cmd.output().expect("run keycare serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let ok = !out.status.success()
            && lines.len() == 1
            && lines[0].starts_with("keycare: ")
            && lines[0].contains(name)
            && lines[0].contains(value);
        if !ok {
            wrong.push(format!(
                "{name}={value:?}: exit {:?}, stderr {lines:#?}",
                out.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
