//! The gateway in-process with the demo data and the development issuer: tokens for every
//! demo user of the README, signed by the same key the server publishes.

use keycare::config::Config;
use keycare::server::{Running, start};
use keycare_auth::DevIssuer;
use keycare_seed::demo::{DEV_AUDIENCE, DEV_ISSUER};
use keycare_testkit::TestDb;
use serde_json::{Value, json};

pub struct DemoApp {
    pub base: String,
    pub http: reqwest::Client,
    issuer: DevIssuer,
    running: Option<Running>,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

impl DemoApp {
    pub async fn spawn() -> DemoApp {
        DemoApp::spawn_with(|_| {}).await
    }

    /// The same, with the configuration changed by `change` first (a policy of its own...).
    pub async fn spawn_with(change: impl FnOnce(&mut Config)) -> DemoApp {
        let db = TestDb::new().await;
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests(db.url.clone(), dir.path().to_path_buf());
        config.dev_issuer = true;
        change(&mut config);
        let running = start(config, true)
            .await
            .expect("gateway starts with the demo");
        let issuer = DevIssuer::load_or_create(dir.path(), DEV_ISSUER, DEV_AUDIENCE).unwrap();
        DemoApp {
            base: running.public_url.clone(),
            http: reqwest::Client::new(),
            issuer,
            running: Some(running),
            _db: db,
            _dir: dir,
        }
    }

    /// A bearer token for a demo user, by the local part of their email and council domain.
    pub fn token(&self, email: &str) -> String {
        self.issuer
            .sign(email, Some(email), std::time::Duration::from_secs(600))
            .unwrap()
    }

    /// Runs a GraphQL operation as `email`; status and body.
    pub async fn gql(&self, email: &str, query: &str, variables: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(self.token(email))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// Runs a GraphQL operation as `email` with `request_id` as its `x-request-id` (the
    /// gateway takes it as the request's id, which the access log records); status and body.
    pub async fn gql_with_request_id(
        &self,
        email: &str,
        query: &str,
        variables: Value,
        request_id: &str,
    ) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(self.token(email))
            .header("x-request-id", request_id)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// Stops the gateway (its shutdown grace period applies) and keeps the database, so
    /// that what it acknowledged can be checked; the outcome of the shutdown.
    pub async fn shut_down(&mut self) -> anyhow::Result<()> {
        match self.running.take() {
            Some(r) => r.stop().await,
            None => Ok(()),
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// The `extensions.code` of the first error, if any.
pub fn code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// The URL of the app's database (for tests that check or prepare rows directly).
pub fn database_url(app: &DemoApp) -> &str {
    &app._db.url
}
