//! What is due, through GraphQL: the demo's children that are behind show their overdue items,
//! a key carer sees their key children's, and each viewer only the kinds they may read.

use crate::demo_app::DemoApp;
use keycare_seed::demo::id;
use serde_json::{Value, json};

const DUE: &str = "query($f: DueItemsFilter) { dueItems(filter: $f, first: 200) {
  edges { node { rule state dueOn dueAt about kind recordId child { legalName } } } } }";

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

async fn due(app: &DemoApp, user: &str, filter: Value) -> Vec<Value> {
    let (_, body) = app.gql(user, DUE, json!({ "f": filter })).await;
    assert!(body["errors"].is_null(), "{user}: {body}");
    body["data"]["dueItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{user}: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn of<'a>(items: &'a [Value], child: &str, rule: &str) -> Vec<&'a Value> {
    items
        .iter()
        .filter(|i| i["child"]["legalName"] == child && i["rule"] == rule)
        .collect()
}

#[tokio::test]
async fn a_key_carer_sees_what_is_due_and_overdue_for_their_key_children() {
    let app = DemoApp::spawn().await;
    let items = due(
        &app,
        "keycarer.oak@northshire.example",
        json!({"myKeyChildren": true}),
    )
    .await;
    let children: std::collections::BTreeSet<&str> = items
        .iter()
        .filter_map(|i| i["child"]["legalName"].as_str())
        .collect();
    assert_eq!(
        children.into_iter().collect::<Vec<_>>(),
        ["Amelia Hart", "Jayden Brooks"],
        "only their key children"
    );
    // Jayden's records are behind: no key session for three weeks, a missing episode six
    // days ago without a return interview, no dentist, the latest file audit missing.
    for rule in [
        "WEEKLY_KEY_SESSION",
        "RETURN_INTERVIEW",
        "DENTIST_REGISTRATION",
        "FILE_AUDIT",
    ] {
        assert!(
            of(&items, "Jayden Brooks", rule)
                .iter()
                .any(|i| i["state"] == "OVERDUE"),
            "Jayden's {rule} is overdue: {items:#?}"
        );
    }
    let interview = of(&items, "Jayden Brooks", "RETURN_INTERVIEW")[0];
    assert!(interview["dueAt"].is_string(), "{interview}");
    assert!(
        interview["recordId"].is_string(),
        "links the episode: {interview}"
    );
    // Overdue items come first.
    let first_ok = items.iter().position(|i| i["state"] != "OVERDUE");
    assert!(
        first_ok.is_none_or(|p| items[p..].iter().all(|i| i["state"] != "OVERDUE")),
        "overdue first"
    );
    // Amelia's GP registration was made on time: no overdue GP item for her.
    assert!(
        of(&items, "Amelia Hart", "GP_REGISTRATION")
            .iter()
            .all(|i| i["state"] != "OVERDUE")
    );
    // Filtering by state.
    let overdue = due(
        &app,
        "keycarer.oak@northshire.example",
        json!({"myKeyChildren": true, "state": "OVERDUE"}),
    )
    .await;
    assert!(!overdue.is_empty() && overdue.iter().all(|i| i["state"] == "OVERDUE"));
    app.stop().await;
}

#[tokio::test]
async fn each_viewer_sees_only_the_kinds_they_may_read() {
    let app = DemoApp::spawn().await;
    // The IRO of Amelia: review material, never key sessions, file audits or clothing.
    let iro = due(&app, "iro@northshire.example", json!({})).await;
    assert!(!iro.is_empty());
    assert!(
        iro.iter().all(|i| i["child"]["legalName"] == "Amelia Hart"),
        "{iro:#?}"
    );
    for i in &iro {
        assert!(
            !["key_session", "file_audit", "daily_log", "health_record"]
                .contains(&i["kind"].as_str().unwrap_or_default()),
            "the IRO may not read {}: {i}",
            i["kind"]
        );
    }
    assert!(iro.iter().any(|i| i["kind"] == "statutory_review"));
    // Home staff: no reviews.
    let staff = due(&app, "staff.oak@northshire.example", json!({})).await;
    assert!(!staff.is_empty());
    assert!(staff.iter().all(|i| i["kind"] != "statutory_review"
        && i["kind"] != "review_report"
        && i["kind"] != "file_audit"));
    // Council reporting and the DPO see no child.
    for user in ["reporting@northshire.example", "dpo@northshire.example"] {
        assert!(due(&app, user, json!({})).await.is_empty(), "{user}");
    }
    // A manager filters by home; another council's home gives nothing.
    let oak = gid("Home", id("northshire", "home", "oak"));
    let managed = due(
        &app,
        "manager.oak@northshire.example",
        json!({"homeId": oak}),
    )
    .await;
    assert!(
        managed
            .iter()
            .any(|i| i["child"]["legalName"] == "Jayden Brooks")
    );
    let harbour = gid("Home", id("southdale", "home", "harbour"));
    assert!(
        due(
            &app,
            "manager.oak@northshire.example",
            json!({"homeId": harbour})
        )
        .await
        .is_empty()
    );
    // On the child, the same items.
    let jayden = gid("Child", id("northshire", "child", "jayden"));
    let (_, body) = app
        .gql(
            "manager.oak@northshire.example",
            "query($c: ID!) { child(id: $c) { dueItems(state: OVERDUE) { edges { node { rule state } } } } }",
            json!({"c": jayden}),
        )
        .await;
    let on_child = body["data"]["child"]["dueItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert!(!on_child.is_empty(), "{body}");
    assert!(on_child.iter().all(|e| e["node"]["state"] == "OVERDUE"));
    app.stop().await;
}

const KEY_CARER: &str = "keycarer.oak@northshire.example";
const MANAGER: &str = "manager.oak@northshire.example";
const SW: &str = "sw@northshire.example";
const STAFF: &str = "staff.oak@northshire.example";
const IRO: &str = "iro@northshire.example";

/// Amelia's items as `user` sees them, both ways: the root `dueItems` and `Child.dueItems`
/// (which must agree).
async fn amelia_items(app: &DemoApp, user: &str) -> Vec<Value> {
    let mut items: Vec<Value> = due(app, user, json!({}))
        .await
        .into_iter()
        .filter(|i| i["child"]["legalName"] == "Amelia Hart")
        .collect();
    let amelia = gid("Child", id("northshire", "child", "amelia"));
    let (_, body) = app
        .gql(
            user,
            "query($c: ID!) { child(id: $c) { dueItems(first: 200) { edges { node {
              rule state dueOn dueAt about kind recordId child { legalName } } } } } }",
            json!({ "c": amelia }),
        )
        .await;
    assert!(body["errors"].is_null(), "{user}: {body}");
    let mut on_child: Vec<Value> = body["data"]["child"]["dueItems"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{user}: {body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let order = |v: &Value| v.to_string();
    items.sort_by_key(order);
    on_child.sort_by_key(order);
    assert_eq!(
        items, on_child,
        "{user}: the root list and the child's agree"
    );
    items
}

fn naming<'a>(items: &'a [Value], record: &str) -> Vec<&'a Value> {
    items.iter().filter(|i| i["recordId"] == record).collect()
}

