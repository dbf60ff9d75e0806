//! Configuration: flags, then `KEYCARE_*` environment variables, then an optional
//! `keycare.toml`, then documented defaults. A bad setting stops start-up naming it.

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Settings a command may take from flags or the environment (clap fills these).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://keycare.db]
    #[arg(long, env = "KEYCARE_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for local state such as the development issuer's key [default: keycare-data]
    #[arg(long, env = "KEYCARE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Configuration file [default: keycare.toml, if present]
    #[arg(long, env = "KEYCARE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// The `keycare.toml` file: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    public_url: Option<String>,
    environment: Option<String>,
    dev_issuer: Option<bool>,
    max_connections: Option<u32>,
    limits: Option<crate::limits::LimitsFile>,
    outbound_allow: Option<Vec<String>>,
    max_token_lifetime_secs: Option<u64>,
}

impl Config {
    /// The outbound policy as the domain applies it to the URLs it saves.
    pub fn outbound_rule(&self) -> keycare_domain::identity_providers::OutboundRule {
        let policy = self.outbound.clone();
        keycare_domain::identity_providers::OutboundRule::new(move |url| policy.check(url))
    }

    /// Settings for tests: a random loopback port, no development issuer, quick JWKS refetches;
    /// the caller gives the database URL and data directory.
    pub fn for_tests(database_url: String, data_dir: PathBuf) -> Config {
        Config {
            database_url,
            data_dir,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_url: None,
            environment: Environment::Development,
            dev_issuer: false,
            max_connections: 5,
            jwks_refetch_interval: std::time::Duration::from_millis(50),
            policy_dir: None,
            telemetry: None,
            limits: crate::limits::Limits::defaults(true),
            migrate: true,
            outbound: keycare_auth::OutboundPolicy::development(),
            max_token_lifetime: keycare_auth::DEFAULT_MAX_TOKEN_LIFETIME,
        }
    }
}

/// Where the gateway runs: production refuses development conveniences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// The URL clients reach the gateway at (sign-in callbacks, the development issuer's
    /// JWKS); by default `http://` and the address it listens on.
    pub public_url: Option<String>,
    pub environment: Environment,
    /// Whether the local development issuer is on (signs tokens for `keycare token`).
    pub dev_issuer: bool,
    pub max_connections: u32,
    /// Least time between two fetches of one issuer's keys on unknown key ids.
    pub jwks_refetch_interval: std::time::Duration,
    /// A directory with `model.conf` and `policy.csv` replacing the built-in policy.
    pub policy_dir: Option<PathBuf>,
    /// Where spans are exported; without it they are only logged.
    pub telemetry: Option<Telemetry>,
    /// Cost, time, size and rate limits, and the production switches.
    pub limits: crate::limits::Limits,
    /// Whether `serve` applies pending migrations before it starts (development only;
    /// `--demo` implies it). Otherwise it refuses to start while any is pending.
    pub migrate: bool,
    /// Which addresses identity providers may be called at: https to public addresses, plus
    /// `outbound_allow`; development also allows http and loopback.
    pub outbound: keycare_auth::OutboundPolicy,
    /// The longest a bearer token may be valid for.
    pub max_token_lifetime: std::time::Duration,
}

/// The OpenTelemetry trace exporter (OTLP over HTTP, protobuf), set by OpenTelemetry's own
/// environment variables so that a deployment's usual collector settings just work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telemetry {
    /// The collector's traces URL, such as `http://127.0.0.1:4318/v1/traces`.
    pub traces_endpoint: String,
    /// `service.name` of every span (`OTEL_SERVICE_NAME`, default `keycare`).
    pub service_name: String,
}

pub const DEFAULT_SERVICE_NAME: &str = "keycare";

