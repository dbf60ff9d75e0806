//! Staff named on records (authors, key carers), loaded in one batch per request.

use async_graphql::dataloader::Loader;
use async_graphql::{ID, SimpleObject};
use keycare_domain::request::Request;
use std::collections::HashMap;
use std::sync::Weak;
use uuid::Uuid;

/// A member of staff or council worker, as named on a record.
#[derive(SimpleObject, Clone, Debug)]
pub struct Person {
    /// Global id of the user.
    pub id: ID,
    /// Full name.
    pub name: String,
    /// Job title, if recorded.
    pub job_title: Option<String>,
}

/// Loads people by id for one request. It holds the request weakly, so the request can be
/// committed as soon as the resolvers are done.
pub struct PersonLoader(pub Weak<Request>);

impl Loader<Uuid> for PersonLoader {
    type Value = Person;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Person>, Self::Error> {
        let Some(req) = self.0.upgrade() else {
            return Ok(HashMap::new());
        };
        load_people(&req, keys).await
    }
}

/// People by id, in one query.
pub async fn load_people(
    req: &Request,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Person>, async_graphql::Error> {
    let users = keycare_domain::people::by_ids(req, ids)
        .await
        .map_err(crate::error::gql)?;
    Ok(users
        .into_iter()
        .map(|u| {
            let person = Person {
                id: crate::ids::global_id("User", u.id),
                name: u.name,
                job_title: u.job_title,
            };
            (u.id, person)
        })
        .collect())
}
