//! The one mapping from domain errors to GraphQL errors with `extensions.code`.

use async_graphql::{Error, ErrorExtensions};
use keycare_domain::DomainError;

/// Converts a domain error to a GraphQL error. Database details are logged, never returned.
pub fn to_graphql(err: DomainError) -> Error {
    match err {
        DomainError::NotFound => {
            Error::new("not found").extend_with(|_, e| e.set("code", "NOT_FOUND"))
        }
        DomainError::Forbidden(msg) => {
            Error::new(msg).extend_with(|_, e| e.set("code", "FORBIDDEN"))
        }
        DomainError::BadInput { field, message } => Error::new(format!("{field}: {message}"))
            .extend_with(|_, e| {
                e.set("code", "BAD_USER_INPUT");
                e.set("field", field.clone());
            }),
        DomainError::Conflict(msg) => Error::new(msg).extend_with(|_, e| e.set("code", "CONFLICT")),
        DomainError::Rule(rule) => Error::new(rule.message).extend_with(|_, e| {
            e.set("code", "BAD_USER_INPUT");
            e.set("rule", rule.name);
        }),
        DomainError::MissingReference => Error::new("refers to a record that does not exist")
            .extend_with(|_, e| e.set("code", "BAD_USER_INPUT")),
        DomainError::NotSaved { fields, cause } => {
            let inner = to_graphql(*cause);
            let message = format!("not saved: {} ({})", fields.join(", "), inner.message);
            let mut err = Error::new(message);
            err.extensions = inner.extensions;
            err.extend_with(|_, e| e.set("notSaved", fields.clone()))
        }
        DomainError::Db(db) => {
            let id = uuid::Uuid::new_v4();
            tracing::error!(error = %db, error_id = %id, "database error");
            Error::new(format!("internal error (reference {id})")).extend_with(|_, e| {
                e.set("code", "INTERNAL");
                e.set("errorId", id.to_string());
            })
        }
    }
}

/// Shorthand for resolvers: `domain_call().await.map_err(gql)?`.
pub fn gql(err: DomainError) -> Error {
    to_graphql(err)
}
