//! Health: registrations and assessments (the health plan); appointments, measurements and
//! medication (health records).

use super::opt_uuid;
use crate::care::list;
use crate::care::person;
use crate::connection::Conn;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::care_record::tables;
use keycare_domain::health::{self, MedicationInput};
use keycare_entity as e;
use keycare_entity::enums::HealthRegistrationKind;
use uuid::Uuid;

/// A child's health records.
pub struct ChildHealth(pub Uuid);

/// A child's health records.
#[Object]
impl ChildHealth {
    /// GP, dentist and optician registrations, newest first (health plan).
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<HealthRegistration>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::health_registrations,
            paging,
            HealthRegistration,
        )
        .await
    }
    /// Health assessments with their action plans, newest first (health plan).
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<HealthAssessment>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::health_assessments,
            paging,
            HealthAssessment,
        )
        .await
    }
    /// Appointments and their outcomes, latest first.
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<HealthAppointment>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::health_appointments,
            paging,
            HealthAppointment,
        )
        .await
    }
    /// Height and weight, newest first.
    async fn measurements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<HealthMeasurement>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::health_measurements,
            paging,
            HealthMeasurement,
        )
        .await
    }
    /// Medication given, newest first.
    async fn medication(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<MedicationRecord>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::medication_records,
            paging,
            MedicationRecord,
        )
        .await
    }
}

/// A registration with a GP, dentist or optician (due within 7 days of admission).
pub struct HealthRegistration(pub e::health_registration::Model);

/// A registration with a GP, dentist or optician (due within 7 days of admission).
#[Object]
impl HealthRegistration {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("HealthRegistration", self.0.id)
    }
    /// GP, dentist or optician.
    async fn kind(&self) -> HealthRegistrationKind {
        self.0.kind
    }
    /// The practice.
    async fn provider_name(&self) -> &str {
        &self.0.provider_name
    }
    /// When the child was registered.
    async fn registered_on(&self) -> Date {
        self.0.registered_on.into()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A health assessment and its action plan.
pub struct HealthAssessment(pub e::health_assessment::Model);

/// A health assessment and its action plan.
#[Object]
impl HealthAssessment {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("HealthAssessment", self.0.id)
    }
    /// When the assessment took place.
    async fn assessed_on(&self) -> Date {
        self.0.assessed_on.into()
    }
    /// What it found.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// The action plan.
    async fn action_plan(&self) -> Option<&str> {
        self.0.action_plan.as_deref()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted: visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A health appointment and its outcome.
pub struct HealthAppointment(pub e::health_appointment::Model);

/// A health appointment and its outcome.
#[Object]
impl HealthAppointment {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("HealthAppointment", self.0.id)
    }
    /// What kind of appointment (dentist, optician, clinic, ...).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// When it is (or was).
    async fn scheduled_at(&self) -> DateTime<Utc> {
        self.0.scheduled_at
    }
    /// Whether the child attended (null until recorded).
    async fn attended(&self) -> Option<bool> {
        self.0.attended
    }
    /// The outcome.
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }
    /// Who booked it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted: visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// Height and weight on a day.
pub struct HealthMeasurement(pub e::health_measurement::Model);

/// Height and weight on a day.
#[Object]
impl HealthMeasurement {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("HealthMeasurement", self.0.id)
    }
    /// When measured.
    async fn measured_on(&self) -> Date {
        self.0.measured_on.into()
    }
    /// Height in centimetres.
    async fn height_cm(&self) -> Option<f64> {
        self.0.height_cm
    }
    /// Weight in kilograms.
    async fn weight_kg(&self) -> Option<f64> {
        self.0.weight_kg
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// Medication given to the child.
pub struct MedicationRecord(pub e::medication_record::Model);

/// Medication given to the child.
#[Object]
impl MedicationRecord {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("MedicationRecord", self.0.id)
    }
    /// When it was given.
    async fn given_at(&self) -> DateTime<Utc> {
        self.0.given_at
    }
    /// The medication.
    async fn medication(&self) -> &str {
        &self.0.medication
    }
    /// The dose.
    async fn dose(&self) -> &str {
        &self.0.dose
    }
    /// Who gave it.
    async fn given_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.given_by_id)).await
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A registration to record.
#[derive(InputObject)]
pub struct RecordHealthRegistrationInput {
    /// The child.
    pub child_id: ID,
    /// GP, dentist or optician.
    pub kind: HealthRegistrationKind,
    /// The practice.
    pub provider_name: String,
    /// When the child was registered (not in the future).
    pub registered_on: Date,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// An assessment to record.
#[derive(InputObject)]
pub struct RecordHealthAssessmentInput {
    /// The child.
    pub child_id: ID,
    /// When it took place (not in the future).
    pub assessed_on: Date,
    /// What it found.
    pub summary: Option<String>,
    /// The action plan.
    pub action_plan: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// A change to an assessment (fields left out are unchanged).
#[derive(InputObject)]
pub struct ChangeHealthAssessmentInput {
    /// The assessment.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// What it found.
    pub summary: Option<String>,
    /// The action plan.
    pub action_plan: Option<String>,
}

/// An appointment to book.
#[derive(InputObject)]
pub struct BookHealthAppointmentInput {
    /// The child.
    pub child_id: ID,
    /// What kind (dentist, optician, clinic, ...).
    pub kind: String,
    /// When.
    pub scheduled_at: DateTime<Utc>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// The outcome of an appointment.
#[derive(InputObject)]
pub struct RecordHealthAppointmentOutcomeInput {
    /// The appointment.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// Whether the child attended.
    pub attended: bool,
    /// The outcome.
    pub outcome: Option<String>,
}

/// Height and weight to record.
#[derive(InputObject)]
pub struct RecordHealthMeasurementInput {
    /// The child.
    pub child_id: ID,
    /// When measured (not in the future).
    pub measured_on: Date,
    /// Height in centimetres (30–250).
    pub height_cm: Option<f64>,
    /// Weight in kilograms (1–300).
    pub weight_kg: Option<f64>,
}

/// Medication given.
#[derive(InputObject)]
pub struct RecordMedicationGivenInput {
    /// The child.
    pub child_id: ID,
    /// When it was given (not in the future).
    pub given_at: DateTime<Utc>,
    /// The medication.
    pub medication: String,
    /// The dose.
    pub dose: String,
    /// Who gave it (a user); the caller when omitted.
    pub given_by_id: Option<ID>,
}

/// The registration as saved.
#[derive(SimpleObject)]
pub struct HealthRegistrationPayload {
    /// The registration.
    pub health_registration: HealthRegistration,
}

/// The assessment as saved.
#[derive(SimpleObject)]
pub struct HealthAssessmentPayload {
    /// The assessment.
    pub health_assessment: HealthAssessment,
}

/// The appointment as saved.
#[derive(SimpleObject)]
pub struct HealthAppointmentPayload {
    /// The appointment.
    pub health_appointment: HealthAppointment,
}

/// The measurement as saved.
#[derive(SimpleObject)]
pub struct HealthMeasurementPayload {
    /// The measurement.
    pub health_measurement: HealthMeasurement,
}

/// The medication record as saved.
#[derive(SimpleObject)]
pub struct MedicationRecordPayload {
    /// The record.
    pub medication_record: MedicationRecord,
}

/// Health mutations.
#[derive(Default)]
pub struct HealthMutation;

/// Health mutations.
#[Object]
impl HealthMutation {
    /// Records a GP, dentist or optician registration.
    async fn record_health_registration(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthRegistrationInput,
    ) -> Result<HealthRegistrationPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = health::register(
            request(ctx)?,
            child,
            input.kind,
            &input.provider_name,
            input.registered_on.0,
            input.restricted,
        )
        .await
        .map_err(gql)?;
        Ok(HealthRegistrationPayload {
            health_registration: HealthRegistration(saved),
        })
    }

