//! One request's unit of work: the caller, their access, and the transaction every query
//! of the request runs in.
//!
//! On PostgreSQL the transaction sets the tenant transaction-locally and drops to the
//! non-owner role `keycare_app` (`SET LOCAL ROLE`), so row-level security is a second wall
//! behind the authorization checks, and nothing leaks to the next user of the connection.

use crate::db::begin_as_app;
use crate::error::{DomainError, DomainResult};
use crate::identity::Identity;
use chrono::{DateTime, Utc};
use keycare_authz::{Access, Action, Basis, Decision, Kind, Policy, Principal};
use keycare_entity::enums::TenantRoleKind;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use std::sync::Mutex;
use uuid::Uuid;

/// The PostgreSQL role requests run as.
pub use crate::db::APP_ROLE;

/// A request in progress.
pub struct Request {
    pub identity: Identity,
    pub access: Access,
    /// The caller's account and council, as read by the request's first statement.
    pub user: keycare_entity::user::Model,
    pub tenant: keycare_entity::tenant::Model,
    /// A stamp of the council's timescale settings and bank holidays (read with the
    /// caller): the cached timescales serve while it is unchanged.
    settings_stamp: String,
    pub txn: DatabaseTransaction,
    pub request_id: String,
    /// The time the request is judged at (one clock reading for the whole request).
    pub now: DateTime<Utc>,
    /// Access events of this request, appended to the log when it finishes.
    events: Mutex<Vec<AccessEvent>>,
    /// The council's timescales, read once per request when first needed.
    timescales: tokio::sync::OnceCell<std::sync::Arc<crate::timescales::Timescales>>,
}

/// One allowed or denied access to a child's data, waiting to be appended to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessEvent {
    pub child_id: Option<Uuid>,
    pub kind: Kind,
    pub record_id: Option<Uuid>,
    pub action: Action,
    /// The basis that allowed it; None when denied.
    pub basis: Option<Basis>,
    pub allowed: bool,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("user", &self.identity.user_id)
            .field("tenant", &self.identity.tenant_id)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl Request {
    /// The council's timescales (defaults and its own settings, bank holidays), read on
    /// first use and shared by everything this request computes.
    pub async fn timescales(&self) -> DomainResult<std::sync::Arc<crate::timescales::Timescales>> {
        self.timescales
            .get_or_try_init(|| {
                crate::timescales::Timescales::cached(&self.txn, &self.tenant, &self.settings_stamp)
            })
            .await
            .cloned()
    }

    /// Opens the request's transaction and reads the caller (account, council, council-wide
    /// roles and a stamp of the council's settings) in one statement. The account must be
    /// the one the credential names and active: the credential was checked before, perhaps
    /// against a cached account, so the decision is taken here, inside the transaction.
    pub async fn begin(
        db: &DatabaseConnection,
        policy: Policy,
        identity: Identity,
        request_id: String,
    ) -> DomainResult<Request> {
        let txn = begin_as_app(db, identity.tenant_id).await?;
        let now = Utc::now();
        let caller = load_caller(&txn, identity.user_id, identity.tenant_id).await?;
        let Some(caller) = caller
            .filter(|c| c.user.issuer == identity.issuer && c.user.subject == identity.subject)
        else {
            return Err(DomainError::Unauthenticated(
                "no KeyCare account for this sign-in".into(),
            ));
        };
        if !caller.user.active {
            return Err(DomainError::Forbidden("account deactivated".into()));
        }
        let access = Access::new(
            policy,
            Principal {
                user_id: identity.user_id,
                tenant_id: identity.tenant_id,
                active: true,
                tenant_roles: caller.roles,
                today: now.date_naive(),
            },
        );
        Ok(Request {
            identity,
            access,
            user: caller.user,
            tenant: caller.tenant,
            settings_stamp: caller.settings_stamp,
            txn,
            request_id,
            now,
            events: Mutex::new(Vec::new()),
            timescales: tokio::sync::OnceCell::new(),
        })
    }

    /// Notes an access to a child's data (allowed or denied) for the access log.
    pub fn record_access(
        &self,
        child_id: Option<Uuid>,
        kind: Kind,
        record_id: Option<Uuid>,
        action: Action,
        decision: Decision,
    ) {
        let event = AccessEvent {
            child_id,
            kind,
            record_id,
            action,
            basis: decision.basis(),
            allowed: decision.is_allowed(),
        };
        if let Ok(mut events) = self.events.lock() {
            events.push(event);
        }
    }

    /// Notes a denied attempt on a child the caller may not see. The child (and record) is
    /// named only when it is one of the caller's council's: an id of another council's
    /// child is never written into this council's log (the attempt is noted without it).
    pub async fn record_denied_unseen(
        &self,
        child: Uuid,
        kind: Kind,
        record: Option<Uuid>,
        action: Action,
    ) -> DomainResult<()> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
        let ours = keycare_entity::child::Entity::find_by_id(child)
            .select_only()
            .column(keycare_entity::child::Column::Id)
            .filter(keycare_entity::child::Column::TenantId.eq(self.identity.tenant_id))
            .into_tuple::<Uuid>()
            .one(&self.txn)
            .await?
            .is_some();
        let (child, record) = if ours {
            (Some(child), record)
        } else {
            (None, None)
        };
        self.record_access(child, kind, record, action, Decision::Denied);
        Ok(())
    }

    /// The access events noted so far.
    pub fn pending_events(&self) -> Vec<AccessEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Appends the request's access events to the log and commits everything the request
    /// did: events are committed before the response leaves.
    pub async fn finish(self) -> DomainResult<()> {
        let events = self.pending_events();
        crate::audit::append(
            &self.txn,
            &self.identity,
            &self.request_id,
            self.now,
            &events,
        )
        .await?;
        self.txn.commit().await?;
        Ok(())
    }

    /// Requires a tenant-level right (access log, users, identity providers, reports).
    pub fn require_tenant(&self, kind: Kind, action: Action) -> DomainResult<Decision> {
        match self.access.decide_for_tenant(kind, action) {
            Decision::Denied => Err(DomainError::Forbidden(format!(
                "you may not {action} {}",
                kind.as_str().replace('_', " ")
            ))),
            allowed => Ok(allowed),
        }
    }
}

