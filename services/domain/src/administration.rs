//! The tenant administrator's work (ACCESS.md, outside the matrix): the council's homes and
//! user accounts, the accounts' council-wide roles, their home memberships and their
//! allocations to children. These relationships are what the authorization module computes
//! bases from, so a change here changes what a person may see from their very next request:
//! deactivating an account, ending a membership or an allocation takes access away at once.
//!
//! The administrator never reads a child's record: an allocation names a child by id only.
//! Allocations are noted in the access log against the child (who gave whom access).

use crate::error::{DomainError, DomainResult};
use crate::pages::{Ordering, Page, PageArgs, SortKind, SortValue};
use crate::request::Request;
use crate::writes::{MAX_SHORT, check_version, optional_text, required_text};
use chrono::NaiveDate;
use keycare_authz::{Action, Kind};
use keycare_entity as e;
use keycare_entity::enums::{AllocationKind, HomeRole, HomeStatus, TenantRoleKind};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

/// The longest text a search filter takes.
pub const MAX_SEARCH: usize = 100;

/// Which accounts to list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only active (true) or deactivated (false) accounts.
    pub active: Option<bool>,
    /// Part of the name or email, any case.
    pub search: Option<String>,
}

/// The council's user accounts, by name (tenant administrator only).
pub async fn users(
    req: &Request,
    filter: &UserFilter,
    args: &PageArgs,
) -> DomainResult<Page<e::user::Model>> {
    use e::user::Column as C;
    req.require_tenant(Kind::Users, Action::Read)?;
    let mut select = e::user::Entity::find().filter(C::TenantId.eq(req.identity.tenant_id));
    if let Some(active) = filter.active {
        select = select.filter(C::Active.eq(active));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim)
        && !search.is_empty()
    {
        if search.chars().count() > MAX_SEARCH {
            return Err(DomainError::bad_input(
                "filter.search",
                format!("may be at most {MAX_SEARCH} characters"),
            ));
        }
        let pattern = format!(
            "%{}%",
            search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let like = || LikeExpr::new(pattern.clone()).escape('\\');
        select = select.filter(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(C::Name))).like(like()))
                .add(C::Email.like(like())),
        );
    }
    let ordering = Ordering {
        sort: C::Name,
        id: C::Id,
        kind: SortKind::Text,
        descending: false,
    };
    crate::pages::page(&req.txn, select, ordering, args, |u| {
        (SortValue::Text(u.name.clone()), u.id)
    })
    .await
}

/// One account of the council (tenant administrator only); NOT_FOUND otherwise.
pub async fn user(req: &Request, id: Uuid) -> DomainResult<e::user::Model> {
    if req.access.decide_for_tenant(Kind::Users, Action::Read) == keycare_authz::Decision::Denied {
        return Err(DomainError::NotFound);
    }
    account(req, id, "id")
        .await
        .map_err(|_| DomainError::NotFound)
}

/// The account whose relationships the caller is about to change: the council's account
/// `id` (BAD_USER_INPUT naming `field` otherwise), and never the caller's own (FORBIDDEN:
/// another administrator changes an administrator's access).
async fn administered(
    req: &Request,
    kind: Kind,
    id: Uuid,
    field: &str,
) -> DomainResult<(e::user::Model, keycare_authz::Decision)> {
    req.require_tenant(kind, Action::Write)?;
    let user = account(req, id, field).await?;
    match req.access.decide_administration(kind, user.id) {
        keycare_authz::Decision::Denied => Err(DomainError::Forbidden(
            "another administrator must change your own roles, memberships and allocations".into(),
        )),
        allowed => Ok((user, allowed)),
    }
}

