//! The care rules of KeyCare: functions over a database connection that know nothing of
//! GraphQL or HTTP.

pub mod db;
pub mod error;
pub mod identity;
pub mod identity_providers;
pub mod request;
pub mod sessions;

pub use error::{DomainError, DomainResult};
