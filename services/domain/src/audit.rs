//! The access log: an append-only, hash-chained record of every access to a child's data.
//!
//! Each tenant has its own chain. Event `seq` n (from 1) carries `prev_hash`, the `hash` of
//! event n - 1 (64 zeros for the first event), and its own `hash`: the lower-case hex
//! SHA-256 of the canonical rendering below. Editing, deleting or reordering an event breaks
//! the chain at that event, and [`verify`] names it.
//!
//! # Canonical rendering (version 1)
//!
//! The bytes hashed are the ASCII tag `keycare-access-event-v1` followed by these fields, in
//! this order, each written as `<length in bytes, decimal>:<text>;` or, when the field is
//! null, as `-;`:
//!
//! | field | text |
//! |---|---|
//! | tenant_id | UUID, lower-case hyphenated |
//! | seq | decimal |
//! | user_id | UUID or null |
//! | basis | policy word (`key_team`, `manager`, ...) or null (denied) |
//! | child_id | UUID or null (tenant-level events) |
//! | record_kind | policy word (`daily_log`, `access_log`, ...) |
//! | record_id | UUID or null |
//! | action | `read`, `write` or `export` |
//! | allowed | `true` or `false` |
//! | request_id | as received (may be empty) |
//! | at | RFC 3339 in UTC with exactly six fractional digits, `2026-03-02T09:15:00.123456Z` |
//! | prev_hash | 64 lower-case hex digits |
//!
//! Length prefixes make the rendering unambiguous whatever the fields contain. `at` is
//! truncated to microseconds before it is stored, so that both databases give back exactly
//! the instant that was hashed.
//!
//! # Appending
//!
//! [`append`] runs inside the request's transaction: it serialises appends per tenant
//! (PostgreSQL: a transaction-scoped advisory lock keyed by the tenant; SQLite: the single
//! writer), reads the chain head once and inserts all of the request's events in one
//! multi-row insert (48 events a statement, see `INSERT_CHUNK`: nearly every request takes
//! one). The unique index on (tenant_id, seq) guarantees that a chain can never fork,
//! whatever happens. On PostgreSQL the application role may only SELECT and INSERT
//! access events.

use crate::db::set_tenant;
use crate::error::{DomainError, DomainResult};
use crate::identity::Identity;
use crate::request::{AccessEvent, Request, authz_error};
use chrono::{DateTime, SubsecRound, Utc};
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use keycare_entity as e;
use keycare_entity::enums::AccessAction;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `prev_hash` of the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Tag that starts every rendering; a new rendering gets a new tag.
const TAG: &str = "keycare-access-event-v1";

/// Rows per INSERT statement. Requests of up to 48 events (nearly all) take one INSERT.
/// Measured on PostgreSQL (sqlx): a statement of 64 or more rows (about 900 parameters)
/// costs a flat ~45 ms more than one of 50 rows (driver/TCP round trip), so 100 events in
/// two statements take ~5 ms where one statement takes ~47 ms.
pub const INSERT_CHUNK: usize = 48;

/// Rows read per query while verifying.
const VERIFY_BATCH: u64 = 5_000;

/// The first key of the PostgreSQL advisory lock that serialises appends ("KCAL").
const LOCK_CLASS: i32 = 0x4b43_414c;

/// The fields of an event that its hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainFields<'a> {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub user_id: Option<Uuid>,
    pub basis: Option<&'a str>,
    pub child_id: Option<Uuid>,
    pub record_kind: &'a str,
    pub record_id: Option<Uuid>,
    pub action: &'a str,
    pub allowed: bool,
    pub request_id: &'a str,
    pub at: DateTime<Utc>,
    pub prev_hash: &'a str,
}

