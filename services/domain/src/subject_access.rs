//! Subject access: everything KeyCare holds about one child, as one JSON document, for the
//! data protection officer. The export is itself an access event (action `export`, kind
//! `subject_access`).
//!
//! The document:
//!
//! ```json
//! {
//!   "format": "keycare-subject-access-v1",
//!   "exportedAt": "2026-03-02T09:15:00.123456Z",
//!   "exportedBy": "<user id>",
//!   "child": { ...the child row... },
//!   "records": { "<table name>": [ ...rows ordered by id... ], ... },
//!   "recordRevisions": [ ...earlier versions of any of those records, ordered by id... ],
//!   "accessEvents": [ ...access events about the child, ordered by seq... ]
//! }
//! ```
//!
//! `records` holds placements, pre-admission visits, key team assignments, allocations,
//! drafts about the child and every child-record table of the schema (`child_record` in
//! `migrations/src/tables.rs`). Rows are the stored columns, as the entities serialise them.

use crate::audit::render_at;
use crate::error::{DomainError, DomainResult};
use crate::request::Request;
use keycare_authz::{Action, Kind};
use keycare_entity as e;
use sea_orm::{ColumnTrait, EntityName, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// The format tag of the document.
pub const FORMAT: &str = "keycare-subject-access-v1";

/// Record ids per `IN (...)` when loading revisions.
const IN_CHUNK: usize = 500;

fn to_json<T: serde::Serialize>(value: T) -> DomainResult<Value> {
    serde_json::to_value(value)
        .map_err(|e| DomainError::Db(sea_orm::DbErr::Custom(format!("subject access: {e}"))))
}

/// For each named entity module: the rows of the child, ordered by id, into `records`
/// (keyed by table name); their ids into `ids` (for revisions).
macro_rules! child_rows {
    ($txn:expr, $tenant:expr, $child:expr, $records:expr, $ids:expr; $($m:ident),* $(,)?) => {$(
        {
            let rows = e::$m::Entity::find()
                .filter(e::$m::Column::TenantId.eq($tenant))
                .filter(e::$m::Column::ChildId.eq($child))
                .order_by_asc(e::$m::Column::Id)
                .all($txn)
                .await?;
            $ids.extend(rows.iter().map(|r| r.id));
            $records.insert(e::$m::Entity.table_name().to_owned(), to_json(rows)?);
        }
    )*};
}

/// Everything held about the child, as one JSON document (DPO only). An unknown child, or
/// one of another council, is NOT_FOUND; so is `None` (an id that is not a child's).
pub async fn export(req: &Request, child_id: Option<Uuid>) -> DomainResult<Value> {
    let decision = req
        .access
        .decide_for_tenant(Kind::SubjectAccess, Action::Export);
    if !decision.is_allowed() {
        req.record_access(
            child_id,
            Kind::SubjectAccess,
            None,
            Action::Export,
            decision,
        );
        return Err(DomainError::Forbidden(
            "only the data protection officer may export a child's record".into(),
        ));
    }
    let tenant = req.identity.tenant_id;
    let txn = &req.txn;
    let Some(child_id) = child_id else {
        return Err(DomainError::NotFound);
    };
    let Some(child) = e::child::Entity::find_by_id(child_id)
        .filter(e::child::Column::TenantId.eq(tenant))
        .one(txn)
        .await?
    else {
        return Err(DomainError::NotFound);
    };
    req.record_access(
        Some(child_id),
        Kind::SubjectAccess,
        None,
        Action::Export,
        decision,
    );

    let mut records = Map::new();
    let mut ids: Vec<Uuid> = Vec::new();
    child_rows!(txn, tenant, child_id, records, ids;
        placement, pre_admission_visit, key_team_assignment, allocation, draft,
        // Every child-record table (tables.rs, child_record = true).
        key_session, monthly_summary, daily_log, care_plan, care_plan_review, safe_care_plan,
        safe_care_risk, missing_episode, safe_care_review, statutory_review, review_report,
        consultation_booklet, health_registration, health_appointment, health_measurement,
        health_assessment, medication_record, education_placement, school_liaison, pep_meeting,
        exclusion, significant_person, contact_arrangement, contact_restriction, contact_visit,
        file_audit, clothing_entry, pathway_plan, weekly_plan, chronology_entry,
    );

    // Earlier versions of the child's row and of any exported record.
    ids.push(child_id);
    let mut revisions = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        revisions.extend(
            e::record_revision::Entity::find()
                .filter(e::record_revision::Column::TenantId.eq(tenant))
                .filter(e::record_revision::Column::RecordId.is_in(chunk.iter().copied()))
                .all(txn)
                .await?,
        );
    }
    revisions.sort_by_key(|r| r.id);

    let events = e::access_event::Entity::find()
        .filter(e::access_event::Column::TenantId.eq(tenant))
        .filter(e::access_event::Column::ChildId.eq(child_id))
        .order_by_asc(e::access_event::Column::Seq)
        .all(txn)
        .await?;

    Ok(json!({
        "format": FORMAT,
        "exportedAt": render_at(req.now),
        "exportedBy": req.identity.user_id,
        "child": to_json(child)?,
        "records": Value::Object(records),
        "recordRevisions": to_json(revisions)?,
        "accessEvents": to_json(events)?,
    }))
}
