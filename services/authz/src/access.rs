//! A caller's access: their tenant roles, and their bases for each child, computed from
//! assignments, memberships, allocations and placements with their dates in ONE query per
//! request, then reused for every decision and every list scope of that request.

use crate::error::AuthzError;
use crate::policy::Policy;
use crate::vocabulary::{Action, Basis, Kind};
use chrono::NaiveDate;
use keycare_entity as e;
use keycare_entity::enums::{AllocationKind, HomeRole, TenantRoleKind};
use sea_orm::sea_query::{
    Alias, CaseStatement, Expr, ExprTrait, Query, SelectStatement, UnionType,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use tokio::sync::OnceCell;
use uuid::Uuid;

/// One basis a caller holds for a child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub basis: Basis,
    /// A manager's access to a child whose placement in their home has closed: read only.
    pub read_only: bool,
}

/// Everything a caller holds for one child.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildAccess {
    pub grants: Vec<Grant>,
}

impl ChildAccess {
    /// Whether the caller holds this basis for the child now (e.g. key_team: "my key
    /// children").
    pub fn holds(&self, basis: Basis) -> bool {
        self.grants.iter().any(|g| g.basis == basis)
    }
}

/// The outcome of a decision: which basis allowed it (for the access log), or a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed(Basis),
    Denied,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        matches!(self, Decision::Allowed(_))
    }

    /// The basis that allowed it.
    pub fn basis(self) -> Option<Basis> {
        match self {
            Decision::Allowed(b) => Some(b),
            Decision::Denied => None,
        }
    }
}

/// Who is asking: loaded once per request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    /// False for a deactivated user: they hold no basis at all.
    pub active: bool,
    pub tenant_roles: Vec<TenantRoleKind>,
    /// The day relationships are judged on.
    pub today: NaiveDate,
}

/// A caller's access for the length of one request.
#[derive(Debug)]
pub struct Access {
    policy: Policy,
    principal: Principal,
    children: OnceCell<HashMap<Uuid, ChildAccess>>,
}

/// What a list may contain for a kind: the children whose records of that kind the caller
/// may read, and those whose restricted records they may also read. It becomes SQL
/// predicates (`child_id IN (...)`), so a list never fetches rows it must hide.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    pub children: Vec<Uuid>,
    pub restricted_children: Vec<Uuid>,
}

impl Scope {
    /// The predicate for a child-record table with `child_id` and `restricted` columns.
    pub fn condition<C: ColumnTrait>(&self, child_col: C, restricted_col: C) -> sea_orm::Condition {
        sea_orm::Condition::all()
            .add(child_col.is_in(self.children.iter().copied()))
            .add(
                sea_orm::Condition::any()
                    .add(restricted_col.eq(false))
                    .add(child_col.is_in(self.restricted_children.iter().copied())),
            )
    }
}

fn tenant_basis(role: TenantRoleKind) -> Option<Basis> {
    match role {
        TenantRoleKind::Dpo => Some(Basis::Dpo),
        TenantRoleKind::Reporting => Some(Basis::Reporting),
        TenantRoleKind::TenantAdmin => Some(Basis::TenantAdmin),
        // Social workers and IROs hold bases through allocations, child by child.
        TenantRoleKind::SocialWorker | TenantRoleKind::Iro => None,
    }
}

impl Access {
    /// Loads the principal (account and tenant roles) within the tenant's transaction.
    pub async fn load<C: ConnectionTrait>(
        conn: &C,
        policy: Policy,
        user_id: Uuid,
        tenant_id: Uuid,
        today: NaiveDate,
    ) -> Result<Access, AuthzError> {
        let user = e::user::Entity::find_by_id(user_id)
            .filter(e::user::Column::TenantId.eq(tenant_id))
            .one(conn)
            .await?;
        let active = user.as_ref().is_some_and(|u| u.active);
        let tenant_roles = if active {
            e::tenant_role::Entity::find()
                .filter(e::tenant_role::Column::UserId.eq(user_id))
                .filter(e::tenant_role::Column::TenantId.eq(tenant_id))
                .filter(e::tenant_role::Column::RevokedAt.is_null())
                .all(conn)
                .await?
                .into_iter()
                .map(|r| r.role)
                .collect()
        } else {
            Vec::new()
        };
        Ok(Access::new(
            policy,
            Principal {
                user_id,
                tenant_id,
                active,
                tenant_roles,
                today,
            },
        ))
    }

