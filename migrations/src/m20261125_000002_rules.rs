//! Rules the database itself keeps, beyond foreign keys and enum checks.
//!
//! Partial unique indexes have the same syntax and meaning on SQLite and PostgreSQL.

use crate::rules::{ONE_KEY_CARER, ONE_OPEN_PLACEMENT};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {ONE_OPEN_PLACEMENT} ON placements (child_id) WHERE end_date IS NULL"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE UNIQUE INDEX {ONE_KEY_CARER} ON key_team_assignments (placement_id) \
             WHERE role = 'key_carer' AND end_date IS NULL"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!("DROP INDEX {ONE_KEY_CARER}"))
            .await?;
        db.execute_unprepared(&format!("DROP INDEX {ONE_OPEN_PLACEMENT}"))
            .await?;
        Ok(())
    }
}
