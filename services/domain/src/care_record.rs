//! Reading the care record: children, their placements and key team, homes, and the
//! records of each kind. Every read is decided by the authorization module and noted for
//! the access log; lists filter in SQL, so no row is fetched only to be hidden.

use crate::error::{DomainError, DomainResult};
use crate::pages::{Ordering, Page, PageArgs, SortKind, SortValue, page};
use crate::request::{Request, authz_error};
use keycare_authz::{Action, Basis, Decision, Kind, RecordFacts};
use keycare_entity as e;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Select};
use uuid::Uuid;

/// Which placements a children list covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlacementState {
    /// Children in placement now (the default).
    #[default]
    Open,
    /// Children whose placement has ended (visible to the manager of the home).
    Closed,
    /// Both.
    Any,
}

/// Filters of the children list.
#[derive(Debug, Clone, Default)]
pub struct ChildFilter {
    pub home: Option<Uuid>,
    /// Only the children the caller is key carer or co-key carer of.
    pub my_key_children: bool,
    pub placement: PlacementState,
    /// Part of the legal or preferred name, any case.
    pub name: Option<String>,
}

impl Request {
    /// The decision for reading `kind` of a child the caller may see; NotFound when the
    /// caller may not see the child at all (its existence is not revealed).
    pub async fn decide_read(
        &self,
        child: Uuid,
        kind: Kind,
        facts: RecordFacts,
    ) -> DomainResult<Decision> {
        let children = self.access.children(&self.txn).await.map_err(authz_error)?;
        let Some(access) = children.get(&child) else {
            return Err(DomainError::NotFound);
        };
        if !self.access.sees(access).is_allowed() {
            return Err(DomainError::NotFound);
        }
        Ok(self.access.decide(access, kind, Action::Read, facts))
    }

    /// Requires reading `kind` of a child: noted in the access log whether allowed or not;
    /// FORBIDDEN on a child the caller may see, NOT_FOUND on one they may not.
    pub async fn require_read(
        &self,
        child: Uuid,
        kind: Kind,
        record: Option<Uuid>,
    ) -> DomainResult<Decision> {
        let decision = match self.decide_read(child, kind, RecordFacts::default()).await {
            Err(DomainError::NotFound) => {
                self.record_denied_unseen(child, kind, record, Action::Read)
                    .await?;
                return Err(DomainError::NotFound);
            }
            other => other?,
        };
        self.record_access(Some(child), kind, record, Action::Read, decision);
        match decision {
            Decision::Denied => Err(DomainError::cannot_read(kind)),
            allowed => Ok(allowed),
        }
    }

    /// Whether the caller may also read restricted records of `kind` for this child.
    async fn sees_restricted(&self, child: Uuid, kind: Kind) -> DomainResult<bool> {
        Ok(self
            .decide_read(
                child,
                kind,
                RecordFacts {
                    restricted: true,
                    ..Default::default()
                },
            )
            .await?
            .is_allowed())
    }
}