pub const DEFAULT_DATABASE_URL: &str = "sqlite://keycare.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Settings only `serve` takes.
#[derive(Debug, Default, Clone)]
pub struct ServeOverrides {
    pub addr: Option<String>,
    pub public_url: Option<String>,
    pub environment: Option<String>,
    pub demo: bool,
    pub migrate: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn read_file(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("keycare.toml"), false),
    };
    if !path.exists() {
        if required {
            bail!(
                "configuration file {} does not exist (--config / KEYCARE_CONFIG)",
                path.display()
            );
        }
        return Ok(FileConfig::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?;
    toml::from_str(&text)
        .map_err(|e| anyhow!("configuration file {}: {}", path.display(), e.message()))
}

impl Config {
    /// Resolves the configuration for a command.
    pub fn load(o: &Overrides, s: &ServeOverrides) -> anyhow::Result<Config> {
        let file = read_file(o.config.as_deref())?;
        let database_url = o
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let data_dir = o
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("keycare-data"));
        let addr_text = s
            .addr
            .clone()
            .or_else(|| env("KEYCARE_ADDR"))
            .or(file.addr)
            .unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr: SocketAddr = addr_text.parse().map_err(|_| {
            anyhow!("setting addr (--addr / KEYCARE_ADDR): {addr_text:?} is not a socket address such as 127.0.0.1:8080")
        })?;
        let environment = match s
            .environment
            .clone()
            .or_else(|| env("KEYCARE_ENVIRONMENT"))
            .or(file.environment)
            .as_deref()
        {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => bail!(
                "setting environment (--environment / KEYCARE_ENVIRONMENT): {other:?} is not one of development, production"
            ),
        };
        let dev_issuer = match env("KEYCARE_DEV_ISSUER") {
            Some(v) => parse_bool("dev_issuer (KEYCARE_DEV_ISSUER)", &v)?,
            None => file.dev_issuer.unwrap_or(false),
        } || s.demo;
        if dev_issuer && environment == Environment::Production {
            bail!(
                "setting dev_issuer: the local development issuer cannot run with environment = production; remove --demo / KEYCARE_DEV_ISSUER"
            );
        }
        let max_connections = match env("KEYCARE_MAX_CONNECTIONS") {
            Some(v) => v.parse().map_err(|_| {
                anyhow!("setting max_connections (KEYCARE_MAX_CONNECTIONS): {v:?} is not a number")
            })?,
            None => file.max_connections.unwrap_or(16),
        };
        if max_connections == 0 {
            bail!("setting max_connections must be at least 1");
        }
        let public_url = match s
            .public_url
            .clone()
            .or_else(|| env("KEYCARE_PUBLIC_URL"))
            .or(file.public_url)
        {
            Some(u) => {
                let u = u.trim_end_matches('/').to_owned();
                match url::Url::parse(&u) {
                    Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Some(u),
                    _ => bail!(
                        "setting public_url (--public-url / KEYCARE_PUBLIC_URL): {u:?} is not an http(s) URL"
                    ),
                }
            }
            None => None,
        };
        let jwks_refetch_interval = match env("KEYCARE_JWKS_REFETCH_MS") {
            Some(v) => std::time::Duration::from_millis(v.parse().map_err(|_| {
                anyhow!("setting jwks_refetch_ms (KEYCARE_JWKS_REFETCH_MS): {v:?} is not a number of milliseconds")
            })?),
            None => std::time::Duration::from_secs(5),
        };
        let migrate = match env("KEYCARE_MIGRATE") {
            Some(v) => parse_bool("migrate (KEYCARE_MIGRATE)", &v)?,
            None => false,
        } || s.migrate
            || s.demo;
        if migrate && environment == Environment::Production {
            bail!(
                "setting migrate (--migrate / KEYCARE_MIGRATE): production never migrates at start-up; run `keycare migrate up` as the tables' owner before the rollout"
            );
        }
        let limits = file
            .limits
            .unwrap_or_default()
            .resolve(environment == Environment::Development)?;
        let outbound = outbound(environment, file.outbound_allow)?;
        let max_token_lifetime = max_token_lifetime(file.max_token_lifetime_secs)?;
        Ok(Config {
            limits,
            migrate,
            outbound,
            max_token_lifetime,
            telemetry: telemetry()?,
            policy_dir: env("KEYCARE_POLICY_DIR").map(PathBuf::from),
            jwks_refetch_interval,
            database_url,
            data_dir,
            addr,
            public_url,
            environment,
            dev_issuer,
            max_connections,
        })
    }
}

