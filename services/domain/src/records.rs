//! The steps every change to a child's record takes, whatever its kind: the authorization
//! module decides (and the attempt is noted in the access log), a record the caller may not
//! read does not exist for them, `expectedVersion` guards against lost updates, the earlier
//! version is kept, and the change runs in its own savepoint.

use crate::care_record::RecordTable;
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{check_version, keep_revision, update_versioned};
use chrono::{DateTime, Utc};
use keycare_authz::{Action, Decision, Kind, RecordFacts};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use uuid::Uuid;

/// What a new record of a child is stamped with: its id, tenant, child, author and time.
#[derive(Debug, Clone, Copy)]
pub struct Stamp {
    pub id: Uuid,
    pub tenant: Uuid,
    pub child: Uuid,
    pub author: Uuid,
    pub now: DateTime<Utc>,
}

/// The dates a child's records may not precede.
#[derive(Debug, Clone, Copy)]
pub struct ChildDates {
    pub date_of_birth: chrono::NaiveDate,
    pub looked_after_since: chrono::NaiveDate,
    /// The first admission to one of the council's homes.
    pub first_admission: Option<chrono::NaiveDate>,
}

impl Request {
    /// The dates of a child the caller has already been allowed to write about.
    pub async fn child_dates(&self, child: Uuid) -> DomainResult<ChildDates> {
        use keycare_entity as e;
        use sea_orm::{QueryOrder, QuerySelect};
        let found = e::child::Entity::find_by_id(child)
            .one(&self.txn)
            .await?
            .ok_or(DomainError::NotFound)?;
        let first_admission = e::placement::Entity::find()
            .filter(e::placement::Column::ChildId.eq(child))
            .order_by_asc(e::placement::Column::AdmissionDate)
            .limit(1)
            .one(&self.txn)
            .await?
            .map(|p| p.admission_date);
        Ok(ChildDates {
            date_of_birth: found.date_of_birth,
            looked_after_since: found.looked_after_since,
            first_admission,
        })
    }

    /// Requires creating a record of `kind` for a child (NOT_FOUND if the child is not
    /// visible, FORBIDDEN if the kind may not be written) and stamps it.
    pub async fn require_create(
        &self,
        child: Uuid,
        kind: Kind,
        restricted: bool,
    ) -> DomainResult<Stamp> {
        self.require_write(
            child,
            kind,
            None,
            RecordFacts {
                restricted,
                own: true,
                ..Default::default()
            },
        )
        .await?;
        Ok(Stamp {
            id: Uuid::now_v7(),
            tenant: self.identity.tenant_id,
            child,
            author: self.identity.user_id,
            now: self.now,
        })
    }

    /// Loads a record to change it as `write_kind` (the table's own kind unless a part of the
    /// record is written under another, such as a review's outcome): NOT_FOUND if the caller
    /// may not read it, FORBIDDEN if they may read but not change it, CONFLICT if it moved on
    /// from `expected_version` (when given).
    pub async fn record_for_change<E: EntityTrait>(
        &self,
        table: &RecordTable<E>,
        write_kind: Kind,
        id: Uuid,
        expected_version: Option<i32>,
    ) -> DomainResult<E::Model>
    where
        <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        let model = self.readable_record(table, id).await?;
        let row = (table.row)(&model);
        self.require_write(
            row.child,
            write_kind,
            Some(id),
            RecordFacts {
                restricted: row.restricted,
                own: row.author == self.identity.user_id,
                ..Default::default()
            },
        )
        .await?;
        if let Some(expected) = expected_version {
            check_version(row.version, expected)?;
        }
        Ok(model)
    }

    /// A record of the caller's council the caller may read, or NOT_FOUND (without noting a
    /// read: the caller is about to act on it, and that action is what is noted; a record of
    /// this council they may not read is noted as a denied write).
    pub async fn readable_record<E: EntityTrait>(
        &self,
        table: &RecordTable<E>,
        id: Uuid,
    ) -> DomainResult<E::Model>
    where
        <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        // A record of another council is never loaded (nor logged): it does not exist here.
        let Some(model) = E::find_by_id(id)
            .filter(table.tenant.eq(self.identity.tenant_id))
            .one(&self.txn)
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
        let readable = match self.decide_read(row.child, table.kind, facts).await {
            Ok(decision) => decision.is_allowed(),
            Err(DomainError::NotFound) => false,
            Err(other) => return Err(other),
        };
        if !readable {
            self.record_access(
                Some(row.child),
                table.kind,
                Some(id),
                Action::Write,
                Decision::Denied,
            );
            return Err(DomainError::NotFound);
        }
        Ok(model)
    }

    /// Inserts a new record in its own savepoint.
    pub async fn insert<A>(&self, active: A) -> DomainResult<<A::Entity as EntityTrait>::Model>
    where
        A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
    {
        let txn = self.change().await?;
        let saved = active.insert(&txn).await?;
        txn.commit().await?;
        Ok(saved)
    }

    /// Saves a change to `old` (loaded with [`Request::record_for_change`]): keeps the earlier
    /// version, then writes `active` (which must set `version` to `old`'s + 1 and
    /// `updated_at`) only if the record is still at `old`'s version.
    pub async fn save_change<E, A>(
        &self,
        table: &RecordTable<E>,
        old: &E::Model,
        active: A,
    ) -> DomainResult<E::Model>
    where
        E: EntityTrait + Default,
        E::Model: Serialize,
        A: ActiveModelTrait<Entity = E> + Send,
        <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
    {
        let row = (table.row)(old);
        let txn = self.change().await?;
        keep_revision(
            self,
            &txn,
            E::default().table_name(),
            row.id,
            row.version,
            old,
        )
        .await?;
        let saved =
            update_versioned(&txn, active, table.id, table.version, row.id, row.version).await?;
        txn.commit().await?;
        Ok(saved)
    }
}

/// A user of the caller's council named in an input (`field`): BAD_USER_INPUT when there is
/// no such active user.
pub async fn colleague(req: &Request, id: Uuid, field: &str) -> DomainResult<Uuid> {
    let found = keycare_entity::user::Entity::find_by_id(id)
        .filter(keycare_entity::user::Column::TenantId.eq(req.identity.tenant_id))
        .filter(keycare_entity::user::Column::Active.eq(true))
        .one(&req.txn)
        .await?;
    match found {
        Some(user) => Ok(user.id),
        None => Err(DomainError::bad_input(
            field,
            "is not an active user of your council",
        )),
    }
}

/// Refuses a date further than `days` from today in either direction (a typing slip such as
/// 2062 for 2026), naming the field.
pub fn plausible_date(
    req: &Request,
    field: &str,
    date: chrono::NaiveDate,
    past_days: i64,
    future_days: i64,
) -> DomainResult<chrono::NaiveDate> {
    let today = req.now.date_naive();
    if date < today - chrono::Duration::days(past_days) {
        return Err(DomainError::bad_input(
            field,
            format!("is more than {past_days} days ago"),
        ));
    }
    if date > today + chrono::Duration::days(future_days) {
        return Err(DomainError::bad_input(
            field,
            if future_days == 0 {
                "is in the future: record what has happened".to_owned()
            } else {
                format!("is more than {future_days} days ahead")
            },
        ));
    }
    Ok(date)
}

/// Refuses a time in the future (five minutes' grace for clocks), naming the field.
pub fn not_future(req: &Request, field: &str, at: DateTime<Utc>) -> DomainResult<DateTime<Utc>> {
    if at > req.now + chrono::Duration::minutes(5) {
        return Err(DomainError::bad_input(
            field,
            "is in the future: record what has happened",
        ));
    }
    Ok(at)
}
