//! The gateway started in-process on a random loopback port, over a fresh database, with a
//! council ("testshire") whose identity provider is a real test OpenID provider.

use chrono::Utc;
use keycare::config::Config;
use keycare::server::{Running, start};
use keycare_auth::testing::{MintOptions, TestOidcProvider};
use keycare_domain::db::begin_for_tenant;
use keycare_entity as e;
use keycare_testkit::TestDb;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

/// The OAuth client id (and token audience) of the test council.
pub const CLIENT_ID: &str = "keycare-test";
pub const COUNCIL: &str = "testshire";

pub struct TestApp {
    pub base: String,
    pub provider: TestOidcProvider,
    pub http: reqwest::Client,
    pub running: Option<Running>,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

async fn add_user(
    db: &sea_orm::DatabaseConnection,
    tenant: Uuid,
    issuer: &str,
    sub: &str,
    name: &str,
    active: bool,
) {
    let txn = begin_for_tenant(db, tenant).await.unwrap();
    let now = Utc::now();
    e::user::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant),
        issuer: Set(issuer.to_owned()),
        subject: Set(sub.to_owned()),
        name: Set(name.to_owned()),
        email: Set(format!("{sub}@{COUNCIL}.example")),
        job_title: Set(None),
        active: Set(active),
        deactivated_at: Set((!active).then_some(now)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
}

impl TestApp {
    /// A gateway whose council trusts a fresh test provider; users `alice` (active) and
    /// `bob` (deactivated).
    pub async fn spawn() -> TestApp {
        let db = TestDb::new().await;
        let provider = TestOidcProvider::start().await;
        let tenant = Uuid::now_v7();
        let txn = begin_for_tenant(&db.db, tenant).await.unwrap();
        let now = Utc::now();
        e::tenant::ActiveModel {
            id: Set(tenant),
            name: Set("Testshire Council".into()),
            slug: Set(COUNCIL.into()),
            clothing_weekly_pence: Set(2500),
            pathway_plan_due_months: Set(186),
            report_suppression_threshold: Set(5),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .unwrap();
        e::identity_provider::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            issuer: Set(provider.issuer()),
            audience: Set(CLIENT_ID.into()),
            jwks_url: Set(provider.jwks_url()),
            client_id: Set(Some(CLIENT_ID.into())),
            is_development: Set(false),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .unwrap();
        txn.commit().await.unwrap();
        add_user(
            &db.db,
            tenant,
            &provider.issuer(),
            "alice",
            "Alice Example",
            true,
        )
        .await;
        add_user(
            &db.db,
            tenant,
            &provider.issuer(),
            "bob",
            "Bob Example",
            false,
        )
        .await;

        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_tests(db.url.clone(), dir.path().to_path_buf());
        let running = start(config, false).await.expect("gateway starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            base: running.public_url.clone(),
            provider,
            http,
            running: Some(running),
            _db: db,
            _dir: dir,
        }
    }

    /// A valid token for `sub`, with claims changed by `edit`.
    pub fn token(&self, sub: &str, edit: impl FnOnce(&mut Value)) -> String {
        self.token_with(sub, edit, MintOptions::default())
    }

    pub fn token_with(
        &self,
        sub: &str,
        edit: impl FnOnce(&mut Value),
        opts: MintOptions,
    ) -> String {
        let mut claims = self.provider.default_claims(sub, CLIENT_ID);
        edit(&mut claims);
        self.provider.mint(claims, opts)
    }

    /// POSTs a GraphQL query with this `Authorization` header (if any); status and body.
    pub async fn graphql(&self, authorization: Option<&str>, query: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/graphql", self.base))
            .json(&json!({ "query": query }));
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}

/// The error code and message of a refused GraphQL response.
pub fn error_of(body: &Value) -> (String, String) {
    let err = &body["errors"][0];
    (
        err["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        err["message"].as_str().unwrap_or_default().to_owned(),
    )
}