/// The caller as the request's first statement reads them.
struct Caller {
    user: keycare_entity::user::Model,
    tenant: keycare_entity::tenant::Model,
    roles: Vec<TenantRoleKind>,
    settings_stamp: String,
}

/// The account, its council, its council-wide roles (one `EXISTS` per kind of role) and a
/// stamp of the council's timescale settings and bank holidays, in one statement.
async fn load_caller(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    tenant_id: Uuid,
) -> DomainResult<Option<Caller>> {
    use keycare_entity as e;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    use sea_orm::{
        ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable,
        QueryFilter, QueryTrait,
    };
    let mut query = e::user::Entity::find_by_id(user_id)
        .filter(e::user::Column::TenantId.eq(tenant_id))
        .find_also_related(e::tenant::Entity)
        .into_query();
    let roles: Vec<TenantRoleKind> = TenantRoleKind::iter().collect();
    for (i, role) in roles.iter().enumerate() {
        use e::tenant_role::Column as R;
        let held = Query::select()
            .expr(Expr::val(1))
            .from(e::tenant_role::Entity)
            .and_where(Expr::col((e::tenant_role::Entity, R::UserId)).eq(user_id))
            .and_where(Expr::col((e::tenant_role::Entity, R::TenantId)).eq(tenant_id))
            .and_where(Expr::col((e::tenant_role::Entity, R::Role)).eq(role.to_value()))
            .and_where(Expr::col((e::tenant_role::Entity, R::RevokedAt)).is_null())
            .to_owned();
        query.expr_as(Expr::exists(held), Alias::new(format!("kc_role_{i}")));
    }
    query.expr_as(
        Expr::cust(settings_stamp(txn.get_database_backend())),
        Alias::new("kc_stamp"),
    );
    let Some(row) = txn.query_one(&query).await? else {
        return Ok(None);
    };
    let user = e::user::Model::from_query_result(&row, "A_")?;
    let Some(tenant) = e::tenant::Model::from_query_result_optional(&row, "B_")? else {
        return Ok(None);
    };
    let mut held = Vec::new();
    for (i, role) in roles.into_iter().enumerate() {
        if row.try_get::<bool>("", &format!("kc_role_{i}"))? {
            held.push(role);
        }
    }
    Ok(Some(Caller {
        user,
        tenant,
        roles: held,
        settings_stamp: row.try_get("", "kc_stamp")?,
    }))
}

/// What the cached timescales of a council depend on, read with the caller: its settings
/// themselves (rule, amount, unit: a few rows), and of the bank holidays it sees their
/// number, first and last day and the sum of their day numbers. The cache is read again
/// when it differs.
fn settings_stamp(backend: sea_orm::DbBackend) -> &'static str {
    if backend == sea_orm::DbBackend::Postgres {
        r#"COALESCE((SELECT string_agg("rule" || ':' || "amount" || ':' || "unit", ',' ORDER BY "rule") FROM "timescale_settings" WHERE "timescale_settings"."tenant_id" = "users"."tenant_id"), '') || '|' || (SELECT COUNT(*) || '/' || COALESCE(MIN("on_date")::text, '') || '/' || COALESCE(MAX("on_date")::text, '') || '/' || COALESCE(SUM("on_date" - DATE '2000-01-01'), 0) FROM "bank_holidays" WHERE "bank_holidays"."tenant_id" IS NULL OR "bank_holidays"."tenant_id" = "users"."tenant_id")"#
    } else {
        r#"COALESCE((SELECT group_concat("s", ',') FROM (SELECT "rule" || ':' || "amount" || ':' || "unit" AS "s" FROM "timescale_settings" WHERE "timescale_settings"."tenant_id" = "users"."tenant_id" ORDER BY "rule")), '') || '|' || (SELECT COUNT(*) || '/' || COALESCE(MIN("on_date"), '') || '/' || COALESCE(MAX("on_date"), '') || '/' || COALESCE(SUM(julianday("on_date")), 0) FROM "bank_holidays" WHERE "bank_holidays"."tenant_id" IS NULL OR "bank_holidays"."tenant_id" = "users"."tenant_id")"#
    }
}

/// Authorization failures are database failures underneath (policy errors stop start-up).
pub(crate) fn authz_error(e: keycare_authz::AuthzError) -> DomainError {
    match e {
        keycare_authz::AuthzError::Db(db) => DomainError::Db(db),
        other => DomainError::Db(sea_orm::DbErr::Custom(other.to_string())),
    }
}
