//! The clothing allowance.

use super::opt_uuid;
use crate::care::{list, person};
use crate::connection::Conn;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::care_record::tables;
use keycare_domain::clothing::{self, EntryInput};
use keycare_domain::request::Request;
use keycare_entity as e;
use keycare_entity::enums::ClothingEntryKind;
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// The child's clothing account (null with FORBIDDEN for a viewer who may not read it),
/// batched with the other children of the request.
pub(crate) async fn account(ctx: &Context<'_>, child: Uuid) -> Result<Option<ClothingAccount>> {
    let loader = ctx.data::<DataLoader<AccountLoader>>()?;
    match loader.load_one(child).await? {
        Some(found) => {
            let (weekly, balance) = found?;
            Ok(Some(ClothingAccount {
                child,
                weekly,
                balance,
            }))
        }
        None => Err(gql(keycare_domain::DomainError::NotFound)),
    }
}

/// Loads the clothing accounts of many children of one request in one query.
pub struct AccountLoader(pub Weak<Request>);

impl Loader<Uuid> for AccountLoader {
    type Value = Result<(i32, i64)>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        Ok(clothing::accounts(&req, keys)
            .await
            .map_err(gql)?
            .into_iter()
            .map(|(child, account)| (child, account.map_err(gql)))
            .collect())
    }
}

/// The child's clothing allowance: the council's weekly rate, the balance and the ledger.
pub struct ClothingAccount {
    child: Uuid,
    weekly: i32,
    balance: i64,
}

/// The child's clothing allowance: the council's weekly rate, the balance and the ledger.
#[Object]
impl ClothingAccount {
    /// The weekly entitlement, in pence (the council's rate).
    async fn weekly_allowance_pence(&self) -> i32 {
        self.weekly
    }
    /// The balance, in pence: allowances credited less purchases.
    async fn balance_pence(&self) -> i64 {
        self.balance
    }
    /// The ledger, newest first.
    async fn entries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Option<Conn<ClothingEntry>>> {
        let paging = (first, after, last, before);
        list(
            ctx,
            self.child,
            tables::clothing_entries,
            paging,
            ClothingEntry,
        )
        .await
    }
}

/// A line of the clothing ledger.
pub struct ClothingEntry(pub e::clothing_entry::Model);

/// A line of the clothing ledger.
#[Object]
impl ClothingEntry {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ClothingEntry", self.0.id)
    }
    /// The day.
    async fn entry_on(&self) -> Date {
        self.0.entry_on.into()
    }
    /// Allowance, purchase or adjustment.
    async fn kind(&self) -> ClothingEntryKind {
        self.0.kind
    }
    /// What it was.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The amount in pence: credits positive, purchases negative.
    async fn amount_pence(&self) -> i32 {
        self.0.amount_pence
    }
    /// Who a purchase was ordered through.
    async fn ordered_via(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.ordered_via_id).await
    }
    /// Who recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// A ledger line to record.
#[derive(InputObject)]
pub struct RecordClothingEntryInput {
    /// The child.
    pub child_id: ID,
    /// The day (not in the future).
    pub entry_on: Date,
    /// Allowance, purchase or adjustment.
    pub kind: ClothingEntryKind,
    /// What it was (itemised).
    pub description: String,
    /// The amount in pence: what was credited or spent (positive), or for an adjustment
    /// the signed correction.
    pub amount_pence: i32,
    /// Who a purchase was ordered through (required for a purchase).
    pub ordered_via_id: Option<ID>,
}

/// The ledger line as saved.
#[derive(SimpleObject)]
pub struct ClothingEntryPayload {
    /// The entry.
    pub clothing_entry: ClothingEntry,
}

/// Clothing allowance mutations.
#[derive(Default)]
pub struct ClothingMutation;

/// Clothing allowance mutations.
#[Object]
impl ClothingMutation {
    /// Records an allowance credited, a purchase or an adjustment.
    async fn record_clothing_entry(
        &self,
        ctx: &Context<'_>,
        input: RecordClothingEntryInput,
    ) -> Result<ClothingEntryPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let ordered_via = opt_uuid(input.ordered_via_id.as_ref(), "User", "orderedViaId")?;
        let saved = clothing::record(
            request(ctx)?,
            child,
            EntryInput {
                entry_on: input.entry_on.0,
                kind: input.kind,
                description: input.description,
                amount_pence: input.amount_pence,
                ordered_via,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ClothingEntryPayload {
            clothing_entry: ClothingEntry(saved),
        })
    }
}
