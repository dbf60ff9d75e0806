//! Admitting a child, ending a placement, and appointing and changing the key team.

use super::uuid_of;
use crate::care::{Child, KeyTeamAssignment, Placement};
use crate::error::gql;
use crate::request::request;
use crate::scalars::Date;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::DomainError;
use keycare_domain::placements::{self, Admission, Admittee, ChildDetails};
use keycare_entity::enums::{KeyCarerChangeReason, LegalStatus};

/// A child's details, as entered on admission.
#[derive(InputObject)]
pub struct ChildDetailsInput {
    /// Legal name.
    pub legal_name: String,
    /// The name the child likes to be called, if different.
    pub preferred_name: Option<String>,
    /// Date of birth (not in the future).
    pub date_of_birth: Date,
    /// Gender, as the child describes it.
    pub gender: String,
    /// Ethnicity.
    pub ethnicity: Option<String>,
    /// Religion.
    pub religion: Option<String>,
    /// First language.
    pub first_language: Option<String>,
    /// The legal basis on which the child is looked after.
    pub legal_status: LegalStatus,
    /// The date the child became looked after (not after the admission date).
    pub looked_after_since: Date,
    /// The placing authority.
    pub placing_authority: String,
    /// The placing authority's case number.
    pub placing_authority_ref: Option<String>,
    /// NHS number (10 digits).
    pub nhs_number: Option<String>,
}

impl From<ChildDetailsInput> for ChildDetails {
    fn from(c: ChildDetailsInput) -> Self {
        ChildDetails {
            legal_name: c.legal_name,
            preferred_name: c.preferred_name,
            date_of_birth: c.date_of_birth.0,
            gender: c.gender,
            ethnicity: c.ethnicity,
            religion: c.religion,
            first_language: c.first_language,
            legal_status: c.legal_status,
            looked_after_since: c.looked_after_since.0,
            placing_authority: c.placing_authority,
            placing_authority_ref: c.placing_authority_ref,
            nhs_number: c.nhs_number,
        }
    }
}

/// Corrected details of a child (the whole set; the earlier version is kept).
#[derive(InputObject)]
pub struct ChangeChildDetailsInput {
    /// The child.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// The child's details.
    pub child: ChildDetailsInput,
}

/// The child as saved.
#[derive(SimpleObject)]
pub struct ChangeChildDetailsPayload {
    /// The child.
    pub child: Child,
}

/// An admission to a home: a new child (`child`) or one already known (`childId`, e.g. a
/// readmission), with the key carer, or the reason the key carer is not appointed yet.
#[derive(InputObject)]
pub struct AdmitChildInput {
    /// The home.
    pub home_id: ID,
    /// The child's details, for a child new to the council's homes.
    pub child: Option<ChildDetailsInput>,
    /// A child already known (whose earlier placement has ended); instead of `child`.
    pub child_id: Option<ID>,
    /// The day the child arrives (at most a year ago, at most 90 days ahead).
    pub admission_date: Date,
    /// When the placement is planned to end, if known.
    pub planned_end_date: Option<Date>,
    /// The key carer, a member of staff of the home, from the admission day.
    pub key_carer_id: Option<ID>,
    /// Why no key carer is appointed on admission (required without `keyCarerId`): a late
    /// appointment is flagged on the placement, not hidden.
    pub key_carer_pending_reason: Option<String>,
}

/// What an admission created.
#[derive(SimpleObject)]
pub struct AdmitChildPayload {
    /// The child.
    pub child: Child,
    /// The new placement.
    pub placement: Placement,
}

/// The end of a child's open placement.
#[derive(InputObject)]
pub struct EndPlacementInput {
    /// The child.
    pub child_id: ID,
    /// The version of the open placement the change was made on.
    pub expected_version: i32,
    /// The day the placement ended (not before admission, not in the future).
    pub end_date: Date,
    /// Why it ended.
    pub reason: String,
}

/// The placement as ended.
#[derive(SimpleObject)]
pub struct EndPlacementPayload {
    /// The placement.
    pub placement: Placement,
}

/// The appointment of a key carer, or a change of key carer.
#[derive(InputObject)]
pub struct ChangeKeyCarerInput {
    /// The child.
    pub child_id: ID,
    /// The new key carer, a member of staff of the child's home.
    pub key_carer_id: ID,
    /// Why the current key carer's assignment ends: required when a key carer is replaced,
    /// not needed when the first key carer is appointed after a late admission.
    pub reason: Option<KeyCarerChangeReason>,
    /// A note with the reason (required when the reason is `OTHER`).
    pub note: Option<String>,
}

/// A new co-key carer.
#[derive(InputObject)]
pub struct AddCoKeyCarerInput {
    /// The child.
    pub child_id: ID,
    /// The member of staff of the child's home (not the key carer; at most two co-key carers).
    pub user_id: ID,
}

