//! Minimal rows (tenant, user, home, child, placement, key team) built with ActiveModels.

use chrono::{NaiveDate, Utc};
use keycare_domain::db::begin_for_tenant;
use keycare_entity as e;
use keycare_entity::enums::{HomeStatus, KeyTeamRole, LegalStatus};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Set, Statement,
};
use uuid::Uuid;

/// One tenant with one user, one home and one child, committed.
#[derive(Debug, Clone, Copy)]
pub struct World {
    pub tenant: Uuid,
    pub user: Uuid,
    pub home: Uuid,
    pub child: Uuid,
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

impl World {
    /// Creates the rows in one transaction for the new tenant.
    pub async fn create(db: &DatabaseConnection) -> World {
        let w = World {
            tenant: Uuid::new_v4(),
            user: Uuid::new_v4(),
            home: Uuid::new_v4(),
            child: Uuid::new_v4(),
        };
        let txn = begin_for_tenant(db, w.tenant).await.expect("begin");
        let now = Utc::now();
        let tag = w.tenant.simple().to_string();
        e::tenant::ActiveModel {
            id: Set(w.tenant),
            name: Set(format!("Test council {tag}")),
            slug: Set(format!("test-{tag}")),
            clothing_weekly_pence: Set(2_500),
            pathway_plan_due_months: Set(186),
            report_suppression_threshold: Set(5),
            created_at: Set(now),
        }
        .insert(&txn)
        .await
        .expect("insert tenant");
        e::user::ActiveModel {
            id: Set(w.user),
            tenant_id: Set(w.tenant),
            issuer: Set("https://issuer.test".into()),
            subject: Set(format!("user-{}", w.user)),
            name: Set("Test Manager".into()),
            email: Set(format!("manager-{}@test.example", w.user)),
            job_title: Set(None),
            active: Set(true),
            deactivated_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .expect("insert user");
        e::home::ActiveModel {
            id: Set(w.home),
            tenant_id: Set(w.tenant),
            name: Set("Test House".into()),
            ofsted_urn: Set(format!("SC{tag}")),
            address: Set("1 Test Road".into()),
            beds: Set(4),
            status: Set(HomeStatus::Open),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .expect("insert home");
        w.child_row(w.child, w.tenant)
            .insert(&txn)
            .await
            .expect("insert child");
        txn.commit().await.expect("commit");
        w
    }

    /// A child row (not inserted) of `tenant`, created by this world's user.
    pub fn child_row(&self, id: Uuid, tenant: Uuid) -> e::child::ActiveModel {
        let now = Utc::now();
        e::child::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant),
            legal_name: Set("Test Child".into()),
            preferred_name: Set(None),
            date_of_birth: Set(date(2012, 3, 4)),
            gender: Set("female".into()),
            ethnicity: Set(None),
            religion: Set(None),
            first_language: Set(None),
            legal_status: Set(LegalStatus::S31CareOrder),
            looked_after_since: Set(date(2024, 1, 10)),
            placing_authority: Set("Test council".into()),
            placing_authority_ref: Set(None),
            nhs_number: Set(None),
            date_of_death: Set(None),
            created_by: Set(self.user),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
    }

    /// Places `child` in this world's home from `admitted` until `ended` (None: open).
    pub async fn place<C: ConnectionTrait>(
        &self,
        conn: &C,
        child: Uuid,
        admitted: NaiveDate,
        ended: Option<NaiveDate>,
    ) -> Result<Uuid, DbErr> {
        let now = Utc::now();
        let id = Uuid::new_v4();
        e::placement::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant),
            child_id: Set(child),
            home_id: Set(self.home),
            admission_date: Set(admitted),
            planned_end_date: Set(None),
            end_date: Set(ended),
            end_reason: Set(ended.map(|_| "moved on".to_owned())),
            key_carer_pending_reason: Set(None),
            created_by: Set(self.user),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?;
        Ok(id)
    }

    /// Appoints this world's user to the key team of `placement` in `role`, from `start`
    /// until `ended` (None: active).
    pub async fn appoint<C: ConnectionTrait>(
        &self,
        conn: &C,
        placement: Uuid,
        role: KeyTeamRole,
        start: NaiveDate,
        ended: Option<NaiveDate>,
    ) -> Result<Uuid, DbErr> {
        let id = Uuid::new_v4();
        e::key_team_assignment::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant),
            child_id: Set(self.child),
            placement_id: Set(placement),
            user_id: Set(self.user),
            role: Set(role),
            start_date: Set(start),
            end_date: Set(ended),
            end_reason: Set(ended.map(|_| e::enums::KeyCarerChangeReason::StaffLeft)),
            end_note: Set(None),
            appointed_by: Set(self.user),
            ended_by: Set(ended.map(|_| self.user)),
            version: Set(1),
            created_at: Set(Utc::now()),
        }
        .insert(conn)
        .await?;
        Ok(id)
    }
}

/// Runs one SQL statement without parameters.
pub async fn exec<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<(), DbErr> {
    conn.execute_unprepared(sql).await.map(|_| ())
}

/// The names of the tables in the database (without SQLite's internal tables).
pub async fn table_names(db: &DatabaseConnection) -> std::collections::BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'",
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("list tables")
        .into_iter()
        .map(|row| row.try_get::<String>("", "t").expect("table name"))
        .collect()
}
