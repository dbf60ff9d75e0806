//! Connecting to the database and running work inside a tenant's transaction.

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait,
};
use std::time::Duration;
use uuid::Uuid;

/// Why the database could not be opened, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "database URL {0:?} is not supported: use sqlite://PATH or postgres://USER@HOST/DB (set --database-url or KEYCARE_DATABASE_URL)"
    )]
    UnsupportedUrl(String),
    #[error(
        "cannot write the SQLite database at {path}: {reason}; choose a writable directory or set --database-url"
    )]
    SqliteNotWritable { path: String, reason: String },
    #[error(
        "cannot reach the database at {url}: {reason}; check that the server runs and the URL (--database-url or KEYCARE_DATABASE_URL) is right"
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "the database user of {url} cannot act as the role keycare_app ({reason}): run `keycare migrate up` as the tables' owner, or `GRANT keycare_app TO <user>`; a connection pooler must pass the `options` startup parameter through"
    )]
    AppRole { url: String, reason: String },
}

/// Hides the password of a database URL, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Opens a connection pool as the URL's user (the owner: migrations, seeds, the command
/// line), checking the URL and (for SQLite) that the file can be written.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, ConnectError> {
    open(url, max_connections, None).await
}

/// Opens the gateway's connection pool. On PostgreSQL every connection takes the role
/// [`APP_ROLE`] as it starts (the `role` startup option, as `SET ROLE`), so that nothing the
/// running gateway does runs as the owner: row-level security applies to every statement,
/// and the access log is append-only. The URL's user must be a member of that role (the
/// migrations grant it to the owner). On SQLite it is [`connect`].
pub async fn connect_as_app(
    url: &str,
    max_connections: u32,
) -> Result<DatabaseConnection, ConnectError> {
    open(url, max_connections, Some(AppSession::default())).await
}

/// Bounds on every statement and transaction of the gateway's connections (PostgreSQL's
/// `statement_timeout` and `idle_in_transaction_session_timeout`): a statement past its
/// time is cancelled, and a transaction left open by a stuck request is ended by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppSession {
    pub statement_timeout: Duration,
    pub idle_in_transaction_timeout: Duration,
}

impl Default for AppSession {
    fn default() -> Self {
        AppSession {
            statement_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(30),
        }
    }
}

/// [`connect_as_app`] with the session's bounds given.
pub async fn connect_as_app_with(
    url: &str,
    max_connections: u32,
    session: AppSession,
) -> Result<DatabaseConnection, ConnectError> {
    open(url, max_connections, Some(session)).await
}

async fn open(
    url: &str,
    max_connections: u32,
    app: Option<AppSession>,
) -> Result<DatabaseConnection, ConnectError> {
    let role = app.map(|_| APP_ROLE);
    let url = normalise_sqlite_url(url)?;
    probe_server(&url).await?;
    // SQLite takes one writer at a time, and every request writes (its access events): one
    // connection serialises requests instead of failing one of two concurrent writers.
    let max_connections = if url.starts_with("sqlite:") {
        1
    } else {
        max_connections
    };
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if let Some(session) = app {
        let statement = format!("{}ms", session.statement_timeout.as_millis());
        let idle = format!("{}ms", session.idle_in_transaction_timeout.as_millis());
        opts.map_sqlx_postgres_opts(move |pg| {
            pg.options([
                ("role", APP_ROLE.to_owned()),
                ("statement_timeout", statement.clone()),
                ("idle_in_transaction_session_timeout", idle.clone()),
            ])
        });
    }
    let db = Database::connect(opts).await.map_err(|e| {
        let (url, reason) = (redact(&url), first_line(&e.to_string()));
        if role.is_some() && reason.contains("set role") {
            ConnectError::AppRole { url, reason }
        } else {
            ConnectError::Unreachable { url, reason }
        }
    })?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers go on while one writer writes; foreign keys are on by default in sqlx.
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA busy_timeout = 5000",
        ] {
            db.execute_unprepared(pragma)
                .await
                .map_err(|e| sqlite_error(&url, e))?;
        }
    }
    Ok(db)
}

/// For a server database, checks that something listens before the pool starts retrying,
/// so that a refused connection is reported as such rather than as a pool time-out.
async fn probe_server(url: &str) -> Result<(), ConnectError> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(());
    };
    if !parsed.scheme().starts_with("postgres") {
        return Ok(());
    }
    let host = parsed.host_str().unwrap_or("localhost").to_owned();
    let port = parsed.port().unwrap_or(5432);
    let unreachable = |reason: String| ConnectError::Unreachable {
        url: redact(url),
        reason,
    };
    match tokio::time::timeout(
        Duration::from_secs(5),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(unreachable(format!("{host}:{port}: {e}"))),
        Err(_) => Err(unreachable(format!("{host}:{port}: no answer within 5 s"))),
    }
}

