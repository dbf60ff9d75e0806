//! The Individual Placement Care Plan (IPCP): versions drafted one at a time, published (the
//! previous version is then superseded), reviewed at least monthly (a review is recorded
//! even when nothing changes) and signed by the child, the key carer, the social worker and
//! the manager. Every change keeps the earlier version.

use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{MAX_TEXT, check_version, keep_revision, optional_text, update_versioned};
use chrono::NaiveDate;
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::PlanStatus;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

/// The text sections of an IPCP version. In a draft, a section left out (`None`) keeps its
/// text; an empty text clears it.
#[derive(Debug, Clone, Default)]
pub struct PlanSections {
    pub outcomes_and_needs: Option<String>,
    pub health: Option<String>,
    pub education: Option<String>,
    pub family_contact: Option<String>,
    /// The Equality and Diversity plan: background.
    pub background: Option<String>,
    pub culture: Option<String>,
    pub heritage: Option<String>,
    pub religion: Option<String>,
    pub diet: Option<String>,
    pub language: Option<String>,
    pub leisure: Option<String>,
    pub independence_skills: Option<String>,
    pub behaviour_goal: Option<String>,
}

/// Who a signature is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signatory {
    /// The child (recorded on the child's behalf by the key team or the manager).
    Child,
    KeyCarer,
    SocialWorker,
    Manager,
}

impl Signatory {
    /// The kind of write this signature is, in the access policy (who may make it is
    /// the policy's decision).
    fn kind(self) -> Kind {
        match self {
            Signatory::Child => Kind::SignatureForChild,
            Signatory::KeyCarer => Kind::SignatureAsKeyCarer,
            Signatory::SocialWorker => Kind::SignatureAsSocialWorker,
            Signatory::Manager => Kind::SignatureAsManager,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signatory::Child => "the child",
            Signatory::KeyCarer => "the key carer",
            Signatory::SocialWorker => "the social worker",
            Signatory::Manager => "the manager",
        }
    }

    /// Why a caller without the matching basis may not make this signature.
    fn refusal(self) -> &'static str {
        match self {
            Signatory::Child => {
                "the child's signature is recorded on the child's behalf by the key team or the manager"
            }
            Signatory::KeyCarer => "only a member of the child's key team signs as the key carer",
            Signatory::SocialWorker => {
                "only the child's allocated social worker signs as the social worker"
            }
            Signatory::Manager => "only the manager of the child's home signs as the manager",
        }
    }
}

/// Section values after validation: `None` leaves a section as it is, `Some(None)` clears it.
type Checked = Vec<(&'static str, Option<Option<String>>)>;

impl PlanSections {
    /// The GraphQL names of the sections given, for "what was not saved".
    pub fn given(&self) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(f, _)| f.to_owned())
            .collect()
    }

    fn fields(&self) -> Vec<(&'static str, Option<&String>)> {
        vec![
            ("outcomesAndNeeds", self.outcomes_and_needs.as_ref()),
            ("health", self.health.as_ref()),
            ("education", self.education.as_ref()),
            ("familyContact", self.family_contact.as_ref()),
            ("equalityAndDiversity.background", self.background.as_ref()),
            ("equalityAndDiversity.culture", self.culture.as_ref()),
            ("equalityAndDiversity.heritage", self.heritage.as_ref()),
            ("equalityAndDiversity.religion", self.religion.as_ref()),
            ("equalityAndDiversity.diet", self.diet.as_ref()),
            ("equalityAndDiversity.language", self.language.as_ref()),
            ("leisure", self.leisure.as_ref()),
            ("independenceSkills", self.independence_skills.as_ref()),
            ("behaviourGoal", self.behaviour_goal.as_ref()),
        ]
    }

    fn check(&self) -> DomainResult<Checked> {
        self.fields()
            .into_iter()
            .map(|(field, value)| {
                let checked = match value {
                    None => None,
                    Some(v) => Some(optional_text(field, Some(v), MAX_TEXT)?),
                };
                Ok((field, checked))
            })
            .collect()
    }
}