/// ACCESS.md: a tenant administrator holds no basis for any child. An account that
/// administers the council is given no home, child or other council role, and an account
/// with any of those is not made an administrator.
async fn keep_administration_apart(
    req: &Request,
    user: Uuid,
    giving: Option<TenantRoleKind>,
) -> DomainResult<()> {
    let is_admin = held_role(req, user, TenantRoleKind::TenantAdmin)
        .await?
        .is_some();
    match giving {
        Some(TenantRoleKind::TenantAdmin) => {
            let today = req.now.date_naive();
            let tenant = req.identity.tenant_id;
            let roles = e::tenant_role::Entity::find()
                .filter(e::tenant_role::Column::TenantId.eq(tenant))
                .filter(e::tenant_role::Column::UserId.eq(user))
                .filter(e::tenant_role::Column::RevokedAt.is_null())
                .filter(e::tenant_role::Column::Role.ne(TenantRoleKind::TenantAdmin))
                .count(&req.txn)
                .await?;
            let memberships = e::home_membership::Entity::find()
                .filter(e::home_membership::Column::TenantId.eq(tenant))
                .filter(e::home_membership::Column::UserId.eq(user))
                .filter(open_on(e::home_membership::Column::EndDate, today))
                .count(&req.txn)
                .await?;
            let allocations = e::allocation::Entity::find()
                .filter(e::allocation::Column::TenantId.eq(tenant))
                .filter(e::allocation::Column::UserId.eq(user))
                .filter(open_on(e::allocation::Column::EndDate, today))
                .count(&req.txn)
                .await?;
            if roles + memberships + allocations > 0 {
                return Err(DomainError::bad_input(
                    "role",
                    "a tenant administrator holds no access to children: end the user's other roles, home memberships and allocations first",
                ));
            }
        }
        _ if is_admin => {
            return Err(DomainError::bad_input(
                "userId",
                "the user administers the council, and a tenant administrator holds no access to children: revoke tenant_admin first",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The row `id` of the caller's council (home, membership, allocation), or NOT_FOUND.
async fn of_council<E>(req: &Request, id: Uuid, tenant: E::Column) -> DomainResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    E::find_by_id(id)
        .filter(tenant.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The council's account `id`, or BAD_USER_INPUT naming `field`.
async fn account(req: &Request, id: Uuid, field: &str) -> DomainResult<e::user::Model> {
    e::user::Entity::find_by_id(id)
        .filter(e::user::Column::TenantId.eq(req.identity.tenant_id))
        .one(&req.txn)
        .await?
        .ok_or_else(|| DomainError::bad_input(field, "no such user in your council"))
}

/// The roles, memberships and allocations of many accounts, in one query each.
pub struct Relationships {
    pub roles: Vec<e::tenant_role::Model>,
    /// With the name of each membership's home.
    pub memberships: Vec<(e::home_membership::Model, String)>,
    pub allocations: Vec<e::allocation::Model>,
}

/// Everything that gives these accounts access, ended or not (tenant administrator only).
pub async fn relationships(req: &Request, users: &[Uuid]) -> DomainResult<Relationships> {
    req.require_tenant(Kind::Users, Action::Read)?;
    let tenant = req.identity.tenant_id;
    let ids = users.iter().copied();
    Ok(Relationships {
        roles: e::tenant_role::Entity::find()
            .filter(e::tenant_role::Column::TenantId.eq(tenant))
            .filter(e::tenant_role::Column::UserId.is_in(ids.clone()))
            .order_by_asc(e::tenant_role::Column::GrantedAt)
            .order_by_asc(e::tenant_role::Column::Id)
            .all(&req.txn)
            .await?,
        memberships: e::home_membership::Entity::find()
            .filter(e::home_membership::Column::TenantId.eq(tenant))
            .filter(e::home_membership::Column::UserId.is_in(ids.clone()))
            .find_also_related(e::home::Entity)
            .order_by_asc(e::home_membership::Column::StartDate)
            .order_by_asc(e::home_membership::Column::Id)
            .all(&req.txn)
            .await?
            .into_iter()
            .map(|(m, h)| (m, h.map(|h| h.name).unwrap_or_default()))
            .collect(),
        allocations: if req
            .access
            .decide_for_tenant(Kind::Allocations, Action::Read)
            .is_allowed()
        {
            e::allocation::Entity::find()
                .filter(e::allocation::Column::TenantId.eq(tenant))
                .filter(e::allocation::Column::UserId.is_in(ids))
                .order_by_asc(e::allocation::Column::StartDate)
                .order_by_asc(e::allocation::Column::Id)
                .all(&req.txn)
                .await?
        } else {
            Vec::new()
        },
    })
}

/// A new account, as entered.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub job_title: Option<String>,
    /// The issuer that signs the person in: one of the council's identity providers (the
    /// council's only one when left out).
    pub issuer: Option<String>,
    /// The person's `sub` at that issuer.
    pub subject: String,
}

fn email(value: &str) -> DomainResult<String> {
    let value = value.trim().to_lowercase();
    let well_formed = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    }) && !value.contains(char::is_whitespace);
    if !well_formed || value.len() > MAX_SHORT {
        return Err(DomainError::bad_input(
            "email",
            "must be an email address such as j.smith@council.gov.uk",
        ));
    }
    Ok(value)
}

/// Creates an account in the council (tenant administrator only). It holds no role, home or
/// child until given one.
pub async fn create_user(req: &Request, input: NewUser) -> DomainResult<e::user::Model> {
    req.require_tenant(Kind::Users, Action::Write)?;
    let tenant = req.identity.tenant_id;
    let name = required_text("name", &input.name, MAX_SHORT)?;
    let email = email(&input.email)?;
    let job_title = optional_text("jobTitle", input.job_title.as_deref(), MAX_SHORT)?;
    let subject = required_text("subject", &input.subject, MAX_SHORT)?;
    let providers = e::identity_provider::Entity::find()
        .filter(e::identity_provider::Column::TenantId.eq(tenant))
        .all(&req.txn)
        .await?;
    let issuer = match input.issuer.as_deref().map(str::trim) {
        Some(issuer) => providers
            .iter()
            .find(|p| p.issuer == issuer.trim_end_matches('/'))
            .map(|p| p.issuer.clone())
            .ok_or_else(|| {
                DomainError::bad_input("issuer", "is not one of your council's identity providers")
            })?,
        None => match providers.as_slice() {
            [only] => only.issuer.clone(),
            [] => {
                return Err(DomainError::bad_input(
                    "issuer",
                    "your council has no identity provider yet: configure one first",
                ));
            }
            _ => {
                return Err(DomainError::bad_input(
                    "issuer",
                    "your council has several identity providers: name the one that signs this person in",
                ));
            }
        },
    };
    // Within the council, say which rule was broken; a clash with another council's account
    // (which the council cannot see) is answered in the same words.
    let taken = e::user::Entity::find()
        .filter(e::user::Column::TenantId.eq(tenant))
        .filter(
            Condition::any()
                .add(e::user::Column::Email.eq(email.clone()))
                .add(
                    Condition::all()
                        .add(e::user::Column::Issuer.eq(issuer.clone()))
                        .add(e::user::Column::Subject.eq(subject.clone())),
                ),
        )
        .one(&req.txn)
        .await?;
    let in_use = |u: &e::user::Model| {
        if u.email == email {
            DomainError::bad_input("email", "is already in use")
        } else {
            DomainError::bad_input("subject", "already signs in another account")
        }
    };
    if let Some(u) = taken {
        return Err(in_use(&u));
    }
    let saved = req
        .insert(e::user::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            issuer: Set(issuer),
            subject: Set(subject),
            name: Set(name),
            email: Set(email.clone()),
            job_title: Set(job_title),
            active: Set(true),
            deactivated_at: Set(None),
            version: Set(1),
            created_at: Set(req.now),
            updated_at: Set(req.now),
        })
        .await;
    match saved {
        Err(DomainError::Rule(rule)) if rule.name == "users_email_key" => {
            Err(DomainError::bad_input("email", "is already in use"))
        }
        Err(DomainError::Rule(_)) => Err(DomainError::bad_input(
            "subject",
            "already signs in another account",
        )),
        other => other,
    }
}

/// Deactivates (`active` false) or reactivates an account (tenant administrator only). A
/// deactivated account holds no basis from its next request on; nobody deactivates their
/// own account.
pub async fn set_active(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    active: bool,
) -> DomainResult<e::user::Model> {
    req.require_tenant(Kind::Users, Action::Write)?;
    let old = account(req, id, "id").await?;
    check_version(old.version, expected_version)?;
    if !active && old.id == req.identity.user_id {
        return Err(DomainError::bad_input(
            "id",
            "you cannot deactivate your own account",
        ));
    }
    if old.active == active {
        return Ok(old);
    }
    let txn = req.change().await?;
    let mut change = old.clone().into_active_model();
    change.active = Set(active);
    change.deactivated_at = Set((!active).then_some(req.now));
    change.version = Set(old.version + 1);
    change.updated_at = Set(req.now);
    let saved = crate::writes::update_versioned(
        &txn,
        change,
        e::user::Column::Id,
        e::user::Column::Version,
        old.id,
        old.version,
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Gives an account a council-wide role (tenant administrator only); a role already held is
/// left as it is.
pub async fn grant_role(
    req: &Request,
    user_id: Uuid,
    role: TenantRoleKind,
) -> DomainResult<e::tenant_role::Model> {
    let (user, _) = administered(req, Kind::Users, user_id, "userId").await?;
    if let Some(held) = held_role(req, user.id, role).await? {
        return Ok(held);
    }
    keep_administration_apart(req, user.id, Some(role)).await?;
    req.insert(e::tenant_role::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(user.tenant_id),
        user_id: Set(user.id),
        role: Set(role),
        granted_at: Set(req.now),
        revoked_at: Set(None),
    })
    .await
}

async fn held_role(
    req: &Request,
    user: Uuid,
    role: TenantRoleKind,
) -> DomainResult<Option<e::tenant_role::Model>> {
    Ok(e::tenant_role::Entity::find()
        .filter(e::tenant_role::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::tenant_role::Column::UserId.eq(user))
        .filter(e::tenant_role::Column::Role.eq(role))
        .filter(e::tenant_role::Column::RevokedAt.is_null())
        .one(&req.txn)
        .await?)
}

/// Takes a council-wide role away (tenant administrator only), at once. Taking away the
/// social worker's or IRO's role also ends, today, their open allocations of that kind:
/// the allocation is what gives access to a child, and it goes with the role.
pub async fn revoke_role(
    req: &Request,
    user_id: Uuid,
    role: TenantRoleKind,
) -> DomainResult<e::tenant_role::Model> {
    let (user, _) = administered(req, Kind::Users, user_id, "userId").await?;
    let Some(held) = held_role(req, user.id, role).await? else {
        return Err(DomainError::bad_input(
            "role",
            "the user does not hold this role",
        ));
    };
    let allocation_kind = match role {
        TenantRoleKind::SocialWorker => Some(AllocationKind::SocialWorker),
        TenantRoleKind::Iro => Some(AllocationKind::Iro),
        _ => None,
    };
    let ending = match allocation_kind {
        Some(kind) => {
            let decision = req.require_tenant(Kind::Allocations, Action::Write)?;
            let today = req.now.date_naive();
            let open = e::allocation::Entity::find()
                .filter(e::allocation::Column::TenantId.eq(req.identity.tenant_id))
                .filter(e::allocation::Column::UserId.eq(user.id))
                .filter(e::allocation::Column::Kind.eq(kind))
                .filter(open_on(e::allocation::Column::EndDate, today))
                .all(&req.txn)
                .await?;
            Some((decision, today, open))
        }
        None => None,
    };
    let txn = req.change().await?;
    // Every open grant of the role (two administrators granting it at once leave two).
    e::tenant_role::Entity::update_many()
        .col_expr(
            e::tenant_role::Column::RevokedAt,
            Expr::value(Some(req.now)),
        )
        .filter(e::tenant_role::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::tenant_role::Column::UserId.eq(user.id))
        .filter(e::tenant_role::Column::Role.eq(role))
        .filter(e::tenant_role::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let saved = e::tenant_role::Model {
        revoked_at: Some(req.now),
        ..held
    };
    if let Some((decision, today, open)) = ending {
        for allocation in open {
            let (id, child) = (allocation.id, allocation.child_id);
            // One that has not started yet ends on its first day (it never gives access).
            let end = std::cmp::max(today, allocation.start_date);
            let mut end_it = allocation.into_active_model();
            end_it.end_date = Set(Some(end));
            end_it.update(&txn).await?;
            req.record_access(
                Some(child),
                Kind::Allocations,
                Some(id),
                Action::Write,
                decision,
            );
        }
    }
    txn.commit().await?;
    Ok(saved)
}

/// The end date of a relationship (`what`) that started on `start` and has `ended` so far:
/// not one that has already ended, and on or after its start. The relationship gives nothing
/// from that day on.
fn end_date_of(
    req: &Request,
    what: &str,
    start: NaiveDate,
    ended: Option<NaiveDate>,
    end: NaiveDate,
) -> DomainResult<NaiveDate> {
    if ended.is_some_and(|d| d <= req.now.date_naive()) {
        return Err(DomainError::bad_input(
            "id",
            format!("the {what} has already ended"),
        ));
    }
    if end < start {
        return Err(DomainError::bad_input(
            "endDate",
            format!("must not be before the start date ({start})"),
        ));
    }
    Ok(end)
}

/// A relationship still open on `day` (no end date, or one after it).
fn open_on<C: ColumnTrait>(end_date: C, day: NaiveDate) -> Condition {
    Condition::any()
        .add(end_date.is_null())
        .add(end_date.gt(day))
}

/// Makes an account a member of a home of the council (tenant administrator only): staff
/// and deputies see the home's children as home staff, managers as managers, from
/// `start_date`.
pub async fn add_membership(
    req: &Request,
    user_id: Uuid,
    home_id: Uuid,
    role: HomeRole,
    start_date: NaiveDate,
) -> DomainResult<e::home_membership::Model> {
    use e::home_membership::Column as C;
    let (user, _) = administered(req, Kind::Users, user_id, "userId").await?;
    keep_administration_apart(req, user.id, None).await?;
    let tenant = req.identity.tenant_id;
    e::home::Entity::find_by_id(home_id)
        .filter(e::home::Column::TenantId.eq(tenant))
        .one(&req.txn)
        .await?
        .ok_or_else(|| DomainError::bad_input("homeId", "no such home in your council"))?;
    let open = e::home_membership::Entity::find()
        .filter(C::TenantId.eq(tenant))
        .filter(C::UserId.eq(user.id))
        .filter(C::HomeId.eq(home_id))
        .filter(open_on(C::EndDate, start_date))
        .one(&req.txn)
        .await?;
    if open.is_some() {
        return Err(DomainError::bad_input(
            "homeId",
            "the user is already a member of this home: end that membership first",
        ));
    }
    req.insert(e::home_membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant),
        user_id: Set(user.id),
        home_id: Set(home_id),
        role: Set(role),
        start_date: Set(start_date),
        end_date: Set(None),
        created_at: Set(req.now),
    })
    .await
}

/// Ends a home membership on `end_date` (tenant administrator only): from that day the
/// member holds nothing through it.
pub async fn end_membership(
    req: &Request,
    id: Uuid,
    end_date: NaiveDate,
) -> DomainResult<e::home_membership::Model> {
    req.require_tenant(Kind::Users, Action::Write)?;
    let old =
        of_council::<e::home_membership::Entity>(req, id, e::home_membership::Column::TenantId)
            .await?;
    let end = end_date_of(req, "membership", old.start_date, old.end_date, end_date)?;
    let txn = req.change().await?;
    let mut change = old.into_active_model();
    change.end_date = Set(Some(end));
    let saved = change.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The council-wide role an allocation of this kind needs.
fn role_for(kind: AllocationKind) -> Option<TenantRoleKind> {
    match kind {
        AllocationKind::SocialWorker => Some(TenantRoleKind::SocialWorker),
        AllocationKind::Iro => Some(TenantRoleKind::Iro),
        AllocationKind::LeavingCareWorker => None,
    }
}

/// Allocates a worker to a child (tenant administrator only): a social worker or IRO, who
/// must hold that council-wide role, or a leaving-care worker. Noted in the access log
/// against the child.
pub async fn allocate(
    req: &Request,
    user_id: Uuid,
    child_id: Uuid,
    kind: AllocationKind,
    start_date: NaiveDate,
) -> DomainResult<e::allocation::Model> {
    use e::allocation::Column as C;
    let tenant = req.identity.tenant_id;
    let (user, decision) = administered(req, Kind::Allocations, user_id, "userId").await?;
    keep_administration_apart(req, user.id, None).await?;
    e::child::Entity::find_by_id(child_id)
        .filter(e::child::Column::TenantId.eq(tenant))
        .one(&req.txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if let Some(role) = role_for(kind)
        && held_role(req, user.id, role).await?.is_none()
    {
        return Err(DomainError::bad_input(
            "userId",
            format!(
                "the user does not hold the role {}: grant it first",
                role_word(role)
            ),
        ));
    }
    let open = e::allocation::Entity::find()
        .filter(C::TenantId.eq(tenant))
        .filter(C::UserId.eq(user.id))
        .filter(C::ChildId.eq(child_id))
        .filter(C::Kind.eq(kind))
        .filter(open_on(C::EndDate, start_date))
        .one(&req.txn)
        .await?;
    if open.is_some() {
        return Err(DomainError::bad_input(
            "childId",
            "the user is already allocated to this child",
        ));
    }
    let saved = req
        .insert(e::allocation::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            user_id: Set(user.id),
            child_id: Set(child_id),
            kind: Set(kind),
            start_date: Set(start_date),
            end_date: Set(None),
            created_at: Set(req.now),
        })
        .await?;
    req.record_access(
        Some(child_id),
        Kind::Allocations,
        Some(saved.id),
        Action::Write,
        decision,
    );
    Ok(saved)
}

/// Ends an allocation on `end_date` (tenant administrator only): from that day the worker
/// holds nothing through it. Noted in the access log against the child.
pub async fn end_allocation(
    req: &Request,
    id: Uuid,
    end_date: NaiveDate,
) -> DomainResult<e::allocation::Model> {
    let decision = req.require_tenant(Kind::Allocations, Action::Write)?;
    let old = of_council::<e::allocation::Entity>(req, id, e::allocation::Column::TenantId).await?;
    let end = end_date_of(req, "allocation", old.start_date, old.end_date, end_date)?;
    let child = old.child_id;
    let txn = req.change().await?;
    let mut change = old.into_active_model();
    change.end_date = Set(Some(end));
    let saved = change.update(&txn).await?;
    txn.commit().await?;
    req.record_access(
        Some(child),
        Kind::Allocations,
        Some(saved.id),
        Action::Write,
        decision,
    );
    Ok(saved)
}

fn role_word(role: TenantRoleKind) -> &'static str {
    match role {
        TenantRoleKind::SocialWorker => "social worker",
        TenantRoleKind::Iro => "IRO",
        TenantRoleKind::Reporting => "reporting",
        TenantRoleKind::Dpo => "DPO",
        TenantRoleKind::TenantAdmin => "tenant admin",
    }
}

/// A home's details, as entered (None: unchanged, on a change).
#[derive(Debug, Clone, Default)]
pub struct HomeDetails {
    pub name: Option<String>,
    pub ofsted_urn: Option<String>,
    pub address: Option<String>,
    pub beds: Option<i32>,
    pub status: Option<HomeStatus>,
}

/// The most beds a home may have (children's homes are small).
const MAX_BEDS: i32 = 50;

fn ofsted_urn(value: &str) -> DomainResult<String> {
    let value = value.trim().to_uppercase();
    let ok = (2..=12).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric());
    if !ok {
        return Err(DomainError::bad_input(
            "ofstedUrn",
            "must be the home's Ofsted unique reference number, such as SC123456",
        ));
    }
    Ok(value)
}

fn beds(value: i32) -> DomainResult<i32> {
    if !(1..=MAX_BEDS).contains(&value) {
        return Err(DomainError::bad_input(
            "beds",
            format!("must be from 1 to {MAX_BEDS}"),
        ));
    }
    Ok(value)
}

/// An Ofsted URN is the home's national identifier: one home has it, in whatever council.
async fn urn_in_use(req: &Request, urn: &str, other_than: Option<Uuid>) -> DomainResult<bool> {
    let mut find = e::home::Entity::find()
        .filter(e::home::Column::TenantId.eq(req.identity.tenant_id))
        .filter(e::home::Column::OfstedUrn.eq(urn));
    if let Some(id) = other_than {
        find = find.filter(e::home::Column::Id.ne(id));
    }
    Ok(find.one(&req.txn).await?.is_some())
}

/// The database's rule that keeps Ofsted URNs unique across councils.
const URN_RULE: &str = "homes_ofsted_urn_key";

fn urn_taken() -> DomainError {
    DomainError::bad_input("ofstedUrn", "another home already has this Ofsted URN")
}

/// Adds a home to the council (tenant administrator only), open.
pub async fn create_home(req: &Request, input: HomeDetails) -> DomainResult<e::home::Model> {
    req.require_tenant(Kind::Homes, Action::Write)?;
    let name = required_text("name", input.name.as_deref().unwrap_or_default(), MAX_SHORT)?;
    let urn = ofsted_urn(input.ofsted_urn.as_deref().unwrap_or_default())?;
    let address = required_text(
        "address",
        input.address.as_deref().unwrap_or_default(),
        crate::writes::MAX_TEXT,
    )?;
    let beds = beds(input.beds.unwrap_or_default())?;
    if urn_in_use(req, &urn, None).await? {
        return Err(urn_taken());
    }
    let saved = req
        .insert(e::home::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(req.identity.tenant_id),
            name: Set(name),
            ofsted_urn: Set(urn),
            address: Set(address),
            beds: Set(beds),
            status: Set(HomeStatus::Open),
            version: Set(1),
            created_at: Set(req.now),
            updated_at: Set(req.now),
        })
        .await;
    // A URN held by another council's home (which this council cannot see) is refused in
    // the same words.
    match saved {
        Err(DomainError::Rule(rule)) if rule.name == URN_RULE => Err(urn_taken()),
        other => other,
    }
}

