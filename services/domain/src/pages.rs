//! Keyset pagination for Relay connections: rows ordered by (sort key, id), cursors that
//! carry both, so pages are deterministic and deep pages cost the same as the first.

use crate::error::{DomainError, DomainResult};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use uuid::Uuid;

/// Default page size, and the most a client may ask for (API.md).
pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

/// A sort key value as carried in a cursor.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    DateTime(DateTime<Utc>),
    Date(NaiveDate),
    Int(i64),
    Text(String),
}

/// What kind of value a list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKind {
    DateTime,
    Date,
    Int,
    Text,
}

impl SortValue {
    fn encode(&self) -> String {
        match self {
            SortValue::DateTime(d) => d.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            SortValue::Date(d) => d.to_string(),
            SortValue::Int(i) => i.to_string(),
            SortValue::Text(t) => t.clone(),
        }
    }

    fn decode(kind: SortKind, s: &str) -> Option<SortValue> {
        Some(match kind {
            SortKind::DateTime => {
                SortValue::DateTime(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))
            }
            SortKind::Date => SortValue::Date(s.parse().ok()?),
            SortKind::Int => SortValue::Int(s.parse().ok()?),
            SortKind::Text => SortValue::Text(s.to_owned()),
        })
    }

    fn to_value(&self) -> Value {
        match self {
            SortValue::DateTime(d) => (*d).into(),
            SortValue::Date(d) => (*d).into(),
            SortValue::Int(i) => (*i).into(),
            SortValue::Text(t) => t.clone().into(),
        }
    }
}

/// A position in a list: the sort value and id of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub sort: SortValue,
    pub id: Uuid,
}

impl Cursor {
    /// The opaque form given to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.id, self.sort.encode()))
    }

    /// Reads a client's cursor; a cursor that is not ours is a bad input.
    pub fn decode(kind: SortKind, s: &str, field: &str) -> DomainResult<Cursor> {
        let bad = || DomainError::bad_input(field, "is not a cursor of this list");
        let text =
            String::from_utf8(URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?).map_err(|_| bad())?;
        let (id, sort) = text.split_once('|').ok_or_else(bad)?;
        Ok(Cursor {
            id: Uuid::parse_str(id).map_err(|_| bad())?,
            sort: SortValue::decode(kind, sort).ok_or_else(bad)?,
        })
    }
}

/// Relay paging arguments.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// A page of rows, in list order, with their cursors.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<(Cursor, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            rows: self.rows.into_iter().map(|(c, t)| (c, f(t))).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// How a list is ordered: its sort column (descending for "newest first"), then id.
#[derive(Debug, Clone, Copy)]
pub struct Ordering<C> {
    pub sort: C,
    pub id: C,
    pub kind: SortKind,
    pub descending: bool,
}

fn page_size(n: Option<i32>, field: &str) -> DomainResult<u64> {
    match n {
        None => Ok(DEFAULT_PAGE),
        Some(n) if n < 0 => Err(DomainError::bad_input(field, "must not be negative")),
        Some(n) if n as u64 > MAX_PAGE => Err(DomainError::bad_input(
            field,
            format!("may be at most {MAX_PAGE}"),
        )),
        Some(n) => Ok(n as u64),
    }
}

