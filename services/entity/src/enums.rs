//! Enumerations stored as checked text columns and exposed in GraphQL as SCREAMING_CASE enums.

use async_graphql::Enum;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether a home is operating.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum HomeStatus {
    /// Operating and able to take children.
    #[sea_orm(string_value = "open")]
    Open,
    /// No longer operating; its records are kept.
    #[sea_orm(string_value = "closed")]
    Closed,
}

/// A member's role in a home.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum HomeRole {
    /// Registered manager of the home.
    #[sea_orm(string_value = "manager")]
    Manager,
    /// Deputy manager.
    #[sea_orm(string_value = "deputy_manager")]
    DeputyManager,
    /// Residential care staff.
    #[sea_orm(string_value = "staff")]
    Staff,
}

/// A council-wide role.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum TenantRoleKind {
    /// Council social worker (allocated to children).
    #[sea_orm(string_value = "social_worker")]
    SocialWorker,
    /// Independent Reviewing Officer (allocated to children).
    #[sea_orm(string_value = "iro")]
    Iro,
    /// Council reporting: aggregates only.
    #[sea_orm(string_value = "reporting")]
    Reporting,
    /// Data protection officer: access log and subject access.
    #[sea_orm(string_value = "dpo")]
    Dpo,
    /// Manages users, homes and allocations; never children's records.
    #[sea_orm(string_value = "tenant_admin")]
    TenantAdmin,
}

/// What a council worker is allocated to a child as.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum AllocationKind {
    /// The child's social worker.
    #[sea_orm(string_value = "social_worker")]
    SocialWorker,
    /// The child's Independent Reviewing Officer.
    #[sea_orm(string_value = "iro")]
    Iro,
    /// The child's leaving-care worker (personal adviser).
    #[sea_orm(string_value = "leaving_care_worker")]
    LeavingCareWorker,
}

/// The legal basis on which the child is looked after.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// Accommodated by agreement (Children Act 1989 s20).
    #[sea_orm(string_value = "s20")]
    S20,
    /// Full care order (s31).
    #[sea_orm(string_value = "s31_care_order")]
    S31CareOrder,
    /// Interim care order (s38).
    #[sea_orm(string_value = "interim_care_order")]
    InterimCareOrder,
    /// Placement order.
    #[sea_orm(string_value = "placement_order")]
    PlacementOrder,
    /// Remanded to local authority accommodation.
    #[sea_orm(string_value = "remand")]
    Remand,
    /// Another legal status.
    #[sea_orm(string_value = "other")]
    Other,
}

/// A place in the child's key team.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum KeyTeamRole {
    /// The named key carer (exactly one per open placement).
    #[sea_orm(string_value = "key_carer")]
    KeyCarer,
    /// A co-key carer (up to two).
    #[sea_orm(string_value = "co_key_carer")]
    CoKeyCarer,
}

/// Why a key team assignment ended.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum KeyCarerChangeReason {
    /// The child complained.
    #[sea_orm(string_value = "child_complaint")]
    ChildComplaint,
    /// The staff member left or is on long-term absence.
    #[sea_orm(string_value = "staff_left")]
    StaffLeft,
    /// A relationship was not established.
    #[sea_orm(string_value = "relationship_not_established")]
    RelationshipNotEstablished,
    /// Continuing was not in the child's best interests.
    #[sea_orm(string_value = "not_in_best_interests")]
    NotInBestInterests,
    /// The placement ended.
    #[sea_orm(string_value = "placement_ended")]
    PlacementEnded,
    /// Another reason (a note is required).
    #[sea_orm(string_value = "other")]
    Other,
}

/// How a key session is run.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum SessionFormat {
    /// A formal sit-down session.
    #[sea_orm(string_value = "formal")]
    Formal,
    /// A session built around an activity.
    #[sea_orm(string_value = "activity")]
    Activity,
}

/// Where a key session stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Planned, not yet held.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// Held.
    #[sea_orm(string_value = "held")]
    Held,
    /// Cancelled by the home.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// The child declined.
    #[sea_orm(string_value = "declined_by_child")]
    DeclinedByChild,
}

/// Where a monthly summary stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum SummaryStatus {
    /// Being written.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Submitted to the manager.
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// Acknowledged by the manager.
    #[sea_orm(string_value = "acknowledged")]
    Acknowledged,
}

/// Where a plan version stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Being written.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// The current plan.
    #[sea_orm(string_value = "published")]
    Published,
    /// Replaced by a later version.
    #[sea_orm(string_value = "superseded")]
    Superseded,
}