/// Changes a home's details or closes it (tenant administrator only). A home with children
/// in placement is not closed: their placements end first.
pub async fn change_home(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: HomeDetails,
) -> DomainResult<e::home::Model> {
    req.require_tenant(Kind::Homes, Action::Write)?;
    let old = of_council::<e::home::Entity>(req, id, e::home::Column::TenantId).await?;
    check_version(old.version, expected_version)?;
    let mut change = old.clone().into_active_model();
    if let Some(name) = input.name.as_deref() {
        change.name = Set(required_text("name", name, MAX_SHORT)?);
    }
    if let Some(urn) = input.ofsted_urn.as_deref() {
        let urn = ofsted_urn(urn)?;
        if urn_in_use(req, &urn, Some(old.id)).await? {
            return Err(urn_taken());
        }
        change.ofsted_urn = Set(urn);
    }
    if let Some(address) = input.address.as_deref() {
        change.address = Set(required_text("address", address, crate::writes::MAX_TEXT)?);
    }
    if let Some(n) = input.beds {
        change.beds = Set(beds(n)?);
    }
    if let Some(status) = input.status {
        if status == HomeStatus::Closed && old.status != HomeStatus::Closed {
            let placed = e::placement::Entity::find()
                .filter(e::placement::Column::TenantId.eq(req.identity.tenant_id))
                .filter(e::placement::Column::HomeId.eq(old.id))
                .filter(e::placement::Column::EndDate.is_null())
                .count(&req.txn)
                .await?;
            if placed > 0 {
                return Err(DomainError::bad_input(
                    "status",
                    format!(
                        "{placed} child(ren) are still placed in the home: end their placements before closing it"
                    ),
                ));
            }
        }
        change.status = Set(status);
    }
    change.version = Set(old.version + 1);
    change.updated_at = Set(req.now);
    let txn = req.change().await?;
    let saved = crate::writes::update_versioned(
        &txn,
        change,
        e::home::Column::Id,
        e::home::Column::Version,
        old.id,
        old.version,
    )
    .await;
    let saved = match saved {
        Err(DomainError::Rule(rule)) if rule.name == URN_RULE => return Err(urn_taken()),
        other => other?,
    };
    txn.commit().await?;
    Ok(saved)
}
