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
        DomainError::Unauthenticated(msg) => {
            Error::new(msg).extend_with(|_, e| e.set("code", "UNAUTHENTICATED"))
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

/// Gives every error of a response an `extensions.code` of API.md, including the errors
/// async-graphql raises itself before any resolver runs: an invalid argument is
/// BAD_USER_INPUT with `extensions.field` naming it, a query over the depth or complexity
/// limit QUERY_TOO_COMPLEX, any other request-level error BAD_USER_INPUT.
pub fn assign_codes(response: &mut async_graphql::Response) {
    for err in &mut response.errors {
        let has_code = err
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let message = err.message.clone();
        let (code, field) =
            if message.contains("too complex") || message.contains("nested too deep") {
                ("QUERY_TOO_COMPLEX", None)
            } else if let Some(rest) = message.strip_prefix("Invalid value for argument \"") {
                ("BAD_USER_INPUT", rest.split('"').next().map(str::to_owned))
            } else if message.starts_with("Failed to parse \"") {
                // A scalar that does not parse (a date, a time, an id): the caller's input.
                ("BAD_USER_INPUT", None)
            } else if err.path.is_empty() {
                ("BAD_USER_INPUT", None)
            } else {
                tracing::error!(error = %message, "a resolver error without a code");
                ("INTERNAL", None)
            };
        let ext = err.extensions.get_or_insert_with(Default::default);
        ext.set("code", code);
        if let Some(field) = field {
            ext.set("field", field);
        }
    }
}