/// The first line of a driver message, without the wrapping the driver adds ("Connection
/// Error: error returned from database: ... at line 948").
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or_default();
    let line = line
        .rsplit("error returned from database: ")
        .next()
        .unwrap_or(line);
    match line.rfind(" at line ") {
        Some(i) if line[i + 9..].chars().all(|c| c.is_ascii_digit()) => line[..i].to_owned(),
        _ => line.to_owned(),
    }
}

fn sqlite_error(url: &str, e: DbErr) -> ConnectError {
    ConnectError::SqliteNotWritable {
        path: url.trim_start_matches("sqlite://").to_owned(),
        reason: first_line(&e.to_string()),
    }
}

/// Accepts `sqlite://PATH`, `sqlite:PATH` or a bare `*.db` path and makes sure the file can be
/// created; leaves PostgreSQL URLs as they are.
fn normalise_sqlite_url(url: &str) -> Result<String, ConnectError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if !url.contains("://") && url.ends_with(".db") {
        url
    } else {
        return Err(ConnectError::UnsupportedUrl(redact(url)));
    };
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(ConnectError::UnsupportedUrl(url.to_owned()));
    }
    if path != ":memory:" {
        check_writable(std::path::Path::new(path))?;
    }
    Ok(format!("sqlite://{path}?mode=rwc"))
}

fn check_writable(path: &std::path::Path) -> Result<(), ConnectError> {
    let not_writable = |reason: String| ConnectError::SqliteNotWritable {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        let meta = std::fs::metadata(path).map_err(|e| not_writable(e.to_string()))?;
        if meta.permissions().readonly() {
            return Err(not_writable("the file is read-only".into()));
        }
        return std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map(|_| ())
            .map_err(|e| not_writable(e.to_string()));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(not_writable(format!(
            "the directory {} does not exist",
            dir.display()
        )));
    }
    // Probe with a real file: permission bits alone do not tell (root, read-only mounts).
    let probe = dir.join(format!(".keycare-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| {
            not_writable(format!(
                "the directory {} is not writable: {e}",
                dir.display()
            ))
        })
}

/// Starts a transaction for one tenant. On PostgreSQL the tenant is set transaction-locally
/// (`set_config(..., true)`), so row-level security shows this tenant's rows only and the
/// setting never leaks to the next user of a pooled connection.
pub async fn begin_for_tenant(
    db: &DatabaseConnection,
    tenant_id: Uuid,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    set_tenant(&txn, tenant_id).await?;
    Ok(txn)
}

/// The PostgreSQL role the gateway's work runs as (created by the migrations).
pub use keycare_entity::postgres::APP_ROLE;

/// Starts a transaction for one tenant as the application role (PostgreSQL: `SET LOCAL
/// ROLE keycare_app`, which neither owns the tables nor bypasses row-level security): for
/// everything the running gateway does on behalf of a caller.
pub async fn begin_as_app(
    db: &DatabaseConnection,
    tenant_id: Uuid,
) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // The tenant and the role in one round trip; `set_config('role', ..., true)` is
        // `SET LOCAL ROLE`.
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true), set_config('role', $2, true)",
            [tenant_id.to_string().into(), APP_ROLE.into()],
        ))
        .await?;
    }
    Ok(txn)
}

/// Sets the tenant of the current transaction (PostgreSQL; a no-op on SQLite).
pub async fn set_tenant<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> Result<(), DbErr> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.tenant_id', $1, true)",
            [tenant_id.to_string().into()],
        ))
        .await?;
    }
    Ok(())
}

/// On PostgreSQL, why the connection's login may not serve requests in production: it is a
/// superuser, may bypass row-level security, or owns the tables (and so could change the
/// schema or the access log). `None` when it is a plain login (or on SQLite).
pub async fn too_privileged(db: &DatabaseConnection) -> Result<Option<String>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT session_user::text AS login, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
                    EXISTS (SELECT 1 FROM pg_tables t WHERE t.schemaname = current_schema()
                            AND pg_has_role(session_user, t.tableowner, 'USAGE')) AS owner
               FROM pg_roles r WHERE r.rolname = session_user",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the session's role is not in pg_roles".into()))?;
    let login: String = row.try_get("", "login")?;
    let why = if row.try_get::<bool>("", "superuser")? {
        Some(format!("{login} (a superuser)"))
    } else if row.try_get::<bool>("", "bypass")? {
        Some(format!("{login} (which bypasses row-level security)"))
    } else if row.try_get::<bool>("", "owner")? {
        Some(format!("{login} (the owner of the tables)"))
    } else {
        None
    };
    Ok(why)
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
