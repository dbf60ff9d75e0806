//! Admitting a child, ending a placement, and the key team: the manager of the home admits
//! and appoints; a key carer is changed only with a reason, and the history is kept.
//!
//! The database keeps "one open placement per child" and "one active key carer per
//! placement"; they are checked here first so that a refusal can say what to do instead.

use crate::error::{DB_RULES, DomainError, DomainResult};
use crate::request::{Request, authz_error};
use crate::writes::{
    MAX_SHORT, MAX_TEXT, check_version, keep_revision, optional_text, required_text,
    update_versioned,
};
use chrono::{Duration, NaiveDate};
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::{HomeRole, KeyCarerChangeReason, KeyTeamRole, LegalStatus};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

/// How far back an admission may be recorded (a late entry of a recent admission).
pub const ADMISSION_MAX_DAYS_AGO: i64 = 365;
/// How far ahead an admission may be planned.
pub const ADMISSION_MAX_DAYS_AHEAD: i64 = 90;
/// The most co-key carers a child has at once.
pub const MAX_CO_KEY_CARERS: usize = 2;

/// A child's details as entered on admission.
#[derive(Debug, Clone)]
pub struct ChildDetails {
    pub legal_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub gender: String,
    pub ethnicity: Option<String>,
    pub religion: Option<String>,
    pub first_language: Option<String>,
    pub legal_status: LegalStatus,
    pub looked_after_since: NaiveDate,
    pub placing_authority: String,
    pub placing_authority_ref: Option<String>,
    pub nhs_number: Option<String>,
}

/// Who is admitted: a child new to the council's homes, or one already known (readmitted).
#[derive(Debug, Clone)]
pub enum Admittee {
    New(Box<ChildDetails>),
    Known(Uuid),
}

/// An admission as entered.
#[derive(Debug, Clone)]
pub struct Admission {
    pub home: Uuid,
    pub child: Admittee,
    pub admission_date: NaiveDate,
    pub planned_end_date: Option<NaiveDate>,
    pub key_carer: Option<Uuid>,
    /// Why no key carer is appointed yet (required without one).
    pub key_carer_pending_reason: Option<String>,
}

/// What an admission created.
#[derive(Debug, Clone)]
pub struct Admitted {
    pub child: e::child::Model,
    pub placement: e::placement::Model,
    pub home: Option<e::home::Model>,
    pub key_carer: Option<e::key_team_assignment::Model>,
}

/// A change to the key team, with the child it belongs to.
#[derive(Debug, Clone)]
pub struct KeyTeamChange {
    pub child: e::child::Model,
    /// The assignment started (or, for a removal, ended).
    pub assignment: e::key_team_assignment::Model,
}

fn rule(name: &str) -> DomainError {
    DB_RULES
        .iter()
        .find(|r| r.name == name)
        .copied()
        .map_or_else(
            || DomainError::Conflict(format!("refused by rule {name}")),
            DomainError::Rule,
        )
}

fn details(req: &Request, d: &ChildDetails, admission: NaiveDate) -> DomainResult<()> {
    let today = req.now.date_naive();
    if d.date_of_birth > today {
        return Err(DomainError::bad_input(
            "child.dateOfBirth",
            "is in the future",
        ));
    }
    if d.date_of_birth > admission {
        return Err(DomainError::bad_input(
            "child.dateOfBirth",
            "is after the admission date",
        ));
    }
    if d.looked_after_since < d.date_of_birth {
        return Err(DomainError::bad_input(
            "child.lookedAfterSince",
            "is before the child's date of birth",
        ));
    }
    if d.looked_after_since > admission {
        return Err(DomainError::bad_input(
            "child.lookedAfterSince",
            "is after the admission date: a child is looked after from the day they are placed at the latest",
        ));
    }
    Ok(())
}

