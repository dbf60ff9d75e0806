//! SeaORM entities: the whole KeyCare data model, one module per table.
//!
//! Every tenant-owned row carries `tenant_id`; every editable record carries `version`
//! for optimistic locking; child records carry `child_id`, `author_id` and `restricted`.

pub mod access_event;
pub mod allocation;
pub mod bank_holiday;
pub mod care_plan;
pub mod care_plan_review;
pub mod child;
pub mod chronology_entry;
pub mod clothing_entry;
pub mod consultation_booklet;
pub mod contact_arrangement;
pub mod contact_restriction;
pub mod contact_visit;
pub mod daily_log;
pub mod draft;
pub mod education_placement;
pub mod enums;
pub mod exclusion;
pub mod file_audit;
pub mod health_appointment;
pub mod health_assessment;
pub mod health_measurement;
pub mod health_registration;
pub mod home;
pub mod home_membership;
pub mod identity_provider;
pub mod key_session;
pub mod key_team_assignment;
pub mod login_flow;
pub mod medication_record;
pub mod missing_episode;
pub mod monthly_summary;
pub mod pathway_plan;
pub mod pep_meeting;
pub mod placement;
pub mod pre_admission_visit;
pub mod record_revision;
pub mod review_report;
pub mod safe_care_plan;
pub mod safe_care_review;
pub mod safe_care_risk;
pub mod school_liaison;
pub mod significant_person;
pub mod statutory_review;
pub mod tenant;
pub mod tenant_role;
pub mod timescale_setting;
pub mod user;
pub mod web_session;
pub mod weekly_plan;

/// Names of the rules the database keeps with partial unique indexes (shared by the
/// migrations that create them and the domain code that explains a refusal).
pub mod rules {
    /// At most one open placement per child.
    pub const ONE_OPEN_PLACEMENT: &str = "uq_placements_one_open_per_child";
    /// At most one active key carer per open placement.
    pub const ONE_KEY_CARER: &str = "uq_key_team_one_active_key_carer";
}

/// Names of the PostgreSQL objects the migrations create and the gateway uses (shared by
/// both, so that they cannot drift apart).
pub mod postgres {
    /// The role the gateway runs as: it neither owns the tables nor bypasses row-level
    /// security, and may not change or delete access events.
    pub const APP_ROLE: &str = "keycare_app";
    /// `SECURITY DEFINER` function: every identity provider of every council, for routing a
    /// token to its council before any tenant is set.
    pub const IDENTITY_DIRECTORY: &str = "keycare_identity_directory";
    /// `SECURITY DEFINER` function: the council with a slug, for browser sign-in.
    pub const TENANT_BY_SLUG: &str = "keycare_tenant_by_slug";
}
