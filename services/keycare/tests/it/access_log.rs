//! The access log: appending to the hash chain, verifying it (and finding an edit),
//! `accessLog` for the DPO and managers, and the subject access export.

use crate::demo_app::{DemoApp, code, database_url};
use crate::support::keycare;
use chrono::Utc;
use keycare_authz::{Action, Kind, Policy, RecordFacts};
use keycare_domain::audit::{self, GENESIS};
use keycare_domain::identity::{Identity, find_by_email};
use keycare_domain::request::Request;
use keycare_entity::access_event as ae;
use keycare_graphql::global_id;
use keycare_seed::demo::id;
use keycare_testkit::TestDb;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use uuid::Uuid;

/// The signed-in identity of a demo user.
async fn identity(db: &DatabaseConnection, email: &str) -> Identity {
    let user = find_by_email(db, email).await.unwrap().expect(email);
    Identity {
        user_id: user.id,
        tenant_id: user.tenant_id,
        issuer: user.issuer,
        subject: user.subject,
        expires_at: Utc::now() + chrono::Duration::hours(1),
    }
}

/// Runs one request as `email` that reads `kind` of each child (allowed or denied, as the
/// policy decides) and finishes it, as the gateway does.
async fn reads(
    db: &DatabaseConnection,
    email: &str,
    request_id: &str,
    children: &[Uuid],
    kind: Kind,
) {
    let who = identity(db, email).await;
    let req = Request::begin(
        db,
        Policy::shipped().await.unwrap(),
        who,
        request_id.to_owned(),
    )
    .await
    .unwrap();
    for child in children {
        let decision = req
            .access
            .decide_for_child(&req.txn, *child, kind, Action::Read, RecordFacts::default())
            .await
            .unwrap();
        req.record_access(Some(*child), kind, None, Action::Read, decision);
    }
    req.finish().await.unwrap();
}

fn child(key: &str) -> Uuid {
    id("northshire", "child", key)
}

