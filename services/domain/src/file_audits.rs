//! The weekly file audit by the key carer: each required document present and current (or
//! not applicable to this child), what was updated, and the signature.

use crate::care_record::tables;
use crate::education::monday;
use crate::error::{DomainError, DomainResult};
use crate::records::plausible_date;
use crate::request::Request;
use crate::writes::{MAX_TEXT, optional_text};
use chrono::NaiveDate;
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::{AuditDocument, AuditItem};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// The checklist of an audit as stored (an unreadable one reads as empty).
pub fn items(audit: &e::file_audit::Model) -> Vec<AuditItem> {
    serde_json::from_value(audit.checklist.clone()).unwrap_or_default()
}

fn checklist(items: &[AuditItem]) -> DomainResult<serde_json::Value> {
    for doc in AuditDocument::ALL {
        match items.iter().filter(|i| i.document == doc).count() {
            1 => {}
            0 => {
                return Err(DomainError::bad_input(
                    "items",
                    format!(
                        "give every document of the audit: {doc:?} is missing (mark it not applicable if it does not apply)"
                    ),
                ));
            }
            _ => {
                return Err(DomainError::bad_input(
                    "items",
                    format!("{doc:?} is given more than once"),
                ));
            }
        }
    }
    if let Some(i) = items
        .iter()
        .find(|i| !i.applicable && (i.present || i.current))
    {
        return Err(DomainError::bad_input(
            "items",
            format!(
                "{:?} is marked not applicable, so it cannot be present or current",
                i.document
            ),
        ));
    }
    if let Some(i) = items.iter().find(|i| i.current && !i.present) {
        return Err(DomainError::bad_input(
            "items",
            format!("{:?} cannot be current when it is not on file", i.document),
        ));
    }
    let mut sorted = items.to_vec();
    sorted.sort_by_key(|i| i.document);
    serde_json::to_value(sorted).map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(e.to_string())))
}

/// Records the audit of a week (one per child and week).
pub async fn record(
    req: &Request,
    child: Uuid,
    week_of: NaiveDate,
    items: &[AuditItem],
    updates: Option<&str>,
) -> DomainResult<e::file_audit::Model> {
    let s = req.require_create(child, Kind::FileAudit, false).await?;
    let week_of = plausible_date(req, "weekOf", monday("weekOf", week_of)?, 366, 0)?;
    let checklist = checklist(items)?;
    let updates = optional_text("updates", updates, MAX_TEXT)?;
    let taken = e::file_audit::Entity::find()
        .filter(e::file_audit::Column::ChildId.eq(child))
        .filter(e::file_audit::Column::WeekOf.eq(week_of))
        .one(&req.txn)
        .await?;
    if taken.is_some() {
        return Err(DomainError::Conflict(format!(
            "the file audit of the week of {week_of} is already recorded"
        )));
    }
    req.insert(e::file_audit::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        week_of: Set(week_of),
        checklist: Set(checklist),
        updates: Set(updates),
        signed_at: Set(None),
        signed_by_id: Set(None),
        author_id: Set(s.author),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// Signs an audit (once); the signer is the caller.
pub async fn sign(
    req: &Request,
    id: Uuid,
    expected_version: i32,
) -> DomainResult<e::file_audit::Model> {
    let table = tables::file_audits();
    let old = req
        .record_for_change(&table, Kind::FileAudit, id, Some(expected_version))
        .await?;
    if old.signed_at.is_some() {
        return Err(DomainError::Conflict(
            "the audit has already been signed".into(),
        ));
    }
    let active = e::file_audit::ActiveModel {
        signed_at: Set(Some(req.now)),
        signed_by_id: Set(Some(req.identity.user_id)),
        version: Set(old.version + 1),
        updated_at: Set(req.now),
        ..Default::default()
    };
    req.save_change(&table, &old, active).await
}