/// Applies checked sections to an active model (in the order of [`PlanSections::fields`]).
fn apply(active: &mut e::care_plan::ActiveModel, checked: Checked) {
    for (field, value) in checked {
        let Some(value) = value else { continue };
        let column = match field {
            "outcomesAndNeeds" => &mut active.outcomes_and_needs,
            "health" => &mut active.health,
            "education" => &mut active.education,
            "familyContact" => &mut active.family_contact,
            "equalityAndDiversity.background" => &mut active.identity_background,
            "equalityAndDiversity.culture" => &mut active.culture,
            "equalityAndDiversity.heritage" => &mut active.heritage,
            "equalityAndDiversity.religion" => &mut active.religion,
            "equalityAndDiversity.diet" => &mut active.diet,
            "equalityAndDiversity.language" => &mut active.language,
            "leisure" => &mut active.leisure,
            "independenceSkills" => &mut active.independence_skills,
            _ => &mut active.behaviour_goal,
        };
        *column = Set(value);
    }
}

/// Requires changing a record of `kind` the caller has found by id (among the records of
/// their own council: `child` is then of their council too): NOT_FOUND when they may not
/// read it (a restricted record they may not see does not exist for them), FORBIDDEN when
/// they may read but not change it. Denied attempts are noted in the access log.
pub(crate) async fn require_record_write(
    req: &Request,
    child: Uuid,
    kind: Kind,
    id: Uuid,
    restricted: bool,
) -> DomainResult<()> {
    let facts = RecordFacts {
        restricted,
        ..Default::default()
    };
    let readable = match req.decide_read(child, kind, facts).await {
        Ok(d) => d.is_allowed(),
        Err(DomainError::NotFound) => false,
        Err(other) => return Err(other),
    };
    if !readable {
        req.record_access(Some(child), kind, Some(id), Action::Write, Decision::Denied);
        return Err(DomainError::NotFound);
    }
    req.require_write(child, kind, Some(id), facts).await?;
    Ok(())
}

/// Requires a signature (or another act) of `kind` for a child, in the policy's terms:
/// noted in the access log; refused with `refusal` when the caller may see the child but not
/// do this.
pub(crate) async fn require_signature(
    req: &Request,
    child: Uuid,
    kind: Kind,
    record: Uuid,
    restricted: bool,
    refusal: &str,
) -> DomainResult<()> {
    let facts = RecordFacts {
        restricted,
        ..Default::default()
    };
    match req.require_write(child, kind, Some(record), facts).await {
        Err(DomainError::Forbidden(_)) => Err(DomainError::Forbidden(refusal.to_owned())),
        other => other.map(|_| ()),
    }
}

/// Refuses a date in the future (the request's day, UTC).
pub(crate) fn not_in_future(req: &Request, field: &str, day: NaiveDate) -> DomainResult<NaiveDate> {
    if day > req.now.date_naive() {
        return Err(DomainError::bad_input(
            field,
            "is in the future: a review records what has been done",
        ));
    }
    Ok(day)
}

async fn draft_of(req: &Request, child: Uuid) -> DomainResult<Option<e::care_plan::Model>> {
    use e::care_plan::Column as C;
    Ok(e::care_plan::Entity::find()
        .filter(C::TenantId.eq(req.identity.tenant_id))
        .filter(C::ChildId.eq(child))
        .filter(C::Status.eq(PlanStatus::Draft))
        .order_by_desc(C::VersionNumber)
        .one(&req.txn)
        .await?)
}

async fn published_of(req: &Request, child: Uuid) -> DomainResult<Option<e::care_plan::Model>> {
    use e::care_plan::Column as C;
    Ok(e::care_plan::Entity::find()
        .filter(C::TenantId.eq(req.identity.tenant_id))
        .filter(C::ChildId.eq(child))
        .filter(C::Status.eq(PlanStatus::Published))
        .order_by_desc(C::VersionNumber)
        .one(&req.txn)
        .await?)
}

