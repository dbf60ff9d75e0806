//! The clothing allowance: a weekly entitlement at the council's rate, purchases itemised
//! with amounts and ordered through the manager, and the running balance. Amounts are whole
//! pence; the ledger stores credits as positive and purchases as negative amounts.

use crate::error::{DomainError, DomainResult};
use crate::records::{colleague, plausible_date};
use crate::request::Request;
use crate::writes::{MAX_SHORT, required_text};
use chrono::NaiveDate;
use keycare_authz::Kind;
use keycare_entity as e;
use keycare_entity::enums::ClothingEntryKind;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use std::collections::HashMap;
use uuid::Uuid;

/// The largest single amount accepted (£1,000), against typing slips.
pub const MAX_AMOUNT_PENCE: i32 = 100_000;

/// An entry as entered: `amount_pence` is what was credited or spent (positive), or for an
/// adjustment the signed correction.
#[derive(Debug, Clone)]
pub struct EntryInput {
    pub entry_on: NaiveDate,
    pub kind: ClothingEntryKind,
    pub description: String,
    pub amount_pence: i32,
    /// Who a purchase was ordered through (the manager).
    pub ordered_via: Option<Uuid>,
}

/// Records an allowance credited, a purchase or an adjustment.
pub async fn record(
    req: &Request,
    child: Uuid,
    input: EntryInput,
) -> DomainResult<e::clothing_entry::Model> {
    let s = req.require_create(child, Kind::Clothing, false).await?;
    let entry_on = plausible_date(req, "entryOn", input.entry_on, 366, 0)?;
    let description = required_text("description", &input.description, MAX_SHORT)?;
    let amount = input.amount_pence;
    if amount == 0 || amount.abs() > MAX_AMOUNT_PENCE {
        return Err(DomainError::bad_input(
            "amountPence",
            format!("must be between 1 and {MAX_AMOUNT_PENCE} pence"),
        ));
    }
    let signed = match input.kind {
        ClothingEntryKind::Allowance | ClothingEntryKind::Purchase if amount < 0 => {
            return Err(DomainError::bad_input(
                "amountPence",
                "give the amount credited or spent as a positive number",
            ));
        }
        ClothingEntryKind::Allowance => amount,
        ClothingEntryKind::Purchase => -amount,
        ClothingEntryKind::Adjustment => amount,
    };
    let ordered_via = match (input.kind, input.ordered_via) {
        (ClothingEntryKind::Purchase, None) => {
            return Err(DomainError::bad_input(
                "orderedViaId",
                "a purchase is ordered through the manager: say who",
            ));
        }
        (_, Some(id)) => Some(colleague(req, id, "orderedViaId").await?),
        (_, None) => None,
    };
    req.insert(e::clothing_entry::ActiveModel {
        id: Set(s.id),
        tenant_id: Set(s.tenant),
        child_id: Set(child),
        entry_on: Set(entry_on),
        kind: Set(input.kind),
        description: Set(description),
        amount_pence: Set(signed),
        ordered_via_id: Set(ordered_via),
        author_id: Set(s.author),
        restricted: Set(false),
        version: Set(1),
        created_at: Set(s.now),
        updated_at: Set(s.now),
    })
    .await
}

/// The clothing accounts of many children in one query: the council's weekly rate and
/// each child's balance. Each child is decided and noted as any read; one the caller may not
/// read gets its error (FORBIDDEN, or NOT_FOUND) instead.
pub async fn accounts(
    req: &Request,
    children: &[Uuid],
) -> DomainResult<HashMap<Uuid, DomainResult<(i32, i64)>>> {
    let mut out = HashMap::new();
    let mut readable = Vec::new();
    for child in children {
        match req.require_read(*child, Kind::Clothing, None).await {
            Ok(_) => readable.push(*child),
            Err(e) => {
                out.insert(*child, Err(e));
            }
        }
    }
    if readable.is_empty() {
        return Ok(out);
    }
    let rate = e::tenant::Entity::find_by_id(req.identity.tenant_id)
        .one(&req.txn)
        .await?
        .map(|t| t.clothing_weekly_pence)
        .unwrap_or_default();
    use e::clothing_entry::Column as C;
    let balances: Vec<(Uuid, Option<i64>)> = e::clothing_entry::Entity::find()
        .select_only()
        .column(C::ChildId)
        .column_as(Expr::expr(Func::sum(Expr::col(C::AmountPence))), "balance")
        .filter(C::ChildId.is_in(readable.iter().copied()))
        .group_by(C::ChildId)
        .into_tuple()
        .all(&req.txn)
        .await?;
    let balances: HashMap<Uuid, i64> = balances
        .into_iter()
        .map(|(child, sum)| (child, sum.unwrap_or(0)))
        .collect();
    for child in readable {
        out.insert(
            child,
            Ok((rate, balances.get(&child).copied().unwrap_or(0))),
        );
    }
    Ok(out)
}
