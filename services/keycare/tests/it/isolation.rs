//! Tenant isolation: users of one council against ids of every kind from the other council,
//! through `node` and every root field that takes an id: always NOT_FOUND, never data, never
//! a different error shape.

use crate::demo_app::DemoApp;
use keycare_seed::demo::id;
use serde_json::{Value, json};

fn gid(kind: &str, uuid: uuid::Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{uuid}"))
}

/// Ids of every kind of one council, read from its database by the owner.
async fn ids_of(app: &DemoApp, slug: &str) -> Vec<String> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let tenant = id(slug, "tenant", "");
    let db = sea_orm::Database::connect(crate::demo_app::database_url(app))
        .await
        .unwrap();
    let txn = keycare_domain::db::begin_for_tenant(&db, tenant)
        .await
        .unwrap();
    let mut out = Vec::new();
    macro_rules! take {
        ($kind:literal, $m:ident) => {
            // The owner's connection: on PostgreSQL the tenant setting scopes it; on
            // SQLite only this filter does.
            for m in keycare_entity::$m::Entity::find()
                .filter(keycare_entity::$m::Column::TenantId.eq(tenant))
                .limit(3)
                .all(&txn)
                .await
                .unwrap()
            {
                out.push(gid($kind, m.id));
            }
        };
    }
    take!("Child", child);
    take!("Home", home);
    take!("KeySession", key_session);
    take!("MonthlySummary", monthly_summary);
    take!("DailyLog", daily_log);
    take!("CarePlanVersion", care_plan);
    take!("CarePlanReview", care_plan_review);
    take!("SafeCareRisk", safe_care_risk);
    take!("SafeCareReview", safe_care_review);
    out
}

fn shape(body: &Value) -> (Value, Value, Value) {
    (
        body["data"].clone(),
        body["errors"][0]["extensions"]["code"].clone(),
        body["errors"][0]["message"].clone(),
    )
}

#[tokio::test]
async fn ids_of_the_other_council_are_never_found_through_any_root_field() {
    let app = DemoApp::spawn().await;
    let queries = [
        "query($id: ID!) { node(id: $id) { id } }",
        "query($id: ID!) { child(id: $id) { legalName } }",
        "query($id: ID!) { home(id: $id) { name } }",
        "query($id: ID!) { subjectAccessExport(childId: $id) }",
    ];
    for (users, other) in [
        (
            [
                "manager.harbour@southdale.example",
                "sw@southdale.example",
                "dpo@southdale.example",
            ],
            "northshire",
        ),
        (
            [
                "manager.oak@northshire.example",
                "sw@northshire.example",
                "dpo@northshire.example",
            ],
            "southdale",
        ),
    ] {
        let ids = ids_of(&app, other).await;
        assert!(ids.len() >= 20, "ids of every kind: {}", ids.len());
        for user in users {
            for id in &ids {
                for q in queries {
                    let kind_matches =
                        !(q.contains("child(") || q.contains("childId")) || id_kind(id) == "Child";
                    let kind_matches =
                        kind_matches && (!q.contains("home(") || id_kind(id) == "Home");
                    if !kind_matches {
                        continue;
                    }
                    let (_, body) = app.gql(user, q, json!({"id": id})).await;
                    let (data, code, message) = shape(&body);
                    assert!(
                        data.is_null()
                            || data
                                .as_object()
                                .is_some_and(|o| o.values().all(Value::is_null)),
                        "{user} {q} {id}: data leaked: {body}"
                    );
                    let refused_by_role =
                        q.contains("subjectAccessExport") && !user.starts_with("dpo");
                    if refused_by_role {
                        assert_eq!(code, "FORBIDDEN", "{user}: {body}");
                    } else {
                        assert_eq!(
                            (code, message),
                            (json!("NOT_FOUND"), json!("not found")),
                            "{user} {q} {id}: {body}"
                        );
                    }
                }
            }
        }
    }
    app.stop().await;
}

fn id_kind(id: &str) -> String {
    use base64::Engine;
    let text = String::from_utf8(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .unwrap(),
    )
    .unwrap();
    text.split(':').next().unwrap().to_owned()
}
