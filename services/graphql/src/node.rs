//! `node(id:)`: any record by its global id. A record the viewer may not see answers
//! NOT_FOUND, exactly as one that does not exist.

use crate::care::{Child, Home};
use crate::error::gql;
use crate::records::{
    chronology, clothing, education, family, file_audits, health, missing, plans, reviews,
};
use crate::request::request;
use async_graphql::{Context, ID, Interface, Object, Result};
use keycare_domain::DomainError;
use keycare_domain::care_record::{self as cr, tables};

/// Anything with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global id."))]
pub enum Node {
    Child(Child),
    Home(Home),
    User(crate::administration::UserAccount),
    KeySession(crate::care::KeySession),
    MonthlySummary(crate::care::MonthlySummary),
    DailyLog(crate::care::DailyLog),
    CarePlanVersion(crate::care::CarePlanVersion),
    CarePlanReview(crate::care::CarePlanReview),
    SafeCareRisk(crate::care::SafeCareRisk),
    SafeCareReview(crate::care::SafeCareReview),
    StatutoryReview(reviews::StatutoryReview),
    ReviewReport(reviews::ReviewReport),
    ConsultationBooklet(reviews::ConsultationBooklet),
    HealthRegistration(health::HealthRegistration),
    HealthAssessment(health::HealthAssessment),
    HealthAppointment(health::HealthAppointment),
    HealthMeasurement(health::HealthMeasurement),
    MedicationRecord(health::MedicationRecord),
    EducationPlacement(education::EducationPlacement),
    SchoolLiaison(education::SchoolLiaison),
    PepMeeting(education::PepMeeting),
    Exclusion(education::Exclusion),
    SignificantPerson(family::SignificantPerson),
    ContactArrangement(family::ContactArrangement),
    ContactRestriction(family::ContactRestriction),
    ContactVisit(family::ContactVisit),
    MissingEpisode(missing::MissingEpisode),
    FileAudit(file_audits::FileAudit),
    ClothingEntry(clothing::ClothingEntry),
    PathwayPlan(plans::PathwayPlan),
    WeeklyPlan(plans::WeeklyPlan),
    ChronologyEntry(chronology::ChronologyEntry),
}

/// The `node` query.
#[derive(Default)]
pub struct NodeQuery;