/// A version of the caller's council to change (a version of another council is never
/// loaded, nor logged: it does not exist here).
async fn find(req: &Request, id: Uuid) -> DomainResult<e::care_plan::Model> {
    let plan = e::care_plan::Entity::find_by_id(id)
        .filter(e::care_plan::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    require_record_write(req, plan.child_id, Kind::CarePlan, id, plan.restricted).await?;
    Ok(plan)
}

/// Starts the next version as a draft (copying the published version's sections), or
/// updates the child's draft when `expected_version` is given. There is at most one draft
/// per child. A failed save names the sections that were not saved.
pub async fn draft(
    req: &Request,
    child: Uuid,
    expected_version: Option<i32>,
    sections: PlanSections,
) -> DomainResult<e::care_plan::Model> {
    let given = sections.given();
    save_draft(req, child, expected_version, sections)
        .await
        .map_err(|err| match err {
            DomainError::NotFound | DomainError::Forbidden(_) => err,
            other => other.not_saved(given),
        })
}

async fn save_draft(
    req: &Request,
    child: Uuid,
    expected_version: Option<i32>,
    sections: PlanSections,
) -> DomainResult<e::care_plan::Model> {
    let existing = draft_of(req, child).await?;
    match &existing {
        Some(d) => require_record_write(req, child, Kind::CarePlan, d.id, d.restricted).await?,
        None => {
            req.require_write(child, Kind::CarePlan, None, RecordFacts::default())
                .await?;
        }
    }
    let checked = sections.check()?;
    match (existing, expected_version) {
        (Some(d), None) => Err(DomainError::bad_input(
            "expectedVersion",
            format!(
                "the child already has a draft (version {} of the plan, at version {}): send expectedVersion to update it",
                d.version_number, d.version
            ),
        )),
        (None, Some(_)) => Err(DomainError::Conflict(
            "there is no draft to update any more (it may have been published); reload the plan and apply your change again".into(),
        )),
        (Some(d), Some(expected)) => {
            check_version(d.version, expected)?;
            let txn = req.change().await?;
            let mut active = e::care_plan::ActiveModel {
                version: Set(d.version + 1),
                updated_at: Set(req.now),
                ..Default::default()
            };
            apply(&mut active, checked);
            use e::care_plan::Column as C;
            let saved =
                update_versioned(&txn, active, C::Id, C::Version, d.id, expected).await?;
            keep_revision(req, &txn, "care_plans", d.id, d.version, &d).await?;
            txn.commit().await?;
            Ok(saved)
        }
        (None, None) => {
            use e::care_plan::Column as C;
            let latest = e::care_plan::Entity::find()
                .filter(C::TenantId.eq(req.identity.tenant_id))
                .filter(C::ChildId.eq(child))
                .order_by_desc(C::VersionNumber)
                .one(&req.txn)
                .await?;
            let published = published_of(req, child).await?;
            let copy = |f: fn(&e::care_plan::Model) -> &Option<String>| {
                published.as_ref().and_then(|p| f(p).clone())
            };
            let mut active = e::care_plan::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(req.identity.tenant_id),
                child_id: Set(child),
                version_number: Set(latest.map_or(1, |l| l.version_number + 1)),
                status: Set(PlanStatus::Draft),
                outcomes_and_needs: Set(copy(|p| &p.outcomes_and_needs)),
                health: Set(copy(|p| &p.health)),
                education: Set(copy(|p| &p.education)),
                family_contact: Set(copy(|p| &p.family_contact)),
                identity_background: Set(copy(|p| &p.identity_background)),
                culture: Set(copy(|p| &p.culture)),
                heritage: Set(copy(|p| &p.heritage)),
                religion: Set(copy(|p| &p.religion)),
                diet: Set(copy(|p| &p.diet)),
                language: Set(copy(|p| &p.language)),
                leisure: Set(copy(|p| &p.leisure)),
                independence_skills: Set(copy(|p| &p.independence_skills)),
                behaviour_goal: Set(copy(|p| &p.behaviour_goal)),
                published_at: Set(None),
                signed_child_at: Set(None),
                signed_key_carer_at: Set(None),
                signed_key_carer_id: Set(None),
                signed_social_worker_at: Set(None),
                signed_social_worker_id: Set(None),
                signed_manager_at: Set(None),
                signed_manager_id: Set(None),
                author_id: Set(req.identity.user_id),
                restricted: Set(false),
                version: Set(1),
                created_at: Set(req.now),
                updated_at: Set(req.now),
            };
            apply(&mut active, checked);
            let txn = req.change().await?;
            let saved = active.insert(&txn).await?;
            txn.commit().await?;
            Ok(saved)
        }
    }
}