/// One child, if the caller may see them.
pub async fn child(req: &Request, id: Uuid) -> DomainResult<e::child::Model> {
    req.require_read(id, Kind::ChildProfile, Some(id)).await?;
    e::child::Entity::find_by_id(id)
        .filter(e::child::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The children the caller may see, filtered, ordered by legal name.
pub async fn children(
    req: &Request,
    filter: &ChildFilter,
    args: &PageArgs,
) -> DomainResult<Page<e::child::Model>> {
    use e::{child as c, placement as p};
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    let scope = req
        .access
        .read_scope(&req.txn, Kind::ChildProfile)
        .await
        .map_err(authz_error)?;
    let mut ids: Vec<Uuid> = scope.children;
    if filter.my_key_children {
        ids.retain(|id| access.get(id).is_some_and(|a| a.holds(Basis::KeyTeam)));
    }
    let today = req.now.date_naive();
    let open = Expr::col((p::Entity, p::Column::EndDate))
        .is_null()
        .or(Expr::col((p::Entity, p::Column::EndDate)).gt(today));
    let mut placements = Query::select();
    placements
        .column(p::Column::ChildId)
        .from(p::Entity)
        .and_where(open.clone());
    if let Some(home) = filter.home {
        placements.and_where(Expr::col((p::Entity, p::Column::HomeId)).eq(home));
    }
    let mut cond = Condition::all()
        .add(c::Column::TenantId.eq(req.identity.tenant_id))
        .add(c::Column::Id.is_in(ids));
    cond = match filter.placement {
        PlacementState::Open => cond.add(c::Column::Id.in_subquery(placements)),
        PlacementState::Closed => {
            let mut any_home = Query::select();
            any_home.column(p::Column::ChildId).from(p::Entity);
            if let Some(home) = filter.home {
                any_home.and_where(Expr::col((p::Entity, p::Column::HomeId)).eq(home));
            }
            cond.add(c::Column::Id.not_in_subquery(placements))
                .add(c::Column::Id.in_subquery(any_home))
        }
        PlacementState::Any => match filter.home {
            Some(home) => {
                let mut any_home = Query::select();
                any_home
                    .column(p::Column::ChildId)
                    .from(p::Entity)
                    .and_where(Expr::col((p::Entity, p::Column::HomeId)).eq(home));
                cond.add(c::Column::Id.in_subquery(any_home))
            }
            None => cond,
        },
    };
    if let Some(name) = filter
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if name.len() > 100 {
            return Err(DomainError::bad_input(
                "filter.name",
                "may be at most 100 characters",
            ));
        }
        let pattern = format!(
            "%{}%",
            name.to_lowercase().replace('%', "\\%").replace('_', "\\_")
        );
        let lower = |col: c::Column| Expr::expr(Func::lower(Expr::col(col)));
        cond = cond.add(
            Condition::any()
                .add(lower(c::Column::LegalName).like(pattern.as_str()))
                .add(lower(c::Column::PreferredName).like(pattern.as_str())),
        );
    }
    let ordering = Ordering {
        sort: c::Column::LegalName,
        id: c::Column::Id,
        kind: SortKind::Text,
        descending: false,
    };
    let page = page(
        &req.txn,
        c::Entity::find().filter(cond),
        ordering,
        args,
        |m| (SortValue::Text(m.legal_name.clone()), m.id),
    )
    .await?;
    for (_, child) in &page.rows {
        let decision = access
            .get(&child.id)
            .map(|a| req.access.sees(a))
            .unwrap_or(Decision::Denied);
        req.record_access(
            Some(child.id),
            Kind::ChildProfile,
            Some(child.id),
            Action::Read,
            decision,
        );
    }
    Ok(page)
}

/// Requires reading `kind` of each child, as [`Request::require_read`] does (each decision
/// noted in the access log): the children that may be read, in the order given; the error
/// of each other child (FORBIDDEN, NOT_FOUND) is put in `out`.
async fn require_read_each<T>(
    req: &Request,
    children: &[Uuid],
    kind: Kind,
    out: &mut ByChild<T>,
) -> Vec<Uuid> {
    let mut readable = Vec::new();
    for child in children {
        match req.require_read(*child, kind, None).await {
            Ok(_) => readable.push(*child),
            Err(e) => {
                out.insert(*child, Err(e));
            }
        }
    }
    readable
}

/// Per child of a batched look-up: its result, or its error (FORBIDDEN, NOT_FOUND) when the
/// caller may not read it.
pub type ByChild<T> = std::collections::HashMap<Uuid, DomainResult<T>>;

/// A child's placements, newest first (with the child profile's access).
pub async fn placements(
    req: &Request,
    child: Uuid,
    args: &PageArgs,
) -> DomainResult<Page<(e::placement::Model, Option<e::home::Model>)>> {
    let rows = one_child(placements_of(req, &[child]).await?, child)?;
    crate::pages::page_in_memory(rows, args, |(p, _)| p.id)
}

/// The result of a batched look-up for its one child.
fn one_child<T: Default>(mut found: ByChild<T>, child: Uuid) -> DomainResult<T> {
    found.remove(&child).unwrap_or_else(|| Ok(T::default()))
}

/// A child's placements with their homes, newest first.
pub type PlacementHistory = Vec<(e::placement::Model, Option<e::home::Model>)>;

/// The placement histories of many children in ONE statement, newest first, each with the
/// child profile's access (decided and noted child by child): per child its whole history
/// (paged in memory, as [`placements`] does), or its error when the caller may not see it.
pub async fn placements_of(
    req: &Request,
    children: &[Uuid],
) -> DomainResult<ByChild<PlacementHistory>> {
    use e::placement as p;
    let mut out = std::collections::HashMap::new();
    let readable = require_read_each(req, children, Kind::ChildProfile, &mut out).await;
    if readable.is_empty() {
        return Ok(out);
    }
    let rows = p::Entity::find()
        .filter(p::Column::TenantId.eq(req.identity.tenant_id))
        .filter(p::Column::ChildId.is_in(readable.iter().copied()))
        .find_also_related(e::home::Entity)
        .order_by_desc(p::Column::AdmissionDate)
        .order_by_desc(p::Column::Id)
        .all(&req.txn)
        .await?;
    let mut grouped: std::collections::HashMap<Uuid, PlacementHistory> =
        readable.iter().map(|c| (*c, Vec::new())).collect();
    for row in rows {
        grouped.entry(row.0.child_id).or_default().push(row);
    }
    out.extend(grouped.into_iter().map(|(child, rows)| (child, Ok(rows))));
    Ok(out)
}

/// A child's key team with its history: every assignment, current first, with the member.
pub async fn key_team(
    req: &Request,
    child: Uuid,
    args: &PageArgs,
) -> DomainResult<Page<(e::key_team_assignment::Model, Option<e::user::Model>)>> {
    let rows = one_child(key_teams(req, &[child]).await?, child)?;
    crate::pages::page_in_memory(rows, args, |(a, _)| a.id)
}

/// A child's key team assignments with their members: current first, each group newest
/// first.
pub type KeyTeamHistory = Vec<(e::key_team_assignment::Model, Option<e::user::Model>)>;

/// The key teams of many children in ONE statement (decided and noted child by child, as
/// [`key_team`] does): per child every assignment, current first, or its error (FORBIDDEN,
/// NOT_FOUND) when the caller may not read it.
pub async fn key_teams(req: &Request, children: &[Uuid]) -> DomainResult<ByChild<KeyTeamHistory>> {
    use e::key_team_assignment as k;
    let mut out = std::collections::HashMap::new();
    let readable = require_read_each(req, children, Kind::KeyTeam, &mut out).await;
    if readable.is_empty() {
        return Ok(out);
    }
    let rows = k::Entity::find()
        .filter(k::Column::TenantId.eq(req.identity.tenant_id))
        .filter(k::Column::ChildId.is_in(readable.iter().copied()))
        .find_also_related(e::user::Entity)
        .order_by_desc(k::Column::StartDate)
        .order_by_desc(k::Column::Id)
        .all(&req.txn)
        .await?;
    let mut grouped: std::collections::HashMap<Uuid, KeyTeamHistory> =
        readable.iter().map(|c| (*c, Vec::new())).collect();
    for row in rows {
        grouped.entry(row.0.child_id).or_default().push(row);
    }
    for (child, mut rows) in grouped {
        // Current assignments first; each group newest first (the sort is stable).
        rows.sort_by_key(|(a, _)| a.end_date.is_some());
        out.insert(child, Ok(rows));
    }
    Ok(out)
}

/// The homes the caller works in or whose children they may see; every home of the council
/// for the tenant administrator and council reporting. By name.
pub async fn homes(req: &Request, args: &PageArgs) -> DomainResult<Page<e::home::Model>> {
    let rows = all_homes(req).await?;
    crate::pages::page_in_memory(rows, args, |h| h.id)
}

async fn all_homes(req: &Request) -> DomainResult<Vec<e::home::Model>> {
    use e::home as h;
    Ok(visible_homes(req)
        .await?
        .order_by_asc(h::Column::Name)
        .order_by_asc(h::Column::Id)
        .all(&req.txn)
        .await?)
}

/// The homes the caller may see, as a query (of the caller's council only).
async fn visible_homes(req: &Request) -> DomainResult<Select<e::home::Entity>> {
    use e::home as h;
    let all = req
        .access
        .decide_for_tenant(Kind::Homes, Action::Read)
        .is_allowed()
        || req
            .access
            .decide_for_tenant(Kind::CouncilReport, Action::Read)
            .is_allowed();
    let mut select = h::Entity::find().filter(h::Column::TenantId.eq(req.identity.tenant_id));
    if !all {
        let today = req.now.date_naive();
        let mut memberships = Query::select();
        memberships
            .column(e::home_membership::Column::HomeId)
            .from(e::home_membership::Entity)
            .and_where(Expr::col(e::home_membership::Column::UserId).eq(req.identity.user_id))
            .and_where(Expr::col(e::home_membership::Column::StartDate).lte(today))
            .and_where(
                Expr::col(e::home_membership::Column::EndDate)
                    .is_null()
                    .or(Expr::col(e::home_membership::Column::EndDate).gt(today)),
            );
        let visible: Vec<Uuid> = req
            .access
            .read_scope(&req.txn, Kind::ChildProfile)
            .await
            .map_err(authz_error)?
            .children;
        let mut children_homes = Query::select();
        children_homes
            .column(e::placement::Column::HomeId)
            .from(e::placement::Entity)
            .and_where(Expr::col(e::placement::Column::ChildId).is_in(visible))
            .and_where(
                Expr::col(e::placement::Column::EndDate)
                    .is_null()
                    .or(Expr::col(e::placement::Column::EndDate).gt(today)),
            );
        select = select.filter(
            Condition::any()
                .add(h::Column::Id.in_subquery(memberships))
                .add(h::Column::Id.in_subquery(children_homes)),
        );
    }
    Ok(select)
}

/// One home, if the caller may see it.
pub async fn home(req: &Request, id: Uuid) -> DomainResult<e::home::Model> {
    visible_homes(req)
        .await?
        .filter(e::home::Column::Id.eq(id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)
}

/// How a kind of child record is stored and listed.
pub struct RecordTable<E: EntityTrait> {
    pub kind: Kind,
    pub id: E::Column,
    /// The council the record belongs to: every look-up filters on it in SQL.
    pub tenant: E::Column,
    pub version: E::Column,
    pub child: E::Column,
    pub restricted: E::Column,
    pub ordering: Ordering<E::Column>,
    pub key: fn(&E::Model) -> (SortValue, Uuid),
    /// The columns of the people a row names (author, held by, ...): their names and job
    /// titles are joined to its page.
    pub people: &'static [&'static str],
    /// The columns every child record has.
    pub row: fn(&E::Model) -> Row,
    /// Whether the record has been submitted (review reports; false for other kinds).
    pub submitted: fn(&E::Model) -> bool,
}

/// The columns every child record has, read off a row.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub id: Uuid,
    pub tenant: Uuid,
    pub child: Uuid,
    pub author: Uuid,
    pub restricted: bool,
    pub version: i32,
}

