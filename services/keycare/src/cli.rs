//! The command line of API.md: `serve`, `migrate`, `seed`, `token`, `schema`.

use crate::config::{Config, Overrides, ServeOverrides};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use keycare_migration::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

/// KeyCare: the records platform for council children's homes.
#[derive(Debug, Parser)]
#[command(name = "keycare", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub overrides: Overrides,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (with `--migrate` or `--demo`, in development, applies pending migrations first).
    Serve {
        /// Load the demo data into an empty database and turn on the local development issuer.
        #[arg(long)]
        demo: bool,
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long)]
        addr: Option<String>,
        /// URL clients reach the gateway at [default: http://ADDR]
        #[arg(long)]
        public_url: Option<String>,
        /// development or production [default: development]
        #[arg(long)]
        environment: Option<String>,
        /// Apply pending migrations first (development only; --demo implies it). Without it
        /// the gateway refuses to start while a migration is pending.
        #[arg(long)]
        migrate: bool,
    },
    /// Councils (tenants): onboarding, as the platform operator (the tables' owner).
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load data.
    Seed {
        #[command(subcommand)]
        what: SeedWhat,
    },
    /// Print a bearer token for a user, signed by the local development issuer.
    Token {
        /// The user's email, e.g. keycarer.oak@northshire.example
        email: String,
        /// How long the token is valid, in minutes.
        #[arg(long, default_value_t = 480)]
        ttl_minutes: u64,
    },
    /// Print the GraphQL schema (SDL), the same text as schema/schema.graphql.
    Schema,
    /// Persisted operations (the safelist).
    Operations {
        #[command(subcommand)]
        action: OperationsAction,
    },
    /// The access log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Check every council's hash chain; name the first broken link (exit status 1 if any).
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum TenantAction {
    /// Create a council with its identity provider and first tenant administrator
    /// (answers "unchanged" when exactly that exists; refuses a taken slug that differs).
    Create {
        /// The council's name, e.g. "Northshire County Council".
        #[arg(long)]
        name: String,
        /// Its short name in URLs (sign-in: /auth/SLUG/login), e.g. northshire.
        #[arg(long)]
        slug: String,
        /// Its OpenID provider's issuer (the `iss` of its tokens).
        #[arg(long)]
        issuer: String,
        /// The audience (`aud`) of its tokens for KeyCare.
        #[arg(long)]
        audience: String,
        /// Where the provider publishes its keys.
        #[arg(long)]
        jwks_url: String,
        /// The OAuth client id for browser sign-in (optional).
        #[arg(long)]
        client_id: Option<String>,
        /// The first tenant administrator's `sub` at that provider.
        #[arg(long)]
        admin_subject: String,
        /// The first tenant administrator's email.
        #[arg(long)]
        admin_email: String,
        /// The first tenant administrator's name [default: their email].
        #[arg(long)]
        admin_name: Option<String>,
    },
    /// List every council.
    List,
    /// Show one council: its identity providers, administrators and size.
    Show {
        /// The council's slug.
        slug: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperationsAction {
    /// Print the manifest (JSON: sha256 → document) of every .graphql file under a folder,
    /// for `operations_manifest` in safelist mode.
    Manifest {
        /// The folder of operations.
        #[arg(default_value = "schema/operations")]
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the most recent migration (or --all).
    Down {
        /// Roll back every migration.
        #[arg(long)]
        all: bool,
    },
    /// Show which migrations are applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SeedWhat {
    /// The demo councils, homes, users and children of the README (idempotent).
    Demo,
    /// Synthetic county-scale data for benchmarks, deterministic for a seed.
    Scale {
        #[arg(long, default_value_t = 3)]
        tenants: u32,
        #[arg(long, default_value_t = 40)]
        homes: u32,
        /// Children in placement now, per tenant.
        #[arg(long, default_value_t = 320)]
        children: u32,
        #[arg(long, default_value_t = 10)]
        years: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Refuses to go on while a migration is pending (onboarding is not the moment to change
/// the schema).
async fn require_migrated(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending = keycare_migration::pending_names(db).await.context(
        "reading the migration table: has `keycare migrate up` been run on this database?",
    )?;
    if !pending.is_empty() {
        bail!(
            "{} migration(s) pending ({}): run `keycare migrate up` first",
            pending.len(),
            pending.join(", ")
        );
    }
    Ok(())
}

fn print_council(c: &keycare_domain::onboarding::Council) {
    println!("{} ({})", c.name, c.slug);
    println!("  id:        {}", c.id);
    println!("  created:   {}", c.created_at.format("%Y-%m-%d %H:%M UTC"));
    println!("  homes:     {}, users: {}", c.homes, c.users);
    for p in &c.providers {
        println!(
            "  provider:  {} (audience {}, keys {}{})",
            p.issuer,
            p.audience,
            p.jwks_url,
            p.client_id
                .as_deref()
                .map(|id| format!(", browser client {id}"))
                .unwrap_or_default()
        );
    }
    for (name, email, issuer, subject) in &c.administrators {
        println!("  admin:     {name} <{email}> ({issuer} sub {subject})");
    }
}

/// `keycare tenant ...`, on the owner's connection.
async fn tenant(
    config: &Config,
    db: &DatabaseConnection,
    action: TenantAction,
) -> anyhow::Result<()> {
    use keycare_domain::onboarding::{self, NewCouncil, Onboarded};
    let owner_hint = |e: keycare_domain::DomainError| -> anyhow::Error {
        match e {
            keycare_domain::DomainError::Db(db) => anyhow::anyhow!(
                "{db}: onboarding runs as the tables' owner (the URL `keycare migrate up` uses)"
            ),
            other => anyhow::anyhow!("{other}"),
        }
    };
    match action {
        TenantAction::Create {
            name,
            slug,
            issuer,
            audience,
            jwks_url,
            client_id,
            admin_subject,
            admin_email,
            admin_name,
        } => {
            let rule = config.outbound_rule();
            let input = NewCouncil {
                name,
                slug,
                issuer,
                audience,
                jwks_url,
                client_id,
                admin_subject,
                admin_email,
                admin_name,
            };
            match onboarding::create(db, input, &rule)
                .await
                .map_err(owner_hint)?
            {
                Onboarded::Created(c) => {
                    println!("created:");
                    print_council(&c);
                    if let Some((_, email, issuer, subject)) = c.administrators.first() {
                        println!(
                            "{email} signs in with a token of {issuer} whose sub is {subject}; they then add homes, users and roles through the API."
                        );
                    }
                }
                Onboarded::Unchanged(c) => {
                    println!("unchanged (already there as asked):");
                    print_council(&c);
                }
            }
        }
        TenantAction::List => {
            let councils = onboarding::list(db).await.map_err(owner_hint)?;
            if councils.is_empty() {
                println!("no councils yet: `keycare tenant create --help` says how to add one");
            }
            for c in councils {
                println!(
                    "{:<24} {:<40} homes {:>3}  users {:>5}  created {}",
                    c.slug,
                    c.name,
                    c.homes,
                    c.users,
                    c.created_at.format("%Y-%m-%d")
                );
            }
        }
        TenantAction::Show { slug } => {
            match onboarding::show(db, &slug).await.map_err(owner_hint)? {
                Some(c) => print_council(&c),
                None => bail!("no council with slug {slug:?} (`keycare tenant list` lists them)"),
            }
        }
    }
    Ok(())
}

async fn open(config: &Config) -> anyhow::Result<DatabaseConnection> {
    Ok(keycare_domain::db::connect(&config.database_url, config.max_connections).await?)
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            demo,
            addr,
            public_url,
            environment,
            migrate,
        } => {
            let serve = ServeOverrides {
                addr,
                public_url,
                environment,
                demo,
                migrate,
            };
            let config = Config::load(&cli.overrides, &serve)?;
            crate::server::serve(config, demo).await
        }
        Command::Migrate { action } => {
            let config = Config::load(&cli.overrides, &ServeOverrides::default())?;
            let db = open(&config).await?;
            match action {
                MigrateAction::Up => {
                    keycare_migration::up_locked(&db).await.context(
                        "migrate up (run it as the tables' owner: the URL the migrations were first applied with)",
                    )?;
                    println!("migrations applied");
                }
                MigrateAction::Down { all } => {
                    let steps = if all { None } else { Some(1) };
                    Migrator::down(&db, steps).await.context("migrate down")?;
                    println!(
                        "rolled back {}",
                        if all {
                            "all migrations"
                        } else {
                            "one migration"
                        }
                    );
                }
                MigrateAction::Status => {
                    for m in Migrator::get_migration_with_status(&db).await? {
                        println!(
                            "{:<12} {}",
                            format!("{:?}", m.status()).to_lowercase(),
                            m.name()
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Seed { what } => {
            let config = Config::load(&cli.overrides, &ServeOverrides::default())?;
            let db = open(&config).await?;
            Migrator::up(&db, None).await.context("migrate up")?;
            match what {
                SeedWhat::Demo => {
                    let report = keycare_seed::demo::seed_demo(&db).await?;
                    println!("{report}");
                }
                SeedWhat::Scale {
                    tenants,
                    homes,
                    children,
                    years,
                    seed,
                } => {
                    if tenants == 0 || homes == 0 || children == 0 || years == 0 {
                        bail!(
                            "seed scale: --tenants, --homes, --children and --years must each be at least 1"
                        );
                    }
                    let opts = keycare_seed::scale::ScaleOptions {
                        tenants,
                        homes,
                        children,
                        years,
                        seed,
                        ..Default::default()
                    };
                    let mut last = std::time::Instant::now();
                    let report = keycare_seed::scale::seed_scale(&db, &opts, |phase, rows| {
                        if last.elapsed().as_secs() >= 2 {
                            eprintln!("  {phase}: {rows} rows");
                            last = std::time::Instant::now();
                        }
                    })
                    .await?;
                    println!(
                        "seeded {} rows in {:.1} s ({:.0} rows/s)",
                        report.rows,
                        report.elapsed.as_secs_f64(),
                        report.rows_per_second()
                    );
                    for (table, rows) in &report.per_table {
                        println!("  {table:<28} {rows:>10}");
                    }
                }
            }
            Ok(())
        }
        Command::Token { email, ttl_minutes } => {
            let config = Config::load(&cli.overrides, &ServeOverrides::default())?;
            if config.environment == crate::config::Environment::Production {
                bail!("token: the local development issuer is not available in production");
            }
            let db = open(&config).await?;
            Migrator::up(&db, None).await.context("migrate up")?;
            let user = keycare_domain::identity::find_by_email(&db, &email)
                .await?
                .with_context(|| {
                    format!("token: no user with email {email}; the demo users are listed in the README (load them with `keycare seed demo`)")
                })?;
            let providers = keycare_domain::identity::providers(&db).await?;
            let dev = providers.iter().any(|p| {
                p.tenant_id == user.tenant_id && p.is_development && p.issuer == user.issuer
            });
            if !dev || user.issuer != keycare_seed::demo::DEV_ISSUER {
                bail!(
                    "token: the local development issuer is not configured for {email}'s council (it signs tokens for the demo data only: run `keycare serve --demo`)"
                );
            }
            let issuer = keycare_auth::DevIssuer::load_or_create(
                &config.data_dir,
                keycare_seed::demo::DEV_ISSUER,
                keycare_seed::demo::DEV_AUDIENCE,
            )?;
            let token = issuer.sign(
                &user.subject,
                Some(&user.email),
                std::time::Duration::from_secs(ttl_minutes.max(1) * 60),
            )?;
            println!("{token}");
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
            let config = Config::load(&cli.overrides, &ServeOverrides::default())?;
            let db = open(&config).await?;
            let report = keycare_domain::audit::verify(&db).await?;
            for chain in &report.chains {
                println!("{chain}");
            }
            if let Some(first) = report.broken().next() {
                bail!(
                    "audit verify: the access log of {} is broken at seq {}",
                    first.tenant_slug,
                    first.broken.as_ref().map_or(0, |b| b.seq)
                );
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", keycare_graphql::sdl());
            Ok(())
        }
        Command::Tenant { action } => {
            let config = Config::load(&cli.overrides, &ServeOverrides::default())?;
            let db = open(&config).await?;
            require_migrated(&db).await?;
            tenant(&config, &db, action).await
        }
        Command::Operations {
            action: OperationsAction::Manifest { dir },
        } => {
            let manifest = crate::persisted::build_manifest(&dir)?;
            println!("{}", serde_json::to_string_pretty(&manifest)?);
            Ok(())
        }
    }
}