    /// Records a health assessment with its action plan.
    async fn record_health_assessment(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthAssessmentInput,
    ) -> Result<HealthAssessmentPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = health::assess(
            request(ctx)?,
            child,
            input.assessed_on.0,
            input.summary.as_deref(),
            input.action_plan.as_deref(),
            input.restricted,
        )
        .await
        .map_err(gql)?;
        Ok(HealthAssessmentPayload {
            health_assessment: HealthAssessment(saved),
        })
    }

    /// Changes an assessment; the earlier version is kept.
    async fn change_health_assessment(
        &self,
        ctx: &Context<'_>,
        input: ChangeHealthAssessmentInput,
    ) -> Result<HealthAssessmentPayload> {
        let id = uuid_of(&input.id, "HealthAssessment", "id")?;
        let saved = health::change_assessment(
            request(ctx)?,
            id,
            input.expected_version,
            input.summary.as_deref(),
            input.action_plan.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(HealthAssessmentPayload {
            health_assessment: HealthAssessment(saved),
        })
    }

    /// Books a health appointment.
    async fn book_health_appointment(
        &self,
        ctx: &Context<'_>,
        input: BookHealthAppointmentInput,
    ) -> Result<HealthAppointmentPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = health::book_appointment(
            request(ctx)?,
            child,
            &input.kind,
            input.scheduled_at,
            input.restricted,
        )
        .await
        .map_err(gql)?;
        Ok(HealthAppointmentPayload {
            health_appointment: HealthAppointment(saved),
        })
    }

    /// Records whether the child attended an appointment, and its outcome.
    async fn record_health_appointment_outcome(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthAppointmentOutcomeInput,
    ) -> Result<HealthAppointmentPayload> {
        let id = uuid_of(&input.id, "HealthAppointment", "id")?;
        let saved = health::record_outcome(
            request(ctx)?,
            id,
            input.expected_version,
            input.attended,
            input.outcome.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(HealthAppointmentPayload {
            health_appointment: HealthAppointment(saved),
        })
    }

    /// Records height and/or weight.
    async fn record_health_measurement(
        &self,
        ctx: &Context<'_>,
        input: RecordHealthMeasurementInput,
    ) -> Result<HealthMeasurementPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = health::measure(
            request(ctx)?,
            child,
            input.measured_on.0,
            input.height_cm,
            input.weight_kg,
            false,
        )
        .await
        .map_err(gql)?;
        Ok(HealthMeasurementPayload {
            health_measurement: HealthMeasurement(saved),
        })
    }

    /// Records medication given.
    async fn record_medication_given(
        &self,
        ctx: &Context<'_>,
        input: RecordMedicationGivenInput,
    ) -> Result<MedicationRecordPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let given_by = opt_uuid(input.given_by_id.as_ref(), "User", "givenById")?;
        let saved = health::give_medication(
            request(ctx)?,
            child,
            MedicationInput {
                given_at: input.given_at,
                medication: input.medication,
                dose: input.dose,
                given_by,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(MedicationRecordPayload {
            medication_record: MedicationRecord(saved),
        })
    }
}