#[tokio::test]
async fn a_restricted_missing_episode_exists_only_for_those_who_may_read_it() {
    let app = DemoApp::spawn().await;
    let all = [KEY_CARER, MANAGER, SW, STAFF, IRO];
    let mut before = std::collections::HashMap::new();
    for user in all {
        before.insert(user, amelia_items(&app, user).await);
    }
    // Amelia's key carer records a restricted episode: she went missing 29 days ago (after
    // her latest Safe Care Plan review) and came back that night; no return interview yet.
    let returned = chrono::Utc::now() - chrono::Duration::days(29);
    let went = returned - chrono::Duration::hours(10);
    let amelia = gid("Child", id("northshire", "child", "amelia"));
    let (_, body) = app
        .gql(
            KEY_CARER,
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) {
              missingEpisode { id version restricted } } }",
            json!({ "i": { "childId": amelia, "wentMissingAt": went, "riskLevel": "HIGH",
                "notes": "Said where she had been only to her key carer.", "restricted": true } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let episode = &body["data"]["reportMissingEpisode"]["missingEpisode"];
    assert_eq!(episode["restricted"], true, "{body}");
    let episode = episode["id"].as_str().expect("the episode's id").to_owned();
    let (_, body) = app
        .gql(
            KEY_CARER,
            "mutation($i: UpdateMissingEpisodeInput!) { updateMissingEpisode(input: $i) {
              missingEpisode { returnedAt } } }",
            json!({ "i": { "id": episode, "expectedVersion": 1, "returnedAt": returned } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let about = format!("returned {}", returned.format("%Y-%m-%d %H:%M"));

    // Those who may read restricted records: the overdue return interview names the episode,
    // and the Safe Care Plan review fell due 3 days after the return.
    for user in [KEY_CARER, MANAGER, SW] {
        let items = amelia_items(&app, user).await;
        let named = naming(&items, &episode);
        assert_eq!(named.len(), 1, "{user}: {items:#?}");
        assert_eq!(named[0]["rule"], "RETURN_INTERVIEW", "{user}");
        assert_eq!(named[0]["state"], "OVERDUE", "{user}");
        assert_eq!(named[0]["about"], about.as_str(), "{user}");
        let scp = of(&items, "Amelia Hart", "SAFE_CARE_PLAN_REVIEW");
        assert_eq!(scp.len(), 1, "{user}: {items:#?}");
        assert_eq!(
            scp[0]["about"], "the Safe Care Plan review after a missing episode",
            "{user}: {items:#?}"
        );
        assert_eq!(scp[0]["state"], "OVERDUE", "{user}");
        assert!(
            scp[0]["dueOn"].as_str()
                < of(&before[user], "Amelia Hart", "SAFE_CARE_PLAN_REVIEW")[0]["dueOn"].as_str(),
            "{user}: the episode brings the review forward"
        );
    }
    // Home staff and the IRO may not read it: for them it does not exist. No item names it
    // or tells of it, and nothing derived from it (the Safe Care Plan review's date) moves.
    for user in [STAFF, IRO] {
        let items = amelia_items(&app, user).await;
        assert!(naming(&items, &episode).is_empty(), "{user}: {items:#?}");
        assert!(
            items.iter().all(|i| i["about"] != about.as_str()),
            "{user}: {items:#?}"
        );
        assert!(
            of(&items, "Amelia Hart", "RETURN_INTERVIEW").is_empty(),
            "{user}: {items:#?}"
        );
        assert!(
            items
                .iter()
                .all(|i| i["about"] != "the Safe Care Plan review after a missing episode"),
            "{user}: {items:#?}"
        );
        assert_eq!(items, before[user], "{user}: nothing changed for them");
    }
    app.stop().await;
}

#[tokio::test]
async fn restricted_key_sessions_satisfy_nothing_for_those_who_may_not_read_them() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let app = DemoApp::spawn().await;
    let key_carer_before = amelia_items(&app, KEY_CARER).await;
    // Every key session of Amelia's becomes restricted.
    let db = sea_orm::Database::connect(crate::demo_app::database_url(&app))
        .await
        .unwrap();
    let tenant = id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    use keycare_entity::key_session as ks;
    let sessions = ks::Entity::update_many()
        .col_expr(ks::Column::Restricted, Expr::value(true))
        .filter(ks::Column::ChildId.eq(id("northshire", "child", "amelia")))
        .exec(&txn)
        .await
        .unwrap();
    assert!(sessions.rows_affected > 0);
    txn.commit().await.unwrap();
    // The key carer sees the same as before (restricted or not, the sessions are theirs to
    // read); home staff see Amelia's session rules with no session behind them.
    assert_eq!(amelia_items(&app, KEY_CARER).await, key_carer_before);
    let staff = amelia_items(&app, STAFF).await;
    let sessions: Vec<&Value> = staff
        .iter()
        .filter(|i| i["kind"] == "key_session")
        .collect();
    assert!(!sessions.is_empty(), "{staff:#?}");
    for i in sessions {
        assert!(i["recordId"].is_null(), "staff: {i}");
        if i["rule"] == "MONTHLY_KEY_SESSIONS" {
            assert!(
                i["about"].as_str().is_some_and(|a| a.starts_with("0 of ")),
                "staff: {i}"
            );
        }
    }
    app.stop().await;
}

/// Amelia's key carer reports her missing at `went` and back at `back`; the episode as
/// saved (`id`, `returnedAt`, `returnInterviewDueBy`).
async fn amelia_missing(
    app: &DemoApp,
    went: chrono::DateTime<chrono::Utc>,
    back: chrono::DateTime<chrono::Utc>,
) -> Value {
    let keycarer = "keycarer.oak@northshire.example";
    let amelia = gid("Child", id("northshire", "child", "amelia"));
    let (_, body) = app
        .gql(
            keycarer,
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) { missingEpisode { id version } } }",
            json!({ "i": { "childId": amelia, "wentMissingAt": went.to_rfc3339(), "riskLevel": "MEDIUM" } }),
        )
        .await;
    let episode = &body["data"]["reportMissingEpisode"]["missingEpisode"];
    assert!(episode.is_object(), "{body}");
    let back = back.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, body) = app
        .gql(
            keycarer,
            "mutation($i: UpdateMissingEpisodeInput!) { updateMissingEpisode(input: $i) { missingEpisode { id returnedAt returnInterviewDueBy } } }",
            json!({ "i": { "id": episode["id"], "expectedVersion": episode["version"], "returnedAt": back } }),
        )
        .await;
    let saved = body["data"]["updateMissingEpisode"]["missingEpisode"].clone();
    assert!(saved.is_object(), "{body}");
    saved
}