/// A page of a child's records of one kind, newest first. Restricted records appear only
/// to the bases that may see them; the read is noted in the access log.
pub async fn records<E: EntityTrait>(
    req: &Request,
    child: Uuid,
    table: &RecordTable<E>,
    args: &PageArgs,
    extra: Condition,
) -> DomainResult<Page<E::Model>> {
    req.require_read(child, table.kind, None).await?;
    let mut select: Select<E> = E::find()
        .filter(table.tenant.eq(req.identity.tenant_id))
        .filter(table.child.eq(child))
        .filter(extra);
    if !req.sees_restricted(child, table.kind).await? {
        select = select.filter(table.restricted.eq(false));
    }
    page(&req.txn, select, table.ordering, args, table.key).await
}

/// One record by id of a kind, if the caller may read it (NOT_FOUND otherwise, also when
/// it is restricted and they may not see restricted records).
pub async fn record<E: EntityTrait>(
    req: &Request,
    id: Uuid,
    table: &RecordTable<E>,
) -> DomainResult<E::Model>
where
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    // A record of another council is never loaded (nor logged): it does not exist here.
    let Some(model) = E::find_by_id(id)
        .filter(table.tenant.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
    else {
        return Err(DomainError::NotFound);
    };
    let row = (table.row)(&model);
    let facts = RecordFacts {
        restricted: row.restricted,
        submitted: (table.submitted)(&model),
        ..Default::default()
    };
    let decision = match req.decide_read(row.child, table.kind, facts).await {
        Ok(d) => d,
        Err(e) => {
            req.record_access(
                Some(row.child),
                table.kind,
                Some(id),
                Action::Read,
                Decision::Denied,
            );
            return Err(e);
        }
    };
    req.record_access(
        Some(row.child),
        table.kind,
        Some(id),
        Action::Read,
        decision,
    );
    if decision.is_allowed() {
        Ok(model)
    } else {
        Err(DomainError::NotFound)
    }
}

