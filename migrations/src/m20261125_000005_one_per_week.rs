//! One file audit and one weekly plan per child and week, one pathway plan per child: kept
//! by unique indexes, so two people saving at once cannot both create one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index name, table, columns).
const INDEXES: &[(&str, &str, &str)] = &[
    (
        "uq_file_audits_child_id_week_of",
        "file_audits",
        "child_id, week_of",
    ),
    (
        "uq_weekly_plans_child_id_week_of",
        "weekly_plans",
        "child_id, week_of",
    ),
    ("uq_pathway_plans_child_id", "pathway_plans", "child_id"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, table, columns) in INDEXES {
            db.execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {name} ON {table} ({columns})"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (name, _, _) in INDEXES.iter().rev() {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        Ok(())
    }
}