fn nhs_number(value: Option<&str>) -> DomainResult<Option<String>> {
    let Some(v) = optional_text("child.nhsNumber", value, MAX_SHORT)? else {
        return Ok(None);
    };
    let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(DomainError::bad_input(
            "child.nhsNumber",
            "must be 10 digits (spaces allowed)",
        ));
    }
    Ok(Some(v))
}

/// The editable details of a child, checked, as the columns to set.
fn child_fields(d: &ChildDetails) -> DomainResult<e::child::ActiveModel> {
    Ok(e::child::ActiveModel {
        legal_name: Set(required_text("child.legalName", &d.legal_name, MAX_SHORT)?),
        preferred_name: Set(optional_text(
            "child.preferredName",
            d.preferred_name.as_deref(),
            MAX_SHORT,
        )?),
        date_of_birth: Set(d.date_of_birth),
        gender: Set(required_text("child.gender", &d.gender, MAX_SHORT)?),
        ethnicity: Set(optional_text(
            "child.ethnicity",
            d.ethnicity.as_deref(),
            MAX_SHORT,
        )?),
        religion: Set(optional_text(
            "child.religion",
            d.religion.as_deref(),
            MAX_SHORT,
        )?),
        first_language: Set(optional_text(
            "child.firstLanguage",
            d.first_language.as_deref(),
            MAX_SHORT,
        )?),
        legal_status: Set(d.legal_status),
        looked_after_since: Set(d.looked_after_since),
        placing_authority: Set(required_text(
            "child.placingAuthority",
            &d.placing_authority,
            MAX_SHORT,
        )?),
        placing_authority_ref: Set(optional_text(
            "child.placingAuthorityRef",
            d.placing_authority_ref.as_deref(),
            MAX_SHORT,
        )?),
        nhs_number: Set(nhs_number(d.nhs_number.as_deref())?),
        ..Default::default()
    })
}