impl<'a> ChainFields<'a> {
    /// The fields of a stored event.
    pub fn of(m: &'a e::access_event::Model) -> ChainFields<'a> {
        ChainFields {
            tenant_id: m.tenant_id,
            seq: m.seq,
            user_id: m.user_id,
            basis: m.basis.as_deref(),
            child_id: m.child_id,
            record_kind: &m.record_kind,
            record_id: m.record_id,
            action: action_word(m.action),
            allowed: m.allowed,
            request_id: &m.request_id,
            at: m.at,
            prev_hash: &m.prev_hash,
        }
    }
}

/// The instant as rendered for hashing: RFC 3339, UTC, microseconds.
pub fn render_at(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The canonical rendering of an event (see the module documentation).
pub fn canonical(f: &ChainFields<'_>) -> String {
    fn field(out: &mut String, value: Option<&str>) {
        match value {
            Some(v) => {
                out.push_str(&v.len().to_string());
                out.push(':');
                out.push_str(v);
                out.push(';');
            }
            None => out.push_str("-;"),
        }
    }
    let uuid = |u: Option<Uuid>| u.map(|u| u.hyphenated().to_string());
    let mut out = String::with_capacity(384);
    out.push_str(TAG);
    field(&mut out, Some(&f.tenant_id.hyphenated().to_string()));
    field(&mut out, Some(&f.seq.to_string()));
    field(&mut out, uuid(f.user_id).as_deref());
    field(&mut out, f.basis);
    field(&mut out, uuid(f.child_id).as_deref());
    field(&mut out, Some(f.record_kind));
    field(&mut out, uuid(f.record_id).as_deref());
    field(&mut out, Some(f.action));
    field(&mut out, Some(if f.allowed { "true" } else { "false" }));
    field(&mut out, Some(f.request_id));
    field(&mut out, Some(&render_at(f.at)));
    field(&mut out, Some(f.prev_hash));
    out
}

/// The hash of an event: lower-case hex SHA-256 of its canonical rendering.
pub fn event_hash(f: &ChainFields<'_>) -> String {
    hex::encode(Sha256::digest(canonical(f).as_bytes()))
}

/// How an authorization action is stored in the log.
pub fn stored_action(action: Action) -> AccessAction {
    match action {
        Action::Read | Action::ReadSubmitted => AccessAction::Read,
        Action::Write | Action::WriteOwn => AccessAction::Write,
        Action::Export => AccessAction::Export,
    }
}

/// The word of a stored action (as hashed).
pub fn action_word(action: AccessAction) -> &'static str {
    match action {
        AccessAction::Read => "read",
        AccessAction::Write => "write",
        AccessAction::Export => "export",
    }
}

/// The second key of the advisory lock: the tenant, folded to 32 bits. Two tenants sharing
/// a key only ever wait for each other; they never share a chain.
fn lock_key(tenant: Uuid) -> i32 {
    let b = tenant.as_bytes();
    let mut k = [0u8; 4];
    for (i, byte) in b.iter().enumerate() {
        k[i % 4] ^= byte;
    }
    i32::from_be_bytes(k)
}

/// The head of a tenant's chain: its last seq and hash.
async fn head<C: ConnectionTrait>(conn: &C, tenant: Uuid) -> DomainResult<(i64, String)> {
    let last: Option<(i64, String)> = e::access_event::Entity::find()
        .select_only()
        .column(e::access_event::Column::Seq)
        .column(e::access_event::Column::Hash)
        .filter(e::access_event::Column::TenantId.eq(tenant))
        .order_by_desc(e::access_event::Column::Seq)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(last.unwrap_or_else(|| (0, GENESIS.to_owned())))
}

/// Appends a request's access events to its tenant's chain, inside the request's transaction.
pub async fn append(
    txn: &DatabaseTransaction,
    who: &Identity,
    request_id: &str,
    at: DateTime<Utc>,
    events: &[AccessEvent],
) -> DomainResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let tenant = who.tenant_id;
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, $2)",
            [LOCK_CLASS.into(), lock_key(tenant).into()],
        ))
        .await?;
    }
    let at = at.trunc_subsecs(6);
    let (mut seq, mut prev) = head(txn, tenant).await?;
    let mut rows = Vec::with_capacity(events.len());
    for ev in events {
        seq += 1;
        let action = stored_action(ev.action);
        let basis = ev.basis.map(|b| b.as_str());
        let hash = event_hash(&ChainFields {
            tenant_id: tenant,
            seq,
            user_id: Some(who.user_id),
            basis,
            child_id: ev.child_id,
            record_kind: ev.kind.as_str(),
            record_id: ev.record_id,
            action: action_word(action),
            allowed: ev.allowed,
            request_id,
            at,
            prev_hash: &prev,
        });
        rows.push(e::access_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant),
            seq: Set(seq),
            user_id: Set(Some(who.user_id)),
            basis: Set(basis.map(str::to_owned)),
            child_id: Set(ev.child_id),
            record_kind: Set(ev.kind.as_str().to_owned()),
            record_id: Set(ev.record_id),
            action: Set(action),
            allowed: Set(ev.allowed),
            request_id: Set(request_id.to_owned()),
            at: Set(at),
            prev_hash: Set(std::mem::replace(&mut prev, hash.clone())),
            hash: Set(hash),
        });
    }
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(INSERT_CHUNK));
        e::access_event::Entity::insert_many(std::mem::replace(&mut rows, rest))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub seq: i64,
    pub event_id: Uuid,
    /// What is wrong, in words.
    pub problem: String,
}

