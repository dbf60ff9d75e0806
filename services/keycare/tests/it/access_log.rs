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