/// How each record kind of the care record is listed: newest first by its own date.
pub mod tables {
    use super::{RecordTable, Row};
    use crate::pages::{Ordering, SortKind, SortValue};
    use keycare_authz::Kind;
    use keycare_entity as e;
    use keycare_entity::enums::ReportStatus;

    macro_rules! table {
        ($name:ident, $m:ident, $kind:expr, $sort:ident, $sort_kind:ident, $value:expr) => {
            table!($name, $m, $kind, $sort, $sort_kind, $value, &["author_id"]);
        };
        ($name:ident, $m:ident, $kind:expr, $sort:ident, $sort_kind:ident, $value:expr, $people:expr) => {
            table!(
                $name,
                $m,
                $kind,
                $sort,
                $sort_kind,
                $value,
                $people,
                |_: &e::$m::Model| false
            );
        };
        ($name:ident, $m:ident, $kind:expr, $sort:ident, $sort_kind:ident, $value:expr, $people:expr, $submitted:expr) => {
            /// The record table of this kind.
            pub fn $name() -> RecordTable<e::$m::Entity> {
                use e::$m::Column as C;
                RecordTable {
                    kind: $kind,
                    id: C::Id,
                    tenant: C::TenantId,
                    version: C::Version,
                    child: C::ChildId,
                    restricted: C::Restricted,
                    ordering: Ordering {
                        sort: C::$sort,
                        id: C::Id,
                        kind: SortKind::$sort_kind,
                        descending: true,
                    },
                    key: |m| ($value(m), m.id),
                    people: $people,
                    row: |m| Row {
                        id: m.id,
                        tenant: m.tenant_id,
                        child: m.child_id,
                        author: m.author_id,
                        restricted: m.restricted,
                        version: m.version,
                    },
                    submitted: $submitted,
                }
            }
        };
    }

