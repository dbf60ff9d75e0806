//! The KeyCare GraphQL schema: types and resolvers, no SQL. Resolvers parse input, call the
//! domain crate and map its results.

mod access_log;
mod administration;
mod care;
mod connection;
pub mod cost;
mod error;
mod identity_providers;
mod ids;
mod me;
mod node;
mod pages;
mod people;
mod records;
mod request;
mod scalars;
mod schema;
mod subscription;
mod writes;

pub use error::{assign_codes, to_graphql};
pub use ids::{global_id, parse_global_id};
pub use schema::{KeyCareSchema, SchemaDeps, build_schema, sdl, with_request};

#[cfg(test)]
mod sdl_test;
