//! The benchmark of PERFORMANCE.md. It seeds (or reuses) county-scale data, starts the
//! gateway as its own process, signs tokens for real users of the data with a test OpenID
//! provider on loopback, drives each operation of `schema/operations/bench/` at the given
//! connection counts, and prints a table (operation, connections, requests/s, p50, p90, p99,
//! SQL statements per request, gateway RSS), writing the same as JSON. It never passes or
//! fails: the figures are for the issue notes.
//!
//! ```sh
//! cargo build --release -p keycare -p keycare-bench
//! target/release/keycare-bench --database-url postgres://postgres@127.0.0.1/keycare_bench
//! ```

use anyhow::{Context, bail};
use clap::Parser;
use keycare_auth::testing::{MintKey, MintOptions, TestOidcProvider};
use keycare_entity as e;
use keycare_entity::enums::{AllocationKind, KeyTeamRole, TenantRoleKind};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(about = "The KeyCare benchmark (PERFORMANCE.md)")]
struct Args {
    /// The database: seeded with `keycare seed scale` when it holds no scale council yet.
    #[arg(long, env = "KEYCARE_BENCH_DATABASE_URL")]
    database_url: String,
    /// The gateway binary (default: `keycare` beside this one).
    #[arg(long)]
    keycare: Option<PathBuf>,
    /// Scale of the data when it has to be seeded (per council).
    #[arg(long, default_value_t = 3)]
    tenants: u32,
    #[arg(long, default_value_t = 40)]
    homes: u32,
    #[arg(long, default_value_t = 320)]
    children: u32,
    #[arg(long, default_value_t = 10)]
    years: u32,
    /// Operations to run (default: all five).
    #[arg(long, value_delimiter = ',')]
    ops: Vec<String>,
    /// Connection counts (each operation runs at each).
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    connections: Vec<usize>,
    /// Seconds per run (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Where to write the figures as JSON.
    #[arg(long, default_value = "bench-results.json")]
    json: PathBuf,
}

const OPERATIONS: &[(&str, &str)] = &[
    (
        "keyCarerHome",
        include_str!("../../../schema/operations/bench/keyCarerHome.graphql"),
    ),
    (
        "childFile",
        include_str!("../../../schema/operations/bench/childFile.graphql"),
    ),
    (
        "iroReviewPack",
        include_str!("../../../schema/operations/bench/iroReviewPack.graphql"),
    ),
    (
        "councilCompliance",
        include_str!("../../../schema/operations/bench/councilCompliance.graphql"),
    ),
    (
        "writeMix",
        include_str!("../../../schema/operations/bench/writeMix.graphql"),
    ),
];

const RECORD_SESSION: &str =
    "mutation($i: RecordKeySessionInput!) { recordKeySession(input: $i) { keySession { id } } }";

/// Who runs each operation, and on which child.
struct Cast {
    issuer: String,
    key_carer: String,
    key_child: Uuid,
    /// A child of the key carer's home who is not one of their key children: the write mix
    /// writes there, so the reads of later runs do not meet its records.
    write_child: Uuid,
    iro: String,
    iro_child: Uuid,
    reporting: String,
}

