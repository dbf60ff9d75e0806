//! Relay connections from domain pages.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge, EmptyFields};
use keycare_domain::pages::{Page, PageArgs};

/// A Relay cursor connection of `T` (`edges { cursor node }`, `pageInfo`).
pub type Conn<T> = Connection<String, T, EmptyFields, EmptyFields>;

/// Converts a domain page into a connection.
pub fn connection<M, T: OutputType>(page: Page<M>, node: impl Fn(M) -> T) -> Conn<T> {
    let mut conn = Connection::new(page.has_previous_page, page.has_next_page);
    conn.edges.extend(
        page.rows
            .into_iter()
            .map(|(cursor, m)| Edge::new(cursor.encode(), node(m))),
    );
    conn
}

/// Paging arguments as given to a field.
pub fn args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}
