//! The chronology: the timeline of significant events in a child's life. Entries are written
//! by hand, and derived as the events happen (a missing episode, an exclusion, a review's
//! outcome), naming the record they came from.

use crate::care_record::tables;
use crate::error::DomainResult;
use crate::records::{Stamp, plausible_date};
use crate::request::Request;
use crate::writes::{MAX_SHORT, MAX_TEXT, optional_text, required_text};
use chrono::NaiveDate;
use keycare_authz::Kind;
use keycare_entity as e;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set};
use uuid::Uuid;

/// A manual entry as entered.
#[derive(Debug, Clone)]
pub struct EntryInput {
    pub occurred_on: NaiveDate,
    pub title: String,
    pub detail: Option<String>,
    pub restricted: bool,
}

/// Adds a manual entry.
pub async fn add(
    req: &Request,
    child: Uuid,
    input: EntryInput,
) -> DomainResult<e::chronology_entry::Model> {
    let s = req
        .require_create(child, Kind::Chronology, input.restricted)
        .await?;
    // A chronology reaches back to birth: allow a century.
    let occurred_on = plausible_date(req, "occurredOn", input.occurred_on, 36_500, 0)?;
    let title = required_text("title", &input.title, MAX_SHORT)?;
    let detail = optional_text("detail", input.detail.as_deref(), MAX_TEXT)?;
    req.insert(entry(
        &s,
        occurred_on,
        title,
        detail,
        None,
        input.restricted,
    ))
    .await
}

/// Corrects a manual entry; the earlier version is kept.
pub async fn correct(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    input: EntryInput,
) -> DomainResult<e::chronology_entry::Model> {
    let table = tables::chronology_entries();
    let old = req
        .record_for_change(&table, Kind::Chronology, id, Some(expected_version))
        .await?;
    let occurred_on = plausible_date(req, "occurredOn", input.occurred_on, 36_500, 0)?;
    let active = e::chronology_entry::ActiveModel {
        occurred_on: Set(occurred_on),
        title: Set(required_text("title", &input.title, MAX_SHORT)?),
        detail: Set(optional_text("detail", input.detail.as_deref(), MAX_TEXT)?),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}

fn entry(
    s: &Stamp,
    occurred_on: NaiveDate,
    title: String,
    detail: Option<String>,
    source: Option<(&str, Uuid)>,
    restricted: bool,
) -> e::chronology_entry::ActiveModel {
    e::chronology_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(s.tenant),
        child_id: Set(s.child),
        occurred_on: Set(occurred_on),
        title: Set(title),
        detail: Set(detail),
        source_kind: Set(source.map(|(k, _)| k.to_owned())),
        source_id: Set(source.map(|(_, id)| id)),
        author_id: Set(s.author),
        restricted: Set(restricted),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    }
}

/// Derives an entry from an event recorded in `txn` (the event's own savepoint, so both are
/// saved or neither). Its title is short and plain; the detail stays in the source record,
/// readable only by those who may read that kind.
pub async fn derive(
    txn: &DatabaseTransaction,
    s: &Stamp,
    occurred_on: NaiveDate,
    title: String,
    source: (Kind, Uuid),
    restricted: bool,
) -> DomainResult<()> {
    entry(
        s,
        occurred_on,
        title,
        None,
        Some((source.0.as_str(), source.1)),
        restricted,
    )
    .insert(txn)
    .await?;
    Ok(())
}