/// Corrects a child's details (the key team, the manager, the social worker); the earlier
/// version is kept. The dates must still fit the child's first admission.
pub async fn change_child_details(
    req: &Request,
    child: Uuid,
    expected_version: i32,
    d: ChildDetails,
) -> DomainResult<e::child::Model> {
    req.require_write(
        child,
        Kind::ChildProfile,
        Some(child),
        RecordFacts::default(),
    )
    .await?;
    let old = load_child(req, child).await?;
    crate::writes::check_version(old.version, expected_version)?;
    let first_admission = e::placement::Entity::find()
        .filter(e::placement::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::placement::Column::ChildId.eq(child))
        .order_by_asc(e::placement::Column::AdmissionDate)
        .one(&req.txn)
        .await?
        .map(|p| p.admission_date)
        .unwrap_or(req.now.date_naive());
    details(req, &d, first_admission)?;
    let active = e::child::ActiveModel {
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..child_fields(&d)?
    };
    let txn = req.change().await?;
    keep_revision(req, &txn, "children", old.id, old.version, &old).await?;
    use e::child::Column as C;
    let saved = update_versioned(&txn, active, C::Id, C::Version, child, expected_version).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The user must be an active member of staff (staff, deputy manager or manager) of the home
/// today; otherwise BAD_USER_INPUT naming `field`.
async fn require_staff_of_home(
    req: &Request,
    user: Uuid,
    home: Uuid,
    field: &str,
) -> DomainResult<()> {
    use e::home_membership as hm;
    let today = req.now.date_naive();
    let active_user = e::user::Entity::find_by_id(user)
        .filter(e::user::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .is_some_and(|u| u.active);
    let member = active_user
        && hm::Entity::find()
            .filter(hm::Column::TenantId.eq(req.identity.tenant_id))
            .filter(hm::Column::UserId.eq(user))
            .filter(hm::Column::HomeId.eq(home))
            .filter(hm::Column::Role.is_in([
                HomeRole::Staff,
                HomeRole::DeputyManager,
                HomeRole::Manager,
            ]))
            .filter(hm::Column::StartDate.lte(today))
            .filter(
                Condition::any()
                    .add(hm::Column::EndDate.is_null())
                    .add(hm::Column::EndDate.gt(today)),
            )
            .one(&req.txn)
            .await?
            .is_some();
    if !member {
        return Err(DomainError::bad_input(
            field,
            "is not a member of staff of the child's home: a key carer or co-key carer must work in the home",
        ));
    }
    Ok(())
}

/// The child's open placement, if any (in the caller's council).
async fn open_placement(req: &Request, child: Uuid) -> DomainResult<Option<e::placement::Model>> {
    Ok(e::placement::Entity::find()
        .filter(e::placement::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::placement::Column::ChildId.eq(child))
        .filter(e::placement::Column::EndDate.is_null())
        .one(&req.txn)
        .await?)
}

async fn require_open_placement(req: &Request, child: Uuid) -> DomainResult<e::placement::Model> {
    open_placement(req, child).await?.ok_or_else(|| {
        DomainError::bad_input(
            "childId",
            "the child has no open placement: admit the child first",
        )
    })
}

/// The current assignments of a placement.
async fn current_team(
    req: &Request,
    placement: Uuid,
) -> DomainResult<Vec<e::key_team_assignment::Model>> {
    use e::key_team_assignment as k;
    Ok(k::Entity::find()
        .filter(k::Column::TenantId.eq(req.identity.tenant_id))
        .filter(k::Column::PlacementId.eq(placement))
        .filter(k::Column::EndDate.is_null())
        .all(&req.txn)
        .await?)
}

async fn load_child(req: &Request, id: Uuid) -> DomainResult<e::child::Model> {
    e::child::Entity::find_by_id(id)
        .filter(e::child::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)
}

/// A reason for ending an assignment by hand: `placement_ended` is given only by ending the
/// placement, and `other` needs a note.
fn change_reason(reason: KeyCarerChangeReason, note: Option<&str>) -> DomainResult<Option<String>> {
    if reason == KeyCarerChangeReason::PlacementEnded {
        return Err(DomainError::bad_input(
            "reason",
            "placement_ended is recorded by ending the placement (endPlacement)",
        ));
    }
    let note = optional_text("note", note, MAX_TEXT)?;
    if reason == KeyCarerChangeReason::Other && note.is_none() {
        return Err(DomainError::bad_input(
            "note",
            "is required when the reason is other: say why",
        ));
    }
    Ok(note)
}

fn new_assignment(
    req: &Request,
    placement: &e::placement::Model,
    user: Uuid,
    role: KeyTeamRole,
    start: NaiveDate,
) -> e::key_team_assignment::ActiveModel {
    e::key_team_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(placement.child_id),
        placement_id: Set(placement.id),
        user_id: Set(user),
        role: Set(role),
        start_date: Set(start),
        end_date: Set(None),
        end_reason: Set(None),
        end_note: Set(None),
        appointed_by: Set(req.identity.user_id),
        ended_by: Set(None),
        version: Set(1),
        created_at: Set(req.now),
    }
}

/// Ends an assignment (the earlier version is kept).
async fn end_assignment(
    req: &Request,
    txn: &DatabaseTransaction,
    a: &e::key_team_assignment::Model,
    end: NaiveDate,
    reason: KeyCarerChangeReason,
    note: Option<String>,
) -> DomainResult<e::key_team_assignment::Model> {
    keep_revision(req, txn, "key_team_assignments", a.id, a.version, a).await?;
    let active = e::key_team_assignment::ActiveModel {
        // An assignment that has not started yet ends on the day it would have started.
        end_date: Set(Some(end.max(a.start_date))),
        end_reason: Set(Some(reason)),
        end_note: Set(note),
        ended_by: Set(Some(req.identity.user_id)),
        version: Set(a.version + 1),
        ..Default::default()
    };
    use e::key_team_assignment::Column as C;
    update_versioned(txn, active, C::Id, C::Version, a.id, a.version).await
}

/// Admits a child to a home: the child (if new), the placement, and the key carer from the
/// admission day, or the reason the appointment is late. Only the manager of the home.
pub async fn admit(req: &Request, input: Admission) -> DomainResult<Admitted> {
    let known = match &input.child {
        Admittee::Known(id) => Some(*id),
        Admittee::New(_) => None,
    };
    let decision = req
        .access
        .decide_for_home(&req.txn, input.home, Kind::Admission, Action::Write)
        .await
        .map_err(authz_error)?;
    if decision == Decision::Denied {
        match known {
            Some(child) => {
                req.record_denied_unseen(child, Kind::Admission, None, Action::Write)
                    .await?
            }
            None => req.record_access(None, Kind::Admission, None, Action::Write, decision),
        }
        return Err(DomainError::Forbidden(
            "only the manager of the home may admit a child to it".into(),
        ));
    }
    if let Some(child) = known {
        // A child the caller may not see does not exist for them: the attempt is noted as
        // denied (naming the child only if it is one of this council's) before anything is
        // noted as allowed.
        let visible = match req
            .decide_read(child, Kind::ChildProfile, RecordFacts::default())
            .await
        {
            Ok(d) => d.is_allowed(),
            Err(DomainError::NotFound) => false,
            Err(other) => return Err(other),
        };
        if !visible {
            req.record_denied_unseen(child, Kind::Admission, None, Action::Write)
                .await?;
            return Err(DomainError::NotFound);
        }
    }
    req.record_access(known, Kind::Admission, None, Action::Write, decision);
    let home = e::home::Entity::find_by_id(input.home)
        .filter(e::home::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)?;

    let today = req.now.date_naive();
    let admission = input.admission_date;
    if admission < today - Duration::days(ADMISSION_MAX_DAYS_AGO) {
        return Err(DomainError::bad_input(
            "admissionDate",
            format!(
                "is more than {ADMISSION_MAX_DAYS_AGO} days ago: admissions are recorded when they happen"
            ),
        ));
    }
    if admission > today + Duration::days(ADMISSION_MAX_DAYS_AHEAD) {
        return Err(DomainError::bad_input(
            "admissionDate",
            format!("is more than {ADMISSION_MAX_DAYS_AHEAD} days ahead"),
        ));
    }
    if input.planned_end_date.is_some_and(|d| d < admission) {
        return Err(DomainError::bad_input(
            "plannedEndDate",
            "is before the admission date",
        ));
    }
    let pending = optional_text(
        "keyCarerPendingReason",
        input.key_carer_pending_reason.as_deref(),
        MAX_TEXT,
    )?;
    match input.key_carer {
        Some(user) => require_staff_of_home(req, user, home.id, "keyCarerId").await?,
        None if pending.is_none() => {
            return Err(DomainError::bad_input(
                "keyCarerPendingReason",
                "is required when no key carer is appointed: the key carer is appointed on the admission day at the latest, and a late appointment is recorded with its reason",
            ));
        }
        None => {}
    }
    let new_child = match &input.child {
        Admittee::New(d) => {
            details(req, d, admission)?;
            Some(e::child::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(req.identity.tenant_id),
                date_of_death: Set(None),
                created_by: Set(req.identity.user_id),
                version: Set(1),
                created_at: Set(req.now),
                updated_at: Set(req.now),
                ..child_fields(d)?
            })
        }
        Admittee::Known(_) => None,
    };
    if let Some(child) = known
        && open_placement(req, child).await?.is_some()
    {
        return Err(rule(e::rules::ONE_OPEN_PLACEMENT));
    }

    let txn = req.change().await?;
    let child = match (new_child, known) {
        (Some(c), _) => c.insert(&txn).await?,
        (None, Some(id)) => load_child(req, id).await?,
        (None, None) => return Err(DomainError::NotFound),
    };
    let placement = e::placement::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child.id),
        home_id: Set(home.id),
        admission_date: Set(admission),
        planned_end_date: Set(input.planned_end_date),
        end_date: Set(None),
        end_reason: Set(None),
        key_carer_pending_reason: Set(if input.key_carer.is_some() {
            None
        } else {
            pending
        }),
        created_by: Set(req.identity.user_id),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
    .insert(&txn)
    .await?;
    let key_carer = match input.key_carer {
        Some(user) => Some(
            new_assignment(req, &placement, user, KeyTeamRole::KeyCarer, admission)
                .insert(&txn)
                .await?,
        ),
        None => None,
    };
    txn.commit().await?;
    if known.is_none() {
        // The new child's record now exists: note whose it is.
        req.record_access(
            Some(child.id),
            Kind::Admission,
            Some(placement.id),
            Action::Write,
            decision,
        );
    }
    Ok(Admitted {
        child,
        placement,
        home: Some(home),
        key_carer,
    })
}