/// The trace exporter: on when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the traces URL itself) or
/// `OTEL_EXPORTER_OTLP_ENDPOINT` (the collector's base URL, `/v1/traces` appended) is set, as
/// OpenTelemetry's specification reads them; `OTEL_SDK_DISABLED=true` turns it off again.
fn telemetry() -> anyhow::Result<Option<Telemetry>> {
    if env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    let (name, value, traces_url) = match (
        env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
        env("OTEL_EXPORTER_OTLP_ENDPOINT"),
    ) {
        (Some(url), _) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url.clone(), url),
        (None, Some(base)) => {
            let url = format!("{}/v1/traces", base.trim_end_matches('/'));
            ("OTEL_EXPORTER_OTLP_ENDPOINT", base, url)
        }
        (None, None) => return Ok(None),
    };
    let traces_endpoint = match url::Url::parse(&traces_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => u.to_string(),
        _ => bail!("setting {name}: {value:?} is not an http(s) URL such as http://127.0.0.1:4318"),
    };
    // Only OTLP over HTTP with protobuf is built in; a collector expecting gRPC or JSON would
    // refuse every export, so say so now rather than drop the spans later.
    let protocol = [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ]
    .into_iter()
    .find_map(|name| env(name).map(|p| (name, p)));
    if let Some((name, protocol)) = protocol.filter(|(_, p)| p != "http/protobuf") {
        bail!("setting {name}: {protocol:?} is not supported; KeyCare exports http/protobuf");
    }
    Ok(Some(Telemetry {
        traces_endpoint,
        service_name: env("OTEL_SERVICE_NAME").unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned()),
    }))
}

/// The outbound policy: `KEYCARE_OUTBOUND_ALLOW` (comma-separated ranges) or the file's
/// `outbound_allow` list names private ranges identity providers may be called at.
fn outbound(
    environment: Environment,
    file: Option<Vec<String>>,
) -> anyhow::Result<keycare_auth::OutboundPolicy> {
    use keycare_auth::OutboundPolicy;
    let list = env("KEYCARE_OUTBOUND_ALLOW").or_else(|| file.map(|l| l.join(",")));
    let allowed = OutboundPolicy::parse_ranges(list.as_deref().unwrap_or(""))
        .map_err(|e| anyhow!("setting outbound_allow (KEYCARE_OUTBOUND_ALLOW): {e}"))?;
    Ok(match environment {
        Environment::Development => OutboundPolicy::development().also_allowing(allowed),
        Environment::Production => OutboundPolicy::production(allowed),
    })
}

/// `KEYCARE_MAX_TOKEN_LIFETIME_SECS` or the file's `max_token_lifetime_secs`; 24 hours.
fn max_token_lifetime(file: Option<u64>) -> anyhow::Result<std::time::Duration> {
    let secs = match env("KEYCARE_MAX_TOKEN_LIFETIME_SECS") {
        Some(v) => v.parse().map_err(|_| {
            anyhow!("setting max_token_lifetime_secs (KEYCARE_MAX_TOKEN_LIFETIME_SECS): {v:?} is not a number of seconds")
        })?,
        None => file.unwrap_or(keycare_auth::DEFAULT_MAX_TOKEN_LIFETIME.as_secs()),
    };
    if secs == 0 {
        bail!("setting max_token_lifetime_secs must be at least 1");
    }
    Ok(std::time::Duration::from_secs(secs))
}

fn parse_bool(name: &str, v: &str) -> anyhow::Result<bool> {
    match v {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("setting {name}: {v:?} is not true or false"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod outbound_tests {
    use super::*;

    fn load(toml: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keycare.toml");
        std::fs::write(&path, toml).unwrap();
        let overrides = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        Config::load(&overrides, &ServeOverrides::default())
    }

    #[test]
    fn outbound_allow_and_max_token_lifetime_from_the_file() {
        let config = load(
            "environment = \"production\"\noutbound_allow = [\"10.20.0.0/16\", \"192.168.1.7\"]\nmax_token_lifetime_secs = 3600\n",
        )
        .unwrap();
        assert!(!config.outbound.allow_http);
        assert!(config.outbound.allows_ip("10.20.1.2".parse().unwrap()));
        assert!(!config.outbound.allows_ip("127.0.0.1".parse().unwrap()));
        assert_eq!(config.max_token_lifetime.as_secs(), 3600);

        let development = load("").unwrap();
        assert_eq!(
            development.outbound,
            keycare_auth::OutboundPolicy::development()
        );
        assert_eq!(development.max_token_lifetime.as_secs(), 86_400);
    }

    #[test]
    fn bad_outbound_settings_are_named() {
        let err = load("outbound_allow = [\"intranet\"]")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("outbound_allow") && err.contains("intranet"),
            "{err}"
        );
        let err = load("max_token_lifetime_secs = 0").unwrap_err().to_string();
        assert!(err.contains("max_token_lifetime_secs"), "{err}");
    }
}