/// The outcome of verifying one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    /// Events checked (up to and including a broken one).
    pub events: u64,
    pub broken: Option<BrokenLink>,
}

impl std::fmt::Display for ChainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.broken {
            None => write!(
                f,
                "{}: {} events, chain intact",
                self.tenant_slug, self.events
            ),
            Some(b) => write!(
                f,
                "{}: BROKEN at seq {} (event {}): {}",
                self.tenant_slug, b.seq, b.event_id, b.problem
            ),
        }
    }
}

/// The outcome of verifying every tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub chains: Vec<ChainReport>,
}

impl VerifyReport {
    /// True when every chain is intact.
    pub fn intact(&self) -> bool {
        self.chains.iter().all(|c| c.broken.is_none())
    }

    /// The broken chains.
    pub fn broken(&self) -> impl Iterator<Item = &ChainReport> {
        self.chains.iter().filter(|c| c.broken.is_some())
    }
}

/// Checks one event against the one before it; the problem, if any.
pub fn check_link(m: &e::access_event::Model, prev_seq: i64, prev_hash: &str) -> Option<String> {
    if m.seq != prev_seq + 1 {
        return Some(if prev_seq == 0 {
            format!("the chain starts at seq {} instead of 1", m.seq)
        } else {
            format!("seq {} follows seq {prev_seq}: events are missing", m.seq)
        });
    }
    if m.prev_hash != prev_hash {
        return Some(if prev_seq == 0 {
            "prev_hash of the first event is not the genesis value".to_owned()
        } else {
            format!("prev_hash does not match the hash of seq {prev_seq}")
        });
    }
    if event_hash(&ChainFields::of(m)) != m.hash {
        return Some("hash does not match its content".to_owned());
    }
    None
}

/// Walks one tenant's chain in seq order, a batch at a time (bounded memory), and reports
/// the first broken link.
pub async fn verify_tenant(
    db: &DatabaseConnection,
    tenant: &e::tenant::Model,
) -> DomainResult<ChainReport> {
    let txn = db.begin().await?;
    set_tenant(&txn, tenant.id).await?;
    let mut report = ChainReport {
        tenant_id: tenant.id,
        tenant_slug: tenant.slug.clone(),
        events: 0,
        broken: None,
    };
    let (mut prev_seq, mut prev_hash) = (0i64, GENESIS.to_owned());
    'walk: loop {
        let batch = e::access_event::Entity::find()
            .filter(e::access_event::Column::TenantId.eq(tenant.id))
            .filter(e::access_event::Column::Seq.gt(prev_seq))
            .order_by_asc(e::access_event::Column::Seq)
            .limit(VERIFY_BATCH)
            .all(&txn)
            .await?;
        let done = (batch.len() as u64) < VERIFY_BATCH;
        for m in batch {
            report.events += 1;
            if let Some(problem) = check_link(&m, prev_seq, &prev_hash) {
                report.broken = Some(BrokenLink {
                    seq: m.seq,
                    event_id: m.id,
                    problem,
                });
                break 'walk;
            }
            prev_seq = m.seq;
            prev_hash = m.hash;
        }
        if done {
            break;
        }
    }
    txn.commit().await?;
    Ok(report)
}

/// Verifies every tenant's chain (the tenants table is readable before a tenant is set).
pub async fn verify(db: &DatabaseConnection) -> DomainResult<VerifyReport> {
    let tenants = e::tenant::Entity::find()
        .order_by_asc(e::tenant::Column::Slug)
        .all(db)
        .await?;
    let mut chains = Vec::with_capacity(tenants.len());
    for tenant in &tenants {
        chains.push(verify_tenant(db, tenant).await?);
    }
    Ok(VerifyReport { chains })
}

/// What the access log may be filtered by.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    pub child_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// A record kind as the policy names it (`daily_log`); an unknown word is a bad input.
    pub kind: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant (exclusive).
    pub to: Option<DateTime<Utc>>,
}

