//! Logs and traces: the log on stdout (filtered by `KEYCARE_LOG`) and, when an OTLP endpoint
//! is configured, spans exported over OTLP/HTTP (protobuf) through tracing-opentelemetry,
//! joining the caller's trace when a request carries a W3C `traceparent`.

use crate::config::{Config, Telemetry};
use anyhow::Context;

/// The log filter when `KEYCARE_LOG` is not set. async-graphql's spans (one per request,
/// phase and resolved object) are for the trace exporter, not the log.
pub const DEFAULT_LOG: &str = "info,sqlx=warn,sea_orm=warn,async_graphql=warn";

/// How long shutting down may wait for the last spans to reach the collector.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(15);

/// The span exporter, when one is configured (the log needs no handle).
#[must_use = "call `shutdown` so that the last spans are exported"]
pub struct TraceExport {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl TraceExport {
    /// Exports the spans still buffered and stops the exporter (without one, does nothing).
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK blocks the calling thread until its export task, on this runtime, is done,
        // and bounds the wait itself, so the thread does not hold up the process's exit.
        let flushed =
            tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(FLUSH_WAIT)).await;
        let failure = match flushed {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        tracing::warn!(error = %failure, "exporting the last spans failed");
    }
}

/// Makes `span` a child of the trace named by the request's W3C `traceparent` header, if
/// any (the propagator is installed only when traces are exported).
pub fn join_callers_trace(span: &tracing::Span, headers: &axum::http::HeaderMap) {
    use tracing_opentelemetry::OpenTelemetrySpanExt;
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| {
        p.extract(&opentelemetry_http::HeaderExtractor(headers))
    });
    // Without an exporter the span has no OpenTelemetry side to attach to: nothing to do.
    let _ = span.set_parent(parent);
}

/// Installs the process's subscriber: the log on stdout, filtered by `KEYCARE_LOG`, and, when
/// `config.telemetry` is set, spans exported over OTLP/HTTP with a filter of their own.
/// Must run on the Tokio runtime (the exporter's batches are sent from a task).
pub fn init_tracing(config: &Config) -> anyhow::Result<TraceExport> {
    use opentelemetry::trace::TracerProvider;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer};
    let filter =
        EnvFilter::try_from_env("KEYCARE_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG));
    let provider = config.telemetry.as_ref().map(tracer_provider).transpose()?;
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    }
    let exported = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("keycare"))
            .with_filter(exported_spans())
    });
    // One JSON object a line with `KEYCARE_LOG_FORMAT=json` (for a log shipper); text
    // otherwise, coloured only when stdout is a terminal.
    let log = match std::env::var("KEYCARE_LOG_FORMAT").ok().as_deref() {
        Some("json") => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_filter(filter)
            .boxed(),
        None | Some("") | Some("text") => tracing_subscriber::fmt::layer()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_filter(filter)
            .boxed(),
        Some(other) => anyhow::bail!(
            "setting log_format (KEYCARE_LOG_FORMAT): {other:?} is not one of text, json"
        ),
    };
    let _ = tracing_subscriber::registry()
        .with(log)
        .with(exported)
        .try_init();
    Ok(TraceExport { provider })
}

/// What becomes a span (or a span's event) in the exported trace: info and above, with
/// async-graphql's spans, but never the per-statement SQL log, nor the exporter's own
/// messages, nor async-graphql's `parse` span, whose `source` holds the whole document with
/// its variables: the contents of children's records.
fn exported_spans<S>() -> impl tracing_subscriber::layer::Filter<S> {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::{FilterExt, Targets, filter_fn};
    let targets = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("sqlx", LevelFilter::WARN)
        .with_target("sea_orm", LevelFilter::WARN)
        .with_target("keycare::sql", LevelFilter::OFF)
        .with_target("opentelemetry", LevelFilter::OFF);
    // async-graphql's `parse` span holds the document (its literals and variables), and its
    // events carry error messages, which may echo a client's input back (a mistyped value):
    // neither leaves the process. Its other spans (request, validation, execute, field)
    // carry names and paths only.
    let input = |m: &tracing::Metadata<'_>| {
        m.target().starts_with("async_graphql") && (m.is_event() || m.name() == "parse")
    };
    targets.and(filter_fn(move |m| !input(m)))
}

/// The tracer provider: spans batched on the Tokio runtime and sent as OTLP/HTTP protobuf.
fn tracer_provider(
    telemetry: &Telemetry,
) -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("building the HTTP client of the trace exporter")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpClient(client))
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(&telemetry.traces_endpoint)
        .build()
        .with_context(|| {
            format!(
                "the trace exporter for {} (OTEL_EXPORTER_OTLP_* settings)",
                telemetry.traces_endpoint
            )
        })?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(telemetry.service_name.clone())
        .build();
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(
            BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build(),
        )
        .with_resource(resource)
        .build())
}

/// The workspace's reqwest client as the exporter's HTTP client (opentelemetry-otlp's own
/// would bring a second reqwest and another TLS stack).
#[derive(Debug)]
struct OtlpClient(reqwest::Client);

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpClient {
    async fn send_bytes(
        &self,
        request: opentelemetry_http::Request<opentelemetry_http::Bytes>,
    ) -> Result<
        opentelemetry_http::Response<opentelemetry_http::Bytes>,
        opentelemetry_http::HttpError,
    > {
        let response = self.0.execute(request.try_into()?).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut answer = opentelemetry_http::Response::new(response.bytes().await?);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}