    table!(
        key_sessions,
        key_session,
        Kind::KeySession,
        PlannedAt,
        DateTime,
        |m: &e::key_session::Model| SortValue::DateTime(m.planned_at),
        &["author_id", "held_by_id"]
    );
    table!(
        monthly_summaries,
        monthly_summary,
        Kind::MonthlySummary,
        Month,
        Date,
        |m: &e::monthly_summary::Model| SortValue::Date(m.month),
        &["author_id", "written_by_id", "acknowledged_by_id"]
    );
    table!(
        daily_logs,
        daily_log,
        Kind::DailyLog,
        OccurredAt,
        DateTime,
        |m: &e::daily_log::Model| SortValue::DateTime(m.occurred_at)
    );
    table!(
        care_plans,
        care_plan,
        Kind::CarePlan,
        VersionNumber,
        Int,
        |m: &e::care_plan::Model| SortValue::Int(m.version_number.into())
    );
    table!(
        care_plan_reviews,
        care_plan_review,
        Kind::CarePlan,
        ReviewedOn,
        Date,
        |m: &e::care_plan_review::Model| SortValue::Date(m.reviewed_on)
    );
    table!(
        safe_care_risks,
        safe_care_risk,
        Kind::SafeCarePlan,
        CreatedAt,
        DateTime,
        |m: &e::safe_care_risk::Model| SortValue::DateTime(m.created_at)
    );
    table!(
        safe_care_reviews,
        safe_care_review,
        Kind::SafeCarePlan,
        ReviewedOn,
        Date,
        |m: &e::safe_care_review::Model| SortValue::Date(m.reviewed_on)
    );
    table!(
        statutory_reviews,
        statutory_review,
        Kind::StatutoryReview,
        ScheduledFor,
        Date,
        |m: &e::statutory_review::Model| SortValue::Date(m.scheduled_for),
        &["author_id", "iro_id"]
    );
    table!(
        review_reports,
        review_report,
        Kind::ReviewReport,
        CreatedAt,
        DateTime,
        |m: &e::review_report::Model| SortValue::DateTime(m.created_at),
        &["author_id"],
        |m: &e::review_report::Model| m.status == ReportStatus::Submitted
    );
    table!(
        consultation_booklets,
        consultation_booklet,
        Kind::ConsultationBooklet,
        ReceivedOn,
        Date,
        |m: &e::consultation_booklet::Model| SortValue::Date(m.received_on)
    );
    table!(
        health_registrations,
        health_registration,
        Kind::HealthPlan,
        RegisteredOn,
        Date,
        |m: &e::health_registration::Model| SortValue::Date(m.registered_on)
    );
    table!(
        health_assessments,
        health_assessment,
        Kind::HealthPlan,
        AssessedOn,
        Date,
        |m: &e::health_assessment::Model| SortValue::Date(m.assessed_on)
    );
    table!(
        health_appointments,
        health_appointment,
        Kind::HealthRecord,
        ScheduledAt,
        DateTime,
        |m: &e::health_appointment::Model| SortValue::DateTime(m.scheduled_at)
    );
    table!(
        health_measurements,
        health_measurement,
        Kind::HealthRecord,
        MeasuredOn,
        Date,
        |m: &e::health_measurement::Model| SortValue::Date(m.measured_on)
    );
    table!(
        medication_records,
        medication_record,
        Kind::HealthRecord,
        GivenAt,
        DateTime,
        |m: &e::medication_record::Model| SortValue::DateTime(m.given_at),
        &["author_id", "given_by_id"]
    );
    table!(
        education_placements,
        education_placement,
        Kind::Education,
        StartDate,
        Date,
        |m: &e::education_placement::Model| SortValue::Date(m.start_date)
    );
    table!(
        school_liaisons,
        school_liaison,
        Kind::Education,
        WeekOf,
        Date,
        |m: &e::school_liaison::Model| SortValue::Date(m.week_of)
    );
    table!(
        pep_meetings,
        pep_meeting,
        Kind::Education,
        HeldOn,
        Date,
        |m: &e::pep_meeting::Model| SortValue::Date(m.held_on)
    );
    table!(
        exclusions,
        exclusion,
        Kind::Education,
        StartDate,
        Date,
        |m: &e::exclusion::Model| SortValue::Date(m.start_date)
    );
    table!(
        significant_people,
        significant_person,
        Kind::Family,
        CreatedAt,
        DateTime,
        |m: &e::significant_person::Model| SortValue::DateTime(m.created_at)
    );
    table!(
        contact_arrangements,
        contact_arrangement,
        Kind::Family,
        CreatedAt,
        DateTime,
        |m: &e::contact_arrangement::Model| SortValue::DateTime(m.created_at)
    );
    table!(
        contact_restrictions,
        contact_restriction,
        Kind::Family,
        AgreedOn,
        Date,
        |m: &e::contact_restriction::Model| SortValue::Date(m.agreed_on)
    );
    table!(
        contact_visits,
        contact_visit,
        Kind::Family,
        VisitAt,
        DateTime,
        |m: &e::contact_visit::Model| SortValue::DateTime(m.visit_at)
    );
    table!(
        missing_episodes,
        missing_episode,
        Kind::MissingEpisode,
        WentMissingAt,
        DateTime,
        |m: &e::missing_episode::Model| SortValue::DateTime(m.went_missing_at)
    );
    table!(
        file_audits,
        file_audit,
        Kind::FileAudit,
        WeekOf,
        Date,
        |m: &e::file_audit::Model| SortValue::Date(m.week_of),
        &["author_id", "signed_by_id"]
    );
    table!(
        clothing_entries,
        clothing_entry,
        Kind::Clothing,
        EntryOn,
        Date,
        |m: &e::clothing_entry::Model| SortValue::Date(m.entry_on),
        &["author_id", "ordered_via_id"]
    );
    table!(
        pathway_plans,
        pathway_plan,
        Kind::PathwayPlan,
        CreatedAt,
        DateTime,
        |m: &e::pathway_plan::Model| SortValue::DateTime(m.created_at),
        &["author_id", "leaving_care_worker_id"]
    );
    table!(
        weekly_plans,
        weekly_plan,
        Kind::WeeklyPlan,
        WeekOf,
        Date,
        |m: &e::weekly_plan::Model| SortValue::Date(m.week_of)
    );
    table!(
        chronology_entries,
        chronology_entry,
        Kind::Chronology,
        OccurredOn,
        Date,
        |m: &e::chronology_entry::Model| SortValue::Date(m.occurred_on)
    );
}

