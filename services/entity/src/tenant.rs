//! A council: every row of child or staff data belongs to exactly one.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// Short stable name used in URLs and configuration.
    #[sea_orm(unique)]
    pub slug: String,
    /// Weekly clothing allowance, in pence.
    pub clothing_weekly_pence: i32,
    /// Age in months by which a pathway plan is due (local policy; 186 = 15 years 6 months).
    pub pathway_plan_due_months: i32,
    /// Counts below this are suppressed in council reports.
    pub report_suppression_threshold: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
