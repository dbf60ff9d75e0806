//! Family and contact: significant people, contact arrangements, restrictions and visits.

use super::opt_uuid;
use crate::care::list;
use crate::care::person;
use crate::connection::Conn;
use crate::error::gql;
use crate::ids::global_id;
use crate::pages::ByIds;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::care_record::tables;
use keycare_domain::family::{self, ArrangementInput, PersonInput, RestrictionInput};
use keycare_entity as e;
use keycare_entity::enums::RestrictionAuthority;
use uuid::Uuid;

/// The significant person a record names, if the viewer may see them (a restricted person
/// is null for a viewer who may not see restricted records).
async fn significant(ctx: &Context<'_>, id: Option<Uuid>) -> Result<Option<SignificantPerson>> {
    let Some(id) = id else { return Ok(None) };
    let loader = ctx.data::<DataLoader<ByIds<e::significant_person::Entity>>>()?;
    Ok(loader.load_one(id).await?.map(SignificantPerson))
}

/// A child's family and contact records.
pub struct ChildContacts(pub Uuid);

/// A child's family and contact records.
#[Object]
impl ChildContacts {
    /// The people who matter to the child (third parties: some are restricted), newest first.
    async fn people(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<SignificantPerson>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::significant_people,
            paging,
            SignificantPerson,
        )
        .await
    }
    /// Contact arrangements, newest first.
    async fn arrangements(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<ContactArrangement>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::contact_arrangements,
            paging,
            ContactArrangement,
        )
        .await
    }
    /// Restrictions on contact and who agreed them, newest first.
    async fn restrictions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<ContactRestriction>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.0,
            tables::contact_restrictions,
            paging,
            ContactRestriction,
        )
        .await
    }
    /// Visits in the home's diary, latest first.
    async fn visits(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<ContactVisit>>> {
        let paging = (first, after, last, before);
        list(ctx, self.0, tables::contact_visits, paging, ContactVisit).await
    }
}

/// Someone who matters to the child (third-party personal data).
pub struct SignificantPerson(pub e::significant_person::Model);

/// Someone who matters to the child (third-party personal data).
#[Object]
impl SignificantPerson {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("SignificantPerson", self.0.id)
    }
    /// Their name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Who they are to the child (mum, grandad, friend, ...).
    async fn relationship(&self) -> &str {
        &self.0.relationship
    }
    /// How to reach them.
    async fn contact_details(&self) -> Option<&str> {
        self.0.contact_details.as_deref()
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Who recorded them.
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

/// How the child keeps in touch with someone.
pub struct ContactArrangement(pub e::contact_arrangement::Model);

/// How the child keeps in touch with someone.
#[Object]
impl ContactArrangement {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ContactArrangement", self.0.id)
    }
    /// With whom.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<SignificantPerson>> {
        significant(ctx, Some(self.0.person_id)).await
    }
    /// How often.
    async fn frequency(&self) -> &str {
        &self.0.frequency
    }
    /// How (face to face, phone, video, letters).
    async fn method(&self) -> &str {
        &self.0.method
    }
    /// Whether contact is supervised.
    async fn supervised(&self) -> bool {
        self.0.supervised
    }
    /// Notes.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted (it is when the person is).
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A restriction on contact, and who agreed it.
pub struct ContactRestriction(pub e::contact_restriction::Model);

