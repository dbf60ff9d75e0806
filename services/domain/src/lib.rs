//! The care rules of KeyCare: functions over a database connection that know nothing of
//! GraphQL or HTTP.

pub mod audit;
pub mod care_plans;
pub mod care_record;
pub mod daily_logs;
pub mod db;
pub mod error;
pub mod identity;
pub mod identity_providers;
pub mod key_sessions;
pub mod monthly_summaries;
pub mod pages;
pub mod people;
pub mod placements;
pub mod request;
pub mod safe_care_plans;
pub mod sessions;
pub mod subject_access;
pub mod writes;

pub use error::{DomainError, DomainResult};
