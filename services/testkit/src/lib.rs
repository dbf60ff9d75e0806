//! Test support shared by the crates' integration tests: a fresh, migrated database per test.
//!
//! By default each test gets its own SQLite file in a temporary directory. When
//! `KEYCARE_TEST_DATABASE_URL` names a PostgreSQL database, each test instead gets a new
//! database cloned from a migrated template (`CREATE DATABASE ... TEMPLATE`), which takes
//! milliseconds. A PostgreSQL URL that cannot be reached fails the test: it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keycare_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use tokio::sync::OnceCell;

/// The environment variable that selects PostgreSQL for the tests.
pub const DATABASE_URL_ENV: &str = "KEYCARE_TEST_DATABASE_URL";

/// A fresh database for one test. The SQLite file lives as long as this value.
pub struct TestDb {
    /// A connection pool to the fresh database, migrations applied.
    pub db: DatabaseConnection,
    /// The URL of the fresh database (for starting a server against it).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The database backend the tests run on.
pub fn backend() -> DbBackend {
    match std::env::var(DATABASE_URL_ENV) {
        Ok(url) if url.starts_with("postgres") => DbBackend::Postgres,
        _ => DbBackend::Sqlite,
    }
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

fn with_database(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("KEYCARE_TEST_DATABASE_URL is not a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn admin(base: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(base.to_owned());
    opts.max_connections(1).sqlx_logging(false);
    Database::connect(opts)
        .await
        .unwrap_or_else(|e| panic!("{DATABASE_URL_ENV}={base} cannot be reached: {e}"))
}

/// Creates (once per test process) a migrated template database and returns its name.
async fn template(base: &str) -> String {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("keycare_tpl_{}", std::process::id());
            let admin = admin(base).await;
            // Leftovers of earlier runs: databases whose test process has gone. Names carry
            // the pid, so concurrent test processes never drop each other's databases.
            let stale = admin
                .query_all_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT datname FROM pg_database WHERE datname LIKE 'keycare_t%'",
                ))
                .await
                .expect("list databases");
            for row in stale {
                let db: String = row.try_get("", "datname").expect("datname");
                if owner_alive(&db) {
                    continue;
                }
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                    .await
                    .expect("drop stale test database");
            }
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create template database");
            admin.close().await.ok();
            let tpl = admin_for(&with_database(base, &name)).await;
            Migrator::up(&tpl, None).await.expect("migrate template");
            tpl.close().await.ok();
            name
        })
        .await
        .clone()
}

/// `keycare_t_<pid>_<random>`: the pid tells whether its process still runs.
fn test_db_name() -> String {
    format!(
        "keycare_t_{}_{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether the test process that created this database still runs (names end in
/// `_<pid>` for templates and `_<pid>_<random>` for test databases).
fn owner_alive(name: &str) -> bool {
    let pid = if let Some(rest) = name.strip_prefix("keycare_tpl_") {
        rest
    } else if let Some(rest) = name.strip_prefix("keycare_t_") {
        rest.split('_').next().unwrap_or_default()
    } else {
        return true;
    };
    match pid.parse::<u32>() {
        Ok(pid) if pid == std::process::id() => true,
        Ok(pid) => std::path::Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => false,
    }
}

async fn admin_for(url: &str) -> DatabaseConnection {
    admin(url).await
}

impl TestDb {
    /// A fresh database with every migration applied.
    pub async fn new() -> TestDb {
        match std::env::var(DATABASE_URL_ENV) {
            Ok(base) if base.starts_with("postgres") => {
                let tpl = template(&base).await;
                let name = test_db_name();
                let admin = admin(&base).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{tpl}\""))
                    .await
                    .expect("clone template database");
                admin.close().await.ok();
                let url = with_database(&base, &name);
                let db = connect(&url).await;
                TestDb {
                    db,
                    url,
                    _dir: None,
                }
            }
            _ => {
                let (db, url, dir) = Self::sqlite_unmigrated().await;
                Migrator::up(&db, None).await.expect("migrate");
                TestDb {
                    db,
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }

    /// An empty database with no migration applied (for migration tests).
    pub async fn empty() -> TestDb {
        match std::env::var(DATABASE_URL_ENV) {
            Ok(base) if base.starts_with("postgres") => {
                let _ = template(&base).await; // clears leftovers first
                let name = test_db_name();
                let admin = admin(&base).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                let url = with_database(&base, &name);
                let db = connect(&url).await;
                TestDb {
                    db,
                    url,
                    _dir: None,
                }
            }
            _ => {
                let (db, url, dir) = Self::sqlite_unmigrated().await;
                TestDb {
                    db,
                    url,
                    _dir: Some(dir),
                }
            }
        }
    }

    async fn sqlite_unmigrated() -> (DatabaseConnection, String, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let db = connect(&url).await;
        (db, url, dir)
    }

    /// The backend of this database.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}

async fn connect(url: &str) -> DatabaseConnection {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(5).sqlx_logging(false);
    Database::connect(opts)
        .await
        .expect("connect to test database")
}