#[tokio::test]
async fn a_return_interview_still_owed_stays_due_however_long_ago_the_child_went_missing() {
    // Amelia (admitted 240 days ago) went missing 150 days ago and came back four days ago:
    // the interview is owed from her return, not forgotten because the episode began long ago.
    let app = DemoApp::spawn().await;
    let now = chrono::Utc::now();
    let episode = amelia_missing(
        &app,
        now - chrono::Duration::days(150),
        now - chrono::Duration::days(4),
    )
    .await;
    let keycarer = "keycarer.oak@northshire.example";
    let items = due(&app, keycarer, json!({"myKeyChildren": true})).await;
    let owed: Vec<_> = of(&items, "Amelia Hart", "RETURN_INTERVIEW")
        .into_iter()
        .filter(|i| i["recordId"] == episode["id"])
        .collect();
    assert_eq!(owed.len(), 1, "{items:#?}");
    assert_eq!(owed[0]["state"], "OVERDUE");
    app.stop().await;
}

#[tokio::test]
async fn records_cannot_precede_the_childs_care() {
    // Amelia was admitted 240 days ago, looked after from 270 days ago: a review 300 days ago
    // would count as her first, and an episode 260 days ago was not from one of our homes.
    let app = DemoApp::spawn().await;
    let keycarer = "keycarer.oak@northshire.example";
    let amelia = gid("Child", id("northshire", "child", "amelia"));
    let today = chrono::Utc::now().date_naive();
    let (_, body) = app
        .gql(
            keycarer,
            "mutation($i: ScheduleStatutoryReviewInput!) { scheduleStatutoryReview(input: $i) { statutoryReview { id } } }",
            json!({ "i": { "childId": amelia, "scheduledFor": (today - chrono::Duration::days(300)).to_string(), "sequence": "FIRST" } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "scheduledFor",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("looked after")
    );
    let (_, body) = app
        .gql(
            keycarer,
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) { missingEpisode { id } } }",
            json!({ "i": { "childId": amelia, "wentMissingAt": (chrono::Utc::now() - chrono::Duration::days(260)).to_rfc3339(), "riskLevel": "LOW" } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "wentMissingAt",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("admitted")
    );
    // The day after admission is accepted.
    let (_, body) = app
        .gql(
            keycarer,
            "mutation($i: ReportMissingEpisodeInput!) { reportMissingEpisode(input: $i) { missingEpisode { id } } }",
            json!({ "i": { "childId": amelia, "wentMissingAt": (chrono::Utc::now() - chrono::Duration::days(239)).to_rfc3339(), "riskLevel": "LOW" } }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_former_manager_never_sees_what_is_due_at_the_childs_next_home() {
    // Ellie left Oak House 60 days ago; she is placed at Beech Lodge from yesterday.
    use keycare_entity as e;
    use sea_orm::{ActiveModelTrait, Set};
    let app = DemoApp::spawn().await;
    let ellie = id("northshire", "child", "ellie");
    let db = keycare_domain::db::connect(crate::demo_app::database_url(&app), 1)
        .await
        .unwrap();
    let tenant = id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    e::placement::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(tenant),
        child_id: Set(ellie),
        home_id: Set(id("northshire", "home", "beech")),
        admission_date: Set(now.date_naive() - chrono::Duration::days(1)),
        planned_end_date: Set(None),
        end_date: Set(None),
        end_reason: Set(None),
        key_carer_pending_reason: Set(None),
        created_by: Set(id("northshire", "user", "manager.beech")),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let query = "query($c: ID!) { child(id: $c) { legalName dueItems(first: 100) { edges { node { rule } } } } }";
    let vars = json!({ "c": gid("Child", ellie) });
    // Beech Lodge's manager sees what is due for her now.
    let (_, body) = app
        .gql("manager.beech@northshire.example", query, vars.clone())
        .await;
    let now_due = body["data"]["child"]["dueItems"]["edges"]
        .as_array()
        .unwrap()
        .len();
    assert!(now_due > 0, "{body}");
    // Oak House's manager still reads her (the closed placement) but nothing due at Beech.
    let (_, body) = app.gql("manager.oak@northshire.example", query, vars).await;
    assert_eq!(body["data"]["child"]["legalName"], "Ellie Turner", "{body}");
    assert_eq!(
        body["data"]["child"]["dueItems"]["edges"],
        json!([]),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_councils_own_return_interview_timescale_gives_one_answer_everywhere() {
    // Northshire sets 48 hours: the episode's returnInterviewDueBy and the due item agree.
    use keycare_entity as e;
    use sea_orm::{ActiveModelTrait, Set};
    let app = DemoApp::spawn().await;
    let db = keycare_domain::db::connect(crate::demo_app::database_url(&app), 1)
        .await
        .unwrap();
    let tenant = id("northshire", "tenant", "");
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    e::timescale_setting::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        tenant_id: Set(tenant),
        rule: Set("return_interview".into()),
        amount: Set(48),
        unit: Set(keycare_entity::enums::TimescaleUnit::Hours),
        updated_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let keycarer = "keycarer.oak@northshire.example";
    let now = chrono::Utc::now();
    let saved = amelia_missing(
        &app,
        now - chrono::Duration::hours(20),
        now - chrono::Duration::hours(10),
    )
    .await;
    let (episode, body) = (&saved, &saved);
    let returned =
        chrono::DateTime::parse_from_rfc3339(saved["returnedAt"].as_str().unwrap()).unwrap();
    let due_by = chrono::DateTime::parse_from_rfc3339(
        saved["returnInterviewDueBy"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}")),
    )
    .unwrap();
    assert_eq!(due_by - returned, chrono::Duration::hours(48), "{body}");
    let items = due(&app, keycarer, json!({"myKeyChildren": true})).await;
    let item = of(&items, "Amelia Hart", "RETURN_INTERVIEW")
        .into_iter()
        .find(|i| i["recordId"] == episode["id"])
        .cloned()
        .unwrap_or_else(|| panic!("{items:#?}"));
    let due_at = chrono::DateTime::parse_from_rfc3339(item["dueAt"].as_str().unwrap()).unwrap();
    assert_eq!(due_at, due_by);
    app.stop().await;
}

#[tokio::test]
async fn a_timescale_changed_after_it_was_read_is_seen_by_the_next_request() {
    // The gateway keeps each council's timescales in memory: a setting saved after they
    // were read (here in SQL, as another replica or an operator would) counts at once.
    use keycare_entity as e;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let app = DemoApp::spawn().await;
    let keycarer = "keycarer.oak@northshire.example";
    let now = chrono::Utc::now();
    let saved = amelia_missing(
        &app,
        now - chrono::Duration::hours(20),
        now - chrono::Duration::hours(10),
    )
    .await;
    let returned =
        chrono::DateTime::parse_from_rfc3339(saved["returnedAt"].as_str().unwrap()).unwrap();
    let due_after = |items: &[Value]| {
        let item = of(items, "Amelia Hart", "RETURN_INTERVIEW")
            .into_iter()
            .find(|i| i["recordId"] == saved["id"])
            .cloned()
            .unwrap_or_else(|| panic!("{items:#?}"));
        chrono::DateTime::parse_from_rfc3339(item["dueAt"].as_str().unwrap()).unwrap() - returned
    };
    let before = due_after(&due(&app, keycarer, json!({"myKeyChildren": true})).await);
    assert_eq!(before, chrono::Duration::hours(72), "the national default");

    let db = keycare_domain::db::connect(crate::demo_app::database_url(&app), 1)
        .await
        .unwrap();
    let tenant = id("northshire", "tenant", "");
    let setting = uuid::Uuid::now_v7();
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    e::timescale_setting::ActiveModel {
        id: Set(setting),
        tenant_id: Set(tenant),
        rule: Set("return_interview".into()),
        amount: Set(48),
        unit: Set(keycare_entity::enums::TimescaleUnit::Hours),
        updated_at: Set(chrono::Utc::now()),
    }
    .insert(&txn)
    .await
    .unwrap();
    txn.commit().await.unwrap();
    let set = due_after(&due(&app, keycarer, json!({"myKeyChildren": true})).await);
    assert_eq!(set, chrono::Duration::hours(48), "a new setting");

    // Changed in place, keeping its row and its recorded time: still seen.
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let row = e::timescale_setting::Entity::find_by_id(setting)
        .one(&txn)
        .await
        .unwrap()
        .unwrap();
    let mut row: e::timescale_setting::ActiveModel = row.into();
    row.amount = Set(24);
    row.update(&txn).await.unwrap();
    txn.commit().await.unwrap();
    let changed = due_after(&due(&app, keycarer, json!({"myKeyChildren": true})).await);
    assert_eq!(changed, chrono::Duration::hours(24), "a changed setting");
    app.stop().await;
}
