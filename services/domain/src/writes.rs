//! Rules every change to the care record follows: the authorization module decides (and
//! the attempt is noted in the access log), `expectedVersion` guards against lost updates,
//! the earlier version is kept, and each change runs in its own savepoint so a refused
//! change leaves nothing half-done.

use crate::error::{DomainError, DomainResult};
use crate::request::{Request, authz_error};
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use keycare_entity as e;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

/// The longest free text accepted in one field (about 10 pages).
pub const MAX_TEXT: usize = 20_000;
/// The longest short text (names, venues).
pub const MAX_SHORT: usize = 200;

impl Request {
    /// Requires changing `kind` for a child: NOT_FOUND if the caller may not see the child,
    /// FORBIDDEN if they may see but not change it. The attempt is noted either way.
    pub async fn require_write(
        &self,
        child: Uuid,
        kind: Kind,
        record: Option<Uuid>,
        facts: RecordFacts,
    ) -> DomainResult<Decision> {
        let children = self.access.children(&self.txn).await.map_err(authz_error)?;
        let visible = children
            .get(&child)
            .is_some_and(|a| self.access.sees(a).is_allowed());
        if !visible {
            self.record_denied_unseen(child, kind, record, Action::Write)
                .await?;
            return Err(DomainError::NotFound);
        }
        let decision = children
            .get(&child)
            .map(|a| self.access.decide(a, kind, Action::Write, facts))
            .unwrap_or(Decision::Denied);
        self.record_access(Some(child), kind, record, Action::Write, decision);
        match decision {
            Decision::Denied => Err(DomainError::Forbidden(format!(
                "you may not change this child's {}",
                kind.as_str().replace('_', " ")
            ))),
            allowed => Ok(allowed),
        }
    }

    /// A savepoint for one change: commit it when the change is complete.
    pub async fn change(&self) -> DomainResult<DatabaseTransaction> {
        Ok(self.txn.begin().await?)
    }
}

/// Refuses a stale update.
pub fn check_version(field_current: i32, expected: i32) -> DomainResult<()> {
    if field_current != expected {
        return Err(DomainError::Conflict(format!(
            "the record was changed by someone else (now version {field_current}, you had version {expected}); reload it and apply your change again"
        )));
    }
    Ok(())
}

/// Keeps the version of a record that is about to change.
pub async fn keep_revision<M: Serialize>(
    req: &Request,
    txn: &DatabaseTransaction,
    table: &str,
    id: Uuid,
    version: i32,
    model: &M,
) -> DomainResult<()> {
    e::record_revision::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        table_name: Set(table.to_owned()),
        record_id: Set(id),
        version: Set(version),
        data: Set(serde_json::to_value(model)
            .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(e.to_string())))?),
        changed_by: Set(req.identity.user_id),
        changed_at: Set(req.now),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Required text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::bad_input(field, "must not be empty"));
    }
    optional_text(field, Some(v), max).map(|o| o.unwrap_or_default())
}

/// Optional text: trimmed (empty means none), at most `max` characters.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> DomainResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.chars().count() > max => Err(DomainError::bad_input(
            field,
            format!(
                "is {} characters long; the most is {max}",
                v.chars().count()
            ),
        )),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// Writes a change only if the record is still at `expected` version (the check is part of
/// the UPDATE, so two concurrent edits cannot both pass it): CONFLICT otherwise.
pub async fn update_versioned<E, A, C>(
    txn: &DatabaseTransaction,
    active: A,
    id_col: C,
    version_col: C,
    id: Uuid,
    expected: i32,
) -> DomainResult<E::Model>
where
    E: sea_orm::EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
    C: sea_orm::ColumnTrait,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    use sea_orm::QueryFilter;
    let res = E::update_many()
        .set(active)
        .filter(id_col.eq(id))
        .filter(version_col.eq(expected))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(DomainError::Conflict(format!(
            "the record was changed by someone else since you read version {expected}; reload it and apply your change again"
        )));
    }
    E::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)
}
