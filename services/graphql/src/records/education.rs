//! Education: placements, weekly school liaison, PEP meetings and exclusions.

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
use keycare_domain::care_record::tables;
use keycare_domain::education::{self, ExclusionInput, PlacementInput};
use keycare_entity as e;
use keycare_entity::enums::{EducationKind, ExclusionKind};
use uuid::Uuid;

/// A child's education records.
pub struct ChildEducation(pub Uuid);

/// A child's education records.
#[Object]
impl ChildEducation {
    /// School, college or work placements, newest first.
    async fn placements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<EducationPlacement>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::education_placements,
            paging,
            EducationPlacement,
        )
        .await
    }
    /// Weekly liaison with the school, newest week first.
    async fn school_liaison(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<SchoolLiaison>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0, tables::school_liaisons, paging, SchoolLiaison).await
    }
    /// Personal Education Plan meetings, newest first.
    async fn pep_meetings(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<PepMeeting>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0, tables::pep_meetings, paging, PepMeeting).await
    }
    /// Exclusions from school, newest first.
    async fn exclusions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<Exclusion>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0, tables::exclusions, paging, Exclusion).await
    }
}

/// The child's school, college or work placement.
pub struct EducationPlacement(pub e::education_placement::Model);

/// The child's school, college or work placement.
#[Object]
impl EducationPlacement {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("EducationPlacement", self.0.id)
    }
    /// School, college, work placement or other provision.
    async fn kind(&self) -> EducationKind {
        self.0.kind
    }
    /// The school, college or employer.
    async fn provider_name(&self) -> &str {
        &self.0.provider_name
    }
    /// How the child gets there.
    async fn transport(&self) -> Option<&str> {
        self.0.transport.as_deref()
    }
    /// When it started.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// When it ended (null while current).
    async fn end_date(&self) -> Option<Date> {
        self.0.end_date.map(Date)
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A week's liaison with the school (weekly during term).
pub struct SchoolLiaison(pub e::school_liaison::Model);

/// A week's liaison with the school (weekly during term).
#[Object]
impl SchoolLiaison {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("SchoolLiaison", self.0.id)
    }
    /// The Monday of the week.
    async fn week_of(&self) -> Date {
        self.0.week_of.into()
    }
    /// What was discussed.
    async fn notes(&self) -> &str {
        &self.0.notes
    }
    /// Who liaised.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A Personal Education Plan meeting.
pub struct PepMeeting(pub e::pep_meeting::Model);

/// A Personal Education Plan meeting.
#[Object]
impl PepMeeting {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("PepMeeting", self.0.id)
    }
    /// When it was held.
    async fn held_on(&self) -> Date {
        self.0.held_on.into()
    }
    /// Whether the home attended.
    async fn attended(&self) -> bool {
        self.0.attended
    }
    /// The minutes.
    async fn minutes(&self) -> Option<&str> {
        self.0.minutes.as_deref()
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

/// An exclusion from school.
pub struct Exclusion(pub e::exclusion::Model);

/// An exclusion from school.
#[Object]
impl Exclusion {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("Exclusion", self.0.id)
    }
    /// The first day.
    async fn start_date(&self) -> Date {
        self.0.start_date.into()
    }
    /// How many school days.
    async fn days(&self) -> i32 {
        self.0.days
    }
    /// Suspension or permanent exclusion.
    async fn kind(&self) -> ExclusionKind {
        self.0.kind
    }
    /// The reason given.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted: visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A school, college or work placement to add.
#[derive(InputObject)]
pub struct AddEducationPlacementInput {
    /// The child.
    pub child_id: ID,
    /// School, college, work placement or other.
    pub kind: EducationKind,
    /// The school, college or employer.
    pub provider_name: String,
    /// How the child gets there.
    pub transport: Option<String>,
    /// When it starts.
    pub start_date: Date,
}

/// The end of a placement.
#[derive(InputObject)]
pub struct EndEducationPlacementInput {
    /// The placement.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// The last day.
    pub end_date: Date,
}

/// A week's school liaison.
#[derive(InputObject)]
pub struct RecordSchoolLiaisonInput {
    /// The child.
    pub child_id: ID,
    /// The Monday of the week.
    pub week_of: Date,
    /// What was discussed.
    pub notes: String,
}

/// A PEP meeting.
#[derive(InputObject)]
pub struct RecordPepMeetingInput {
    /// The child.
    pub child_id: ID,
    /// When it was held (not in the future).
    pub held_on: Date,
    /// Whether the home attended.
    pub attended: bool,
    /// The minutes.
    pub minutes: Option<String>,
}

/// An exclusion.
#[derive(InputObject)]
pub struct RecordExclusionInput {
    /// The child.
    pub child_id: ID,
    /// The first day.
    pub start_date: Date,
    /// How many school days (1–365; 0 allowed for a permanent exclusion).
    pub days: i32,
    /// Suspension or permanent exclusion.
    pub kind: ExclusionKind,
    /// The reason given.
    pub reason: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// The placement as saved.
#[derive(SimpleObject)]
pub struct EducationPlacementPayload {
    /// The placement.
    pub education_placement: EducationPlacement,
}

/// The liaison as saved.
#[derive(SimpleObject)]
pub struct SchoolLiaisonPayload {
    /// The liaison record.
    pub school_liaison: SchoolLiaison,
}

/// The meeting as saved.
#[derive(SimpleObject)]
pub struct PepMeetingPayload {
    /// The meeting.
    pub pep_meeting: PepMeeting,
}

/// The exclusion as saved.
#[derive(SimpleObject)]
pub struct ExclusionPayload {
    /// The exclusion.
    pub exclusion: Exclusion,
}

/// Education mutations.
#[derive(Default)]
pub struct EducationMutation;

/// Education mutations.
#[Object]
impl EducationMutation {
    /// Adds the child's school, college or work placement.
    async fn add_education_placement(
        &self,
        ctx: &Context<'_>,
        input: AddEducationPlacementInput,
    ) -> Result<EducationPlacementPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = education::add_placement(
            request(ctx)?,
            child,
            PlacementInput {
                kind: input.kind,
                provider_name: input.provider_name,
                transport: input.transport,
                start_date: input.start_date.0,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(EducationPlacementPayload {
            education_placement: EducationPlacement(saved),
        })
    }

    /// Ends a school, college or work placement.
    async fn end_education_placement(
        &self,
        ctx: &Context<'_>,
        input: EndEducationPlacementInput,
    ) -> Result<EducationPlacementPayload> {
        let id = uuid_of(&input.id, "EducationPlacement", "id")?;
        let saved =
            education::end_placement(request(ctx)?, id, input.expected_version, input.end_date.0)
                .await
                .map_err(gql)?;
        Ok(EducationPlacementPayload {
            education_placement: EducationPlacement(saved),
        })
    }

    /// Records the week's liaison with the school.
    async fn record_school_liaison(
        &self,
        ctx: &Context<'_>,
        input: RecordSchoolLiaisonInput,
    ) -> Result<SchoolLiaisonPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved =
            education::record_liaison(request(ctx)?, child, input.week_of.0, &input.notes, false)
                .await
                .map_err(gql)?;
        Ok(SchoolLiaisonPayload {
            school_liaison: SchoolLiaison(saved),
        })
    }

    /// Records a PEP meeting.
    async fn record_pep_meeting(
        &self,
        ctx: &Context<'_>,
        input: RecordPepMeetingInput,
    ) -> Result<PepMeetingPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = education::record_pep(
            request(ctx)?,
            child,
            input.held_on.0,
            input.attended,
            input.minutes.as_deref(),
            false,
        )
        .await
        .map_err(gql)?;
        Ok(PepMeetingPayload {
            pep_meeting: PepMeeting(saved),
        })
    }

    /// Records an exclusion; the chronology notes it.
    async fn record_exclusion(
        &self,
        ctx: &Context<'_>,
        input: RecordExclusionInput,
    ) -> Result<ExclusionPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = education::record_exclusion(
            request(ctx)?,
            child,
            ExclusionInput {
                start_date: input.start_date.0,
                days: input.days,
                kind: input.kind,
                reason: input.reason,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ExclusionPayload {
            exclusion: Exclusion(saved),
        })
    }
}
