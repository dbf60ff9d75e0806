//! Building the schema with its limits.

use crate::subscription::Subscription;
use async_graphql::{MergedObject, Object, Schema};
use sea_orm::DatabaseConnection;

/// The root query: every module's queries merged.
#[derive(MergedObject, Default)]
pub struct Query(
    BaseQuery,
    crate::care::CareQuery,
    crate::node::NodeQuery,
    crate::identity_providers::IdentityProviderQuery,
    crate::access_log::AccessLogQuery,
);

/// The root mutation: every module's mutations merged.
#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::identity_providers::IdentityProviderMutation,
    crate::writes::daily_logs::DailyLogMutation,
    crate::writes::key_sessions::KeySessionMutation,
    crate::writes::monthly_summaries::MonthlySummaryMutation,
    crate::writes::placements::PlacementMutation,
    crate::writes::care_plans::CarePlanMutation,
    crate::writes::safe_care_plans::SafeCarePlanMutation,
);

/// Queries about the API and the signed-in user.
#[derive(Default)]
pub struct BaseQuery;

/// Queries about the API and the signed-in user.
#[Object]
impl BaseQuery {
    /// The version of the KeyCare API this server implements.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// The signed-in user, their council, home memberships and roles.
    async fn me(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<crate::me::Me> {
        crate::me::resolve(ctx).await
    }
}

/// The KeyCare schema.
pub type KeyCareSchema = Schema<Query, Mutation, Subscription>;

/// What the resolvers need from the running server.
#[derive(Clone)]
pub struct SchemaDeps {
    pub db: DatabaseConnection,
}

/// Depth and complexity limits per operation (API.md: limits).
// GraphiQL's introspection query nests about 13 levels deep (ofType within ofType).
pub const MAX_DEPTH: usize = 16;
pub const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema for a running server.
pub fn build_schema(deps: SchemaDeps) -> KeyCareSchema {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(deps.db)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL of the schema (the committed `schema/schema.graphql`).
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

/// Attaches a request's unit of work, and the loaders that batch its look-ups, to a GraphQL
/// request. Loaders hold the unit weakly, so it can be committed once execution is done.
pub fn with_request(
    request: async_graphql::Request,
    unit: &std::sync::Arc<keycare_domain::request::Request>,
) -> async_graphql::Request {
    let people = std::sync::Arc::new(async_graphql::dataloader::DataLoader::with_cache(
        crate::people::PersonLoader(std::sync::Arc::downgrade(unit)),
        tokio::spawn,
        async_graphql::dataloader::HashMapCache::default(),
    ));
    use crate::pages::FirstPages;
    use keycare_domain::care_record::tables;
    let weak = std::sync::Arc::downgrade(unit);
    let key_sessions = async_graphql::dataloader::DataLoader::new(
        FirstPages {
            request: weak.clone(),
            table: tables::key_sessions,
            people: people.clone(),
        },
        tokio::spawn,
    );
    let summaries = async_graphql::dataloader::DataLoader::new(
        FirstPages {
            request: weak.clone(),
            table: tables::monthly_summaries,
            people: people.clone(),
        },
        tokio::spawn,
    );
    let logs = async_graphql::dataloader::DataLoader::new(
        FirstPages {
            request: weak,
            table: tables::daily_logs,
            people: people.clone(),
        },
        tokio::spawn,
    );
    request
        .data(unit.clone())
        .data(people)
        .data(key_sessions)
        .data(summaries)
        .data(logs)
}
