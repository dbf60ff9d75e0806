//! PostgreSQL only: the tenant wall holds for every table, the council directory included.
//!
//! Before a request knows its council, the gateway must route a token's issuer (and a browser
//! sign-in's council slug) to a council. Until now `tenants` and `identity_providers` were
//! readable across councils by anyone, so with tenant A set an unscoped query still saw B's
//! council and providers. Now the application role sees its own council's rows only, like
//! everywhere else, and the two look-ups go through narrow `SECURITY DEFINER` functions
//! owned by the owner, who alone may read the whole directory.

use keycare_entity::postgres::{APP_ROLE, IDENTITY_DIRECTORY, TENANT_BY_SLUG};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const DIRECTORY_TABLES: &[&str] = &["tenants", "identity_providers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let schema = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT quote_ident(current_schema()) AS s",
            ))
            .await?
            .ok_or_else(|| DbErr::Custom("no current schema".into()))?
            .try_get::<String>("", "s")?;
        for table in DIRECTORY_TABLES {
            // The owner (who runs migrations, seeds and the functions below) reads the whole
            // directory; the application role no longer does.
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS directory_read ON {table};
                 CREATE POLICY directory_owner ON {table} FOR SELECT TO CURRENT_USER USING (true);"
            ))
            .await?;
        }
        // `search_path` is pinned so that a caller cannot shadow the tables with its own.
        db.execute_unprepared(&format!(
            "CREATE FUNCTION {IDENTITY_DIRECTORY}() RETURNS SETOF identity_providers
               LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp
               AS $$ SELECT * FROM identity_providers ORDER BY id $$;
             CREATE FUNCTION {TENANT_BY_SLUG}(wanted text) RETURNS SETOF tenants
               LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp
               AS $$ SELECT * FROM tenants WHERE slug = wanted $$;
             REVOKE ALL ON FUNCTION {IDENTITY_DIRECTORY}() FROM PUBLIC;
             REVOKE ALL ON FUNCTION {TENANT_BY_SLUG}(text) FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION {IDENTITY_DIRECTORY}() TO {APP_ROLE};
             GRANT EXECUTE ON FUNCTION {TENANT_BY_SLUG}(text) TO {APP_ROLE};"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "DROP FUNCTION IF EXISTS {IDENTITY_DIRECTORY}();
             DROP FUNCTION IF EXISTS {TENANT_BY_SLUG}(text);"
        ))
        .await?;
        for table in DIRECTORY_TABLES {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS directory_owner ON {table};
                 CREATE POLICY directory_read ON {table} FOR SELECT USING (true);"
            ))
            .await?;
        }
        Ok(())
    }
}
