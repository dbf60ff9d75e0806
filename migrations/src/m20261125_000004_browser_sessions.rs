//! Browser sign-in: pending PKCE logins and cookie sessions, behind the tenant wall.

use crate::APP_ROLE;
use crate::m20261125_000003_postgres_security::tenant_wall_sql;
use keycare_entity as e;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, EntityName, Schema};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let schema = Schema::new(backend);
        manager
            .create_table(schema.create_table_from_entity(e::login_flow::Entity))
            .await?;
        manager
            .create_table(schema.create_table_from_entity(e::web_session::Entity))
            .await?;
        if backend == DbBackend::Postgres {
            let db = manager.get_connection();
            for table in [
                e::login_flow::Entity.table_name(),
                e::web_session::Entity.table_name(),
            ] {
                db.execute_unprepared(&tenant_wall_sql(table)).await?;
                db.execute_unprepared(&format!(
                    "GRANT SELECT, INSERT, UPDATE ON {table} TO {APP_ROLE}"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(e::web_session::Entity).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(e::login_flow::Entity).to_owned())
            .await?;
        Ok(())
    }
}
