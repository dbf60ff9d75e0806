//! Starting the `keycare` binary as a child process, and stopping it again.

use keycare_testkit::TestDb;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_keycare");

/// How long a server may take to answer /healthz (migrations and demo data included).
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A `keycare` command with no configuration inherited from the environment.
pub fn keycare(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    // Every setting of the gateway (`KEYCARE_*`), and the exporter's.
    for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with("KEYCARE_")) {
        cmd.env_remove(var);
    }
    for var in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_SDK_DISABLED",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// A free local port (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `keycare serve --demo`, killed when dropped.
pub struct Server {
    pub base: String,
    child: Child,
    dir: tempfile::TempDir,
    /// `--database-url` (PostgreSQL) or None (the default SQLite file in the working dir).
    database_url: Option<String>,
    _db: Option<TestDb>,
}

impl Server {
    /// Starts `keycare serve --demo` on a free port and waits until /healthz answers.
    pub async fn start_demo() -> Server {
        Server::start_demo_with_env(&[]).await
    }

    /// The same, with these environment variables set for the server.
    pub async fn start_demo_with_env(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = match std::env::var(keycare_testkit::DATABASE_URL_ENV) {
            Ok(url) if url.starts_with("postgres") => Some(TestDb::empty().await),
            _ => None,
        };
        let database_url = db.as_ref().map(|d| d.url.clone());
        let addr = format!("127.0.0.1:{}", free_port());
        let mut cmd = keycare(dir.path());
        cmd.args(["serve", "--demo", "--addr", &addr]);
        cmd.envs(env.iter().copied());
        Self::common_args(&mut cmd, dir.path(), database_url.as_deref());
        cmd.stdout(Stdio::from(
            std::fs::File::create(dir.path().join("stdout.log")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).unwrap(),
        ));
        let child = cmd.spawn().expect("spawn keycare serve");
        let mut server = Server {
            base: format!("http://{addr}"),
            child,
            dir,
            database_url,
            _db: db,
        };
        server.wait_healthy().await;
        server
    }

    fn common_args(cmd: &mut Command, dir: &Path, database_url: Option<&str>) {
        cmd.arg("--data-dir").arg(dir.join("data"));
        if let Some(url) = database_url {
            cmd.args(["--database-url", url]);
        }
    }

    /// What the server has written to stdout so far (its log).
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default()
    }

    fn logs(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!(
            "--- stderr ---\n{}\n--- stdout ---\n{}",
            read("stderr.log"),
            read("stdout.log")
        )
    }

    async fn wait_healthy(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("keycare serve exited early ({status})\n{}", self.logs());
            }
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "keycare serve did not answer /healthz within {START_DEADLINE:?}\n{}",
                    self.logs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs another `keycare` command against the same database and data directory.
    pub fn command(&self, args: &[&str]) -> Output {
        let mut cmd = keycare(self.dir.path());
        cmd.args(args);
        Self::common_args(&mut cmd, self.dir.path(), self.database_url.as_deref());
        cmd.output().expect("run keycare")
    }

    /// A bearer token of a demo user, from `keycare token EMAIL`.
    pub fn token(&self, email: &str) -> String {
        let out = self.command(&["token", email]);
        assert!(
            out.status.success(),
            "keycare token {email} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