/// Publishes the draft: it becomes the current plan and the version published before it is
/// superseded, both in one change.
pub async fn publish(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::care_plan::Model> {
    let plan = find(req, id).await?;
    if plan.status != PlanStatus::Draft {
        return Err(DomainError::bad_input(
            "id",
            format!(
                "version {} is already {}: only a draft can be published",
                plan.version_number,
                status_word(plan.status)
            ),
        ));
    }
    check_version(plan.version, expected_version)?;
    use e::care_plan::Column as C;
    let txn = req.change().await?;
    let published = update_versioned(
        &txn,
        e::care_plan::ActiveModel {
            status: Set(PlanStatus::Published),
            published_at: Set(Some(req.now)),
            version: Set(plan.version + 1),
            updated_at: Set(req.now),
            ..Default::default()
        },
        C::Id,
        C::Version,
        plan.id,
        expected_version,
    )
    .await?;
    keep_revision(req, &txn, "care_plans", plan.id, plan.version, &plan).await?;
    let earlier = e::care_plan::Entity::find()
        .filter(C::TenantId.eq(req.identity.tenant_id))
        .filter(C::ChildId.eq(plan.child_id))
        .filter(C::Status.eq(PlanStatus::Published))
        .filter(C::Id.ne(plan.id))
        .all(&txn)
        .await?;
    for old in earlier {
        update_versioned(
            &txn,
            e::care_plan::ActiveModel {
                status: Set(PlanStatus::Superseded),
                version: Set(old.version + 1),
                updated_at: Set(req.now),
                ..Default::default()
            },
            C::Id,
            C::Version,
            old.id,
            old.version,
        )
        .await?;
        keep_revision(req, &txn, "care_plans", old.id, old.version, &old).await?;
    }
    txn.commit().await?;
    Ok(published)
}

fn status_word(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Draft => "a draft",
        PlanStatus::Published => "published",
        PlanStatus::Superseded => "superseded",
    }
}

/// Records a review of the current plan (at least monthly; also when nothing changes).
pub async fn record_review(
    req: &Request,
    child: Uuid,
    reviewed_on: NaiveDate,
    changes_made: bool,
    notes: Option<&str>,
) -> DomainResult<e::care_plan_review::Model> {
    req.require_write(child, Kind::CarePlan, None, RecordFacts::default())
        .await?;
    let reviewed_on = not_in_future(req, "reviewedOn", reviewed_on)?;
    let notes = optional_text("notes", notes, MAX_TEXT)?;
    let Some(plan) = published_of(req, child).await? else {
        return Err(DomainError::bad_input(
            "childId",
            "the child has no published care plan to review yet: publish a version first",
        ));
    };
    let txn = req.change().await?;
    let saved = e::care_plan_review::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        care_plan_id: Set(plan.id),
        reviewed_on: Set(reviewed_on),
        changes_made: Set(changes_made),
        notes: Set(notes),
        author_id: Set(req.identity.user_id),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Signs the published version for `signatory`. The signature is made under the matching
/// basis: the key carer's by the key team, the social worker's by the allocated social
/// worker, the manager's by the manager; the child's is recorded on the child's behalf by
/// the key team or the manager.
pub async fn sign(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    signatory: Signatory,
) -> DomainResult<e::care_plan::Model> {
    let plan = find(req, id).await?;
    require_signature(
        req,
        plan.child_id,
        signatory.kind(),
        id,
        plan.restricted,
        signatory.refusal(),
    )
    .await?;
    check_version(plan.version, expected_version)?;
    if plan.status != PlanStatus::Published {
        return Err(DomainError::bad_input(
            "id",
            format!(
                "version {} is {}: only the published plan is signed",
                plan.version_number,
                status_word(plan.status)
            ),
        ));
    }
    let already = match signatory {
        Signatory::Child => plan.signed_child_at,
        Signatory::KeyCarer => plan.signed_key_carer_at,
        Signatory::SocialWorker => plan.signed_social_worker_at,
        Signatory::Manager => plan.signed_manager_at,
    };
    if let Some(at) = already {
        return Err(DomainError::bad_input(
            "as",
            format!(
                "this version was already signed for {} on {}",
                signatory.name(),
                at.format("%-d %B %Y")
            ),
        ));
    }
    let (now, me) = (Some(req.now), Some(req.identity.user_id));
    let mut active = e::care_plan::ActiveModel {
        version: Set(plan.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    match signatory {
        Signatory::Child => active.signed_child_at = Set(now),
        Signatory::KeyCarer => {
            active.signed_key_carer_at = Set(now);
            active.signed_key_carer_id = Set(me);
        }
        Signatory::SocialWorker => {
            active.signed_social_worker_at = Set(now);
            active.signed_social_worker_id = Set(me);
        }
        Signatory::Manager => {
            active.signed_manager_at = Set(now);
            active.signed_manager_id = Set(me);
        }
    }
    use e::care_plan::Column as C;
    let txn = req.change().await?;
    let saved =
        update_versioned(&txn, active, C::Id, C::Version, plan.id, expected_version).await?;
    keep_revision(req, &txn, "care_plans", plan.id, plan.version, &plan).await?;
    txn.commit().await?;
    Ok(saved)
}