/// One page of the access log, newest first.
#[derive(Debug, Clone)]
pub struct LogPage {
    /// Each event with its user, when the user still exists.
    pub events: Vec<(e::access_event::Model, Option<e::user::Model>)>,
    /// More events follow the last one of this page.
    pub has_next: bool,
}

/// Most events on one page.
pub const MAX_PAGE: u64 = 200;

/// A page of the access log, newest first (by seq), after the event `before_seq` when given.
///
/// The DPO reads the whole tenant's log; a manager reads the events about the children whose
/// access log the policy lets them read (`child_access_log`), filtered in SQL; anyone else is
/// FORBIDDEN. Reading the log is itself logged, once per request (kind `access_log`).
pub async fn list(
    req: &Request,
    filter: &LogFilter,
    first: u64,
    before_seq: Option<i64>,
) -> DomainResult<LogPage> {
    use e::access_event::Column as C;
    let kind = match filter.kind.as_deref() {
        None => None,
        Some(word) if word.len() > 64 => {
            return Err(DomainError::bad_input(
                "kind",
                "is not a record kind of the access policy (at most 64 characters)",
            ));
        }
        Some(word) => Some(Kind::parse(word).ok_or_else(|| {
            DomainError::bad_input(
                "kind",
                format!("{word:?} is not a record kind of the access policy"),
            )
        })?),
    };
    let tenant_wide = req.access.decide_for_tenant(Kind::AccessLog, Action::Read);
    let (decision, scope) = if tenant_wide.is_allowed() {
        (tenant_wide, None)
    } else {
        let scope = req
            .access
            .read_scope(&req.txn, Kind::ChildAccessLog)
            .await
            .map_err(authz_error)?;
        let basis_child = filter
            .child_id
            .filter(|c| scope.children.contains(c))
            .or(scope.children.first().copied());
        let decision = match basis_child {
            Some(child) => req
                .access
                .decide_for_child(
                    &req.txn,
                    child,
                    Kind::ChildAccessLog,
                    Action::Read,
                    RecordFacts::default(),
                )
                .await
                .map_err(authz_error)?,
            None => Decision::Denied,
        };
        (decision, Some(scope.children))
    };
    // The child the read was about, when the caller asked about one they may see.
    let about = match &scope {
        Some(children) => filter.child_id.filter(|c| children.contains(c)),
        None => filter.child_id,
    };
    req.record_access(about, Kind::AccessLog, None, Action::Read, decision);
    if !decision.is_allowed() {
        return Err(DomainError::Forbidden(
            "only the data protection officer and managers may read the access log".into(),
        ));
    }
    let mut q = e::access_event::Entity::find().filter(C::TenantId.eq(req.identity.tenant_id));
    if let Some(children) = scope {
        q = q.filter(C::ChildId.is_in(children));
    }
    if let Some(child) = filter.child_id {
        q = q.filter(C::ChildId.eq(child));
    }
    if let Some(user) = filter.user_id {
        q = q.filter(C::UserId.eq(user));
    }
    if let Some(kind) = kind {
        q = q.filter(C::RecordKind.eq(kind.as_str()));
    }
    if let Some(from) = filter.from {
        q = q.filter(C::At.gte(from.trunc_subsecs(6)));
    }
    if let Some(to) = filter.to {
        q = q.filter(C::At.lt(to.trunc_subsecs(6)));
    }
    if let Some(seq) = before_seq {
        q = q.filter(C::Seq.lt(seq));
    }
    let first = first.min(MAX_PAGE);
    let mut events = q
        .order_by_desc(C::Seq)
        .limit(first + 1)
        .find_also_related(e::user::Entity)
        .all(&req.txn)
        .await?;
    let has_next = events.len() as u64 > first;
    events.truncate(first as usize);
    Ok(LogPage { events, has_next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn fields(prev: &str) -> ChainFields<'_> {
        ChainFields {
            tenant_id: Uuid::from_u128(1),
            seq: 1,
            user_id: Some(Uuid::from_u128(2)),
            basis: Some("key_team"),
            child_id: Some(Uuid::from_u128(3)),
            record_kind: "daily_log",
            record_id: None,
            action: "read",
            allowed: true,
            request_id: "req-1",
            at: Utc
                .with_ymd_and_hms(2026, 3, 2, 9, 15, 0)
                .single()
                .expect("valid")
                + chrono::Duration::microseconds(123_456),
            prev_hash: prev,
        }
    }

    #[test]
    fn the_rendering_is_the_documented_one() {
        let f = fields(GENESIS);
        assert_eq!(
            canonical(&f),
            format!(
                "keycare-access-event-v1\
                 36:00000000-0000-0000-0000-000000000001;1:1;\
                 36:00000000-0000-0000-0000-000000000002;8:key_team;\
                 36:00000000-0000-0000-0000-000000000003;9:daily_log;-;4:read;4:true;\
                 5:req-1;27:2026-03-02T09:15:00.123456Z;64:{GENESIS};"
            )
        );
        let h = event_hash(&f);
        assert_eq!(h.len(), 64);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(h, event_hash(&fields(GENESIS)), "deterministic");
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = fields(GENESIS);
        let h = event_hash(&base);
        let other = "1".repeat(64);
        let variants = [
            ChainFields {
                tenant_id: Uuid::from_u128(9),
                ..base
            },
            ChainFields { seq: 2, ..base },
            ChainFields {
                user_id: None,
                ..base
            },
            ChainFields {
                basis: None,
                ..base
            },
            ChainFields {
                child_id: None,
                ..base
            },
            ChainFields {
                record_kind: "key_session",
                ..base
            },
            ChainFields {
                record_id: Some(Uuid::from_u128(3)),
                ..base
            },
            ChainFields {
                action: "write",
                ..base
            },
            ChainFields {
                allowed: false,
                ..base
            },
            ChainFields {
                request_id: "req-2",
                ..base
            },
            ChainFields {
                at: base.at + chrono::Duration::microseconds(1),
                ..base
            },
            ChainFields {
                prev_hash: &other,
                ..base
            },
        ];
        for v in variants {
            assert_ne!(event_hash(&v), h, "{v:?}");
        }
    }

    #[test]
    fn null_and_empty_render_differently() {
        let base = fields(GENESIS);
        let empty = ChainFields {
            basis: Some(""),
            ..base
        };
        let null = ChainFields {
            basis: None,
            ..base
        };
        assert_ne!(event_hash(&empty), event_hash(&null));
        // A separator inside a value cannot shift fields.
        let a = ChainFields {
            request_id: "a;4:read",
            ..base
        };
        assert_ne!(canonical(&a), canonical(&base));
    }

    #[test]
    fn actions_are_stored_as_read_write_or_export() {
        assert_eq!(stored_action(Action::ReadSubmitted), AccessAction::Read);
        assert_eq!(stored_action(Action::WriteOwn), AccessAction::Write);
        assert_eq!(stored_action(Action::Export), AccessAction::Export);
        assert_eq!(GENESIS.len(), 64);
    }

    fn model(seq: i64, prev: &str) -> e::access_event::Model {
        let f = fields(prev);
        let mut m = e::access_event::Model {
            id: Uuid::from_u128(seq as u128 + 100),
            tenant_id: f.tenant_id,
            seq,
            user_id: f.user_id,
            basis: f.basis.map(str::to_owned),
            child_id: f.child_id,
            record_kind: f.record_kind.to_owned(),
            record_id: f.record_id,
            action: AccessAction::Read,
            allowed: f.allowed,
            request_id: f.request_id.to_owned(),
            at: f.at,
            prev_hash: prev.to_owned(),
            hash: String::new(),
        };
        m.hash = event_hash(&ChainFields::of(&m));
        m
    }

    #[test]
    fn links_are_checked_for_seq_linkage_and_content() {
        let first = model(1, GENESIS);
        assert_eq!(check_link(&first, 0, GENESIS), None);
        let second = model(2, &first.hash);
        assert_eq!(check_link(&second, 1, &first.hash), None);
        assert!(
            check_link(&second, 0, GENESIS)
                .expect("broken")
                .contains("starts at seq 2")
        );
        let third = model(3, &first.hash);
        assert!(
            check_link(&third, 1, &first.hash)
                .expect("broken")
                .contains("missing")
        );
        assert!(
            check_link(&third, 2, &second.hash)
                .expect("broken")
                .contains("prev_hash")
        );
        let mut edited = second.clone();
        edited.allowed = false;
        assert_eq!(
            check_link(&edited, 1, &first.hash).as_deref(),
            Some("hash does not match its content")
        );
    }
}
