//! Family and contact: the people who matter to the child (third parties' personal data:
//! restricted where need be), contact arrangements with them, restrictions on contact and who
//! agreed them, and visits in the home's diary.

use crate::care_record::tables;
use crate::error::{DomainError, DomainResult};
use crate::records::{not_future, plausible_date};
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, optional_text, required_text};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::RestrictionAuthority;
use sea_orm::Set;
use uuid::Uuid;

/// A person who matters to the child.
#[derive(Debug, Clone)]
pub struct PersonInput {
    pub name: String,
    pub relationship: String,
    pub contact_details: Option<String>,
    pub notes: Option<String>,
    pub restricted: bool,
}

/// Adds a significant person.
pub async fn add_person(
    req: &Request,
    child: Uuid,
    input: PersonInput,
) -> DomainResult<e::significant_person::Model> {
    let s = req
        .require_create(child, Kind::Family, input.restricted)
        .await?;
    req.insert(e::significant_person::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        name: Set(required_text("name", &input.name, MAX_SHORT)?),
        relationship: Set(required_text(
            "relationship",
            &input.relationship,
            MAX_SHORT,
        )?),
        contact_details: Set(optional_text(
            "contactDetails",
            input.contact_details.as_deref(),
            MAX_TEXT,
        )?),
        notes: Set(optional_text("notes", input.notes.as_deref(), MAX_TEXT)?),
        author_id: Set(s.author),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Changes a significant person's details; the earlier version is kept.
pub async fn change_person(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: PersonInput,
) -> DomainResult<e::significant_person::Model> {
    let table = tables::significant_people();
    let old = req
        .record_for_change(&table, Kind::Family, id, Some(expected_version))
        .await?;
    let active = e::significant_person::ActiveModel {
        name: Set(required_text("name", &input.name, MAX_SHORT)?),
        relationship: Set(required_text(
            "relationship",
            &input.relationship,
            MAX_SHORT,
        )?),
        contact_details: Set(optional_text(
            "contactDetails",
            input.contact_details.as_deref(),
            MAX_TEXT,
        )?),
        notes: Set(optional_text("notes", input.notes.as_deref(), MAX_TEXT)?),
        restricted: Set(input.restricted || old.restricted),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// The significant person `id` of `child`, as one the caller may read (BAD_USER_INPUT
/// naming `field` otherwise: a person of another child, or unknown).
async fn person_of(
    req: &Request,
    child: Uuid,
    id: Uuid,
    field: &str,
) -> DomainResult<e::significant_person::Model> {
    match req.readable_record(&tables::significant_people(), id).await {
        Ok(p) if p.child_id == child => Ok(p),
        Ok(_) | Err(DomainError::NotFound) => Err(DomainError::bad_input(
            field,
            "is not one of this child's significant people",
        )),
        Err(other) => Err(other),
    }
}

/// A contact arrangement.
#[derive(Debug, Clone)]
pub struct ArrangementInput {
    pub person: Uuid,
    pub frequency: String,
    pub method: String,
    pub supervised: bool,
    pub notes: Option<String>,
    pub restricted: bool,
}

/// Adds a contact arrangement with a significant person. It is restricted when the person is.
pub async fn add_arrangement(
    req: &Request,
    child: Uuid,
    input: ArrangementInput,
) -> DomainResult<e::contact_arrangement::Model> {
    let s = req
        .require_create(child, Kind::Family, input.restricted)
        .await?;
    let person = person_of(req, child, input.person, "personId").await?;
    req.insert(e::contact_arrangement::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        person_id: Set(person.id),
        frequency: Set(required_text("frequency", &input.frequency, MAX_SHORT)?),
        method: Set(required_text("method", &input.method, MAX_SHORT)?),
        supervised: Set(input.supervised),
        notes: Set(optional_text("notes", input.notes.as_deref(), MAX_TEXT)?),
        author_id: Set(s.author),
        restricted: Set(input.restricted || person.restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Changes a contact arrangement; the earlier version is kept.
pub async fn change_arrangement(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: ArrangementInput,
) -> DomainResult<e::contact_arrangement::Model> {
    let table = tables::contact_arrangements();
    let old = req
        .record_for_change(&table, Kind::Family, id, Some(expected_version))
        .await?;
    let person = person_of(req, old.child_id, input.person, "personId").await?;
    let active = e::contact_arrangement::ActiveModel {
        person_id: Set(person.id),
        frequency: Set(required_text("frequency", &input.frequency, MAX_SHORT)?),
        method: Set(required_text("method", &input.method, MAX_SHORT)?),
        supervised: Set(input.supervised),
        notes: Set(optional_text("notes", input.notes.as_deref(), MAX_TEXT)?),
        restricted: Set(input.restricted || old.restricted || person.restricted),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// A restriction on contact.
#[derive(Debug, Clone)]
pub struct RestrictionInput {
    pub person: Option<Uuid>,
    pub description: String,
    pub agreed_by: RestrictionAuthority,
    pub agreed_on: NaiveDate,
    /// When the placing authority was told (an emergency restriction: within 24 hours).
    pub notified_at: Option<DateTime<Utc>>,
    pub restricted: bool,
}

/// How long the placing authority has to be told of an emergency restriction.
pub const NOTIFY_WITHIN: Duration = Duration::hours(24);

/// Adds a restriction on contact. One imposed in an emergency is to be notified to the
/// placing authority within 24 hours ([`notify_by`]).
pub async fn add_restriction(
    req: &Request,
    child: Uuid,
    input: RestrictionInput,
) -> DomainResult<e::contact_restriction::Model> {
    let s = req
        .require_create(child, Kind::Family, input.restricted)
        .await?;
    let person = match input.person {
        Some(id) => Some(person_of(req, child, id, "personId").await?),
        None => None,
    };
    let description = required_text("description", &input.description, MAX_TEXT)?;
    let agreed_on = plausible_date(req, "agreedOn", input.agreed_on, 3_660, 0)?;
    let notified_at = match input.notified_at {
        Some(at) => Some(notification(req, agreed_on, at)?),
        None => None,
    };
    req.insert(e::contact_restriction::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        person_id: Set(person.as_ref().map(|p| p.id)),
        description: Set(description),
        agreed_by: Set(input.agreed_by),
        agreed_on: Set(agreed_on),
        notified_at: Set(notified_at),
        author_id: Set(s.author),
        restricted: Set(input.restricted || person.is_some_and(|p| p.restricted)),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// When the placing authority must have been told of an emergency restriction: 24 hours
/// after the end of the day it was imposed (only its date is recorded). None when the
/// placing authority agreed it.
pub fn notify_by(r: &e::contact_restriction::Model) -> Option<DateTime<Utc>> {
    (r.agreed_by == RestrictionAuthority::Emergency).then(|| {
        (r.agreed_on + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            + NOTIFY_WITHIN
    })
}

fn notification(
    req: &Request,
    agreed_on: NaiveDate,
    at: DateTime<Utc>,
) -> DomainResult<DateTime<Utc>> {
    let at = not_future(req, "notifiedAt", at)?;
    if at.date_naive() < agreed_on {
        return Err(DomainError::bad_input(
            "notifiedAt",
            "is before the restriction was agreed",
        ));
    }
    Ok(at)
}

/// Records when the placing authority was told of a restriction.
pub async fn record_notified(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    notified_at: DateTime<Utc>,
) -> DomainResult<e::contact_restriction::Model> {
    let table = tables::contact_restrictions();
    let old = req
        .record_for_change(&table, Kind::Family, id, Some(expected_version))
        .await?;
    let notified_at = notification(req, old.agreed_on, notified_at)?;
    let active = e::contact_restriction::ActiveModel {
        notified_at: Set(Some(notified_at)),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

/// Records a visit in the home's diary.
pub async fn record_visit(
    req: &Request,
    child: Uuid,
    person: Option<Uuid>,
    visit_at: DateTime<Utc>,
    notes: Option<&str>,
    restricted: bool,
) -> DomainResult<e::contact_visit::Model> {
    let s = req.require_create(child, Kind::Family, restricted).await?;
    let person = match person {
        Some(id) => Some(person_of(req, child, id, "personId").await?),
        None => None,
    };
    plausible_date(req, "visitAt", visit_at.date_naive(), 3_660, 366)?;
    req.insert(e::contact_visit::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        person_id: Set(person.as_ref().map(|p| p.id)),
        visit_at: Set(visit_at),
        notes: Set(optional_text("notes", notes, MAX_TEXT)?),
        author_id: Set(s.author),
        restricted: Set(restricted || person.is_some_and(|p| p.restricted)),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}
