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
use keycare_authz::{Access, Action, Basis, Decision, Kind, Policy};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use std::sync::Mutex;
use uuid::Uuid;

/// The PostgreSQL role requests run as.
pub use crate::db::APP_ROLE;

/// A request in progress.
pub struct Request {
    pub identity: Identity,
    pub access: Access,
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
            .get_or_try_init(|| async {
                crate::timescales::Timescales::of_tenant(&self.txn, self.identity.tenant_id)
                    .await
                    .map(std::sync::Arc::new)
            })
            .await
            .cloned()
    }

    /// Opens the request's transaction and loads the caller's access.
    pub async fn begin(
        db: &DatabaseConnection,
        policy: Policy,
        identity: Identity,
        request_id: String,
    ) -> DomainResult<Request> {
        let txn = begin_as_app(db, identity.tenant_id).await?;
        let now = Utc::now();
        let access = Access::load(
            &txn,
            policy,
            identity.user_id,
            identity.tenant_id,
            now.date_naive(),
        )
        .await
        .map_err(authz_error)?;
        Ok(Request {
            identity,
            access,
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

/// Authorization failures are database failures underneath (policy errors stop start-up).
pub(crate) fn authz_error(e: keycare_authz::AuthzError) -> DomainError {
    match e {
        keycare_authz::AuthzError::Db(db) => DomainError::Db(db),
        other => DomainError::Db(sea_orm::DbErr::Custom(other.to_string())),
    }
}
