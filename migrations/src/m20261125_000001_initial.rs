//! The whole care data model: every table of the entity crate, with enum checks,
//! foreign keys and indexes.

use crate::tables::tables;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables(manager.get_database_backend()) {
            manager.create_table(table.create).await?;
            for index in table.indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables(manager.get_database_backend()).into_iter().rev() {
            manager
                .drop_table(Table::drop().table(Alias::new(table.name)).to_owned())
                .await?;
        }
        Ok(())
    }
}