/// The chain of a tenant as stored, in seq order.
async fn chain(db: &DatabaseConnection, tenant: Uuid) -> Vec<ae::Model> {
    ae::Entity::find()
        .filter(ae::Column::TenantId.eq(tenant))
        .order_by_asc(ae::Column::Seq)
        .all(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn append_chains_events_and_verify_names_an_edited_event() {
    let t = TestDb::new().await;
    let db = &t.db;
    keycare_seed::demo::seed_demo(db).await.unwrap();
    let (amelia, jayden, leo) = (child("amelia"), child("jayden"), child("leo"));
    let northshire = identity(db, "keycarer.oak@northshire.example")
        .await
        .tenant_id;

    // A request that records nothing appends nothing.
    reads(
        db,
        "keycarer.oak@northshire.example",
        "r0",
        &[],
        Kind::DailyLog,
    )
    .await;
    assert!(chain(db, northshire).await.is_empty());

    reads(
        db,
        "keycarer.oak@northshire.example",
        "r1",
        &[amelia, jayden, leo],
        Kind::DailyLog,
    )
    .await;
    reads(
        db,
        "manager.oak@northshire.example",
        "r2",
        &[amelia, leo],
        Kind::KeySession,
    )
    .await;

    let rows = chain(db, northshire).await;
    assert_eq!(rows.len(), 5);
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.seq, i as i64 + 1, "seq is continuous from 1");
        assert_eq!(row.prev_hash, prev, "prev_hash links seq {}", row.seq);
        assert_eq!(row.hash, audit::event_hash(&audit::ChainFields::of(row)));
        prev = row.hash.clone();
    }
    // Key carer: allowed on their key children with basis key_team, denied on Leo (Beech).
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.request_id.as_str(),
                r.child_id,
                r.basis.as_deref(),
                r.allowed,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("r1", Some(amelia), Some("key_team"), true),
            ("r1", Some(jayden), Some("key_team"), true),
            ("r1", Some(leo), None, false),
            ("r2", Some(amelia), Some("manager"), true),
            ("r2", Some(leo), None, false),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r.record_kind == "daily_log" || r.record_kind == "key_session")
    );
    assert!(
        rows.iter()
            .all(|r| r.action == keycare_entity::enums::AccessAction::Read)
    );

    let report = audit::verify(db).await.unwrap();
    assert!(report.intact(), "{report:?}");
    let lines: Vec<String> = report.chains.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "northshire: 5 events, chain intact",
            "southdale: 0 events, chain intact"
        ]
    );

    // The CLI says the same and exits 0.
    let dir = tempfile::tempdir().unwrap();
    let out = keycare(dir.path())
        .args(["--database-url", &t.url, "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("northshire: 5 events, chain intact"),
        "{stdout}"
    );

    // On PostgreSQL the application role can neither change nor delete an event.
    if t.backend() == DbBackend::Postgres {
        for sql in [
            "UPDATE access_events SET allowed = NOT allowed",
            "DELETE FROM access_events",
        ] {
            let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
            keycare_domain::db::set_tenant(&txn, northshire)
                .await
                .unwrap();
            txn.execute_unprepared("SET LOCAL ROLE keycare_app")
                .await
                .unwrap();
            let err = txn.execute_unprepared(sql).await.expect_err(sql);
            assert!(
                err.to_string().contains("permission denied"),
                "{sql}: {err}"
            );
            txn.rollback().await.unwrap();
        }
    }

    // Someone with the owner's rights edits an event by hand: verify names it.
    let edited = ae::Entity::update_many()
        .col_expr(
            ae::Column::Allowed,
            sea_orm::sea_query::ExprTrait::not(Expr::col(ae::Column::Allowed)),
        )
        .filter(ae::Column::TenantId.eq(northshire))
        .filter(ae::Column::Seq.eq(2))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(edited.rows_affected, 1);
    let report = audit::verify(db).await.unwrap();
    assert!(!report.intact());
    let broken: Vec<_> = report.broken().collect();
    assert_eq!(broken.len(), 1);
    let link = broken[0].broken.as_ref().unwrap();
    assert_eq!(
        (broken[0].tenant_slug.as_str(), link.seq, link.event_id),
        ("northshire", 2, rows[1].id)
    );
    assert_eq!(
        broken[0].to_string(),
        format!(
            "northshire: BROKEN at seq 2 (event {}): hash does not match its content",
            rows[1].id
        )
    );

    let out = keycare(dir.path())
        .args(["--database-url", &t.url, "--data-dir"])
        .arg(dir.path().join("data"))
        .args(["audit", "verify"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("northshire: BROKEN at seq 2"), "{stdout}");
    assert!(
        stdout.contains("southdale: 0 events, chain intact"),
        "{stdout}"
    );
    assert!(stderr.contains("broken at seq 2"), "{stderr}");

    // A deleted event shows as a gap.
    ae::Entity::update_many()
        .col_expr(
            ae::Column::Allowed,
            sea_orm::sea_query::ExprTrait::not(Expr::col(ae::Column::Allowed)),
        )
        .filter(ae::Column::TenantId.eq(northshire))
        .filter(ae::Column::Seq.eq(2))
        .exec(db)
        .await
        .unwrap();
    assert!(
        audit::verify(db).await.unwrap().intact(),
        "undoing the edit mends the chain"
    );
    ae::Entity::delete_many()
        .filter(ae::Column::TenantId.eq(northshire))
        .filter(ae::Column::Seq.eq(4))
        .exec(db)
        .await
        .unwrap();
    let report = audit::verify(db).await.unwrap();
    let link = report.chains[0].broken.clone().unwrap();
    assert_eq!((link.seq, link.event_id), (5, rows[4].id));
    assert_eq!(link.problem, "seq 5 follows seq 3: events are missing");
}

/// Runs the access log query; the events (or the error body).
const LOG: &str = r#"query($child: ID, $user: ID, $kind: String, $first: Int, $after: String) {
  accessLog(childId: $child, userId: $user, kind: $kind, first: $first, after: $after) {
    edges { cursor node { id at user { id name } basis childId recordKind recordId action allowed requestId seq } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

async fn log(app: &DemoApp, email: &str, vars: Value) -> Vec<Value> {
    let (status, body) = app.gql(email, LOG, vars).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{email}: {body}");
    body["data"]["accessLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn gid(key: &str) -> Value {
    json!(global_id("Child", child(key)).to_string())
}

#[tokio::test]
async fn access_log_is_for_the_dpo_and_managers_only() {
    let app = DemoApp::spawn().await;
    let db = keycare_domain::db::connect(database_url(&app), 2)
        .await
        .unwrap();
    reads(
        &db,
        "keycarer.oak@northshire.example",
        "req-oak",
        &[child("amelia")],
        Kind::DailyLog,
    )
    .await;
    reads(
        &db,
        "staff.beech@northshire.example",
        "req-beech",
        &[child("leo"), child("amelia")],
        Kind::DailyLog,
    )
    .await;
    reads(
        &db,
        "sw@southdale.example",
        "req-south",
        &[id("southdale", "child", "ruby")],
        Kind::DailyLog,
    )
    .await;

    // The DPO sees the whole council's log, newest first.
    let all = log(&app, "dpo@northshire.example", json!({})).await;
    let ids: Vec<&str> = all
        .iter()
        .map(|e| e["requestId"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"req-oak") && ids.contains(&"req-beech"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"req-south"),
        "another council's events never show"
    );
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );
    let oak = all.iter().find(|e| e["requestId"] == "req-oak").unwrap();
    assert_eq!(oak["childId"], gid("amelia"));
    assert_eq!(
        (
            oak["basis"].as_str(),
            oak["action"].as_str(),
            oak["recordKind"].as_str()
        ),
        (Some("key_team"), Some("READ"), Some("daily_log"))
    );
    assert_eq!(
        oak["user"]["name"].as_str().map(|n| !n.is_empty()),
        Some(true)
    );
    let denied = all
        .iter()
        .find(|e| e["requestId"] == "req-beech" && e["childId"] == gid("amelia"))
        .unwrap();
    assert_eq!(
        (denied["allowed"].as_bool(), denied["basis"].as_str()),
        (Some(false), None)
    );

    // Reading the log was itself logged: one event for the whole request.
    let again = log(
        &app,
        "dpo@northshire.example",
        json!({"kind": "access_log"}),
    )
    .await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(
        (again[0]["basis"].as_str(), again[0]["childId"].as_str()),
        (Some("dpo"), None)
    );

    // Paging: opaque cursors, no overlap, hasNextPage.
    let (_, body) = app
        .gql(
            "dpo@northshire.example",
            LOG,
            json!({"kind": "daily_log", "first": 2}),
        )
        .await;
    let page = &body["data"]["accessLog"];
    assert_eq!(page["edges"].as_array().unwrap().len(), 2, "{body}");
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let after = page["pageInfo"]["endCursor"].clone();
    let rest = log(
        &app,
        "dpo@northshire.example",
        json!({"kind": "daily_log", "after": after}),
    )
    .await;
    assert_eq!(rest.len(), 1, "three daily-log events in all: {rest:?}");
    assert!(rest[0]["seq"].as_i64() < page["edges"][1]["node"]["seq"].as_i64());

    // Filters by child and user.
    let amelia = log(
        &app,
        "dpo@northshire.example",
        json!({"child": gid("amelia")}),
    )
    .await;
    assert_eq!(amelia.len(), 2);
    let beech_user = global_id("User", id("northshire", "user", "staff.beech")).to_string();
    let by_user = log(&app, "dpo@northshire.example", json!({"user": beech_user})).await;
    assert_eq!(by_user.len(), 2);
    assert!(by_user.iter().all(|e| e["requestId"] == "req-beech"));
    let (_, body) = app
        .gql("dpo@northshire.example", LOG, json!({"kind": "gossip"}))
        .await;
    assert_eq!(code(&body), Some("BAD_USER_INPUT"), "{body}");

    // A manager sees the events about their home's children only.
    let oak_children: HashSet<Value> = ["amelia", "jayden", "priya", "ellie", "noah"]
        .iter()
        .map(|k| gid(k))
        .collect();
    // (The DPO's reading of Amelia's log above is an event about Amelia too.)
    let seen = log(&app, "manager.oak@northshire.example", json!({})).await;
    assert!(
        seen.iter().all(|e| oak_children.contains(&e["childId"])),
        "{seen:?}"
    );
    let daily = |events: &[Value]| {
        events
            .iter()
            .filter(|e| e["recordKind"] == "daily_log")
            .count()
    };
    assert_eq!(daily(&seen), 2, "Amelia's two daily-log events: {seen:?}");
    assert_eq!(seen.len(), 3, "{seen:?}");
    let beech = log(&app, "manager.beech@northshire.example", json!({})).await;
    assert_eq!(beech.len(), 1);
    assert_eq!(beech[0]["childId"], gid("leo"));
    let none = log(
        &app,
        "manager.oak@northshire.example",
        json!({"child": gid("leo")}),
    )
    .await;
    assert!(none.is_empty(), "{none:?}");

    // Everyone else is refused, and the refusal is logged.
    for email in [
        "keycarer.oak@northshire.example",
        "staff.oak@northshire.example",
        "sw@northshire.example",
        "iro@northshire.example",
        "reporting@northshire.example",
        "admin@northshire.example",
    ] {
        let (_, body) = app.gql(email, LOG, json!({})).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{email}: {body}");
        assert!(body["data"].is_null(), "{email}: {body}");
    }
    let refused = log(
        &app,
        "dpo@northshire.example",
        json!({"kind": "access_log", "first": 200}),
    )
    .await;
    assert_eq!(
        refused.iter().filter(|e| e["allowed"] == false).count(),
        6,
        "{refused:?}"
    );

    // The other council's DPO sees their council's events only.
    let south = log(&app, "dpo@southdale.example", json!({})).await;
    assert!(south.iter().any(|e| e["requestId"] == "req-south"));
    assert!(
        south.iter().all(|e| e["requestId"] != "req-oak"
            && e["requestId"] != "req-beech"
            && e["childId"] != gid("amelia")
            && e["childId"] != gid("leo")),
        "{south:?}"
    );
    assert!(
        log(
            &app,
            "dpo@southdale.example",
            json!({"child": gid("amelia")})
        )
        .await
        .is_empty()
    );

    // Every event appended through the gateway kept the chains intact.
    let report = audit::verify(&db).await.unwrap();
    assert!(report.intact(), "{report:?}");
    app.stop().await;
}

const EXPORT: &str = "query($id: ID!) { subjectAccessExport(childId: $id) }";

#[tokio::test]
async fn subject_access_export_is_for_the_dpo_and_is_logged() {
    let app = DemoApp::spawn().await;
    let db = keycare_domain::db::connect(database_url(&app), 2)
        .await
        .unwrap();
    reads(
        &db,
        "keycarer.oak@northshire.example",
        "req-before",
        &[child("amelia")],
        Kind::DailyLog,
    )
    .await;

    let (status, body) = app
        .gql(
            "dpo@northshire.example",
            EXPORT,
            json!({"id": gid("amelia")}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body["errors"].is_null(), "{body}");
    let doc = &body["data"]["subjectAccessExport"];
    assert_eq!(doc["format"], "keycare-subject-access-v1");
    assert_eq!(doc["child"]["id"], json!(child("amelia")));
    assert_eq!(doc["child"]["legal_name"], "Amelia Hart");
    // Every child-record table of the schema, and the child's relationships.
    let records = doc["records"].as_object().unwrap();
    for table in keycare_migration::tables::tables(DbBackend::Sqlite) {
        if table.child_record {
            assert!(
                records.contains_key(table.name),
                "{} is missing",
                table.name
            );
        }
    }
    for table in [
        "placements",
        "pre_admission_visits",
        "key_team_assignments",
        "allocations",
    ] {
        assert!(records.contains_key(table), "{table} is missing");
    }
    let logs = records["daily_logs"].as_array().unwrap();
    assert!(!logs.is_empty(), "Amelia has daily logs");
    assert!(logs.iter().all(|l| l["child_id"] == json!(child("amelia"))));
    let ids: Vec<&str> = logs.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]) || ids.len() < 2,
        "ordered by id"
    );
    assert!(!records["placements"].as_array().unwrap().is_empty());
    assert!(
        !records["key_team_assignments"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let events = doc["accessEvents"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["request_id"] == "req-before"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["child_id"] == json!(child("amelia")))
    );

    // The export was logged.
    let logged = log(
        &app,
        "dpo@northshire.example",
        json!({"kind": "subject_access"}),
    )
    .await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        (
            logged[0]["action"].as_str(),
            logged[0]["allowed"].as_bool(),
            logged[0]["basis"].as_str()
        ),
        (Some("EXPORT"), Some(true), Some("dpo"))
    );
    assert_eq!(logged[0]["childId"], gid("amelia"));

    // Nobody else; unknown, foreign or malformed ids are not found.
    for email in [
        "manager.oak@northshire.example",
        "keycarer.oak@northshire.example",
        "admin@northshire.example",
    ] {
        let (_, body) = app.gql(email, EXPORT, json!({"id": gid("amelia")})).await;
        assert_eq!(code(&body), Some("FORBIDDEN"), "{email}: {body}");
    }
    let ruby = json!(global_id("Child", id("southdale", "child", "ruby")).to_string());
    let unknown = json!(global_id("Child", Uuid::new_v4()).to_string());
    for (email, child_id) in [
        ("dpo@northshire.example", ruby.clone()),
        ("dpo@northshire.example", unknown),
        ("dpo@northshire.example", json!("not-an-id")),
        ("dpo@southdale.example", gid("amelia")),
    ] {
        let (_, body) = app.gql(email, EXPORT, json!({"id": child_id})).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{email} {child_id}: {body}");
    }
    let (_, body) = app
        .gql("dpo@southdale.example", EXPORT, json!({"id": ruby}))
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(audit::verify(&db).await.unwrap().intact());
    app.stop().await;
}

/// Cost of appending: `audit::append` alone (head read + one insert) and the commit, for
/// requests of 1, 10, 100 and 1000 events on a chain that grows.
/// `cargo test -p keycare --test it access_log::append_cost -- --ignored --nocapture`
#[tokio::test]
#[ignore = "measurement, not a test"]
async fn append_cost() {
    use keycare_authz::{Basis, Decision};
    use std::time::{Duration, Instant};
    let t = TestDb::new().await;
    let db = &t.db;
    keycare_seed::demo::seed_demo(db).await.unwrap();
    let policy = Policy::shipped().await.unwrap();
    let who = identity(db, "keycarer.oak@northshire.example").await;
    for size in [1usize, 10, 50, 100, 200, 1000] {
        let n = if size >= 1000 { 20 } else { 100 };
        let (mut append, mut commit) = (Duration::ZERO, Duration::ZERO);
        for i in 0..n {
            let req = Request::begin(db, policy.clone(), who.clone(), format!("s{size}-{i}"))
                .await
                .unwrap();
            for _ in 0..size {
                let decision = Decision::Allowed(Basis::KeyTeam);
                req.record_access(
                    Some(child("amelia")),
                    Kind::DailyLog,
                    None,
                    Action::Read,
                    decision,
                );
            }
            let events = req.pending_events();
            let start = Instant::now();
            audit::append(&req.txn, &req.identity, &req.request_id, req.now, &events)
                .await
                .unwrap();
            append += start.elapsed();
            let start = Instant::now();
            req.txn.commit().await.unwrap();
            commit += start.elapsed();
        }
        eprintln!(
            "{:?}: {size:>4} events/request: append {:?}, commit {:?} (mean of {n})",
            t.backend(),
            append / n,
            commit / n
        );
    }
    let start = Instant::now();
    let report = audit::verify(db).await.unwrap();
    eprintln!("verify {}: {:?}", report.chains[0], start.elapsed());
}

// Records found by id: a refused attempt is logged as denied; a record of another council is
// never loaded, so nothing about it reaches either council's log.

fn tenant(slug: &str) -> Uuid {
    id(slug, "tenant", "")
}

fn node_id(kind: &str, uuid: Uuid) -> Value {
    json!(global_id(kind, uuid).to_string())
}

/// The first row (lowest id) of a council's table matching `column = value` filters, read by
/// the owner within the council's tenant.
macro_rules! first {
    ($db:expr, $slug:expr, $m:ident $(, $col:ident = $val:expr)*) => {{
        let t = tenant($slug);
        let txn = keycare_domain::db::begin_for_tenant($db, t).await.unwrap();
        let row = keycare_entity::$m::Entity::find()
            .filter(keycare_entity::$m::Column::TenantId.eq(t))
            $(.filter(keycare_entity::$m::Column::$col.eq($val)))*
            .order_by_asc(keycare_entity::$m::Column::Id)
            .one(&txn)
            .await
            .unwrap()
            .expect(stringify!($m));
        txn.commit().await.unwrap();
        row
    }};
}

/// The events one request appended, in both councils' logs (council by council).
async fn events_of(db: &DatabaseConnection, request_id: &str) -> Vec<ae::Model> {
    let mut out = Vec::new();
    for slug in ["northshire", "southdale"] {
        let txn = keycare_domain::db::begin_for_tenant(db, tenant(slug))
            .await
            .unwrap();
        out.extend(
            ae::Entity::find()
                .filter(ae::Column::TenantId.eq(tenant(slug)))
                .filter(ae::Column::RequestId.eq(request_id))
                .order_by_asc(ae::Column::Seq)
                .all(&txn)
                .await
                .unwrap(),
        );
        txn.commit().await.unwrap();
    }
    out
}

/// Every event of a council's log naming `child`.
async fn events_naming(db: &DatabaseConnection, slug: &str, child: Uuid) -> Vec<ae::Model> {
    let txn = keycare_domain::db::begin_for_tenant(db, tenant(slug))
        .await
        .unwrap();
    let rows = ae::Entity::find()
        .filter(ae::Column::TenantId.eq(tenant(slug)))
        .filter(ae::Column::ChildId.eq(child))
        .all(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    rows
}

const CORRECT_LOG: &str =
    "mutation($i: CorrectDailyLogInput!) { correctDailyLog(input: $i) { dailyLog { id } } }";
const CANCEL_SESSION: &str =
    "mutation($i: CancelKeySessionInput!) { cancelKeySession(input: $i) { keySession { id } } }";
const SUBMIT_SUMMARY: &str = "mutation($i: MonthlySummaryStepInput!) { submitMonthlySummary(input: $i) { monthlySummary { id } } }";

#[tokio::test]
async fn a_refused_change_of_a_record_found_by_id_is_logged_as_denied() {
    use keycare_entity::enums::{AccessAction, SessionStatus};
    let app = DemoApp::spawn().await;
    let db = sea_orm::Database::connect(database_url(&app))
        .await
        .unwrap();
    let amelia = child("amelia");
    let restricted = first!(
        &db,
        "northshire",
        daily_log,
        ChildId = amelia,
        Restricted = true
    );
    let plain = first!(
        &db,
        "northshire",
        daily_log,
        ChildId = amelia,
        Restricted = false
    );
    let session = first!(
        &db,
        "northshire",
        key_session,
        ChildId = amelia,
        Status = SessionStatus::Planned
    );
    let summary = first!(&db, "northshire", monthly_summary, ChildId = amelia);
    let cases = [
        // Home staff: a restricted entry does not exist for them.
        (
            "staff.oak@northshire.example",
            "denied-restricted-log",
            CORRECT_LOG,
            json!({"id": node_id("DailyLog", restricted.id), "expectedVersion": restricted.version, "text": "Changed"}),
            "NOT_FOUND",
            "daily_log",
            restricted.id,
        ),
        // Home staff correct only what they wrote.
        (
            "staff.oak@northshire.example",
            "denied-someone-elses-log",
            CORRECT_LOG,
            json!({"id": node_id("DailyLog", plain.id), "expectedVersion": plain.version, "text": "Changed"}),
            "FORBIDDEN",
            "daily_log",
            plain.id,
        ),
        // The IRO may not read key sessions.
        (
            "iro@northshire.example",
            "denied-iro-session",
            CANCEL_SESSION,
            json!({"id": node_id("KeySession", session.id), "expectedVersion": session.version, "reason": "Unwell"}),
            "NOT_FOUND",
            "key_session",
            session.id,
        ),
        // Staff of another home may not see the child at all.
        (
            "keycarer.beech@northshire.example",
            "denied-other-home-summary",
            SUBMIT_SUMMARY,
            json!({"id": node_id("MonthlySummary", summary.id), "expectedVersion": summary.version}),
            "NOT_FOUND",
            "monthly_summary",
            summary.id,
        ),
    ];
    for (email, request_id, mutation, input, expected, kind, record) in cases {
        let (_, body) = app
            .gql_with_request_id(email, mutation, json!({ "i": input }), request_id)
            .await;
        assert_eq!(code(&body), Some(expected), "{request_id}: {body}");
        let events: Vec<_> = events_of(&db, request_id)
            .await
            .into_iter()
            .map(|e| {
                (
                    e.tenant_id,
                    e.child_id,
                    e.record_kind,
                    e.record_id,
                    e.action,
                    e.allowed,
                    e.basis,
                )
            })
            .collect();
        assert_eq!(
            events,
            [(
                tenant("northshire"),
                Some(amelia),
                kind.to_owned(),
                Some(record),
                AccessAction::Write,
                false,
                None
            )],
            "{request_id}: one denied event"
        );
    }
    // The manager of another home admitting a child they may not see: NOT_FOUND, and the
    // attempt is logged as denied, never as an allowed admission.
    let (_, body) = app
        .gql_with_request_id(
            "manager.beech@northshire.example",
            "mutation($i: AdmitChildInput!) { admitChild(input: $i) { child { id } } }",
            json!({"i": {
                "homeId": node_id("Home", id("northshire", "home", "beech")),
                "childId": node_id("Child", amelia),
                "admissionDate": Utc::now().date_naive().to_string(),
                "keyCarerId": node_id("User", id("northshire", "user", "keycarer.beech")),
            }}),
            "denied-admission",
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    let events: Vec<_> = events_of(&db, "denied-admission")
        .await
        .into_iter()
        .map(|e| (e.child_id, e.record_kind, e.action, e.allowed))
        .collect();
    assert_eq!(
        events,
        [(
            Some(amelia),
            "admission".to_owned(),
            AccessAction::Write,
            false
        )]
    );
    // Nothing changed.
    let after = first!(&db, "northshire", daily_log, Id = restricted.id);
    assert_eq!(after, restricted);
    assert!(audit::verify(&db).await.unwrap().intact());
    app.stop().await;
}

#[tokio::test]
async fn another_councils_records_are_not_found_and_never_logged() {
    let app = DemoApp::spawn().await;
    let db = sea_orm::Database::connect(database_url(&app))
        .await
        .unwrap();
    let amelia = child("amelia");
    let log = first!(&db, "northshire", daily_log, ChildId = amelia);
    let session = first!(&db, "northshire", key_session, ChildId = amelia);
    let summary = first!(&db, "northshire", monthly_summary, ChildId = amelia);
    let plan = first!(&db, "northshire", care_plan, ChildId = amelia);
    let risk = first!(&db, "northshire", safe_care_risk, ChildId = amelia);
    let safe_care = first!(&db, "northshire", safe_care_plan, ChildId = amelia);
    let person = first!(&db, "northshire", significant_person, ChildId = amelia);
    let northshire_ids: HashSet<Uuid> = [
        amelia,
        log.id,
        session.id,
        summary.id,
        plan.id,
        risk.id,
        safe_care.id,
        person.id,
    ]
    .into_iter()
    .collect();
    let today = Utc::now().date_naive().to_string();
    let attempts = [
        (
            "foreign-correct-log",
            CORRECT_LOG,
            json!({"i": {"id": node_id("DailyLog", log.id), "expectedVersion": log.version, "text": "Changed"}}),
        ),
        (
            "foreign-cancel-session",
            CANCEL_SESSION,
            json!({"i": {"id": node_id("KeySession", session.id), "expectedVersion": session.version, "reason": "Unwell"}}),
        ),
        (
            "foreign-submit-summary",
            SUBMIT_SUMMARY,
            json!({"i": {"id": node_id("MonthlySummary", summary.id), "expectedVersion": summary.version}}),
        ),
        (
            "foreign-publish-plan",
            "mutation($i: PublishCarePlanVersionInput!) { publishCarePlanVersion(input: $i) { carePlanVersion { id } } }",
            json!({"i": {"id": node_id("CarePlanVersion", plan.id), "expectedVersion": plan.version}}),
        ),
        (
            "foreign-sign-plan",
            "mutation($i: SignCarePlanInput!) { signCarePlan(input: $i) { carePlanVersion { id } } }",
            json!({"i": {"id": node_id("CarePlanVersion", plan.id), "expectedVersion": plan.version, "as": "MANAGER"}}),
        ),
        (
            "foreign-change-risk",
            "mutation($i: ChangeSafeCareRiskInput!) { changeSafeCareRisk(input: $i) { safeCareRisk { id } } }",
            json!({"i": {"id": node_id("SafeCareRisk", risk.id), "expectedVersion": risk.version, "level": "HIGH"}}),
        ),
        (
            "foreign-retire-risk",
            "mutation($i: RetireSafeCareRiskInput!) { retireSafeCareRisk(input: $i) { safeCareRisk { id } } }",
            json!({"i": {"id": node_id("SafeCareRisk", risk.id), "expectedVersion": risk.version, "reason": "Gone"}}),
        ),
        (
            "foreign-sign-safe-care",
            "mutation($i: SignSafeCarePlanInput!) { signSafeCarePlan(input: $i) { safeCarePlan { id } } }",
            json!({"i": {"id": node_id("SafeCarePlan", safe_care.id), "expectedVersion": safe_care.version}}),
        ),
        (
            "foreign-change-person",
            "mutation($i: ChangeSignificantPersonInput!) { changeSignificantPerson(input: $i) { significantPerson { id } } }",
            json!({"i": {"id": node_id("SignificantPerson", person.id), "expectedVersion": person.version, "name": "Changed", "relationship": "Mother"}}),
        ),
        (
            "foreign-node",
            "query($i: ID!) { node(id: $i) { id } }",
            json!({"i": node_id("DailyLog", log.id)}),
        ),
        (
            "foreign-child",
            "query($i: ID!) { child(id: $i) { legalName } }",
            json!({"i": node_id("Child", amelia)}),
        ),
        (
            "foreign-write-log",
            "mutation($i: WriteDailyLogInput!) { writeDailyLog(input: $i) { dailyLog { id } } }",
            json!({"i": {"childId": node_id("Child", amelia), "occurredAt": Utc::now().to_rfc3339(), "text": "Hello"}}),
        ),
        (
            "foreign-admission",
            "mutation($i: AdmitChildInput!) { admitChild(input: $i) { child { id } } }",
            json!({"i": {
                "homeId": node_id("Home", id("southdale", "home", "harbour")),
                "childId": node_id("Child", amelia),
                "admissionDate": today,
                "keyCarerId": node_id("User", id("southdale", "user", "keycarer.harbour")),
            }}),
        ),
    ];
    for (request_id, query, vars) in attempts {
        let (_, body) = app
            .gql_with_request_id("manager.harbour@southdale.example", query, vars, request_id)
            .await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{request_id}: {body}");
        for event in events_of(&db, request_id).await {
            assert_eq!(
                event.tenant_id,
                tenant("southdale"),
                "{request_id}: {event:?}"
            );
            assert!(
                !event.child_id.is_some_and(|c| northshire_ids.contains(&c))
                    && !event.record_id.is_some_and(|r| northshire_ids.contains(&r)),
                "{request_id}: the other council's record is named in the log: {event:?}"
            );
        }
    }
    // Nothing anywhere names Amelia: nobody of her council has read anything in this test.
    for slug in ["southdale", "northshire"] {
        let named = events_naming(&db, slug, amelia).await;
        assert!(named.is_empty(), "{slug}: {named:?}");
    }
    // Nothing changed.
    assert_eq!(first!(&db, "northshire", care_plan, Id = plan.id), plan);
    assert_eq!(
        first!(&db, "northshire", safe_care_risk, Id = risk.id),
        risk
    );
    assert!(audit::verify(&db).await.unwrap().intact());
    app.stop().await;
}

const ARRANGEMENTS: &str = "query($c: ID!) { child(id: $c) { contacts { arrangements { nodes { id person { id name } } } } } }";

#[tokio::test]
async fn a_person_named_on_an_arrangement_the_viewer_may_not_see_is_null_and_logged() {
    use keycare_entity::enums::AccessAction;
    let app = DemoApp::spawn().await;
    let db = sea_orm::Database::connect(database_url(&app))
        .await
        .unwrap();
    let amelia = child("amelia");
    let key_carer = "keycarer.oak@northshire.example";
    let staff = "staff.oak@northshire.example";
    let (_, body) = app
        .gql(
            key_carer,
            "mutation($i: AddSignificantPersonInput!) { addSignificantPerson(input: $i) { significantPerson { id } } }",
            json!({"i": {"childId": gid("amelia"), "name": "Dan (uncle)", "relationship": "Uncle"}}),
        )
        .await;
    let uncle = body["data"]["addSignificantPerson"]["significantPerson"]["id"].clone();
    assert!(uncle.is_string(), "{body}");
    let (_, body) = app
        .gql(
            key_carer,
            "mutation($i: AddContactArrangementInput!) { addContactArrangement(input: $i) { contactArrangement { id } } }",
            json!({"i": {"childId": gid("amelia"), "personId": uncle, "frequency": "Monthly", "method": "Phone", "supervised": true}}),
        )
        .await;
    let arrangement = body["data"]["addContactArrangement"]["contactArrangement"]["id"].clone();
    assert!(arrangement.is_string(), "{body}");
    // Later, the person is restricted (the arrangement naming them stays as it was).
    let (_, body) = app
        .gql(
            key_carer,
            "mutation($i: ChangeSignificantPersonInput!) { changeSignificantPerson(input: $i) { significantPerson { id } } }",
            json!({"i": {"id": uncle, "expectedVersion": 1, "name": "Dan (uncle)", "relationship": "Uncle", "restricted": true}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let uncle_id = keycare_graphql::parse_global_id(uncle.as_str().unwrap())
        .unwrap()
        .1;
    let mum = first!(
        &db,
        "northshire",
        significant_person,
        ChildId = amelia,
        Restricted = false
    );
    let person_on = |body: &Value, arrangement: &Value| {
        body["data"]["child"]["contacts"]["arrangements"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .find(|n| &n["id"] == arrangement)
            .unwrap_or_else(|| panic!("{arrangement} in {body}"))["person"]
            .clone()
    };
    let family = |events: &[ae::Model], person: Uuid| -> Vec<(Option<Uuid>, AccessAction, bool)> {
        events
            .iter()
            .filter(|e| e.record_kind == "family" && e.record_id == Some(person))
            .map(|e| (e.child_id, e.action, e.allowed))
            .collect()
    };

    // Home staff see the arrangement but not the restricted person; the attempt is noted.
    let (_, body) = app
        .gql_with_request_id(
            staff,
            ARRANGEMENTS,
            json!({"c": gid("amelia")}),
            "staff-arrangements",
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(person_on(&body, &arrangement).is_null(), "{body}");
    let events = events_of(&db, "staff-arrangements").await;
    assert_eq!(
        family(&events, uncle_id),
        [(Some(amelia), AccessAction::Read, false)],
        "{events:?}"
    );
    assert_eq!(
        family(&events, mum.id),
        [(Some(amelia), AccessAction::Read, true)],
        "{events:?}"
    );

    // The key team see them; the read is noted with its basis.
    let (_, body) = app
        .gql_with_request_id(
            key_carer,
            ARRANGEMENTS,
            json!({"c": gid("amelia")}),
            "kc-arrangements",
        )
        .await;
    assert_eq!(person_on(&body, &arrangement)["id"], uncle, "{body}");
    let events = events_of(&db, "kc-arrangements").await;
    let read: Vec<_> = events
        .iter()
        .filter(|e| e.record_id == Some(uncle_id))
        .map(|e| (e.allowed, e.basis.as_deref()))
        .collect();
    assert_eq!(read, [(true, Some("key_team"))], "{events:?}");

    // An arrangement naming a person of another council (a corrupt row): the person is not
    // even loaded, and nothing about them reaches either council's log.
    let ruby_person = first!(&db, "southdale", significant_person);
    let arrangement_row = first!(
        &db,
        "northshire",
        contact_arrangement,
        ChildId = amelia,
        PersonId = mum.id
    );
    {
        use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
        let txn = keycare_domain::db::begin_for_tenant(&db, tenant("northshire"))
            .await
            .unwrap();
        let mut active = arrangement_row.clone().into_active_model();
        active.person_id = Set(ruby_person.id);
        active.update(&txn).await.unwrap();
        txn.commit().await.unwrap();
    }
    let (_, body) = app
        .gql_with_request_id(
            staff,
            ARRANGEMENTS,
            json!({"c": gid("amelia")}),
            "staff-foreign-person",
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(
        person_on(&body, &node_id("ContactArrangement", arrangement_row.id)).is_null(),
        "{body}"
    );
    for event in events_of(&db, "staff-foreign-person").await {
        assert_eq!(event.tenant_id, tenant("northshire"), "{event:?}");
        assert_ne!(event.record_id, Some(ruby_person.id), "{event:?}");
        assert_eq!(event.child_id, Some(amelia), "{event:?}");
    }
    assert!(
        events_naming(&db, "southdale", ruby_person.child_id)
            .await
            .is_empty()
    );
    assert!(audit::verify(&db).await.unwrap().intact());
    app.stop().await;
}