    /// Access for a principal already known (tests, benchmarks).
    pub fn new(policy: Policy, principal: Principal) -> Access {
        Access {
            policy,
            principal,
            children: OnceCell::new(),
        }
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The caller's bases for every child they have any relationship with (one query, once).
    pub async fn children<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> Result<&HashMap<Uuid, ChildAccess>, AuthzError> {
        self.children
            .get_or_try_init(|| async {
                if !self.principal.active {
                    return Ok(HashMap::new());
                }
                load_child_bases(conn, &self.principal).await
            })
            .await
    }

    /// May the caller do `action` to records of `kind` of this child? The basis that allows
    /// it is returned for the access log. `author` is the author of the record acted on, for
    /// `write_own`; `restricted` whether that record is restricted.
    pub async fn decide_for_child<C: ConnectionTrait>(
        &self,
        conn: &C,
        child: Uuid,
        kind: Kind,
        action: Action,
        record: RecordFacts,
    ) -> Result<Decision, AuthzError> {
        let children = self.children(conn).await?;
        let Some(access) = children.get(&child) else {
            return Ok(Decision::Denied);
        };
        Ok(self.decide(access, kind, action, record))
    }

    /// May the caller see this child at all (read the child's profile)? A child the caller
    /// may not see does not exist for them: everything about it answers NOT_FOUND. The
    /// decision, with the basis that allows it, for the access log.
    pub fn sees(&self, access: &ChildAccess) -> Decision {
        self.decide(
            access,
            Kind::ChildProfile,
            Action::Read,
            RecordFacts::default(),
        )
    }

    /// The same decision for a child whose access is already in hand.
    pub fn decide(
        &self,
        access: &ChildAccess,
        kind: Kind,
        action: Action,
        record: RecordFacts,
    ) -> Decision {
        for grant in &access.grants {
            if record.restricted
                && !self
                    .policy
                    .allows(grant.basis, Kind::Restricted, Action::Read)
            {
                continue;
            }
            let writes = matches!(action, Action::Write | Action::WriteOwn);
            if (writes || record.current_placement) && grant.read_only {
                continue;
            }
            if self.policy.allows(grant.basis, kind, action) {
                return Decision::Allowed(grant.basis);
            }
            // Reading is also allowed to a basis that may read only submitted records, once
            // the record is submitted; writing to one that may change only its own records.
            if action == Action::Read
                && record.submitted
                && self.policy.allows(grant.basis, kind, Action::ReadSubmitted)
            {
                return Decision::Allowed(grant.basis);
            }
            if action == Action::Write
                && record.own
                && self.policy.allows(grant.basis, kind, Action::WriteOwn)
            {
                return Decision::Allowed(grant.basis);
            }
        }
        Decision::Denied
    }

    /// May the caller do `action` to `kind` for a home (e.g. admit a child to it), from their
    /// active membership of that home: manager, or staff and deputies (home_staff).
    pub async fn decide_for_home<C: ConnectionTrait>(
        &self,
        conn: &C,
        home: Uuid,
        kind: Kind,
        action: Action,
    ) -> Result<Decision, AuthzError> {
        use e::home_membership as hm;
        if !self.principal.active {
            return Ok(Decision::Denied);
        }
        let today = self.principal.today;
        let memberships = hm::Entity::find()
            .filter(hm::Column::TenantId.eq(self.principal.tenant_id))
            .filter(hm::Column::UserId.eq(self.principal.user_id))
            .filter(hm::Column::HomeId.eq(home))
            .filter(hm::Column::StartDate.lte(today))
            .filter(
                sea_orm::Condition::any()
                    .add(hm::Column::EndDate.is_null())
                    .add(hm::Column::EndDate.gt(today)),
            )
            .all(conn)
            .await?;
        Ok(memberships
            .iter()
            .map(|m| {
                if m.role == HomeRole::Manager {
                    Basis::Manager
                } else {
                    Basis::HomeStaff
                }
            })
            .find(|b| self.policy.allows(*b, kind, action))
            .map_or(Decision::Denied, Decision::Allowed))
    }

    /// May the caller do `action` to tenant-level information of `kind` (access log, users,
    /// identity providers, reports)?
    pub fn decide_for_tenant(&self, kind: Kind, action: Action) -> Decision {
        if !self.principal.active {
            return Decision::Denied;
        }
        self.principal
            .tenant_roles
            .iter()
            .filter_map(|r| tenant_basis(*r))
            .find(|b| self.policy.allows(*b, kind, action))
            .map_or(Decision::Denied, Decision::Allowed)
    }

    /// May the caller change the relationships (roles, memberships, allocations) of the
    /// account `target`? The policy's right over `kind` (users, allocations), and never over
    /// their own account: separation of duties, so that an administrator cannot give
    /// themselves access to children's records or the access log.
    pub fn decide_administration(&self, kind: Kind, target: Uuid) -> Decision {
        if target == self.principal.user_id {
            return Decision::Denied;
        }
        self.decide_for_tenant(kind, Action::Write)
    }

    /// The homes whose council reports the caller may read: every home of the council for a
    /// tenant role the policy lets read them (`reporting`), else the homes the caller
    /// manages today when the `manager` basis may. Aggregates only: this never opens a
    /// child's record.
    pub async fn report_homes<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> Result<ReportScope, AuthzError> {
        if let Decision::Allowed(basis) = self.decide_for_tenant(Kind::CouncilReport, Action::Read)
        {
            return Ok(ReportScope::AllHomes(basis));
        }
        if !self.principal.active
            || !self
                .policy
                .allows(Basis::Manager, Kind::CouncilReport, Action::Read)
        {
            return Ok(ReportScope::Denied);
        }
        use e::home_membership as hm;
        let today = self.principal.today;
        let homes: Vec<Uuid> = hm::Entity::find()
            .filter(hm::Column::TenantId.eq(self.principal.tenant_id))
            .filter(hm::Column::UserId.eq(self.principal.user_id))
            .filter(hm::Column::Role.eq(HomeRole::Manager))
            .filter(hm::Column::StartDate.lte(today))
            .filter(
                sea_orm::Condition::any()
                    .add(hm::Column::EndDate.is_null())
                    .add(hm::Column::EndDate.gt(today)),
            )
            .all(conn)
            .await
            .map_err(AuthzError::from)?
            .into_iter()
            .map(|m| m.home_id)
            .collect();
        Ok(if homes.is_empty() {
            ReportScope::Denied
        } else {
            ReportScope::Homes(Basis::Manager, homes)
        })
    }

    /// The children whose records of `kind` the caller may read, as list predicates.
    pub async fn read_scope<C: ConnectionTrait>(
        &self,
        conn: &C,
        kind: Kind,
    ) -> Result<Scope, AuthzError> {
        let children = self.children(conn).await?;
        let mut scope = Scope::default();
        let mut ids: Vec<&Uuid> = children.keys().collect();
        ids.sort();
        for id in ids {
            let access = &children[id];
            let plain = self.decide(access, kind, Action::Read, RecordFacts::default());
            if plain.is_allowed() {
                scope.children.push(*id);
                if self
                    .decide(
                        access,
                        kind,
                        Action::Read,
                        RecordFacts {
                            restricted: true,
                            ..Default::default()
                        },
                    )
                    .is_allowed()
                {
                    scope.restricted_children.push(*id);
                }
            }
        }
        Ok(scope)
    }

    /// What the caller may read and write for this child, kind by kind (`Child.viewerCan`).
    pub async fn viewer_can<C: ConnectionTrait>(
        &self,
        conn: &C,
        child: Uuid,
    ) -> Result<Vec<(Kind, bool, bool)>, AuthzError> {
        let children = self.children(conn).await?;
        let Some(access) = children.get(&child) else {
            return Ok(Vec::new());
        };
        Ok(Kind::ALL
            .iter()
            .filter(|k| !k.is_tenant_level())
            .map(|k| {
                let read = self
                    .decide(access, *k, Action::Read, RecordFacts::default())
                    .is_allowed()
                    || self
                        .decide(
                            access,
                            *k,
                            Action::Read,
                            RecordFacts {
                                submitted: true,
                                ..Default::default()
                            },
                        )
                        .is_allowed();
                let write = self
                    .decide(access, *k, Action::Write, RecordFacts::default())
                    .is_allowed()
                    || self
                        .decide(
                            access,
                            *k,
                            Action::Write,
                            RecordFacts {
                                own: true,
                                ..Default::default()
                            },
                        )
                        .is_allowed();
                (*k, read, write)
            })
            .collect())
    }
}

/// Which homes' council reports a caller may read, and on what basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportScope {
    /// Every home of the council, on this basis (a tenant role).
    AllHomes(Basis),
    /// These homes (those the caller manages), on this basis.
    Homes(Basis, Vec<Uuid>),
    /// None.
    Denied,
}