/// A restriction on contact, and who agreed it.
#[Object]
impl ContactRestriction {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ContactRestriction", self.0.id)
    }
    /// With whom contact is restricted (null: in general).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<SignificantPerson>> {
        significant(ctx, self.0.person_id).await
    }
    /// The restriction.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The placing authority, or the home in an emergency.
    async fn agreed_by(&self) -> RestrictionAuthority {
        self.0.agreed_by
    }
    /// When it was agreed or imposed.
    async fn agreed_on(&self) -> Date {
        self.0.agreed_on.into()
    }
    /// When the placing authority was told (an emergency restriction).
    async fn notified_at(&self) -> Option<DateTime<Utc>> {
        self.0.notified_at
    }
    /// By when the placing authority must be told of an emergency restriction (within 24
    /// hours; null when the placing authority agreed it).
    async fn notify_by(&self) -> Option<DateTime<Utc>> {
        family::notify_by(&self.0)
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

/// A visit in the home's diary.
pub struct ContactVisit(pub e::contact_visit::Model);

/// A visit in the home's diary.
#[Object]
impl ContactVisit {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ContactVisit", self.0.id)
    }
    /// Who visited (null: not one of the child's significant people).
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<SignificantPerson>> {
        significant(ctx, self.0.person_id).await
    }
    /// When.
    async fn visit_at(&self) -> DateTime<Utc> {
        self.0.visit_at
    }
    /// How it went.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
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

/// A significant person to add.
#[derive(InputObject)]
pub struct AddSignificantPersonInput {
    /// The child.
    pub child_id: ID,
    /// Their name.
    pub name: String,
    /// Who they are to the child.
    pub relationship: String,
    /// How to reach them.
    pub contact_details: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// A significant person's details (the whole set; the earlier version is kept).
#[derive(InputObject)]
pub struct ChangeSignificantPersonInput {
    /// The person.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// Their name.
    pub name: String,
    /// Who they are to the child.
    pub relationship: String,
    /// How to reach them.
    pub contact_details: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Restrict the person (a restriction is not lifted here).
    #[graphql(default)]
    pub restricted: bool,
}

/// A contact arrangement to add.
#[derive(InputObject)]
pub struct AddContactArrangementInput {
    /// The child.
    pub child_id: ID,
    /// With whom (one of the child's significant people).
    pub person_id: ID,
    /// How often.
    pub frequency: String,
    /// How.
    pub method: String,
    /// Whether supervised.
    pub supervised: bool,
    /// Notes.
    pub notes: Option<String>,
}

/// A contact arrangement's new terms (the whole set; the earlier version is kept).
#[derive(InputObject)]
pub struct ChangeContactArrangementInput {
    /// The arrangement.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// With whom.
    pub person_id: ID,
    /// How often.
    pub frequency: String,
    /// How.
    pub method: String,
    /// Whether supervised.
    pub supervised: bool,
    /// Notes.
    pub notes: Option<String>,
}

/// A restriction on contact.
#[derive(InputObject)]
pub struct AddContactRestrictionInput {
    /// The child.
    pub child_id: ID,
    /// With whom (omit for a general restriction).
    pub person_id: Option<ID>,
    /// The restriction.
    pub description: String,
    /// The placing authority, or an emergency restriction by the home.
    pub agreed_by: RestrictionAuthority,
    /// When it was agreed or imposed.
    pub agreed_on: Date,
    /// When the placing authority was told (an emergency restriction).
    pub notified_at: Option<DateTime<Utc>>,
}

/// When the placing authority was told of a restriction.
#[derive(InputObject)]
pub struct RecordContactRestrictionNotifiedInput {
    /// The restriction.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// When they were told.
    pub notified_at: DateTime<Utc>,
}

/// A visit to record.
#[derive(InputObject)]
pub struct RecordContactVisitInput {
    /// The child.
    pub child_id: ID,
    /// Who visited (one of the child's significant people), if so.
    pub person_id: Option<ID>,
    /// When.
    pub visit_at: DateTime<Utc>,
    /// How it went.
    pub notes: Option<String>,
}

/// The person as saved.
#[derive(SimpleObject)]
pub struct SignificantPersonPayload {
    /// The person.
    pub significant_person: SignificantPerson,
}

/// The arrangement as saved.
#[derive(SimpleObject)]
pub struct ContactArrangementPayload {
    /// The arrangement.
    pub contact_arrangement: ContactArrangement,
}

/// The restriction as saved.
#[derive(SimpleObject)]
pub struct ContactRestrictionPayload {
    /// The restriction.
    pub contact_restriction: ContactRestriction,
}

/// The visit as saved.
#[derive(SimpleObject)]
pub struct ContactVisitPayload {
    /// The visit.
    pub contact_visit: ContactVisit,
}

/// Family and contact mutations.
#[derive(Default)]
pub struct FamilyMutation;

/// Family and contact mutations.
#[Object]
impl FamilyMutation {
    /// Adds someone who matters to the child.
    async fn add_significant_person(
        &self,
        ctx: &Context<'_>,
        input: AddSignificantPersonInput,
    ) -> Result<SignificantPersonPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = family::add_person(
            request(ctx)?,
            child,
            PersonInput {
                name: input.name,
                relationship: input.relationship,
                contact_details: input.contact_details,
                notes: input.notes,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(SignificantPersonPayload {
            significant_person: SignificantPerson(saved),
        })
    }

    /// Changes a significant person's details; the earlier version is kept.
    async fn change_significant_person(
        &self,
        ctx: &Context<'_>,
        input: ChangeSignificantPersonInput,
    ) -> Result<SignificantPersonPayload> {
        let id = uuid_of(&input.id, "SignificantPerson", "id")?;
        let saved = family::change_person(
            request(ctx)?,
            id,
            input.expected_version,
            PersonInput {
                name: input.name,
                relationship: input.relationship,
                contact_details: input.contact_details,
                notes: input.notes,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(SignificantPersonPayload {
            significant_person: SignificantPerson(saved),
        })
    }

    /// Adds a contact arrangement with one of the child's significant people.
    async fn add_contact_arrangement(
        &self,
        ctx: &Context<'_>,
        input: AddContactArrangementInput,
    ) -> Result<ContactArrangementPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let person = uuid_of(&input.person_id, "SignificantPerson", "personId")?;
        let saved = family::add_arrangement(
            request(ctx)?,
            child,
            ArrangementInput {
                person,
                frequency: input.frequency,
                method: input.method,
                supervised: input.supervised,
                notes: input.notes,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ContactArrangementPayload {
            contact_arrangement: ContactArrangement(saved),
        })
    }

    /// Changes a contact arrangement; the earlier version is kept.
    async fn change_contact_arrangement(
        &self,
        ctx: &Context<'_>,
        input: ChangeContactArrangementInput,
    ) -> Result<ContactArrangementPayload> {
        let id = uuid_of(&input.id, "ContactArrangement", "id")?;
        let person = uuid_of(&input.person_id, "SignificantPerson", "personId")?;
        let saved = family::change_arrangement(
            request(ctx)?,
            id,
            input.expected_version,
            ArrangementInput {
                person,
                frequency: input.frequency,
                method: input.method,
                supervised: input.supervised,
                notes: input.notes,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ContactArrangementPayload {
            contact_arrangement: ContactArrangement(saved),
        })
    }

    /// Adds a restriction on contact (an emergency one is to be notified to the placing
    /// authority within 24 hours: see `notifyBy`).
    async fn add_contact_restriction(
        &self,
        ctx: &Context<'_>,
        input: AddContactRestrictionInput,
    ) -> Result<ContactRestrictionPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let person = opt_uuid(input.person_id.as_ref(), "SignificantPerson", "personId")?;
        let saved = family::add_restriction(
            request(ctx)?,
            child,
            RestrictionInput {
                person,
                description: input.description,
                agreed_by: input.agreed_by,
                agreed_on: input.agreed_on.0,
                notified_at: input.notified_at,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ContactRestrictionPayload {
            contact_restriction: ContactRestriction(saved),
        })
    }

    /// Records when the placing authority was told of a restriction.
    async fn record_contact_restriction_notified(
        &self,
        ctx: &Context<'_>,
        input: RecordContactRestrictionNotifiedInput,
    ) -> Result<ContactRestrictionPayload> {
        let id = uuid_of(&input.id, "ContactRestriction", "id")?;
        let saved =
            family::record_notified(request(ctx)?, id, input.expected_version, input.notified_at)
                .await
                .map_err(gql)?;
        Ok(ContactRestrictionPayload {
            contact_restriction: ContactRestriction(saved),
        })
    }

    /// Records a visit in the home's diary.
    async fn record_contact_visit(
        &self,
        ctx: &Context<'_>,
        input: RecordContactVisitInput,
    ) -> Result<ContactVisitPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let person = opt_uuid(input.person_id.as_ref(), "SignificantPerson", "personId")?;
        let saved = family::record_visit(
            request(ctx)?,
            child,
            person,
            input.visit_at,
            input.notes.as_deref(),
            false,
        )
        .await
        .map_err(gql)?;
        Ok(ContactVisitPayload {
            contact_visit: ContactVisit(saved),
        })
    }
}
