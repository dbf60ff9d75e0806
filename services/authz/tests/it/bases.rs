//! Bases from the database: the demo councils, judged on today's date and on later dates.

use chrono::{Duration, Utc};
use keycare_authz::{Access, Action, Basis, Decision, Kind, Policy, RecordFacts};
use keycare_domain::db::begin_for_tenant;
use keycare_entity as e;
use keycare_seed::demo::{id, seed_demo};
use keycare_testkit::TestDb;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

const N: &str = "northshire";

fn user(local: &str) -> Uuid {
    id(N, "user", local)
}

fn child(key: &str) -> Uuid {
    id(N, "child", key)
}

async fn demo() -> TestDb {
    let db = TestDb::new().await;
    seed_demo(&db.db).await.unwrap();
    db
}

async fn access(txn: &DatabaseTransaction, who: &str, days_ahead: i64) -> Access {
    let policy = Policy::shipped().await.unwrap();
    let today = Utc::now().date_naive() + Duration::days(days_ahead);
    Access::load(txn, policy, user(who), id(N, "tenant", ""), today)
        .await
        .unwrap()
}

async fn bases(txn: &DatabaseTransaction, who: &str, key: &str) -> Vec<(Basis, bool)> {
    let a = access(txn, who, 0).await;
    let children = a.children(txn).await.unwrap();
    children
        .get(&child(key))
        .map(|c| c.grants.iter().map(|g| (g.basis, g.read_only)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn each_demo_user_holds_the_bases_access_md_gives_them() {
    let db = demo().await;
    let txn = begin_for_tenant(&db.db, id(N, "tenant", "")).await.unwrap();
    use Basis::*;
    // (user, child, [(basis, read only)])
    type Case = (&'static str, &'static str, &'static [(Basis, bool)]);
    let cases: &[Case] = &[
        (
            "keycarer.oak",
            "amelia",
            &[(KeyTeam, false), (HomeStaff, false)],
        ),
        (
            "keycarer.oak",
            "jayden",
            &[(KeyTeam, false), (HomeStaff, false)],
        ),
        ("keycarer.oak", "priya", &[(HomeStaff, false)]),
        (
            "cokey.oak",
            "amelia",
            &[(KeyTeam, false), (HomeStaff, false)],
        ),
        ("staff.oak", "amelia", &[(HomeStaff, false)]),
        ("staff.oak", "kai", &[]),
        ("manager.oak", "amelia", &[(Manager, false)]),
        // Ellie's placement closed: the manager of the home keeps read access only.
        ("manager.oak", "ellie", &[(Manager, true)]),
        ("senior.oak", "ellie", &[]),
        ("manager.beech", "amelia", &[]),
        ("sw", "amelia", &[(SocialWorker, false)]),
        ("sw", "kai", &[(SocialWorker, false)]),
        ("sw", "priya", &[]),
        ("iro", "amelia", &[(Iro, false)]),
        ("iro", "jayden", &[]),
        // Gary left: his membership ended and his account is deactivated.
        ("former.oak", "jayden", &[]),
        ("dpo", "amelia", &[]),
        ("reporting", "amelia", &[]),
        ("admin", "amelia", &[]),
    ];
    for (who, key, want) in cases {
        assert_eq!(
            bases(&txn, who, key).await,
            want.to_vec(),
            "{who} for {key}"
        );
    }
}

#[tokio::test]
async fn a_restricted_record_is_only_for_key_team_manager_and_social_worker() {
    let db = demo().await;
    let txn = begin_for_tenant(&db.db, id(N, "tenant", "")).await.unwrap();
    let restricted = RecordFacts {
        restricted: true,
        ..Default::default()
    };
    let cases = [
        ("keycarer.oak", true),
        ("manager.oak", true),
        ("sw", true),
        ("staff.oak", false),
        ("iro", false),
    ];
    for (who, allowed) in cases {
        let a = access(&txn, who, 0).await;
        // The IRO may not read daily logs at all; check a kind they may read.
        let kind = if who == "iro" {
            Kind::MonthlySummary
        } else {
            Kind::DailyLog
        };
        let d = a
            .decide_for_child(&txn, child("amelia"), kind, Action::Read, restricted)
            .await
            .unwrap();
        assert_eq!(d.is_allowed(), allowed, "{who}");
        let scope = a.read_scope(&txn, kind).await.unwrap();
        assert_eq!(
            scope.restricted_children.contains(&child("amelia")),
            allowed,
            "{who} list scope"
        );
    }
}

#[tokio::test]
async fn write_own_read_submitted_and_read_only_are_honoured() {
    let db = demo().await;
    let txn = begin_for_tenant(&db.db, id(N, "tenant", "")).await.unwrap();
    let staff = access(&txn, "staff.oak", 0).await;
    let own = RecordFacts {
        own: true,
        ..Default::default()
    };
    assert_eq!(
        staff
            .decide_for_child(&txn, child("amelia"), Kind::DailyLog, Action::Write, own)
            .await
            .unwrap(),
        Decision::Allowed(Basis::HomeStaff)
    );
    assert_eq!(
        staff
            .decide_for_child(
                &txn,
                child("amelia"),
                Kind::DailyLog,
                Action::Write,
                RecordFacts::default()
            )
            .await
            .unwrap(),
        Decision::Denied
    );

    let iro = access(&txn, "iro", 0).await;
    let submitted = RecordFacts {
        submitted: true,
        ..Default::default()
    };
    assert!(
        !iro.decide_for_child(
            &txn,
            child("amelia"),
            Kind::ReviewReport,
            Action::Read,
            RecordFacts::default()
        )
        .await
        .unwrap()
        .is_allowed()
    );
    assert!(
        iro.decide_for_child(
            &txn,
            child("amelia"),
            Kind::ReviewReport,
            Action::Read,
            submitted
        )
        .await
        .unwrap()
        .is_allowed()
    );

    let manager = access(&txn, "manager.oak", 0).await;
    assert!(
        manager
            .decide_for_child(
                &txn,
                child("ellie"),
                Kind::DailyLog,
                Action::Read,
                RecordFacts::default()
            )
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(
        !manager
            .decide_for_child(
                &txn,
                child("ellie"),
                Kind::DailyLog,
                Action::Write,
                RecordFacts::default()
            )
            .await
            .unwrap()
            .is_allowed()
    );
}

#[tokio::test]
async fn an_ended_relationship_loses_access_at_once() {
    let db = demo().await;
    let tenant = id(N, "tenant", "");
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    // End, as of tomorrow, Sam's key team assignment, Nadia's allocation to Amelia and
    // Tom's Oak House membership, and close Priya's placement.
    let txn = begin_for_tenant(&db.db, tenant).await.unwrap();
    let end = Expr::value(Some(tomorrow));
    e::key_team_assignment::Entity::update_many()
        .col_expr(e::key_team_assignment::Column::EndDate, end.clone())
        .filter(e::key_team_assignment::Column::UserId.eq(user("keycarer.oak")))
        .filter(e::key_team_assignment::Column::EndDate.is_null())
        .exec(&txn)
        .await
        .unwrap();
    e::allocation::Entity::update_many()
        .col_expr(e::allocation::Column::EndDate, end.clone())
        .filter(e::allocation::Column::UserId.eq(user("sw")))
        .filter(e::allocation::Column::ChildId.eq(child("amelia")))
        .exec(&txn)
        .await
        .unwrap();
    e::home_membership::Entity::update_many()
        .col_expr(e::home_membership::Column::EndDate, end.clone())
        .filter(e::home_membership::Column::UserId.eq(user("staff.oak")))
        .exec(&txn)
        .await
        .unwrap();
    e::placement::Entity::update_many()
        .col_expr(e::placement::Column::EndDate, end)
        .filter(e::placement::Column::ChildId.eq(child("priya")))
        .exec(&txn)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let txn = db.db.begin().await.unwrap();
    keycare_domain::db::set_tenant(&txn, tenant).await.unwrap();
    let cases = [
        ("keycarer.oak", "amelia", Basis::KeyTeam),
        ("sw", "amelia", Basis::SocialWorker),
        ("staff.oak", "amelia", Basis::HomeStaff),
        ("senior.oak", "priya", Basis::HomeStaff),
    ];
    for (who, key, basis) in cases {
        for (days_ahead, holds) in [(0, true), (1, false)] {
            let a = access(&txn, who, days_ahead).await;
            let children = a.children(&txn).await.unwrap();
            let has = children
                .get(&child(key))
                .is_some_and(|c| c.grants.iter().any(|g| g.basis == basis));
            assert_eq!(
                has, holds,
                "{who} {basis} for {key}, {days_ahead} day(s) ahead"
            );
        }
    }
}

#[tokio::test]
async fn a_deactivated_user_holds_no_basis_at_all() {
    let db = demo().await;
    let tenant = id(N, "tenant", "");
    let txn = begin_for_tenant(&db.db, tenant).await.unwrap();
    e::user::Entity::update_many()
        .col_expr(e::user::Column::Active, Expr::value(false))
        .filter(e::user::Column::Id.eq(user("manager.oak")))
        .exec(&txn)
        .await
        .unwrap();
    let a = access(&txn, "manager.oak", 0).await;
    assert!(a.children(&txn).await.unwrap().is_empty());
    assert_eq!(
        a.decide_for_tenant(Kind::CouncilReport, Action::Read),
        Decision::Denied
    );
}
