//! Daily logs: written by anyone who cares for the child, corrected (never deleted) with the
//! earlier version kept. Home staff may correct only what they wrote.

use crate::care_record::tables;
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use crate::writes::{
    MAX_SHORT, MAX_TEXT, keep_revision, optional_text, required_text, update_versioned,
};
use chrono::{DateTime, Duration, Utc};
use keycare_authz::{Kind, RecordFacts};
use keycare_entity as e;
use sea_orm::{ActiveModelTrait, Set};
use uuid::Uuid;

/// A daily log entry as entered.
#[derive(Debug, Clone)]
pub struct LogInput {
    pub occurred_at: DateTime<Utc>,
    pub text: String,
    pub categories: Vec<String>,
    pub restricted: bool,
}

fn categories(list: &[String]) -> DomainResult<serde_json::Value> {
    if list.len() > 10 {
        return Err(DomainError::bad_input(
            "categories",
            "at most 10 categories",
        ));
    }
    let mut out = Vec::new();
    for c in list {
        if let Some(c) = optional_text("categories", Some(c), MAX_SHORT)? {
            out.push(c.to_lowercase());
        }
    }
    Ok(serde_json::json!(out))
}

fn when(req: &Request, at: DateTime<Utc>) -> DomainResult<DateTime<Utc>> {
    if at > req.now + Duration::minutes(5) {
        return Err(DomainError::bad_input(
            "occurredAt",
            "is in the future: a log records what has happened",
        ));
    }
    Ok(at)
}

/// Writes a new entry.
pub async fn write(
    req: &Request,
    child: Uuid,
    input: LogInput,
) -> DomainResult<e::daily_log::Model> {
    req.require_write(
        child,
        Kind::DailyLog,
        None,
        RecordFacts {
            restricted: input.restricted,
            own: true,
            ..Default::default()
        },
    )
    .await?;
    let occurred_at = when(req, input.occurred_at)?;
    let text = required_text("text", &input.text, MAX_TEXT)?;
    let categories = categories(&input.categories)?;
    let txn = req.change().await?;
    let saved = e::daily_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(req.identity.tenant_id),
        child_id: Set(child),
        occurred_at: Set(occurred_at),
        text: Set(text),
        categories: Set(categories),
        author_id: Set(req.identity.user_id),
        restricted: Set(input.restricted),
        version: Set(1),
        created_at: Set(req.now),
        updated_at: Set(req.now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Corrects an entry; the earlier version is kept.
pub async fn correct(
    req: &Request,
    id: Uuid,
    expected_version: i32,
    text: &str,
    categories_in: Option<&[String]>,
) -> DomainResult<e::daily_log::Model> {
    // Of the caller's council only; a log they may not read (a restricted entry, a child
    // they may not see) does not exist for them, and the attempt is noted as denied. Home
    // staff may correct only what they wrote (FORBIDDEN otherwise, also noted).
    let log = req
        .record_for_change(
            &tables::daily_logs(),
            Kind::DailyLog,
            id,
            Some(expected_version),
        )
        .await?;
    let text = required_text("text", text, MAX_TEXT)?;
    let cats = match categories_in {
        Some(c) => categories(c)?,
        None => log.categories.clone(),
    };
    let txn = req.change().await?;
    keep_revision(req, &txn, "daily_logs", log.id, log.version, &log).await?;
    let version = log.version + 1;
    let active = e::daily_log::ActiveModel {
        text: Set(text),
        categories: Set(cats),
        version: Set(version),
        updated_at: Set(req.now),
        ..Default::default()
    };
    use e::daily_log::Column as C;
    let saved = update_versioned(&txn, active, C::Id, C::Version, id, expected_version).await?;
    txn.commit().await?;
    Ok(saved)
}
