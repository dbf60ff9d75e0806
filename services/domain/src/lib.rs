//! The care rules of KeyCare: functions over a database connection that know nothing of
//! GraphQL or HTTP.

pub mod administration;
pub mod audit;
pub mod care_plans;
pub mod care_record;
pub mod chronology;
pub mod clothing;
pub mod council_report;
pub mod daily_logs;
pub mod db;
pub mod due;
pub mod education;
pub mod error;
pub mod family;
pub mod file_audits;
pub mod health;
pub mod identity;
pub mod identity_providers;
pub mod key_sessions;
pub mod missing;
pub mod monthly_summaries;
pub mod onboarding;
pub mod pages;
pub mod people;
pub mod placements;
pub mod plans;
pub mod records;
pub mod request;
pub mod reviews;
pub mod safe_care_plans;
pub mod sessions;
pub mod subject_access;
pub mod timescales;
pub mod writes;

pub use error::{DomainError, DomainResult};