/// Requires reading a child's IPCP (its versions and reviews are then listed by kind).
pub async fn care_plan(req: &Request, child: Uuid) -> DomainResult<()> {
    req.require_read(child, Kind::CarePlan, None)
        .await
        .map(|_| ())
}

/// A child's Safe Care Plan, if one has been written.
pub async fn safe_care_plan(
    req: &Request,
    child: Uuid,
) -> DomainResult<Option<e::safe_care_plan::Model>> {
    one_child(safe_care_plans(req, &[child]).await?, child)
}

/// The Safe Care Plans of many children in ONE statement (decided and noted child by child,
/// as [`safe_care_plan`] does): per child its plan (None when none is written, or when it is
/// restricted and the caller may not see restricted plans), or its error (FORBIDDEN,
/// NOT_FOUND) when the caller may not read it.
pub async fn safe_care_plans(
    req: &Request,
    children: &[Uuid],
) -> DomainResult<ByChild<Option<e::safe_care_plan::Model>>> {
    use e::safe_care_plan as s;
    let mut out = std::collections::HashMap::new();
    let readable = require_read_each(req, children, Kind::SafeCarePlan, &mut out).await;
    if readable.is_empty() {
        return Ok(out);
    }
    let mut restricted_ok = Vec::new();
    for child in &readable {
        if req.sees_restricted(*child, Kind::SafeCarePlan).await? {
            restricted_ok.push(*child);
        }
    }
    let rows = s::Entity::find()
        .filter(s::Column::TenantId.eq(req.identity.tenant_id))
        .filter(s::Column::ChildId.is_in(readable.iter().copied()))
        .filter(
            Condition::any()
                .add(s::Column::Restricted.eq(false))
                .add(s::Column::ChildId.is_in(restricted_ok)),
        )
        .all(&req.txn)
        .await?;
    let mut found: std::collections::HashMap<Uuid, e::safe_care_plan::Model> =
        rows.into_iter().map(|m| (m.child_id, m)).collect();
    for child in readable {
        out.insert(child, Ok(found.remove(&child)));
    }
    Ok(out)
}

/// What the caller may read and write for a child, kind by kind (for `Child.viewerCan`).
pub async fn viewer_can(req: &Request, child: Uuid) -> DomainResult<Vec<(Kind, bool, bool)>> {
    req.decide_read(child, Kind::ChildProfile, RecordFacts::default())
        .await?;
    req.access
        .viewer_can(&req.txn, child)
        .await
        .map_err(authz_error)
}