impl ReportScope {
    /// The decision, for the access log.
    pub fn decision(&self) -> Decision {
        match self {
            ReportScope::AllHomes(basis) | ReportScope::Homes(basis, _) => {
                Decision::Allowed(*basis)
            }
            ReportScope::Denied => Decision::Denied,
        }
    }
}

/// Facts about the record acted on that some rules depend on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordFacts {
    /// The record is restricted (e.g. a disclosure).
    pub restricted: bool,
    /// The caller wrote it.
    pub own: bool,
    /// It has been submitted (review reports).
    pub submitted: bool,
    /// It is about the child's current placement (what is due now): the read-only grant of a
    /// closed placement does not reach it (ACCESS.md: "never to what is due ... at the
    /// child's next home").
    pub current_placement: bool,
}

impl Kind {
    /// Kinds that are about the council, not one child.
    pub fn is_tenant_level(self) -> bool {
        matches!(
            self,
            Kind::AccessLog
                | Kind::SubjectAccess
                | Kind::CouncilReport
                | Kind::Users
                | Kind::Homes
                | Kind::Allocations
                | Kind::IdentityProviders
        )
    }
}

/// The single query behind [`Access::children`]: a UNION ALL of the four relationships.
async fn load_child_bases<C: ConnectionTrait>(
    conn: &C,
    p: &Principal,
) -> Result<HashMap<Uuid, ChildAccess>, AuthzError> {
    use e::{allocation as al, home_membership as hm, key_team_assignment as kt, placement as pl};
    let (basis, closed) = (Alias::new("basis"), Alias::new("closed"));
    // A placement is open on `today` until its end date.
    let end = || Expr::col((pl::Entity, pl::Column::EndDate));
    let placement_open = end().is_null().or(end().gt(p.today));

    // Key team: an open assignment on an open placement.
    let mut key_team: SelectStatement = Query::select()
        .column((kt::Entity, kt::Column::ChildId))
        .expr_as(Expr::val(Basis::KeyTeam.as_str()), basis.clone())
        .expr_as(Expr::val(false), closed.clone())
        .from(kt::Entity)
        .inner_join(
            pl::Entity,
            Expr::col((pl::Entity, pl::Column::Id)).equals((kt::Entity, kt::Column::PlacementId)),
        )
        .and_where(Expr::col((kt::Entity, kt::Column::TenantId)).eq(p.tenant_id))
        .and_where(Expr::col((kt::Entity, kt::Column::UserId)).eq(p.user_id))
        .and_where(Expr::col((kt::Entity, kt::Column::StartDate)).lte(p.today))
        .and_where(
            Expr::col((kt::Entity, kt::Column::EndDate))
                .is_null()
                .or(Expr::col((kt::Entity, kt::Column::EndDate)).gt(p.today)),
        )
        .and_where(placement_open.clone())
        .to_owned();

    // Home membership: staff and deputies see the home's open placements; managers also keep
    // read access to placements that closed in their home.
    let role_basis = CaseStatement::new()
        .case(
            Expr::col((hm::Entity, hm::Column::Role)).eq(HomeRole::Manager.to_value_string()),
            Expr::val(Basis::Manager.as_str()),
        )
        .finally(Expr::val(Basis::HomeStaff.as_str()));
    let home =
        Query::select()
            .column((pl::Entity, pl::Column::ChildId))
            .expr_as(role_basis, basis.clone())
            .expr_as(placement_open.clone().not(), closed.clone())
            .from(hm::Entity)
            .inner_join(
                pl::Entity,
                Expr::col((pl::Entity, pl::Column::HomeId))
                    .equals((hm::Entity, hm::Column::HomeId)),
            )
            .and_where(Expr::col((hm::Entity, hm::Column::TenantId)).eq(p.tenant_id))
            .and_where(Expr::col((hm::Entity, hm::Column::UserId)).eq(p.user_id))
            .and_where(Expr::col((hm::Entity, hm::Column::StartDate)).lte(p.today))
            .and_where(
                Expr::col((hm::Entity, hm::Column::EndDate))
                    .is_null()
                    .or(Expr::col((hm::Entity, hm::Column::EndDate)).gt(p.today)),
            )
            .and_where(placement_open.clone().or(
                Expr::col((hm::Entity, hm::Column::Role)).eq(HomeRole::Manager.to_value_string()),
            ))
            .to_owned();

    // Allocations: social worker and IRO, while open.
    let alloc = Query::select()
        .column((al::Entity, al::Column::ChildId))
        .expr_as(Expr::col((al::Entity, al::Column::Kind)), basis.clone())
        .expr_as(Expr::val(false), closed.clone())
        .from(al::Entity)
        .and_where(Expr::col((al::Entity, al::Column::TenantId)).eq(p.tenant_id))
        .and_where(Expr::col((al::Entity, al::Column::UserId)).eq(p.user_id))
        .and_where(Expr::col((al::Entity, al::Column::Kind)).is_in([
            AllocationKind::SocialWorker.to_value_string(),
            AllocationKind::Iro.to_value_string(),
        ]))
        .and_where(Expr::col((al::Entity, al::Column::StartDate)).lte(p.today))
        .and_where(
            Expr::col((al::Entity, al::Column::EndDate))
                .is_null()
                .or(Expr::col((al::Entity, al::Column::EndDate)).gt(p.today)),
        )
        .to_owned();

    key_team
        .union(UnionType::All, home)
        .union(UnionType::All, alloc);
    let rows = conn.query_all(&key_team).await?;
    let mut out: HashMap<Uuid, ChildAccess> = HashMap::new();
    for row in rows {
        let child: Uuid = row.try_get("", "child_id")?;
        let word: String = row.try_get("", "basis")?;
        let closed: bool = row.try_get("", "closed")?;
        let Some(basis) = Basis::parse(&word) else {
            continue;
        };
        let grants = &mut out.entry(child).or_default().grants;
        let grant = Grant {
            basis,
            read_only: closed,
        };
        // An open relationship outranks a read-only one of the same basis.
        match grants.iter_mut().find(|g| g.basis == basis) {
            Some(existing) => existing.read_only &= closed,
            None => grants.push(grant),
        }
    }
    for access in out.values_mut() {
        access.grants.sort_by_key(|g| g.basis);
    }
    Ok(out)
}

/// The stored text of an enum value.
trait ToValueString {
    fn to_value_string(&self) -> String;
}

impl<T: sea_orm::ActiveEnum<Value = String>> ToValueString for T {
    fn to_value_string(&self) -> String {
        self.to_value()
    }
}
