//! The tables of the initial schema, in creation order, with their enum checks and indexes.
//!
//! Generated once from the entities; later schema changes go in new migrations, never here.

use keycare_entity as e;
use sea_orm::{ActiveEnum, DbBackend, EntityName, Iterable, Schema};
use sea_orm_migration::sea_query::{
    Alias, Expr, ExprTrait, Index, IndexCreateStatement, TableCreateStatement,
};

/// A table to create: its statement and the indexes that go with it.
pub struct TableDef {
    pub name: &'static str,
    pub tenant_owned: bool,
    pub child_record: bool,
    pub create: TableCreateStatement,
    pub indexes: Vec<IndexCreateStatement>,
}

/// Adds a CHECK that keeps an enum column to its known values.
fn check<A: ActiveEnum<Value = String> + Iterable>(
    table: &mut TableCreateStatement,
    column: &str,
    nullable: bool,
) {
    let values: Vec<String> = A::iter().map(|v| v.to_value()).collect();
    let expr = Expr::col(Alias::new(column)).is_in(values);
    let expr = if nullable {
        expr.or(Expr::col(Alias::new(column)).is_null())
    } else {
        expr
    };
    table.check(expr);
}

fn idx(table: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(format!(
        "{}_{}_{}",
        if unique { "uq" } else { "ix" },
        table,
        cols.join("_")
    ))
    .table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// Every table of the initial schema, parents before children.
pub fn tables(backend: DbBackend) -> Vec<TableDef> {
    let schema = Schema::new(backend);
    let mut out = Vec::new();
    {
        let create = schema.create_table_from_entity(e::tenant::Entity);
        out.push(TableDef {
            name: e::tenant::Entity.table_name(),
            tenant_owned: false,
            child_record: false,
            create,
            indexes: vec![],
        });
    }
    {
        let create = schema.create_table_from_entity(e::identity_provider::Entity);
        out.push(TableDef {
            name: e::identity_provider::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("identity_providers", &["tenant_id", "issuer"], true)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::home::Entity);
        check::<e::enums::HomeStatus>(&mut create, "status", false);
        out.push(TableDef {
            name: e::home::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![],
        });
    }
    {
        let create = schema.create_table_from_entity(e::user::Entity);
        out.push(TableDef {
            name: e::user::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("users", &["issuer", "subject"], true)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::home_membership::Entity);
        check::<e::enums::HomeRole>(&mut create, "role", false);
        out.push(TableDef {
            name: e::home_membership::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![
                idx("home_memberships", &["user_id", "home_id"], false),
                idx("home_memberships", &["home_id"], false),
            ],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::tenant_role::Entity);
        check::<e::enums::TenantRoleKind>(&mut create, "role", false);
        out.push(TableDef {
            name: e::tenant_role::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("tenant_roles", &["user_id"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::child::Entity);
        check::<e::enums::LegalStatus>(&mut create, "legal_status", false);
        out.push(TableDef {
            name: e::child::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("children", &["tenant_id", "legal_name"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::allocation::Entity);
        check::<e::enums::AllocationKind>(&mut create, "kind", false);
        out.push(TableDef {
            name: e::allocation::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![
                idx("allocations", &["user_id"], false),
                idx("allocations", &["child_id"], false),
            ],
        });
    }
    {
        let create = schema.create_table_from_entity(e::placement::Entity);
        out.push(TableDef {
            name: e::placement::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![
                idx("placements", &["child_id"], false),
                idx("placements", &["home_id", "end_date"], false),
            ],
        });
    }
    {
        let create = schema.create_table_from_entity(e::pre_admission_visit::Entity);
        out.push(TableDef {
            name: e::pre_admission_visit::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("pre_admission_visits", &["placement_id"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::key_team_assignment::Entity);
        check::<e::enums::KeyTeamRole>(&mut create, "role", false);
        check::<e::enums::KeyCarerChangeReason>(&mut create, "end_reason", true);
        out.push(TableDef {
            name: e::key_team_assignment::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![
                idx("key_team_assignments", &["placement_id", "role"], false),
                idx("key_team_assignments", &["user_id", "end_date"], false),
                idx("key_team_assignments", &["child_id"], false),
            ],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::key_session::Entity);
        check::<e::enums::SessionFormat>(&mut create, "format", false);
        check::<e::enums::SessionStatus>(&mut create, "status", false);
        out.push(TableDef {
            name: e::key_session::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("key_sessions", &["child_id", "planned_at"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::monthly_summary::Entity);
        check::<e::enums::SummaryStatus>(&mut create, "status", false);
        out.push(TableDef {
            name: e::monthly_summary::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![
                idx("monthly_summaries", &["child_id", "month"], true),
                idx("monthly_summaries", &["child_id", "month"], false),
            ],
        });
    }
    {
        let create = schema.create_table_from_entity(e::daily_log::Entity);
        out.push(TableDef {
            name: e::daily_log::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("daily_logs", &["child_id", "occurred_at"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::care_plan::Entity);
        check::<e::enums::PlanStatus>(&mut create, "status", false);
        out.push(TableDef {
            name: e::care_plan::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![
                idx("care_plans", &["child_id", "version_number"], true),
                idx("care_plans", &["child_id", "version_number"], false),
            ],
        });
    }
    {
        let create = schema.create_table_from_entity(e::care_plan_review::Entity);
        out.push(TableDef {
            name: e::care_plan_review::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "care_plan_reviews",
                &["child_id", "reviewed_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::safe_care_plan::Entity);
        out.push(TableDef {
            name: e::safe_care_plan::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![
                idx("safe_care_plans", &["child_id"], true),
                idx("safe_care_plans", &["child_id", "created_at"], false),
            ],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::safe_care_risk::Entity);
        check::<e::enums::RiskCategory>(&mut create, "category", false);
        check::<e::enums::RiskLevel>(&mut create, "level", false);
        out.push(TableDef {
            name: e::safe_care_risk::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("safe_care_risks", &["child_id", "created_at"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::missing_episode::Entity);
        check::<e::enums::RiskLevel>(&mut create, "risk_level", false);
        out.push(TableDef {
            name: e::missing_episode::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "missing_episodes",
                &["child_id", "went_missing_at"],
                false,
            )],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::safe_care_review::Entity);
        check::<e::enums::ReviewTrigger>(&mut create, "trigger", false);
        out.push(TableDef {
            name: e::safe_care_review::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "safe_care_reviews",
                &["child_id", "reviewed_on"],
                false,
            )],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::statutory_review::Entity);
        check::<e::enums::ReviewSequence>(&mut create, "sequence", false);
        out.push(TableDef {
            name: e::statutory_review::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "statutory_reviews",
                &["child_id", "scheduled_for"],
                false,
            )],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::review_report::Entity);
        check::<e::enums::ReportStatus>(&mut create, "status", false);
        out.push(TableDef {
            name: e::review_report::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![
                idx("review_reports", &["review_id"], true),
                idx("review_reports", &["child_id", "created_at"], false),
            ],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::consultation_booklet::Entity);
        check::<e::enums::BookletSource>(&mut create, "source", false);
        out.push(TableDef {
            name: e::consultation_booklet::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "consultation_booklets",
                &["child_id", "received_on"],
                false,
            )],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::health_registration::Entity);
        check::<e::enums::HealthRegistrationKind>(&mut create, "kind", false);
        out.push(TableDef {
            name: e::health_registration::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "health_registrations",
                &["child_id", "registered_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::health_appointment::Entity);
        out.push(TableDef {
            name: e::health_appointment::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "health_appointments",
                &["child_id", "scheduled_at"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::health_measurement::Entity);
        out.push(TableDef {
            name: e::health_measurement::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "health_measurements",
                &["child_id", "measured_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::health_assessment::Entity);
        out.push(TableDef {
            name: e::health_assessment::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "health_assessments",
                &["child_id", "assessed_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::medication_record::Entity);
        out.push(TableDef {
            name: e::medication_record::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("medication_records", &["child_id", "given_at"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::education_placement::Entity);
        check::<e::enums::EducationKind>(&mut create, "kind", false);
        out.push(TableDef {
            name: e::education_placement::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "education_placements",
                &["child_id", "start_date"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::school_liaison::Entity);
        out.push(TableDef {
            name: e::school_liaison::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("school_liaisons", &["child_id", "week_of"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::pep_meeting::Entity);
        out.push(TableDef {
            name: e::pep_meeting::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("pep_meetings", &["child_id", "held_on"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::exclusion::Entity);
        check::<e::enums::ExclusionKind>(&mut create, "kind", false);
        out.push(TableDef {
            name: e::exclusion::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("exclusions", &["child_id", "start_date"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::significant_person::Entity);
        out.push(TableDef {
            name: e::significant_person::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "significant_people",
                &["child_id", "created_at"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::contact_arrangement::Entity);
        out.push(TableDef {
            name: e::contact_arrangement::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "contact_arrangements",
                &["child_id", "created_at"],
                false,
            )],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::contact_restriction::Entity);
        check::<e::enums::RestrictionAuthority>(&mut create, "agreed_by", false);
        out.push(TableDef {
            name: e::contact_restriction::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "contact_restrictions",
                &["child_id", "agreed_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::contact_visit::Entity);
        out.push(TableDef {
            name: e::contact_visit::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("contact_visits", &["child_id", "visit_at"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::file_audit::Entity);
        out.push(TableDef {
            name: e::file_audit::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("file_audits", &["child_id", "week_of"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::clothing_entry::Entity);
        check::<e::enums::ClothingEntryKind>(&mut create, "kind", false);
        out.push(TableDef {
            name: e::clothing_entry::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("clothing_entries", &["child_id", "entry_on"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::pathway_plan::Entity);
        out.push(TableDef {
            name: e::pathway_plan::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("pathway_plans", &["child_id", "created_at"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::weekly_plan::Entity);
        out.push(TableDef {
            name: e::weekly_plan::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx("weekly_plans", &["child_id", "week_of"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::chronology_entry::Entity);
        out.push(TableDef {
            name: e::chronology_entry::Entity.table_name(),
            tenant_owned: true,
            child_record: true,
            create,
            indexes: vec![idx(
                "chronology_entries",
                &["child_id", "occurred_on"],
                false,
            )],
        });
    }
    {
        let create = schema.create_table_from_entity(e::draft::Entity);
        out.push(TableDef {
            name: e::draft::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("drafts", &["user_id", "record_kind"], false)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::record_revision::Entity);
        out.push(TableDef {
            name: e::record_revision::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("record_revisions", &["record_id", "version"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::timescale_setting::Entity);
        check::<e::enums::TimescaleUnit>(&mut create, "unit", false);
        out.push(TableDef {
            name: e::timescale_setting::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![idx("timescale_settings", &["tenant_id", "rule"], true)],
        });
    }
    {
        let create = schema.create_table_from_entity(e::bank_holiday::Entity);
        out.push(TableDef {
            name: e::bank_holiday::Entity.table_name(),
            tenant_owned: false,
            child_record: false,
            create,
            indexes: vec![idx("bank_holidays", &["on_date"], false)],
        });
    }
    {
        let mut create = schema.create_table_from_entity(e::access_event::Entity);
        check::<e::enums::AccessAction>(&mut create, "action", false);
        out.push(TableDef {
            name: e::access_event::Entity.table_name(),
            tenant_owned: true,
            child_record: false,
            create,
            indexes: vec![
                idx("access_events", &["tenant_id", "seq"], true),
                idx("access_events", &["tenant_id", "child_id", "at"], false),
                idx("access_events", &["tenant_id", "user_id", "at"], false),
            ],
        });
    }
    out
}
