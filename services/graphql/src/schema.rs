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
    crate::administration::AdministrationQuery,
    crate::access_log::AccessLogQuery,
    crate::records::due::DueQuery,
    crate::records::council_report::CouncilReportQuery,
);

/// The root mutation: every module's mutations merged.
#[derive(MergedObject, Default)]
pub struct Mutation(
    crate::identity_providers::IdentityProviderMutation,
    crate::administration::AdministrationMutation,
    crate::writes::daily_logs::DailyLogMutation,
    crate::writes::key_sessions::KeySessionMutation,
    crate::writes::monthly_summaries::MonthlySummaryMutation,
    crate::writes::placements::PlacementMutation,
    crate::writes::care_plans::CarePlanMutation,
    crate::writes::safe_care_plans::SafeCarePlanMutation,
    crate::records::reviews::ReviewMutation,
    crate::records::health::HealthMutation,
    crate::records::education::EducationMutation,
    crate::records::family::FamilyMutation,
    crate::records::missing::MissingMutation,
    crate::records::file_audits::FileAuditMutation,
    crate::records::clothing::ClothingMutation,
    crate::records::plans::PlanMutation,
    crate::records::chronology::ChronologyMutation,
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
    /// Whether requests, phases and resolved fields become tracing spans (async-graphql's
    /// `Tracing` extension): on when traces are exported, off otherwise, since it wraps
    /// every field resolution.
    pub traced: bool,
    /// Whether introspection answers (off in production unless enabled).
    pub introspection: bool,
    /// Whether validation errors suggest names ("did you mean ...").
    pub suggestions: bool,
    /// Which addresses the gateway may call: identity-provider URLs are checked against it
    /// when saved (the configuration's outbound policy).
    pub outbound: keycare_domain::identity_providers::OutboundRule,
}

/// Depth and complexity limits per operation (API.md: limits).
// GraphiQL's introspection query nests about 13 levels deep (ofType within ofType).
pub const MAX_DEPTH: usize = 16;
pub const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema for a running server.
pub fn build_schema(deps: SchemaDeps) -> KeyCareSchema {
    // The cost of a document is checked before it gets here (`cost::analyze`); these limits
    // stay as a second line, for documents that reach the schema some other way.
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(deps.db)
        .data(deps.outbound)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .limit_directives(crate::cost::Limits::default().max_directives as usize);
    if !deps.introspection {
        builder = builder.disable_introspection();
    }
    if !deps.suggestions {
        builder = builder.disable_suggestions();
    }
    if deps.traced {
        builder
            .extension(async_graphql::extensions::Tracing)
            .finish()
    } else {
        builder.finish()
    }
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
    use crate::pages::{ByIds, FirstPages};
    use async_graphql::dataloader::DataLoader;
    use keycare_domain::care_record::tables;
    let weak = std::sync::Arc::downgrade(unit);
    let mut request = request.data(unit.clone());
    // One loader per record kind listed on `Child`: the first pages of many children in one
    // statement per kind.
    macro_rules! first_pages {
        ($($table:ident),* $(,)?) => {$(
            request = request.data(DataLoader::new(
                FirstPages {
                    request: weak.clone(),
                    table: tables::$table,
                    people: people.clone(),
                },
                tokio::spawn,
            ));
        )*};
    }
    first_pages!(
        key_sessions,
        monthly_summaries,
        daily_logs,
        statutory_reviews,
        health_registrations,
        health_assessments,
        health_appointments,
        health_measurements,
        medication_records,
        education_placements,
        school_liaisons,
        pep_meetings,
        exclusions,
        significant_people,
        contact_arrangements,
        contact_restrictions,
        contact_visits,
        missing_episodes,
        file_audits,
        clothing_entries,
        pathway_plans,
        weekly_plans,
        chronology_entries,
        care_plans,
        care_plan_reviews,
        safe_care_risks,
        safe_care_reviews,
    );
    request
        .data(DataLoader::new(
            ByIds {
                request: weak.clone(),
                table: tables::significant_people,
            },
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::reviews::ReportLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::reviews::BookletLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::reviews::OutcomeLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::administration::RelationshipLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::clothing::AccountLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::plans::WeekLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::due::DueLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::care::PlacementLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::care::KeyTeamLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::care::SafeCarePlanLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::care::CurrentCarePlanLoader(weak.clone()),
            tokio::spawn,
        ))
        .data(DataLoader::new(
            crate::records::due::ChildLoader(weak),
            tokio::spawn,
        ))
        .data(people)
}
