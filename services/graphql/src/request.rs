//! Access to the request's unit of work from resolvers.

use async_graphql::{Context, Result};
use keycare_domain::request::Request;
use std::sync::Arc;

/// The current request (its caller, access and transaction).
pub fn request<'a>(ctx: &'a Context<'_>) -> Result<&'a Request> {
    Ok(ctx.data::<Arc<Request>>()?.as_ref())
}