/// A page of a short list already read in list order (a child's placements, key team, a
/// council's homes): cursors carry the row's position and id, so a cursor whose row has
/// moved is refused rather than silently skipping rows.
pub fn page_in_memory<T>(
    rows: Vec<T>,
    args: &PageArgs,
    id: impl Fn(&T) -> Uuid,
) -> DomainResult<Page<T>> {
    let position = |cursor: &str, field: &str| -> DomainResult<usize> {
        let c = Cursor::decode(SortKind::Int, cursor, field)?;
        match c.sort {
            SortValue::Int(i) if (i as usize) < rows.len() && id(&rows[i as usize]) == c.id => {
                Ok(i as usize)
            }
            _ => Err(DomainError::bad_input(
                field,
                "is out of date: the list changed; read it again",
            )),
        }
    };
    let start = match &args.after {
        Some(a) => position(a, "after")? + 1,
        None => 0,
    };
    let end = match &args.before {
        Some(b) => position(b, "before")?,
        None => rows.len(),
    }
    .max(start);
    let (from, to) = if args.last.is_some() && args.first.is_none() {
        let n = page_size(args.last, "last")? as usize;
        (end.saturating_sub(n).max(start), end)
    } else {
        let n = page_size(args.first, "first")? as usize;
        (start, (start + n).min(end))
    };
    let total = rows.len();
    let page_rows = rows
        .into_iter()
        .enumerate()
        .skip(from)
        .take(to - from)
        .map(|(i, r)| {
            (
                Cursor {
                    sort: SortValue::Int(i as i64),
                    id: id(&r),
                },
                r,
            )
        })
        .collect();
    Ok(Page {
        rows: page_rows,
        has_next_page: to < total,
        has_previous_page: from > 0,
    })
}

/// The page size for `first`, capped (for batched first pages).
pub fn page_size_for(first: Option<i32>) -> DomainResult<u64> {
    page_size(first, "first")
}

/// Rows strictly after (or before) a cursor in the given direction.
fn beyond<C: ColumnTrait>(o: &Ordering<C>, c: &Cursor, forward: bool) -> SimpleExpr {
    let v = c.sort.to_value();
    // Moving forward in a descending list means smaller values.
    let smaller = o.descending == forward;
    let (sort_cmp, id_cmp) = if smaller {
        (Expr::col(o.sort).lt(v.clone()), Expr::col(o.id).lt(c.id))
    } else {
        (Expr::col(o.sort).gt(v.clone()), Expr::col(o.id).gt(c.id))
    };
    sort_cmp.or(Expr::col(o.sort).eq(v).and(id_cmp))
}

/// Fetches one page of `select` in `ordering`, reading one row more than asked to know
/// whether another page follows.
pub async fn page<E, C, Conn>(
    conn: &Conn,
    select: Select<E>,
    ordering: Ordering<C>,
    args: &PageArgs,
    key: impl Fn(&E::Model) -> (SortValue, Uuid),
) -> DomainResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait,
    Conn: sea_orm::ConnectionTrait,
{
    let backward = args.last.is_some() || (args.before.is_some() && args.first.is_none());
    let mut select = select;
    if let Some(after) = &args.after {
        select = select.filter(beyond(
            &ordering,
            &Cursor::decode(ordering.kind, after, "after")?,
            true,
        ));
    }
    if let Some(before) = &args.before {
        select = select.filter(beyond(
            &ordering,
            &Cursor::decode(ordering.kind, before, "before")?,
            false,
        ));
    }
    let n = if backward {
        page_size(args.last, "last")?
    } else {
        page_size(args.first, "first")?
    };
    let forward_order = if ordering.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    let order = if backward {
        flip(forward_order)
    } else {
        forward_order
    };
    let mut rows = select
        .order_by(ordering.sort, order.clone())
        .order_by(ordering.id, order)
        .limit(n + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > n;
    rows.truncate(n as usize);
    if backward {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|m| {
            let (sort, id) = key(&m);
            (Cursor { sort, id }, m)
        })
        .collect();
    Ok(Page {
        rows,
        has_next_page: if backward {
            args.before.is_some()
        } else {
            more
        },
        has_previous_page: if backward { more } else { args.after.is_some() },
    })
}

fn flip(o: Order) -> Order {
    match o {
        Order::Asc => Order::Desc,
        _ => Order::Asc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let c = Cursor {
            sort: SortValue::Date(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default()),
            id: Uuid::nil(),
        };
        assert_eq!(
            Cursor::decode(SortKind::Date, &c.encode(), "after").ok(),
            Some(c)
        );
        assert!(Cursor::decode(SortKind::Date, "bm9wZQ", "after").is_err());
    }

    #[test]
    fn page_sizes_are_capped() {
        assert_eq!(page_size(None, "first").ok(), Some(DEFAULT_PAGE));
        assert!(page_size(Some(201), "first").is_err());
        assert!(page_size(Some(-1), "first").is_err());
    }
}