/// First pages of many children, and the people their rows name (id, name, job title).
pub struct FirstPages<M> {
    pub pages: std::collections::HashMap<Uuid, DomainResult<Page<M>>>,
    pub people: Vec<(Uuid, String, Option<String>)>,
}

/// The first page (`first` rows, newest first) of one kind of record for many children in
/// ONE statement, with the names of the people the rows name joined in, so a list of children with their records costs the same number of
/// statements for 1 child or 50. Each child is decided and logged as with [`records`]; a
/// child the caller may not read gets its error instead of a page (and, as with
/// [`records`], a child that may be read gets BAD_INPUT for a `first` out of range).
pub async fn first_pages<E>(
    req: &Request,
    table: &RecordTable<E>,
    children: &[Uuid],
    first: Option<i32>,
) -> DomainResult<FirstPages<E::Model>>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Sync,
{
    first_pages_where(req, table, children, first, Condition::all()).await
}

/// As [`first_pages`], of the records that also meet `extra` (as `extra` of [`records`]):
/// the current version of many children's care plans is the first page, of one row, of
/// their published versions.
pub async fn first_pages_where<E>(
    req: &Request,
    table: &RecordTable<E>,
    children: &[Uuid],
    first: Option<i32>,
    extra: Condition,
) -> DomainResult<FirstPages<E::Model>>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Sync,
{
    use sea_orm::sea_query::{Alias, Asterisk, WindowStatement};
    use sea_orm::{ConnectionTrait, FromQueryResult, QueryTrait};
    let mut out = std::collections::HashMap::new();
    let readable = require_read_each(req, children, table.kind, &mut out).await;
    let mut restricted_ok = Vec::new();
    for child in &readable {
        if req.sees_restricted(*child, table.kind).await? {
            restricted_ok.push(*child);
        }
    }
    // The page size is checked once the reads are decided and noted, as `records` does.
    let n = match crate::pages::page_size_for(first) {
        Ok(n) => n,
        Err(_) => {
            for child in readable {
                if let Err(e) = crate::pages::page_size_for(first) {
                    out.insert(child, Err(e));
                }
            }
            return Ok(FirstPages {
                pages: out,
                people: Vec::new(),
            });
        }
    };
    if readable.is_empty() {
        return Ok(FirstPages {
            pages: out,
            people: Vec::new(),
        });
    }
    let rn = Alias::new("kc_rn");
    let window = WindowStatement::partition_by(table.child)
        .order_by(table.ordering.sort, sea_orm::Order::Desc)
        .order_by(table.ordering.id, sea_orm::Order::Desc)
        .to_owned();
    let mut inner = E::find()
        .filter(table.tenant.eq(req.identity.tenant_id))
        .filter(table.child.is_in(readable.iter().copied()))
        .filter(
            Condition::any()
                .add(table.restricted.eq(false))
                .add(table.child.is_in(restricted_ok)),
        )
        .filter(extra)
        .into_query();
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, rn.clone());
    let ranked = Alias::new("ranked");
    let mut outer = Query::select();
    outer
        .column((ranked.clone(), Asterisk))
        .from_subquery(inner, ranked.clone())
        .and_where(Expr::col((ranked.clone(), rn.clone())).lte(n as i64 + 1))
        .order_by((ranked.clone(), rn), sea_orm::Order::Asc);
    // The names of the people the rows name, looked up by primary key for the page's rows
    // only (scalar subqueries: a join would hash the council's whole user table).
    use sea_orm::sea_query::QueryStatementBuilder;
    for (i, column) in table.people.iter().enumerate() {
        for (field, alias) in [
            (e::user::Column::Name, format!("kc_p{i}_name")),
            (e::user::Column::JobTitle, format!("kc_p{i}_title")),
        ] {
            let lookup = Query::select()
                .column((e::user::Entity, field))
                .from(e::user::Entity)
                .and_where(
                    Expr::col((e::user::Entity, e::user::Column::Id))
                        .equals((ranked.clone(), Alias::new(*column))),
                )
                .to_owned();
            outer.expr_as(
                sea_orm::sea_query::SimpleExpr::SubQuery(
                    None,
                    Box::new(lookup.into_sub_query_statement()),
                ),
                Alias::new(alias),
            );
        }
    }
    let rows = req.txn.query_all(&outer).await?;
    let mut grouped: std::collections::HashMap<Uuid, Vec<E::Model>> =
        std::collections::HashMap::new();
    let mut people = Vec::new();
    for row in rows {
        let model = E::Model::from_query_result(&row, "")?;
        let child: Uuid = row.try_get("", sea_orm::IdenStatic::as_str(&table.child))?;
        for (i, column) in table.people.iter().enumerate() {
            let id: Option<Uuid> = row.try_get("", column)?;
            let name: Option<String> = row.try_get("", &format!("kc_p{i}_name"))?;
            if let (Some(id), Some(name)) = (id, name) {
                let title: Option<String> = row.try_get("", &format!("kc_p{i}_title"))?;
                people.push((id, name, title));
            }
        }
        grouped.entry(child).or_default().push(model);
    }
    for child in readable {
        let mut rows = grouped.remove(&child).unwrap_or_default();
        let more = rows.len() as u64 > n;
        rows.truncate(n as usize);
        let rows = rows
            .into_iter()
            .map(|m| {
                let (sort, id) = (table.key)(&m);
                (crate::pages::Cursor { sort, id }, m)
            })
            .collect();
        out.insert(
            child,
            Ok(Page {
                rows,
                has_next_page: more,
                has_previous_page: false,
            }),
        );
    }
    Ok(FirstPages { pages: out, people })
}

