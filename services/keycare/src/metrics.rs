//! What the gateway counts and times, served at `/metrics` in Prometheus' text format.
//! Labels are words from a closed set (operation names come from the caller's document, so
//! they are cut short and only letters, digits and `_` are kept); never anything personal.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::{DatabaseConnection, DbBackend};
use std::time::{Duration, SystemTime};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    pub operation: String,
    pub r#type: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn seconds() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The gateway's metrics.
pub struct Metrics {
    registry: Registry,
    /// SQL statements sent to the database.
    pub sql_statements: Counter,
    /// GraphQL operations that began a unit of work.
    pub graphql_requests: Counter,
    /// Operations that passed their deadline.
    pub timeouts: Counter,
    /// Requests turned away before running, by why.
    pub refused: Family<ReasonLabel, Counter>,
    /// Operations' duration by name, type and outcome.
    pub operations: Histograms<OperationLabels>,
    /// GraphQL errors answered, by code.
    pub errors: Family<CodeLabel, Counter>,
    /// HTTP answers by status.
    pub http_responses: Family<StatusLabel, Counter>,
    /// Committing a unit of work: appending its access events to the log, then COMMIT.
    pub commit_seconds: Histogram,
    /// Failed sign-ins by reason.
    pub sign_in_failures: Family<ReasonLabel, Counter>,
    pool: Family<StateLabel, Gauge>,
    resident_bytes: Gauge,
    cpu_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    open_fds: Gauge,
    started: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let m = Metrics {
            registry: Registry::default(),
            sql_statements: Counter::default(),
            graphql_requests: Counter::default(),
            timeouts: Counter::default(),
            refused: Family::default(),
            operations: Family::new_with_constructor(seconds),
            errors: Family::default(),
            http_responses: Family::default(),
            commit_seconds: seconds(),
            sign_in_failures: Family::default(),
            pool: Family::default(),
            resident_bytes: Gauge::default(),
            cpu_seconds: Gauge::default(),
            open_fds: Gauge::default(),
            started: Gauge::default(),
        };
        let r = &mut registry;
        r.register(
            "keycare_sql_statements",
            "SQL statements sent to the database",
            m.sql_statements.clone(),
        );
        r.register(
            "keycare_graphql_requests",
            "GraphQL operations that began a unit of work",
            m.graphql_requests.clone(),
        );
        r.register(
            "keycare_graphql_timeouts",
            "Operations that passed their deadline",
            m.timeouts.clone(),
        );
        r.register(
            "keycare_refused",
            "Requests turned away before running, by reason",
            m.refused.clone(),
        );
        r.register(
            "keycare_graphql_operation_duration_seconds",
            "GraphQL operations by name, type (query, mutation, subscription) and outcome (ok, error, timeout, refused)",
            m.operations.clone(),
        );
        r.register(
            "keycare_graphql_errors",
            "GraphQL errors answered, by code",
            m.errors.clone(),
        );
        r.register(
            "keycare_http_responses",
            "HTTP answers by status",
            m.http_responses.clone(),
        );
        r.register(
            "keycare_commit_duration_seconds",
            "Committing a request's unit of work: the access-log append, then COMMIT",
            m.commit_seconds.clone(),
        );
        r.register(
            "keycare_sign_in_failures",
            "Failed sign-ins by reason",
            m.sign_in_failures.clone(),
        );
        r.register(
            "keycare_db_pool_connections",
            "The gateway's database connections by state (in_use, idle, max)",
            m.pool.clone(),
        );
        let build: Family<BuildLabels, Gauge> = Family::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            })
            .set(1);
        r.register("keycare_build_info", "The running build (always 1)", build);
        r.register(
            "process_resident_memory_bytes",
            "Resident memory of the process",
            m.resident_bytes.clone(),
        );
        r.register(
            "process_cpu_seconds",
            "CPU time of the process (user and system)",
            m.cpu_seconds.clone(),
        );
        r.register(
            "process_open_fds",
            "Open file descriptors of the process",
            m.open_fds.clone(),
        );
        r.register(
            "process_start_time_seconds",
            "When the process started, in seconds since the Unix epoch",
            m.started.clone(),
        );
        m.started.set(
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64(),
        );
        Metrics { registry, ..m }
    }

    /// Counts an operation turned away for `reason` (rate_limited, shed, too_complex...).
    pub fn refuse(&self, reason: &str) {
        self.refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Times an operation.
    pub fn operation(&self, name: &str, kind: &str, outcome: &str, took: Duration) {
        self.operations
            .get_or_create(&OperationLabels {
                operation: label(name),
                r#type: kind.to_owned(),
                outcome: outcome.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// The text of `/metrics`, with the pool and process figures read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle, max) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle() as u32,
                    pool.options().get_max_connections(),
                )
            }
            DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle() as u32,
                    pool.options().get_max_connections(),
                )
            }
            _ => (0, 0, 0),
        };
        for (state, n) in [
            ("in_use", size.saturating_sub(idle)),
            ("idle", idle),
            ("max", max),
        ] {
            self.pool
                .get_or_create(&StateLabel {
                    state: state.to_owned(),
                })
                .set(i64::from(n));
        }
        if let Some(p) = process() {
            self.resident_bytes.set(p.resident_bytes);
            self.cpu_seconds.set(p.cpu_seconds);
            self.open_fds.set(p.open_fds);
        }
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            tracing::error!("encoding the metrics failed");
        }
        classic(&out)
    }
}

/// OpenMetrics text as Prometheus' classic text format (0.0.4), which every scraper and
/// `promtool check metrics` read: a counter's HELP and TYPE name its samples' `_total`
/// name, and there is no `# EOF` or `# UNIT`.
fn classic(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len() + 64);
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// An operation's name as a label: at most 64 characters of letters, digits and `_`.
fn label(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    if clean.is_empty() {
        "anonymous".to_owned()
    } else {
        clean
    }
}

struct Process {
    resident_bytes: i64,
    cpu_seconds: f64,
    open_fds: i64,
}

/// The process's own figures from `/proc` (Linux; elsewhere none).
fn process() -> Option<Process> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let resident_kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, in parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on
    // Linux's usual USER_HZ).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as i64;
    Some(Process {
        resident_bytes: resident_kb * 1024,
        cpu_seconds: ticks / 100.0,
        open_fds,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_become_safe_labels() {
        assert_eq!(label("KeyCarerHome"), "KeyCarerHome");
        assert_eq!(label(""), "anonymous");
        assert_eq!(label("a\"b}c{d"), "abcd");
        assert_eq!(label(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn counters_are_named_as_their_samples_in_the_classic_format() {
        let open =
            "# HELP a_b Things.\n# TYPE a_b counter\na_b_total 3\n# TYPE g gauge\ng 1\n# EOF\n";
        assert_eq!(
            classic(open),
            "# HELP a_b_total Things.\n# TYPE a_b_total counter\na_b_total 3\n# TYPE g gauge\ng 1\n"
        );
    }

    #[test]
    fn the_process_reads_its_own_figures() {
        let p = process().unwrap();
        assert!(p.resident_bytes > 0 && p.open_fds > 0);
    }
}