/// The kind of risk in a Safe Care Plan.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum RiskCategory {
    /// Violence.
    #[sea_orm(string_value = "violence")]
    Violence,
    /// Criminal exploitation.
    #[sea_orm(string_value = "criminal_exploitation")]
    CriminalExploitation,
    /// Sexual exploitation.
    #[sea_orm(string_value = "sexual_exploitation")]
    SexualExploitation,
    /// Gang or drug related.
    #[sea_orm(string_value = "gang_or_drug_related")]
    GangOrDrugRelated,
    /// Inappropriate contacts.
    #[sea_orm(string_value = "inappropriate_contacts")]
    InappropriateContacts,
    /// Self-harm.
    #[sea_orm(string_value = "self_harm")]
    SelfHarm,
    /// Going missing.
    #[sea_orm(string_value = "going_missing")]
    GoingMissing,
    /// Another risk.
    #[sea_orm(string_value = "other")]
    Other,
}

/// How serious a risk is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Low.
    #[sea_orm(string_value = "low")]
    Low,
    /// Medium.
    #[sea_orm(string_value = "medium")]
    Medium,
    /// High.
    #[sea_orm(string_value = "high")]
    High,
}

/// Why a Safe Care Plan review took place.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ReviewTrigger {
    /// The regular (at least monthly) review.
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    /// After an incident.
    #[sea_orm(string_value = "incident")]
    Incident,
    /// After a missing episode.
    #[sea_orm(string_value = "missing_episode")]
    MissingEpisode,
}

/// Which statutory review this is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ReviewSequence {
    /// The first review.
    #[sea_orm(string_value = "first")]
    First,
    /// The second review.
    #[sea_orm(string_value = "second")]
    Second,
    /// A later review.
    #[sea_orm(string_value = "later")]
    Later,
}

/// Where the key carer's review report stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Being written.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// The child's views have been added.
    #[sea_orm(string_value = "child_views_added")]
    ChildViewsAdded,
    /// Submitted for the review.
    #[sea_orm(string_value = "submitted")]
    Submitted,
}

/// Who a consultation booklet is from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum BookletSource {
    /// The child.
    #[sea_orm(string_value = "child")]
    Child,
    /// The home.
    #[sea_orm(string_value = "home")]
    Home,
}

/// A health registration made on admission.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum HealthRegistrationKind {
    /// General practitioner.
    #[sea_orm(string_value = "gp")]
    Gp,
    /// Dentist.
    #[sea_orm(string_value = "dentist")]
    Dentist,
    /// Optician.
    #[sea_orm(string_value = "optician")]
    Optician,
}

/// The kind of education or work setting.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum EducationKind {
    /// School.
    #[sea_orm(string_value = "school")]
    School,
    /// College.
    #[sea_orm(string_value = "college")]
    College,
    /// Work placement.
    #[sea_orm(string_value = "work_placement")]
    WorkPlacement,
    /// Other provision.
    #[sea_orm(string_value = "other")]
    Other,
}

/// The kind of exclusion.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ExclusionKind {
    /// Suspension (fixed term).
    #[sea_orm(string_value = "suspension")]
    Suspension,
    /// Permanent exclusion.
    #[sea_orm(string_value = "permanent")]
    Permanent,
}

/// Who agreed a contact restriction.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum RestrictionAuthority {
    /// Agreed by the placing authority.
    #[sea_orm(string_value = "placing_authority")]
    PlacingAuthority,
    /// Imposed in an emergency; the placing authority notified within 24 hours.
    #[sea_orm(string_value = "emergency")]
    Emergency,
}

/// A clothing ledger entry.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum ClothingEntryKind {
    /// Weekly allowance credited.
    #[sea_orm(string_value = "allowance")]
    Allowance,
    /// A purchase.
    #[sea_orm(string_value = "purchase")]
    Purchase,
    /// A correction or adjustment.
    #[sea_orm(string_value = "adjustment")]
    Adjustment,
}

/// The unit of a timescale setting.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum TimescaleUnit {
    /// Hours.
    #[sea_orm(string_value = "hours")]
    Hours,
    /// Calendar days.
    #[sea_orm(string_value = "days")]
    Days,
    /// Working days (England and Wales).
    #[sea_orm(string_value = "working_days")]
    WorkingDays,
    /// Weeks.
    #[sea_orm(string_value = "weeks")]
    Weeks,
    /// Calendar months.
    #[sea_orm(string_value = "months")]
    Months,
}

/// What an access event did.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    /// Read.
    #[sea_orm(string_value = "read")]
    Read,
    /// Created or changed.
    #[sea_orm(string_value = "write")]
    Write,
    /// Exported (subject access).
    #[sea_orm(string_value = "export")]
    Export,
}

