//! What is due: `Child.dueItems` and the root `dueItems`, from the council's timescales.

use crate::care::Child;
use crate::connection::{Conn, args, connection};
use crate::error::gql;
use crate::ids::global_id;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use keycare_domain::care_record;
use keycare_domain::due::{self, DueFilter};
use keycare_domain::pages::page_in_memory;
use keycare_domain::request::Request;
use keycare_entity as e;
use keycare_entity::enums::{DueRule, DueState};
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// Something due for a child: a rule of the council's timescales, its due date and where it
/// stands, with the record that satisfied it (or set its clock).
pub struct DueItem(pub due::DueItem);

/// Something due for a child: a rule of the council's timescales, its due date and where it
/// stands, with the record that satisfied it (or set its clock).
#[Object]
impl DueItem {
    /// The rule.
    async fn rule(&self) -> DueRule {
        self.0.rule
    }
    /// Done, due soon, or overdue.
    async fn state(&self) -> DueState {
        self.0.state
    }
    /// The day it is due.
    async fn due_on(&self) -> Date {
        self.0.due_on.into()
    }
    /// The moment it is due, for a rule counted in hours (the return interview).
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }
    /// What it is about, in a few words (e.g. "week of 2026-11-23").
    async fn about(&self) -> &str {
        &self.0.about
    }
    /// The kind of record that satisfies it, as the policy names it (e.g. `key_session`).
    async fn kind(&self) -> &'static str {
        self.0.kind.as_str()
    }
    /// The record that satisfied it, or the last one that set its clock (fetch it with
    /// `node`); null when there is none.
    async fn record_id(&self) -> Option<ID> {
        self.0.record.map(|(kind, id)| global_id(kind, id))
    }
    /// The child.
    async fn child(&self, ctx: &Context<'_>) -> Result<Option<Child>> {
        let loader = ctx.data::<DataLoader<ChildLoader>>()?;
        Ok(loader.load_one(self.0.child).await?.map(Child))
    }
}

/// Loads children by id for one request (those the viewer may see).
pub struct ChildLoader(pub Weak<Request>);

impl Loader<Uuid> for ChildLoader {
    type Value = e::child::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, e::child::Model>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        care_record::children_by_ids(&req, keys).await.map_err(gql)
    }
}

/// Loads the due items of many children of one request at once.
pub struct DueLoader(pub Weak<Request>);

impl Loader<Uuid> for DueLoader {
    type Value = Vec<due::DueItem>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<due::DueItem>>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        let mut out: HashMap<Uuid, Vec<due::DueItem>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for item in due::for_children(&req, keys).await.map_err(gql)? {
            out.entry(item.child).or_default().push(item);
        }
        Ok(out)
    }
}

/// A child's due items (batched with the other children of the request), optionally of one
/// state, overdue first, then by due date.
pub(crate) async fn of_child(
    ctx: &Context<'_>,
    child: Uuid,
    state: Option<DueState>,
    paging: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> Result<Conn<DueItem>> {
    let loader = ctx.data::<DataLoader<DueLoader>>()?;
    let mut items = loader.load_one(child).await?.unwrap_or_default();
    if let Some(state) = state {
        items.retain(|i| i.state == state);
    }
    let (first, after, last, before) = paging;
    let page =
        page_in_memory(items, &args(first, after, last, before), due::DueItem::key).map_err(gql)?;
    Ok(connection(page, DueItem))
}

/// Which children's due items.
#[derive(InputObject, Default)]
pub struct DueItemsFilter {
    /// Only children placed in this home.
    pub home_id: Option<ID>,
    /// Only the viewer's key children (key carer or co-key carer).
    #[graphql(default)]
    pub my_key_children: bool,
    /// Only items in this state (e.g. OVERDUE).
    pub state: Option<DueState>,
}

/// The `dueItems` query.
#[derive(Default)]
pub struct DueQuery;

/// The `dueItems` query.
#[Object]
impl DueQuery {
    /// What is due for the children in placement the viewer may see: every rule of the
    /// council's timescales, of the kinds of record the viewer may read; overdue first, then
    /// by due date.
    async fn due_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<DueItemsFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<DueItem>> {
        let filter = filter.unwrap_or_default();
        let home = match &filter.home_id {
            Some(id) => Some(uuid_of(id, "Home", "filter.homeId")?),
            None => None,
        };
        let items = due::for_viewer(
            request(ctx)?,
            &DueFilter {
                home,
                my_key_children: filter.my_key_children,
                state: filter.state,
            },
        )
        .await
        .map_err(gql)?;
        let page = page_in_memory(items, &args(first, after, last, before), due::DueItem::key)
            .map_err(gql)?;
        Ok(connection(page, DueItem))
    }
}
