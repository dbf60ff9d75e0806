//! PostgreSQL only: the tenant wall (row-level security with `FORCE`) and the application role.
//!
//! Every request's transaction sets `app.tenant_id` with `set_config(..., true)`; a query
//! without it sees no row. The access log is append-only for the application role.

use crate::APP_ROLE;
use crate::tables::tables;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tenant the current transaction runs for, or NULL when none was set.
const CURRENT_TENANT: &str = "NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/// Tables any tenant may read (but only change its own rows of): the directory used to find
/// a token's council before any tenant is set. They hold no personal data: council names and
/// the public identifiers of their identity providers. (Migration 000006 closes this: only
/// the owner reads the whole directory, the application role through two functions.)
const DIRECTORY_TABLES: &[&str] = &["tenants", "identity_providers"];

/// Row-level security with FORCE and the tenant policy for one table.
pub(crate) fn tenant_wall_sql(table: &str) -> String {
    let column = if table == "tenants" {
        "id"
    } else {
        "tenant_id"
    };
    let wall = format!("{column} = {CURRENT_TENANT}");
    let mut sql = format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n\
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n\
         CREATE POLICY tenant_wall ON {table} USING ({wall}) WITH CHECK ({wall});\n"
    );
    if DIRECTORY_TABLES.contains(&table) {
        sql.push_str(&format!(
            "CREATE POLICY directory_read ON {table} FOR SELECT USING (true);\n"
        ));
    }
    if table == "bank_holidays" {
        // National bank holidays (tenant_id NULL) are readable by every tenant.
        sql.push_str(
            "CREATE POLICY national_read ON bank_holidays FOR SELECT USING (tenant_id IS NULL);\n",
        );
    }
    sql
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // Roles are cluster-wide: create it once, whatever database comes first.
        db.execute_unprepared(&format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                 CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS;
               END IF;
             END $$"
        ))
        .await?;
        db.execute_unprepared(&format!("GRANT {APP_ROLE} TO CURRENT_USER"))
            .await?;
        for table in tables(DbBackend::Postgres) {
            db.execute_unprepared(&tenant_wall_sql(table.name)).await?;
            if table.name == "access_events" {
                db.execute_unprepared(&format!(
                    "GRANT SELECT, INSERT ON access_events TO {APP_ROLE}"
                ))
                .await?;
            } else {
                db.execute_unprepared(&format!(
                    "GRANT SELECT, INSERT, UPDATE ON {} TO {APP_ROLE}",
                    table.name
                ))
                .await?;
            }
        }
        db.execute_unprepared(&format!("GRANT SELECT ON seaql_migrations TO {APP_ROLE}"))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in tables(DbBackend::Postgres) {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_wall ON {t};
                 DROP POLICY IF EXISTS directory_read ON {t};
                 DROP POLICY IF EXISTS national_read ON {t};
                 ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;
                 REVOKE ALL ON {t} FROM {APP_ROLE}",
                t = table.name
            ))
            .await?;
        }
        db.execute_unprepared(&format!("REVOKE ALL ON seaql_migrations FROM {APP_ROLE}"))
            .await?;
        Ok(())
    }
}
