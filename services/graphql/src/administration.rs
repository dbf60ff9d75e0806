//! The tenant administrator's API: the council's homes and accounts, the accounts' roles,
//! home memberships and allocations to children. Changes here change what people may see
//! from their next request on. Everyone else is FORBIDDEN (NOT_FOUND through `node`).

use crate::connection::{Conn, args, connection};
use crate::error::gql;
use crate::ids::global_id;
use crate::me::HomeMembership;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::administration::{self as admin, HomeDetails, NewUser, UserFilter};
use keycare_domain::request::Request;
use keycare_entity as e;
use keycare_entity::enums::{AllocationKind, HomeRole, HomeStatus, TenantRoleKind};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use uuid::Uuid;

/// A user account of the council, as the tenant administrator manages it.
pub struct UserAccount(pub e::user::Model);

/// A user account of the council, as the tenant administrator manages it.
#[Object]
impl UserAccount {
    /// Global id (the same id that names the person on records and in inputs such as
    /// `keyCarerId`).
    pub(crate) async fn id(&self) -> ID {
        global_id("User", self.0.id)
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Work email address.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// Job title, if recorded.
    async fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }
    /// The identity provider that signs the person in (`iss`).
    async fn issuer(&self) -> &str {
        &self.0.issuer
    }
    /// The person's subject (`sub`) at that provider.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// False once deactivated: a deactivated account is refused and holds no access.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When it was deactivated, while it is.
    async fn deactivated_at(&self) -> Option<DateTime<Utc>> {
        self.0.deactivated_at
    }
    /// Council-wide roles, current and revoked, oldest first.
    async fn roles(&self, ctx: &Context<'_>) -> Result<Vec<TenantRoleGrant>> {
        Ok(self
            .relationships(ctx)
            .await?
            .roles
            .iter()
            .map(|r| TenantRoleGrant::from(r.clone()))
            .collect())
    }
    /// Home memberships, current and ended, oldest first.
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Vec<HomeMembership>> {
        Ok(self
            .relationships(ctx)
            .await?
            .memberships
            .iter()
            .map(|(m, home)| membership(m.clone(), home.clone()))
            .collect())
    }
    /// Allocations to children, current and ended, oldest first.
    async fn allocations(&self, ctx: &Context<'_>) -> Result<Vec<Allocation>> {
        Ok(self
            .relationships(ctx)
            .await?
            .allocations
            .iter()
            .map(|a| Allocation::from(a.clone()))
            .collect())
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

impl UserAccount {
    async fn relationships(&self, ctx: &Context<'_>) -> Result<Arc<Relationships>> {
        let loader = ctx.data::<DataLoader<RelationshipLoader>>()?;
        Ok(loader.load_one(self.0.id).await?.unwrap_or_default())
    }
}

/// One account's roles, memberships and allocations.
#[derive(Default)]
pub struct Relationships {
    roles: Vec<e::tenant_role::Model>,
    memberships: Vec<(e::home_membership::Model, String)>,
    allocations: Vec<e::allocation::Model>,
}

/// Loads the relationships of every account on a page in three queries.
pub struct RelationshipLoader(pub Weak<Request>);

impl Loader<Uuid> for RelationshipLoader {
    type Value = Arc<Relationships>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        let found = admin::relationships(&req, keys).await.map_err(gql)?;
        let mut by_user: HashMap<Uuid, Relationships> = HashMap::new();
        for r in found.roles {
            by_user.entry(r.user_id).or_default().roles.push(r);
        }
        for m in found.memberships {
            by_user.entry(m.0.user_id).or_default().memberships.push(m);
        }
        for a in found.allocations {
            by_user.entry(a.user_id).or_default().allocations.push(a);
        }
        Ok(by_user.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

fn membership(m: e::home_membership::Model, home_name: String) -> HomeMembership {
    HomeMembership {
        id: global_id("HomeMembership", m.id),
        home_id: global_id("Home", m.home_id),
        home_name,
        role: m.role,
        start_date: m.start_date.into(),
        end_date: m.end_date.map(Date),
    }
}

/// A council-wide role given to an account.
#[derive(SimpleObject)]
pub struct TenantRoleGrant {
    /// The role.
    pub role: TenantRoleKind,
    /// When it was given.
    pub granted_at: DateTime<Utc>,
    /// When it was taken away, once it is.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<e::tenant_role::Model> for TenantRoleGrant {
    fn from(r: e::tenant_role::Model) -> Self {
        TenantRoleGrant {
            role: r.role,
            granted_at: r.granted_at,
            revoked_at: r.revoked_at,
        }
    }
}

/// A worker allocated to a child (the child is named by id only: the administrator reads
/// no child's record).
#[derive(SimpleObject)]
pub struct Allocation {
    /// Global id.
    pub id: ID,
    /// Global id of the child.
    pub child_id: ID,
    /// Global id of the worker.
    pub user_id: ID,
    /// Social worker, IRO or leaving-care worker.
    pub kind: AllocationKind,
    /// First day of the allocation.
    pub start_date: Date,
    /// The day it ended or ends, once set: from that day on it gives no access.
    pub end_date: Option<Date>,
}

impl From<e::allocation::Model> for Allocation {
    fn from(a: e::allocation::Model) -> Self {
        Allocation {
            id: global_id("Allocation", a.id),
            child_id: global_id("Child", a.child_id),
            user_id: global_id("User", a.user_id),
            kind: a.kind,
            start_date: a.start_date.into(),
            end_date: a.end_date.map(Date),
        }
    }
}

/// Which accounts to list.
#[derive(InputObject, Default)]
pub struct UsersFilter {
    /// Only active (true) or deactivated (false) accounts.
    pub active: Option<bool>,
    /// Part of the name or email, any case.
    pub search: Option<String>,
}

/// Queries of this module.
#[derive(Default)]
pub struct AdministrationQuery;

/// Queries of this module.
#[Object]
impl AdministrationQuery {
    /// The council's user accounts, by name (tenant administrators only).
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UsersFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<UserAccount>> {
        let req = request(ctx)?;
        let filter = filter.unwrap_or_default();
        let page = admin::users(
            req,
            &UserFilter {
                active: filter.active,
                search: filter.search,
            },
            &args(first, after, last, before),
        )
        .await
        .map_err(gql)?;
        Ok(connection(page, UserAccount))
    }
}

/// A new account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Full name.
    pub name: String,
    /// Work email address (unique).
    pub email: String,
    /// Job title.
    pub job_title: Option<String>,
    /// The identity provider that signs the person in: one of the council's issuers (may be
    /// left out when the council has only one).
    pub issuer: Option<String>,
    /// The person's subject (`sub`) at that provider.
    pub subject: String,
}

/// An account to deactivate or reactivate.
#[derive(InputObject)]
pub struct ChangeUserInput {
    /// The account.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
}

/// The account as saved.
#[derive(SimpleObject)]
pub struct UserPayload {
    /// The account.
    pub user: UserAccount,
}

/// A council-wide role to give or take away.
#[derive(InputObject)]
pub struct TenantRoleInput {
    /// The account.
    pub user_id: ID,
    /// The role.
    pub role: TenantRoleKind,
}

/// The role as it now stands.
#[derive(SimpleObject)]
pub struct TenantRolePayload {
    /// The grant (with `revokedAt` once taken away).
    pub grant: TenantRoleGrant,
}

/// A membership of a home to start.
#[derive(InputObject)]
pub struct AddHomeMembershipInput {
    /// The account.
    pub user_id: ID,
    /// The home.
    pub home_id: ID,
    /// Manager, deputy manager or staff.
    pub role: HomeRole,
    /// The first day (default today).
    pub start_date: Option<Date>,
}

/// A membership or allocation to end.
#[derive(InputObject)]
pub struct EndRelationshipInput {
    /// The membership or allocation.
    pub id: ID,
    /// The day it ends: from that day on it gives no access (default today, which takes
    /// access away at once).
    pub end_date: Option<Date>,
}

/// The membership as saved.
#[derive(SimpleObject)]
pub struct HomeMembershipPayload {
    /// The membership.
    pub membership: HomeMembership,
}

/// A worker to allocate to a child.
#[derive(InputObject)]
pub struct AllocateToChildInput {
    /// The worker (a social worker or IRO must hold that council-wide role).
    pub user_id: ID,
    /// The child.
    pub child_id: ID,
    /// Social worker, IRO or leaving-care worker.
    pub kind: AllocationKind,
    /// The first day (default today).
    pub start_date: Option<Date>,
}

/// The allocation as saved.
#[derive(SimpleObject)]
pub struct AllocationPayload {
    /// The allocation.
    pub allocation: Allocation,
}

/// A home to add to the council.
#[derive(InputObject)]
pub struct CreateHomeInput {
    /// The home's name.
    pub name: String,
    /// Its Ofsted unique reference number (such as SC123456).
    pub ofsted_urn: String,
    /// Its postal address.
    pub address: String,
    /// How many children it is registered for.
    pub beds: i32,
}

/// A change to a home: fields left out are unchanged.
#[derive(InputObject)]
pub struct ChangeHomeInput {
    /// The home.
    pub id: ID,
    /// The version the change was made on.
    pub expected_version: i32,
    /// The home's name.
    pub name: Option<String>,
    /// Its Ofsted unique reference number.
    pub ofsted_urn: Option<String>,
    /// Its postal address.
    pub address: Option<String>,
    /// How many children it is registered for.
    pub beds: Option<i32>,
    /// Open, or closed (refused while children are placed there).
    pub status: Option<HomeStatus>,
}

/// The home as saved.
#[derive(SimpleObject)]
pub struct HomePayload {
    /// The home.
    pub home: crate::care::Home,
}

fn today_or(req: &Request, date: Option<Date>) -> chrono::NaiveDate {
    date.map_or_else(|| req.now.date_naive(), |d| d.0)
}

/// Mutations of this module.
#[derive(Default)]
pub struct AdministrationMutation;

/// Mutations of this module (tenant administrators only).
#[Object]
impl AdministrationMutation {
    /// Adds a home to the council, open.
    async fn create_home(&self, ctx: &Context<'_>, input: CreateHomeInput) -> Result<HomePayload> {
        let req = request(ctx)?;
        let details = HomeDetails {
            name: Some(input.name),
            ofsted_urn: Some(input.ofsted_urn),
            address: Some(input.address),
            beds: Some(input.beds),
            status: None,
        };
        let saved = admin::create_home(req, details).await.map_err(gql)?;
        Ok(HomePayload {
            home: crate::care::Home(saved),
        })
    }

    /// Changes a home's details, or closes (or reopens) it.
    async fn change_home(&self, ctx: &Context<'_>, input: ChangeHomeInput) -> Result<HomePayload> {
        let req = request(ctx)?;
        let id = uuid_of(&input.id, "Home", "id")?;
        let details = HomeDetails {
            name: input.name,
            ofsted_urn: input.ofsted_urn,
            address: input.address,
            beds: input.beds,
            status: input.status,
        };
        let saved = admin::change_home(req, id, input.expected_version, details)
            .await
            .map_err(gql)?;
        Ok(HomePayload {
            home: crate::care::Home(saved),
        })
    }

    /// Creates an account in the council. It holds no role, home or child until given one.
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<UserPayload> {
        let req = request(ctx)?;
        let saved = admin::create_user(
            req,
            NewUser {
                name: input.name,
                email: input.email,
                job_title: input.job_title,
                issuer: input.issuer,
                subject: input.subject,
            },
        )
        .await
        .map_err(gql)?;
        Ok(UserPayload {
            user: UserAccount(saved),
        })
    }

    /// Deactivates an account: from its next request on it is refused and holds no access.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserInput,
    ) -> Result<UserPayload> {
        self.set_active(ctx, input, false).await
    }

    /// Reactivates a deactivated account (its roles, memberships and allocations are as
    /// they were).
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserInput,
    ) -> Result<UserPayload> {
        self.set_active(ctx, input, true).await
    }

    /// Gives an account a council-wide role (kept as it is when already held).
    async fn grant_tenant_role(
        &self,
        ctx: &Context<'_>,
        input: TenantRoleInput,
    ) -> Result<TenantRolePayload> {
        self.change_role(ctx, input, true).await
    }

    /// Takes a council-wide role away, at once.
    async fn revoke_tenant_role(
        &self,
        ctx: &Context<'_>,
        input: TenantRoleInput,
    ) -> Result<TenantRolePayload> {
        self.change_role(ctx, input, false).await
    }

    /// Makes an account a member of one of the council's homes.
    async fn add_home_membership(
        &self,
        ctx: &Context<'_>,
        input: AddHomeMembershipInput,
    ) -> Result<HomeMembershipPayload> {
        let req = request(ctx)?;
        let user = uuid_of(&input.user_id, "User", "userId")?;
        let home = uuid_of(&input.home_id, "Home", "homeId")?;
        let start = today_or(req, input.start_date);
        let saved = admin::add_membership(req, user, home, input.role, start)
            .await
            .map_err(gql)?;
        self.membership_payload(ctx, saved).await
    }

    /// Ends a home membership.
    async fn end_home_membership(
        &self,
        ctx: &Context<'_>,
        input: EndRelationshipInput,
    ) -> Result<HomeMembershipPayload> {
        let req = request(ctx)?;
        let id = uuid_of(&input.id, "HomeMembership", "id")?;
        let end = today_or(req, input.end_date);
        let saved = admin::end_membership(req, id, end).await.map_err(gql)?;
        self.membership_payload(ctx, saved).await
    }

    /// Allocates a social worker, IRO or leaving-care worker to a child.
    async fn allocate_to_child(
        &self,
        ctx: &Context<'_>,
        input: AllocateToChildInput,
    ) -> Result<AllocationPayload> {
        let req = request(ctx)?;
        let user = uuid_of(&input.user_id, "User", "userId")?;
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let start = today_or(req, input.start_date);
        let saved = admin::allocate(req, user, child, input.kind, start)
            .await
            .map_err(gql)?;
        Ok(AllocationPayload {
            allocation: saved.into(),
        })
    }

    /// Ends an allocation.
    async fn end_allocation(
        &self,
        ctx: &Context<'_>,
        input: EndRelationshipInput,
    ) -> Result<AllocationPayload> {
        let req = request(ctx)?;
        let id = uuid_of(&input.id, "Allocation", "id")?;
        let end = today_or(req, input.end_date);
        let saved = admin::end_allocation(req, id, end).await.map_err(gql)?;
        Ok(AllocationPayload {
            allocation: saved.into(),
        })
    }
}

impl AdministrationMutation {
    /// Gives (`grant`) or takes away a council-wide role.
    async fn change_role(
        &self,
        ctx: &Context<'_>,
        input: TenantRoleInput,
        grant: bool,
    ) -> Result<TenantRolePayload> {
        let req = request(ctx)?;
        let user = uuid_of(&input.user_id, "User", "userId")?;
        let saved = if grant {
            admin::grant_role(req, user, input.role).await
        } else {
            admin::revoke_role(req, user, input.role).await
        }
        .map_err(gql)?;
        Ok(TenantRolePayload {
            grant: saved.into(),
        })
    }

    async fn set_active(
        &self,
        ctx: &Context<'_>,
        input: ChangeUserInput,
        active: bool,
    ) -> Result<UserPayload> {
        let req = request(ctx)?;
        let id = uuid_of(&input.id, "User", "id")?;
        let saved = admin::set_active(req, id, input.expected_version, active)
            .await
            .map_err(gql)?;
        Ok(UserPayload {
            user: UserAccount(saved),
        })
    }

    async fn membership_payload(
        &self,
        ctx: &Context<'_>,
        saved: e::home_membership::Model,
    ) -> Result<HomeMembershipPayload> {
        let req = request(ctx)?;
        let names = admin::relationships(req, &[saved.user_id])
            .await
            .map_err(gql)?;
        let home_name = names
            .memberships
            .into_iter()
            .find(|(m, _)| m.id == saved.id)
            .map(|(_, name)| name)
            .unwrap_or_default();
        Ok(HomeMembershipPayload {
            membership: membership(saved, home_name),
        })
    }
}