/// Ends the child's open placement and every current key team assignment of it
/// (`placement_ended`). The manager keeps read access to the closed placement.
pub async fn end_placement(
    req: &Request,
    child: Uuid,
    expected_version: i32,
    end_date: NaiveDate,
    reason: &str,
) -> DomainResult<(e::placement::Model, Option<e::home::Model>)> {
    let open = open_placement(req, child).await?;
    req.require_write(
        child,
        Kind::ChildProfile,
        open.as_ref().map(|p| p.id),
        RecordFacts::default(),
    )
    .await?;
    let Some(placement) = open else {
        return Err(DomainError::bad_input(
            "childId",
            "the child has no open placement",
        ));
    };
    check_version(placement.version, expected_version)?;
    if end_date < placement.admission_date {
        return Err(DomainError::bad_input(
            "endDate",
            "is before the admission date",
        ));
    }
    if end_date > req.now.date_naive() {
        return Err(DomainError::bad_input(
            "endDate",
            "is in the future: end the placement on the day it ends (the planned end date records a plan)",
        ));
    }
    let reason = required_text("reason", reason, MAX_TEXT)?;
    let team = current_team(req, placement.id).await?;

    let txn = req.change().await?;
    keep_revision(
        req,
        &txn,
        "placements",
        placement.id,
        placement.version,
        &placement,
    )
    .await?;
    let active = e::placement::ActiveModel {
        end_date: Set(Some(end_date)),
        end_reason: Set(Some(reason)),
        version: Set(placement.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    use e::placement::Column as C;
    let saved = update_versioned(
        &txn,
        active,
        C::Id,
        C::Version,
        placement.id,
        expected_version,
    )
    .await?;
    for a in &team {
        end_assignment(
            req,
            &txn,
            a,
            end_date,
            KeyCarerChangeReason::PlacementEnded,
            None,
        )
        .await?;
    }
    txn.commit().await?;
    let home = e::home::Entity::find_by_id(saved.home_id)
        .filter(e::home::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?;
    Ok((saved, home))
}

/// Appoints the child's key carer, or changes them: the current assignment ends today with
/// the reason (required when someone is replaced), and the new one starts today. Manager only.
pub async fn change_key_carer(
    req: &Request,
    child: Uuid,
    key_carer: Uuid,
    reason: Option<KeyCarerChangeReason>,
    note: Option<&str>,
) -> DomainResult<KeyTeamChange> {
    req.require_write(
        child,
        Kind::KeyCarerAppointment,
        None,
        RecordFacts::default(),
    )
    .await?;
    let placement = require_open_placement(req, child).await?;
    let team = current_team(req, placement.id).await?;
    let current = team.iter().find(|a| a.role == KeyTeamRole::KeyCarer);
    let ending = match current {
        Some(c) => {
            if c.user_id == key_carer {
                return Err(DomainError::bad_input(
                    "keyCarerId",
                    "is already the child's key carer",
                ));
            }
            let Some(reason) = reason else {
                return Err(DomainError::bad_input(
                    "reason",
                    "is required when a key carer is replaced: child_complaint, staff_left, relationship_not_established, not_in_best_interests or other (with a note)",
                ));
            };
            Some((c, reason, change_reason(reason, note)?))
        }
        None => None,
    };
    if team
        .iter()
        .any(|a| a.role == KeyTeamRole::CoKeyCarer && a.user_id == key_carer)
    {
        return Err(DomainError::bad_input(
            "keyCarerId",
            "is a co-key carer of the child: remove the co-key carer assignment first",
        ));
    }
    require_staff_of_home(req, key_carer, placement.home_id, "keyCarerId").await?;
    let start = req.now.date_naive().max(placement.admission_date);

    let txn = req.change().await?;
    if let Some((old, reason, note)) = ending {
        end_assignment(req, &txn, old, start, reason, note).await?;
    }
    let assignment = new_assignment(req, &placement, key_carer, KeyTeamRole::KeyCarer, start)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(KeyTeamChange {
        child: load_child(req, child).await?,
        assignment,
    })
}

/// Adds a co-key carer (at most two; not the key carer; staff of the home). Manager only.
pub async fn add_co_key_carer(
    req: &Request,
    child: Uuid,
    user: Uuid,
) -> DomainResult<KeyTeamChange> {
    req.require_write(
        child,
        Kind::KeyCarerAppointment,
        None,
        RecordFacts::default(),
    )
    .await?;
    let placement = require_open_placement(req, child).await?;
    let team = current_team(req, placement.id).await?;
    if let Some(a) = team.iter().find(|a| a.user_id == user) {
        return Err(DomainError::bad_input(
            "userId",
            match a.role {
                KeyTeamRole::KeyCarer => "is the child's key carer",
                KeyTeamRole::CoKeyCarer => "is already a co-key carer of the child",
            },
        ));
    }
    let co = team
        .iter()
        .filter(|a| a.role == KeyTeamRole::CoKeyCarer)
        .count();
    if co >= MAX_CO_KEY_CARERS {
        return Err(DomainError::bad_input(
            "userId",
            format!(
                "the child already has {MAX_CO_KEY_CARERS} co-key carers, the most there may be: remove one first"
            ),
        ));
    }
    require_staff_of_home(req, user, placement.home_id, "userId").await?;
    let start = req.now.date_naive().max(placement.admission_date);
    let txn = req.change().await?;
    let assignment = new_assignment(req, &placement, user, KeyTeamRole::CoKeyCarer, start)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(KeyTeamChange {
        child: load_child(req, child).await?,
        assignment,
    })
}

/// Ends a co-key carer's assignment today, with the reason. Manager only.
pub async fn remove_co_key_carer(
    req: &Request,
    assignment: Uuid,
    reason: KeyCarerChangeReason,
    note: Option<&str>,
) -> DomainResult<KeyTeamChange> {
    let Some(a) = e::key_team_assignment::Entity::find_by_id(assignment)
        .filter(e::key_team_assignment::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
    else {
        return Err(DomainError::NotFound);
    };
    req.require_write(
        a.child_id,
        Kind::KeyCarerAppointment,
        Some(a.id),
        RecordFacts::default(),
    )
    .await?;
    if a.role != KeyTeamRole::CoKeyCarer {
        return Err(DomainError::bad_input(
            "assignmentId",
            "is the key carer's assignment: change the key carer instead (changeKeyCarer)",
        ));
    }
    if a.end_date.is_some() {
        return Err(DomainError::bad_input("assignmentId", "has already ended"));
    }
    let note = change_reason(reason, note)?;
    let txn = req.change().await?;
    let ended = end_assignment(req, &txn, &a, req.now.date_naive(), reason, note).await?;
    txn.commit().await?;
    Ok(KeyTeamChange {
        child: load_child(req, a.child_id).await?,
        assignment: ended,
    })
}
