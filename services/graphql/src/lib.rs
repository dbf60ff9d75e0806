//! The KeyCare GraphQL schema: types and resolvers, no SQL. Resolvers parse input, call the
//! domain crate and map its results.

mod error;
mod identity_providers;
mod ids;
mod me;
mod request;
mod scalars;
mod schema;
mod subscription;

pub use error::to_graphql;
pub use ids::{global_id, parse_global_id};
pub use schema::{KeyCareSchema, SchemaDeps, build_schema, sdl};

#[cfg(test)]
mod sdl_test;