/// Why a key session is held (stored as a list in `key_sessions.purposes`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "snake_case")]
pub enum SessionPurpose {
    /// General progress.
    #[sea_orm(string_value = "progress")]
    Progress,
    /// A specific issue.
    #[sea_orm(string_value = "specific_issue")]
    SpecificIssue,
    /// Preparing for a review or court.
    #[sea_orm(string_value = "review_or_court_preparation")]
    ReviewOrCourtPreparation,
    /// Planning for the future.
    #[sea_orm(string_value = "future_planning")]
    FuturePlanning,
    /// Talking about the past.
    #[sea_orm(string_value = "talking_about_past")]
    TalkingAboutPast,
    /// After a family visit.
    #[sea_orm(string_value = "after_family_visit")]
    AfterFamilyVisit,
    /// Another purpose (described in `purposeOther`).
    #[sea_orm(string_value = "other")]
    Other,
}

/// A document the weekly file audit checks (kept in the audit's checklist).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AuditDocument {
    /// The placing authority's care plan.
    CarePlan,
    /// The pathway plan.
    PathwayPlan,
    /// The Individual Placement Care Plan.
    Ipcp,
    /// The chronology.
    Chronology,
    /// The health plan.
    HealthPlan,
    /// The Education, Health and Care Plan (where the child has one).
    Ehcp,
    /// The Personal Education Plan.
    Pep,
    /// SEN support (where it applies).
    SenSupport,
    /// The Safe Care Plan.
    SafeCarePlan,
    /// Specialist reports.
    SpecialistReports,
    /// The medical consent form.
    MedicalConsent,
}

impl AuditDocument {
    /// Every document, in the order of the audit form.
    pub const ALL: [AuditDocument; 11] = [
        AuditDocument::CarePlan,
        AuditDocument::PathwayPlan,
        AuditDocument::Ipcp,
        AuditDocument::Chronology,
        AuditDocument::HealthPlan,
        AuditDocument::Ehcp,
        AuditDocument::Pep,
        AuditDocument::SenSupport,
        AuditDocument::SafeCarePlan,
        AuditDocument::SpecialistReports,
        AuditDocument::MedicalConsent,
    ];
}

/// One line of a file audit's checklist, as stored in `file_audits.checklist` (a JSON array
/// of these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditItem {
    pub document: AuditDocument,
    /// The document applies to this child (an EHCP, for example, only where there is one).
    pub applicable: bool,
    /// It is on file.
    pub present: bool,
    /// It is up to date.
    pub current: bool,
}

impl AuditItem {
    /// A checklist where `on_file` are present and current and the rest do not apply.
    pub fn checklist(on_file: &[AuditDocument]) -> serde_json::Value {
        let items: Vec<AuditItem> = AuditDocument::ALL
            .iter()
            .map(|d| {
                let here = on_file.contains(d);
                AuditItem {
                    document: *d,
                    applicable: here,
                    present: here,
                    current: here,
                }
            })
            .collect();
        serde_json::to_value(items).unwrap_or_default()
    }
}

/// A rule of "what is due" (PRODUCT.md), each with a timescale of the council.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueRule {
    /// A key carer appointed on or before the admission day.
    KeyCarerAppointed,
    /// The first key session, within 7 days of admission.
    FirstKeySession,
    /// At least one key session held each week (Monday to Sunday).
    WeeklyKeySession,
    /// At least four key sessions held each calendar month.
    MonthlyKeySessions,
    /// The month's summary submitted and signed by the child by the month's last day.
    MonthlySummary,
    /// The IPCP reviewed every 31 days.
    IpcpReview,
    /// The Safe Care Plan reviewed every 31 days, and within 3 days after a missing episode.
    SafeCarePlanReview,
    /// The weekly file audit.
    FileAudit,
    /// The first statutory review, within 20 working days of becoming looked after.
    FirstStatutoryReview,
    /// The second review, within 3 months of the first.
    SecondStatutoryReview,
    /// Later reviews, at most 6 months apart.
    LaterStatutoryReview,
    /// The review report, submitted 5 working days before the review.
    ReviewReport,
    /// The return interview, within 72 hours of return from a missing episode.
    ReturnInterview,
    /// GP registration within 7 days of admission.
    GpRegistration,
    /// Dentist registration within 7 days of admission.
    DentistRegistration,
    /// Optician registration within 7 days of admission.
    OpticianRegistration,
    /// Weekly liaison with the school while the child has a school or college place.
    SchoolLiaison,
    /// The pathway plan, by the council's age (15 years 6 months by default).
    PathwayPlan,
    /// The leaving-care needs assessment, within 3 months after the 16th birthday.
    LeavingCareNeedsAssessment,
}

/// Where a due item stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Past its due date and not done.
    Overdue,
    /// Not done, and due within the next few days.
    DueSoon,
    /// Done, or not due for a while.
    Ok,
}