fn gid(kind: &str, id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{id}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let keycare = match &args.keycare {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("the bench's folder")?
            .join("keycare"),
    };
    if !keycare.exists() {
        bail!(
            "no gateway binary at {}: build it first (cargo build --release -p keycare)",
            keycare.display()
        );
    }
    // An empty database is migrated first (the gateway's own command), so that it can be
    // asked whether it holds the scale data yet.
    let migrated = std::process::Command::new(&keycare)
        .args(["--database-url", &args.database_url, "migrate", "up"])
        .stdout(Stdio::null())
        .status()?;
    if !migrated.success() {
        bail!("keycare migrate up failed");
    }
    let db = keycare_domain::db::connect(&args.database_url, 4).await?;
    let tenant = keycare_seed::scale::tenant_id(1);
    if e::tenant::Entity::find_by_id(tenant)
        .one(&db)
        .await?
        .is_none()
    {
        println!(
            "seeding {} councils x {} homes x {} children x {} years ...",
            args.tenants, args.homes, args.children, args.years
        );
        let status = std::process::Command::new(&keycare)
            .args(["--database-url", &args.database_url, "seed", "scale"])
            .args(["--tenants", &args.tenants.to_string()])
            .args(["--homes", &args.homes.to_string()])
            .args(["--children", &args.children.to_string()])
            .args(["--years", &args.years.to_string()])
            .status()?;
        if !status.success() {
            bail!("keycare seed scale failed");
        }
    }

    // Tokens: the council's issuer keeps its name; its keys are served on loopback.
    let provider = TestOidcProvider::start().await;
    let cast = cast(&db, tenant, &provider).await?;
    let mint = |subject: &str| {
        let now = chrono::Utc::now().timestamp();
        provider.mint(
            json!({"iss": cast.issuer, "sub": subject, "aud": "keycare", "iat": now, "nbf": now, "exp": now + 3600}),
            MintOptions::with_key(MintKey::Current),
        )
    };

    // The gateway, as its own process.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        l.local_addr()?.port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let gateway = std::process::Command::new(&keycare)
        .args(["--database-url", &args.database_url])
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("KEYCARE_MAX_CONNECTIONS", "32")
        // The benchmark drives a few users far past a person's rate: the gateway's per-user
        // and per-council rate limits and in-flight caps would measure themselves instead.
        .env("KEYCARE_RATE_PER_USER", "1000000000")
        .env("KEYCARE_RATE_PER_COUNCIL", "1000000000")
        .env("KEYCARE_MAX_IN_FLIGHT", "1024")
        .env("KEYCARE_MAX_IN_FLIGHT_PER_COUNCIL", "1024")
        // The gateway reads KEYCARE_LOG (not RUST_LOG); its per-request info line would be
        // formatted for /dev/null.
        .env("KEYCARE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the gateway")?;
    // Stopped when this guard goes, whatever happens to the run.
    let mut gateway = Gateway(gateway);
    let pid = gateway.0.id();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("the gateway did not become ready in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("gateway ready in {} ms", started.elapsed().as_millis());

    let today = chrono::Utc::now().date_naive();
    let month = today - chrono::Duration::days(30);
    let mut results = Vec::new();
    println!(
        "{:<18} {:>5} {:>9} {:>8} {:>8} {:>8} {:>10} {:>9}",
        "operation", "conns", "req/s", "p50 ms", "p90 ms", "p99 ms", "stmts/req", "RSS MB"
    );
    for (name, query) in OPERATIONS {
        if !args.ops.is_empty() && !args.ops.iter().any(|o| o == name) {
            continue;
        }
        let (token, vars) = match *name {
            "keyCarerHome" => (mint(&cast.key_carer), json!({})),
            "childFile" => (
                mint(&cast.key_carer),
                json!({"child": gid("Child", cast.key_child)}),
            ),
            "iroReviewPack" => (
                mint(&cast.iro),
                json!({"child": gid("Child", cast.iro_child)}),
            ),
            "councilCompliance" => (
                mint(&cast.reporting),
                json!({"from": month.to_string(), "to": today.to_string()}),
            ),
            _ => (
                mint(&cast.key_carer),
                json!({"child": gid("Child", cast.write_child)}),
            ),
        };
        for &conns in &args.connections {
            let run = Run {
                http: http.clone(),
                url: format!("{base}/graphql"),
                token: token.clone(),
                query,
                vars: vars.clone(),
                write_mix: *name == "writeMix",
            };
            let statements_before = statements(&http, &base).await?;
            let figures = run
                .drive(conns, Duration::from_secs(args.seconds), pid)
                .await?;
            let statements_after = statements(&http, &base).await?;
            let per_request =
                (statements_after - statements_before) as f64 / figures.requests.max(1) as f64;
            println!(
                "{:<18} {:>5} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>10.1} {:>9.1}",
                name,
                conns,
                figures.rps,
                figures.p50,
                figures.p90,
                figures.p99,
                per_request,
                figures.rss_mb
            );
            results.push(json!({
                "operation": name, "connections": conns, "requests": figures.requests,
                "errors": figures.errors, "requests_per_second": figures.rps,
                "p50_ms": figures.p50, "p90_ms": figures.p90, "p99_ms": figures.p99,
                "sql_statements_per_request": per_request, "gateway_rss_mb": figures.rss_mb,
            }));
            if figures.errors > 0 {
                println!("  ({} requests answered with errors)", figures.errors);
            }
        }
    }
    let backend = db.get_database_backend();
    let out = json!({
        "database": format!("{backend:?}"),
        "seconds_per_run": args.seconds,
        "results": results,
    });
    std::fs::write(&args.json, serde_json::to_string_pretty(&out)?)?;
    println!("written to {}", args.json.display());
    gateway.stop();
    Ok(())
}

/// The gateway process, stopped on drop.
struct Gateway(std::process::Child);

impl Gateway {
    fn stop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Real users of the first scale council: a key carer with a child in placement, an IRO
/// with an allocated child, a council reporting user. Points the council's key set at the
/// test provider.
async fn cast(
    db: &sea_orm::DatabaseConnection,
    tenant: Uuid,
    provider: &TestOidcProvider,
) -> anyhow::Result<Cast> {
    let txn = keycare_domain::db::begin_for_tenant(db, tenant).await?;
    let idp = e::identity_provider::Entity::find()
        .filter(e::identity_provider::Column::TenantId.eq(tenant))
        .one(&txn)
        .await?
        .context("the scale council's identity provider")?;
    e::identity_provider::Entity::update_many()
        .col_expr(
            e::identity_provider::Column::JwksUrl,
            sea_orm::sea_query::Expr::value(provider.jwks_url()),
        )
        .filter(e::identity_provider::Column::Id.eq(idp.id))
        .exec(&txn)
        .await?;
    let open_placements: Vec<Uuid> = e::placement::Entity::find()
        .select_only()
        .column(e::placement::Column::Id)
        .filter(e::placement::Column::TenantId.eq(tenant))
        .filter(e::placement::Column::EndDate.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    let assignment = e::key_team_assignment::Entity::find()
        .filter(e::key_team_assignment::Column::TenantId.eq(tenant))
        .filter(e::key_team_assignment::Column::Role.eq(KeyTeamRole::KeyCarer))
        .filter(e::key_team_assignment::Column::EndDate.is_null())
        .filter(
            e::key_team_assignment::Column::PlacementId
                .is_in(open_placements.iter().take(500).copied()),
        )
        .one(&txn)
        .await?
        .context("a key carer with a child in placement")?;
    let subject = |id: Uuid| {
        let txn = &txn;
        async move {
            e::user::Entity::find_by_id(id)
                .one(txn)
                .await?
                .map(|u| u.subject)
                .context("a user")
        }
    };
    let key_carer = subject(assignment.user_id).await?;
    let open_children: Vec<Uuid> = e::placement::Entity::find()
        .select_only()
        .column(e::placement::Column::ChildId)
        .filter(e::placement::Column::TenantId.eq(tenant))
        .filter(e::placement::Column::EndDate.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    let iro = e::allocation::Entity::find()
        .filter(e::allocation::Column::TenantId.eq(tenant))
        .filter(e::allocation::Column::Kind.eq(AllocationKind::Iro))
        .filter(e::allocation::Column::EndDate.is_null())
        .filter(e::allocation::Column::ChildId.is_in(open_children.iter().take(500).copied()))
        .one(&txn)
        .await?
        .context("an IRO allocated to a child in placement")?;
    let reporting = e::tenant_role::Entity::find()
        .filter(e::tenant_role::Column::TenantId.eq(tenant))
        .filter(e::tenant_role::Column::Role.eq(TenantRoleKind::Reporting))
        .one(&txn)
        .await?
        .context("a council reporting user")?;
    let home = e::placement::Entity::find_by_id(assignment.placement_id)
        .one(&txn)
        .await?
        .context("the key child's placement")?
        .home_id;
    let their_children: Vec<Uuid> = e::key_team_assignment::Entity::find()
        .select_only()
        .column(e::key_team_assignment::Column::ChildId)
        .filter(e::key_team_assignment::Column::UserId.eq(assignment.user_id))
        .filter(e::key_team_assignment::Column::EndDate.is_null())
        .into_tuple()
        .all(&txn)
        .await?;
    let write_child = e::placement::Entity::find()
        .filter(e::placement::Column::HomeId.eq(home))
        .filter(e::placement::Column::EndDate.is_null())
        .filter(e::placement::Column::ChildId.is_not_in(their_children))
        .one(&txn)
        .await?
        .map_or(assignment.child_id, |p| p.child_id);
    let cast = Cast {
        issuer: idp.issuer.clone(),
        key_carer,
        key_child: assignment.child_id,
        write_child,
        iro: subject(iro.user_id).await?,
        iro_child: iro.child_id,
        reporting: subject(reporting.user_id).await?,
    };
    txn.commit().await?;
    Ok(cast)
}

async fn statements(http: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix("keycare_sql_statements_total "))
        .and_then(|v| v.trim().parse().ok())
        .context("keycare_sql_statements_total at /metrics")
}

/// Resident memory of a process, in MB (Linux).
fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

struct Run {
    http: reqwest::Client,
    url: String,
    token: String,
    query: &'static str,
    vars: Value,
    write_mix: bool,
}

struct Figures {
    requests: usize,
    errors: usize,
    rps: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    rss_mb: f64,
}

impl Run {
    /// One request: its latency, and whether it answered without errors.
    async fn once(&self, query: &str, vars: Value) -> (Duration, Option<Value>) {
        let start = Instant::now();
        let body: Option<Value> = match self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({"query": query, "variables": vars}))
            .send()
            .await
        {
            Ok(r) => r.json().await.ok(),
            Err(_) => None,
        };
        let ok = body.filter(|b| b["errors"].is_null());
        (start.elapsed(), ok)
    }

    /// The operation (for the write mix: write and plan, then record the session held).
    async fn operation(&self, latencies: &mut Vec<Duration>) -> usize {
        let mut vars = self.vars.clone();
        if self.write_mix {
            vars["now"] = json!(chrono::Utc::now().to_rfc3339());
        }
        let (took, body) = self.once(self.query, vars).await;
        latencies.push(took);
        let Some(body) = body else { return 1 };
        if !self.write_mix {
            return 0;
        }
        let session = &body["data"]["planKeySession"]["keySession"];
        let input = json!({"id": session["id"], "expectedVersion": session["version"], "notes": "Benchmark session."});
        let (took, body) = self.once(RECORD_SESSION, json!({ "i": input })).await;
        latencies.push(took);
        usize::from(body.is_none())
    }

    async fn drive(self, conns: usize, length: Duration, pid: u32) -> anyhow::Result<Figures> {
        let run = Arc::new(self);
        // Warm-up: caches, the issuer's keys, the pool.
        let warm_until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < warm_until {
            run.operation(&mut Vec::new()).await;
        }
        let start = Instant::now();
        let until = start + length;
        let workers: Vec<_> = (0..conns)
            .map(|_| {
                let run = Arc::clone(&run);
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut errors = 0;
                    while Instant::now() < until {
                        errors += run.operation(&mut latencies).await;
                    }
                    (latencies, errors)
                })
            })
            .collect();
        let mut rss = rss_mb(pid);
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(200)).await;
            rss = rss.max(rss_mb(pid));
        }
        let mut latencies = Vec::new();
        let mut errors = 0;
        for w in futures::future::join_all(workers).await {
            let (l, e) = w?;
            latencies.extend(l);
            errors += e;
        }
        let elapsed = start.elapsed().as_secs_f64();
        latencies.sort();
        let pct = |p: f64| {
            if latencies.is_empty() {
                return 0.0;
            }
            let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
            latencies[i].as_secs_f64() * 1000.0
        };
        Ok(Figures {
            requests: latencies.len(),
            errors,
            rps: latencies.len() as f64 / elapsed,
            p50: pct(0.50),
            p90: pct(0.90),
            p99: pct(0.99),
            rss_mb: rss.max(rss_mb(pid)),
        })
    }
}