/// The end of a co-key carer's assignment.
#[derive(InputObject)]
pub struct RemoveCoKeyCarerInput {
    /// The co-key carer assignment.
    pub assignment_id: ID,
    /// Why it ends.
    pub reason: KeyCarerChangeReason,
    /// A note with the reason (required when the reason is `OTHER`).
    pub note: Option<String>,
}

/// A key team change: the assignment started (or ended), and the child, whose `keyTeam`
/// shows the history.
#[derive(SimpleObject)]
pub struct KeyTeamPayload {
    /// The child.
    pub child: Child,
    /// The assignment started, or for a removal the one ended.
    pub assignment: KeyTeamAssignment,
}

/// Admission, placement and key team mutations.
#[derive(Default)]
pub struct PlacementMutation;

fn key_team_payload(change: placements::KeyTeamChange) -> KeyTeamPayload {
    KeyTeamPayload {
        child: Child(change.child),
        assignment: KeyTeamAssignment(change.assignment),
    }
}

/// Admission, placement and key team mutations.
#[Object]
impl PlacementMutation {
    /// Corrects a child's details (the key team, the manager of the home, the social
    /// worker); the earlier version is kept.
    async fn change_child_details(
        &self,
        ctx: &Context<'_>,
        input: ChangeChildDetailsInput,
    ) -> Result<ChangeChildDetailsPayload> {
        let id = uuid_of(&input.id, "Child", "id")?;
        let saved = placements::change_child_details(
            request(ctx)?,
            id,
            input.expected_version,
            input.child.into(),
        )
        .await
        .map_err(gql)?;
        Ok(ChangeChildDetailsPayload {
            child: Child(saved),
        })
    }

    /// Admits a child to a home (manager of the home only): the child, the placement, and the
    /// key carer from the admission day, or the reason the appointment is late.
    async fn admit_child(
        &self,
        ctx: &Context<'_>,
        input: AdmitChildInput,
    ) -> Result<AdmitChildPayload> {
        let home = uuid_of(&input.home_id, "Home", "homeId")?;
        let child = match (input.child, &input.child_id) {
            (Some(c), None) => Admittee::New(Box::new(c.into())),
            (None, Some(id)) => Admittee::Known(uuid_of(id, "Child", "childId")?),
            _ => {
                return Err(gql(DomainError::bad_input(
                    "child",
                    "give either the child's details (child) or a known child (childId)",
                )));
            }
        };
        let key_carer = match &input.key_carer_id {
            Some(id) => Some(uuid_of(id, "User", "keyCarerId")?),
            None => None,
        };
        let admitted = placements::admit(
            request(ctx)?,
            Admission {
                home,
                child,
                admission_date: input.admission_date.0,
                planned_end_date: input.planned_end_date.map(|d| d.0),
                key_carer,
                key_carer_pending_reason: input.key_carer_pending_reason,
            },
        )
        .await
        .map_err(gql)?;
        Ok(AdmitChildPayload {
            child: Child(admitted.child),
            placement: Placement {
                p: admitted.placement,
                home: admitted.home,
            },
        })
    }

    /// Ends the child's open placement and every current key team assignment of it
    /// (`PLACEMENT_ENDED`). The manager keeps read access to the closed placement.
    async fn end_placement(
        &self,
        ctx: &Context<'_>,
        input: EndPlacementInput,
    ) -> Result<EndPlacementPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let (p, home) = placements::end_placement(
            request(ctx)?,
            child,
            input.expected_version,
            input.end_date.0,
            &input.reason,
        )
        .await
        .map_err(gql)?;
        Ok(EndPlacementPayload {
            placement: Placement { p, home },
        })
    }

    /// Appoints the child's key carer or changes them (manager only): the current assignment
    /// ends today with the reason, and the new one starts today.
    async fn change_key_carer(
        &self,
        ctx: &Context<'_>,
        input: ChangeKeyCarerInput,
    ) -> Result<KeyTeamPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let user = uuid_of(&input.key_carer_id, "User", "keyCarerId")?;
        let change = placements::change_key_carer(
            request(ctx)?,
            child,
            user,
            input.reason,
            input.note.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(key_team_payload(change))
    }

    /// Adds a co-key carer (manager only; at most two).
    async fn add_co_key_carer(
        &self,
        ctx: &Context<'_>,
        input: AddCoKeyCarerInput,
    ) -> Result<KeyTeamPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let user = uuid_of(&input.user_id, "User", "userId")?;
        let change = placements::add_co_key_carer(request(ctx)?, child, user)
            .await
            .map_err(gql)?;
        Ok(key_team_payload(change))
    }

    /// Ends a co-key carer's assignment today, with the reason (manager only).
    async fn remove_co_key_carer(
        &self,
        ctx: &Context<'_>,
        input: RemoveCoKeyCarerInput,
    ) -> Result<KeyTeamPayload> {
        let id = uuid_of(&input.assignment_id, "KeyTeamAssignment", "assignmentId")?;
        let change =
            placements::remove_co_key_carer(request(ctx)?, id, input.reason, input.note.as_deref())
                .await
                .map_err(gql)?;
        Ok(key_team_payload(change))
    }
}
