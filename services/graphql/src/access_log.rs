//! The access log for the data protection officer and managers, and the subject access
//! export for the data protection officer.

use crate::error::gql;
use crate::ids::{global_id, parse_global_id};
use crate::request::request;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, ID, Json, Object, Result, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use keycare_domain::DomainError;
use keycare_domain::audit::{self, LogFilter};
use keycare_domain::subject_access;
use keycare_entity::enums::AccessAction;
use keycare_entity::{access_event, user};
use uuid::Uuid;

/// Events on a page when `first` is not given.
const DEFAULT_PAGE: i32 = 50;

/// A page of access events, newest first.
pub type AccessEventConnection = Connection<String, AccessEvent, EmptyFields, EmptyFields>;

/// Who did something recorded in the access log.
#[derive(SimpleObject)]
pub struct AccessEventUser {
    /// Global id of the user.
    pub id: ID,
    /// The user's name.
    pub name: String,
}

/// One access to a child's data (or to the log itself), allowed or denied. Events are
/// append-only and hash-chained per council: `keycare audit verify` finds any edit.
#[derive(SimpleObject)]
pub struct AccessEvent {
    /// Global id of the event.
    pub id: ID,
    /// When the request that made the access was judged (UTC, microseconds).
    pub at: DateTime<Utc>,
    /// Who made the access; null when the account no longer exists.
    pub user: Option<AccessEventUser>,
    /// The basis that allowed it (`key_team`, `home_staff`, `manager`, `social_worker`,
    /// `iro`, `dpo`, ...); null when it was denied.
    pub basis: Option<String>,
    /// Global id of the child whose data it was; null for council-level access (reading the
    /// access log across the council).
    pub child_id: Option<ID>,
    /// The kind of record, as the access policy names it (`daily_log`, `care_plan`,
    /// `access_log`, `subject_access`, ...).
    pub record_kind: String,
    /// The database id (UUID) of the record acted on; null for a list or a whole kind.
    pub record_id: Option<String>,
    /// What was done: read, write (create or change) or export.
    pub action: AccessAction,
    /// False when the access was denied.
    pub allowed: bool,
    /// The id of the HTTP request (`x-request-id`) that made the access.
    pub request_id: String,
    /// Position in the council's chain, from 1.
    pub seq: i64,
}

impl AccessEvent {
    fn new(m: access_event::Model, u: Option<user::Model>) -> AccessEvent {
        AccessEvent {
            id: global_id("AccessEvent", m.id),
            at: m.at,
            user: u.map(|u| AccessEventUser {
                id: global_id("User", u.id),
                name: u.name,
            }),
            basis: m.basis,
            child_id: m.child_id.map(|c| global_id("Child", c)),
            record_kind: m.record_kind,
            record_id: m.record_id.map(|r| r.to_string()),
            action: m.action,
            allowed: m.allowed,
            request_id: m.request_id,
            seq: m.seq,
        }
    }
}

/// The opaque cursor of an event: its position in the chain.
fn cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("access_event:{seq}"))
}

fn parse_cursor(s: &str) -> Option<i64> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
    text.strip_prefix("access_event:")?.parse().ok()
}

/// A global id of type `kind` given as a filter; anything else is a bad input.
fn filter_id(id: Option<ID>, kind: &str, field: &str) -> Result<Option<Uuid>> {
    id.map(|id| match parse_global_id(&id) {
        Some((k, uuid)) if k == kind => Ok(uuid),
        _ => Err(gql(DomainError::bad_input(
            field,
            format!("is not the id of a {kind}"),
        ))),
    })
    .transpose()
}

/// Queries of this module.
#[derive(Default)]
pub struct AccessLogQuery;

/// Queries of this module.
#[Object]
impl AccessLogQuery {
    /// The access log, newest first: every allowed or denied access to a child's data, with
    /// who, on what basis, which record, and when. The data protection officer sees the
    /// whole council's log; a manager sees the events about the children of their home(s);
    /// anyone else is FORBIDDEN. Reading the log is itself logged.
    #[allow(clippy::too_many_arguments)]
    async fn access_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only events about this child.")] child_id: Option<ID>,
        #[graphql(desc = "Only events of this user.")] user_id: Option<ID>,
        #[graphql(
            desc = "Only events about this kind of record, as the access policy names it (`daily_log`, `access_log`, ...)."
        )]
        kind: Option<String>,
        #[graphql(desc = "Only events at or after this instant.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Only events before this instant.")] to: Option<DateTime<Utc>>,
        #[graphql(desc = "How many events (default 50, at most 200).")] first: Option<i32>,
        #[graphql(desc = "Events after this cursor (an `endCursor` of an earlier page).")]
        after: Option<String>,
    ) -> Result<AccessEventConnection> {
        let req = request(ctx)?;
        let first = first.unwrap_or(DEFAULT_PAGE);
        if first < 0 {
            return Err(gql(DomainError::bad_input("first", "must not be negative")));
        }
        let before_seq = after
            .map(|a| {
                parse_cursor(&a).ok_or_else(|| {
                    gql(DomainError::bad_input(
                        "after",
                        "is not a cursor of the access log",
                    ))
                })
            })
            .transpose()?;
        let filter = LogFilter {
            child_id: filter_id(child_id, "Child", "childId")?,
            user_id: filter_id(user_id, "User", "userId")?,
            kind: kind.map(|k| k.trim().to_owned()),
            from,
            to,
        };
        let page = audit::list(req, &filter, first as u64, before_seq)
            .await
            .map_err(gql)?;
        let mut conn = Connection::new(before_seq.is_some(), page.has_next);
        conn.edges.extend(
            page.events
                .into_iter()
                .map(|(m, u)| Edge::new(cursor(m.seq), AccessEvent::new(m, u))),
        );
        Ok(conn)
    }

    /// Everything held about one child as one JSON document, for a subject access request
    /// (data protection officer only): the child, placements, key team, allocations, every
    /// record, earlier versions of records, and the access events about the child. The
    /// export is itself logged. An unknown child is NOT_FOUND.
    async fn subject_access_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the child.")] child_id: ID,
    ) -> Result<Json<serde_json::Value>> {
        let req = request(ctx)?;
        // A malformed id is simply not found (isolation: one error shape).
        let child = match parse_global_id(&child_id) {
            Some((k, uuid)) if k == "Child" => Some(uuid),
            _ => None,
        };
        let doc = subject_access::export(req, child).await.map_err(gql)?;
        Ok(Json(doc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(parse_cursor(&cursor(17)), Some(17));
        assert_eq!(parse_cursor("nonsense"), None);
        assert_eq!(parse_cursor(&URL_SAFE_NO_PAD.encode("other:3")), None);
    }
}