/// Records of one kind by id, in one query: those of the caller's council that the caller
/// may read (the query filters by the tenant and by the kind's read scope, so no row is
/// fetched only to be hidden). Each read is noted.
///
/// The ids come from records the caller has read (the person a contact arrangement or visit
/// names): an id of this council the caller may not read (a restricted person for a viewer
/// who may not see restricted records) is an attempt the access log notes as denied, with
/// the child it belongs to (only the record's child is looked up, never its content). An id
/// of another council is neither loaded nor logged: it does not exist here.
pub async fn records_by_ids<E: EntityTrait>(
    req: &Request,
    table: &RecordTable<E>,
    ids: &[Uuid],
) -> DomainResult<std::collections::HashMap<Uuid, E::Model>> {
    use sea_orm::QuerySelect;
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let tenant = req.identity.tenant_id;
    let scope = req
        .access
        .read_scope(&req.txn, table.kind)
        .await
        .map_err(authz_error)?;
    let rows = E::find()
        .filter(table.tenant.eq(tenant))
        .filter(table.id.is_in(ids.iter().copied()))
        .filter(scope.condition(table.child, table.restricted))
        .all(&req.txn)
        .await?;
    for model in rows {
        let row = (table.row)(&model);
        let facts = RecordFacts {
            restricted: row.restricted,
            submitted: (table.submitted)(&model),
            ..Default::default()
        };
        // In the scope, so readable: the decision names the basis for the log.
        let decision = match req.decide_read(row.child, table.kind, facts).await {
            Ok(d) => d,
            Err(DomainError::NotFound) => Decision::Denied,
            Err(other) => return Err(other),
        };
        if decision.is_allowed() {
            req.record_access(
                Some(row.child),
                table.kind,
                Some(row.id),
                Action::Read,
                decision,
            );
            out.insert(row.id, model);
        }
    }
    let unread: std::collections::BTreeSet<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !out.contains_key(id))
        .collect();
    if unread.is_empty() {
        return Ok(out);
    }
    // The child of each record of this council left out (id and child only).
    let denied: Vec<(Uuid, Uuid)> = E::find()
        .select_only()
        .column(table.id)
        .column(table.child)
        .filter(table.tenant.eq(tenant))
        .filter(table.id.is_in(unread))
        .into_tuple()
        .all(&req.txn)
        .await?;
    for (id, child) in denied {
        req.record_access(
            Some(child),
            table.kind,
            Some(id),
            Action::Read,
            Decision::Denied,
        );
    }
    Ok(out)
}

/// Children by id, in one query: those the caller may see (the others are left out). Each
/// is noted as a read of the child's profile.
pub async fn children_by_ids(
    req: &Request,
    ids: &[Uuid],
) -> DomainResult<std::collections::HashMap<Uuid, e::child::Model>> {
    let access = req.access.children(&req.txn).await.map_err(authz_error)?;
    let visible: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| {
            access
                .get(id)
                .is_some_and(|a| req.access.sees(a).is_allowed())
        })
        .collect();
    if visible.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows = e::child::Entity::find()
        .filter(e::child::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::child::Column::Id.is_in(visible))
        .all(&req.txn)
        .await?;
    let mut out = std::collections::HashMap::new();
    for child in rows {
        if let Some(a) = access.get(&child.id) {
            let decision = req.access.sees(a);
            req.record_access(
                Some(child.id),
                Kind::ChildProfile,
                Some(child.id),
                Action::Read,
                decision,
            );
        }
        out.insert(child.id, child);
    }
    Ok(out)
}