/// The `node` query.
#[Object]
impl NodeQuery {
    /// Any record by its global id (NOT_FOUND if it does not exist or the viewer may not
    /// see it).
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let req = request(ctx)?;
        let Some((kind, uuid)) = crate::ids::parse_global_id(&id) else {
            return Err(gql(DomainError::NotFound));
        };
        let node = match kind.as_str() {
            "Child" => Node::Child(Child(cr::child(req, uuid).await.map_err(gql)?)),
            "Home" => Node::Home(Home(cr::home(req, uuid).await.map_err(gql)?)),
            "User" => Node::User(crate::administration::UserAccount(
                keycare_domain::administration::user(req, uuid)
                    .await
                    .map_err(gql)?,
            )),
            "KeySession" => Node::KeySession(crate::care::KeySession(
                cr::record(req, uuid, &tables::key_sessions())
                    .await
                    .map_err(gql)?,
            )),
            "MonthlySummary" => Node::MonthlySummary(crate::care::MonthlySummary(
                cr::record(req, uuid, &tables::monthly_summaries())
                    .await
                    .map_err(gql)?,
            )),
            "DailyLog" => Node::DailyLog(crate::care::DailyLog(
                cr::record(req, uuid, &tables::daily_logs())
                    .await
                    .map_err(gql)?,
            )),
            "CarePlanVersion" => Node::CarePlanVersion(crate::care::CarePlanVersion(
                cr::record(req, uuid, &tables::care_plans())
                    .await
                    .map_err(gql)?,
            )),
            "CarePlanReview" => Node::CarePlanReview(crate::care::CarePlanReview(
                cr::record(req, uuid, &tables::care_plan_reviews())
                    .await
                    .map_err(gql)?,
            )),
            "SafeCareRisk" => Node::SafeCareRisk(crate::care::SafeCareRisk(
                cr::record(req, uuid, &tables::safe_care_risks())
                    .await
                    .map_err(gql)?,
            )),
            "SafeCareReview" => Node::SafeCareReview(crate::care::SafeCareReview(
                cr::record(req, uuid, &tables::safe_care_reviews())
                    .await
                    .map_err(gql)?,
            )),
            "StatutoryReview" => Node::StatutoryReview(reviews::StatutoryReview(
                cr::record(req, uuid, &tables::statutory_reviews())
                    .await
                    .map_err(gql)?,
            )),
            "ReviewReport" => Node::ReviewReport(reviews::ReviewReport(
                cr::record(req, uuid, &tables::review_reports())
                    .await
                    .map_err(gql)?,
            )),
            "ConsultationBooklet" => Node::ConsultationBooklet(reviews::ConsultationBooklet(
                cr::record(req, uuid, &tables::consultation_booklets())
                    .await
                    .map_err(gql)?,
            )),
            "HealthRegistration" => Node::HealthRegistration(health::HealthRegistration(
                cr::record(req, uuid, &tables::health_registrations())
                    .await
                    .map_err(gql)?,
            )),
            "HealthAssessment" => Node::HealthAssessment(health::HealthAssessment(
                cr::record(req, uuid, &tables::health_assessments())
                    .await
                    .map_err(gql)?,
            )),
            "HealthAppointment" => Node::HealthAppointment(health::HealthAppointment(
                cr::record(req, uuid, &tables::health_appointments())
                    .await
                    .map_err(gql)?,
            )),
            "HealthMeasurement" => Node::HealthMeasurement(health::HealthMeasurement(
                cr::record(req, uuid, &tables::health_measurements())
                    .await
                    .map_err(gql)?,
            )),
            "MedicationRecord" => Node::MedicationRecord(health::MedicationRecord(
                cr::record(req, uuid, &tables::medication_records())
                    .await
                    .map_err(gql)?,
            )),
            "EducationPlacement" => Node::EducationPlacement(education::EducationPlacement(
                cr::record(req, uuid, &tables::education_placements())
                    .await
                    .map_err(gql)?,
            )),
            "SchoolLiaison" => Node::SchoolLiaison(education::SchoolLiaison(
                cr::record(req, uuid, &tables::school_liaisons())
                    .await
                    .map_err(gql)?,
            )),
            "PepMeeting" => Node::PepMeeting(education::PepMeeting(
                cr::record(req, uuid, &tables::pep_meetings())
                    .await
                    .map_err(gql)?,
            )),
            "Exclusion" => Node::Exclusion(education::Exclusion(
                cr::record(req, uuid, &tables::exclusions())
                    .await
                    .map_err(gql)?,
            )),
            "SignificantPerson" => Node::SignificantPerson(family::SignificantPerson(
                cr::record(req, uuid, &tables::significant_people())
                    .await
                    .map_err(gql)?,
            )),
            "ContactArrangement" => Node::ContactArrangement(family::ContactArrangement(
                cr::record(req, uuid, &tables::contact_arrangements())
                    .await
                    .map_err(gql)?,
            )),
            "ContactRestriction" => Node::ContactRestriction(family::ContactRestriction(
                cr::record(req, uuid, &tables::contact_restrictions())
                    .await
                    .map_err(gql)?,
            )),
            "ContactVisit" => Node::ContactVisit(family::ContactVisit(
                cr::record(req, uuid, &tables::contact_visits())
                    .await
                    .map_err(gql)?,
            )),
            "MissingEpisode" => Node::MissingEpisode(missing::MissingEpisode(
                cr::record(req, uuid, &tables::missing_episodes())
                    .await
                    .map_err(gql)?,
            )),
            "FileAudit" => Node::FileAudit(file_audits::FileAudit(
                cr::record(req, uuid, &tables::file_audits())
                    .await
                    .map_err(gql)?,
            )),
            "ClothingEntry" => Node::ClothingEntry(clothing::ClothingEntry(
                cr::record(req, uuid, &tables::clothing_entries())
                    .await
                    .map_err(gql)?,
            )),
            "PathwayPlan" => Node::PathwayPlan(plans::PathwayPlan(
                cr::record(req, uuid, &tables::pathway_plans())
                    .await
                    .map_err(gql)?,
            )),
            "WeeklyPlan" => Node::WeeklyPlan(plans::WeeklyPlan(
                cr::record(req, uuid, &tables::weekly_plans())
                    .await
                    .map_err(gql)?,
            )),
            "ChronologyEntry" => Node::ChronologyEntry(chronology::ChronologyEntry(
                cr::record(req, uuid, &tables::chronology_entries())
                    .await
                    .map_err(gql)?,
            )),
            _ => return Err(gql(DomainError::NotFound)),
        };
        Ok(Some(node))
    }
}
