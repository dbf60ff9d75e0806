//! The one error type of the domain layer, mapped once to GraphQL error codes by the gateway.

use keycare_entity::rules as keycare_rules;
use sea_orm::{DbErr, SqlErr};

/// A rule the database itself keeps, named so that a refusal can say which rule it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbRule {
    /// Stable name of the rule (also the constraint or index name on PostgreSQL).
    pub name: &'static str,
    /// What SQLite says instead of the name ("table.column" of the unique index).
    pub sqlite_hint: &'static str,
    /// The explanation given to the caller.
    pub message: &'static str,
}

/// The rules kept by unique indexes, in the order they are checked.
pub const DB_RULES: &[DbRule] = &[
    DbRule {
        name: keycare_rules::ONE_OPEN_PLACEMENT,
        sqlite_hint: "placements.child_id",
        message: "the child already has an open placement: end it before admitting the child again",
    },
    DbRule {
        name: keycare_rules::ONE_KEY_CARER,
        sqlite_hint: "key_team_assignments.placement_id",
        message: "the placement already has an active key carer: change the key carer instead of appointing a second",
    },
    DbRule {
        name: "uq_monthly_summaries_child_id_month",
        sqlite_hint: "monthly_summaries.child_id, monthly_summaries.month",
        message: "a monthly summary for this child and month already exists",
    },
    DbRule {
        name: "uq_care_plans_child_id_version_number",
        sqlite_hint: "care_plans.child_id, care_plans.version_number",
        message: "this care plan version already exists",
    },
    DbRule {
        name: "uq_safe_care_plans_child_id",
        sqlite_hint: "safe_care_plans.child_id",
        message: "the child already has a Safe Care Plan",
    },
    DbRule {
        name: "uq_review_reports_review_id",
        sqlite_hint: "review_reports.review_id",
        message: "this review already has a report",
    },
    DbRule {
        name: "uq_file_audits_child_id_week_of",
        sqlite_hint: "file_audits.child_id, file_audits.week_of",
        message: "the file audit of this week is already recorded",
    },
    DbRule {
        name: "uq_weekly_plans_child_id_week_of",
        sqlite_hint: "weekly_plans.child_id, weekly_plans.week_of",
        message: "this week already has a plan: save it with its expectedVersion",
    },
    DbRule {
        name: "uq_pathway_plans_child_id",
        sqlite_hint: "pathway_plans.child_id",
        message: "the child already has a pathway plan: save it with its expectedVersion",
    },
    DbRule {
        name: "homes_ofsted_urn_key",
        sqlite_hint: "homes.ofsted_urn",
        message: "another home already has this Ofsted URN",
    },
    DbRule {
        name: "users_email_key",
        sqlite_hint: "users.email",
        message: "a user with this email already exists",
    },
    DbRule {
        name: "uq_users_issuer_subject",
        sqlite_hint: "users.issuer, users.subject",
        message: "a user with this identity (issuer and subject) already exists",
    },
];

/// What went wrong in a domain operation.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The record does not exist, or the caller may not know that it does.
    #[error("not found")]
    NotFound,
    /// The caller may see the record but not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The credential names no account here (any more).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// Input broke a rule; `field` names the input field.
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// The record changed since the caller read it (optimistic locking).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A rule kept by the database refused the change.
    #[error("refused by rule {}: {}", .0.name, .0.message)]
    Rule(DbRule),
    /// A reference to a record that does not exist.
    #[error("refers to a record that does not exist")]
    MissingReference,
    /// A save failed: `fields` were not saved, for the reason in `cause`.
    #[error("not saved ({}): {cause}", fields.join(", "))]
    NotSaved {
        fields: Vec<String>,
        cause: Box<DomainError>,
    },
    /// Anything else from the database: logged, never shown to callers.
    #[error("database error")]
    Db(#[source] DbErr),
}

/// Result of a domain operation.
pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    /// Wraps a failed save with the names of the fields that were not saved.
    pub fn not_saved(self, fields: Vec<String>) -> Self {
        if fields.is_empty() {
            return self;
        }
        DomainError::NotSaved {
            fields,
            cause: Box::new(self),
        }
    }

    /// FORBIDDEN for reading `kind` of a child the caller may see.
    pub fn cannot_read(kind: keycare_authz::Kind) -> Self {
        DomainError::Forbidden(format!(
            "you may not read this child's {}",
            kind.as_str().replace('_', " ")
        ))
    }

    /// A bad-input error for `field`.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DbErr> for DomainError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => match rule_for(&msg) {
                Some(rule) => DomainError::Rule(rule),
                None => DomainError::Conflict("a record with these values already exists".into()),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::MissingReference,
            _ => DomainError::Db(err),
        }
    }
}

/// Finds the named rule in a database's unique-violation message.
pub fn rule_for(message: &str) -> Option<DbRule> {
    DB_RULES
        .iter()
        .find(|r| message.contains(r.name) || message.ends_with(r.sqlite_hint))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_found_in_both_databases_messages() {
        let pg =
            "duplicate key value violates unique constraint \"uq_placements_one_open_per_child\"";
        assert_eq!(
            rule_for(pg).map(|r| r.name),
            Some(keycare_rules::ONE_OPEN_PLACEMENT)
        );
        let sqlite = "UNIQUE constraint failed: key_team_assignments.placement_id";
        assert_eq!(
            rule_for(sqlite).map(|r| r.name),
            Some(keycare_rules::ONE_KEY_CARER)
        );
        assert_eq!(rule_for("UNIQUE constraint failed: homes.name"), None);
    }
}
