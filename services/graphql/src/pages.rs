//! Batched first pages of child records: a list of children with their records costs one
//! statement per record kind, whatever the number of children.

use crate::error::gql;
use crate::people::PersonLoader;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use keycare_domain::care_record::{RecordTable, first_pages};
use keycare_domain::pages::Page;
use keycare_domain::request::Request;
use sea_orm::EntityTrait;
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use uuid::Uuid;

/// A child and the page size asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub child: Uuid,
    pub first: Option<i32>,
}

/// Loads first pages of one record kind for many children of one request.
pub struct FirstPages<E: EntityTrait> {
    pub request: Weak<Request>,
    pub table: fn() -> RecordTable<E>,
    /// The request's person loader, primed with the people the pages name.
    pub people: Arc<DataLoader<PersonLoader, HashMapCache>>,
}

impl<E> Loader<PageKey> for FirstPages<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: sea_orm::FromQueryResult + Clone + Send + Sync + 'static,
{
    type Value = Result<Page<E::Model>, async_graphql::Error>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let Some(req) = self.request.upgrade() else {
            return Ok(HashMap::new());
        };
        let table = (self.table)();
        let mut out = HashMap::new();
        let mut sizes: Vec<Option<i32>> = keys.iter().map(|k| k.first).collect();
        sizes.sort();
        sizes.dedup();
        for first in sizes {
            let children: Vec<Uuid> = keys
                .iter()
                .filter(|k| k.first == first)
                .map(|k| k.child)
                .collect();
            let found = first_pages(&req, &table, &children, first)
                .await
                .map_err(gql)?;
            for (child, page) in found.pages {
                out.insert(PageKey { child, first }, page.map_err(gql));
            }
            // The people these rows name came joined to the page: prime the person loader,
            // so resolving them costs no statement however the resolvers interleave.
            let people = found.people.into_iter().map(|(id, name, job_title)| {
                (
                    id,
                    crate::people::Person {
                        id: crate::ids::global_id("User", id),
                        name,
                        job_title,
                    },
                )
            });
            self.people.feed_many(people).await;
        }
        Ok(out)
    }
}

/// Loads records of one kind by id for one request (those the viewer may read).
pub struct ByIds<E: EntityTrait> {
    pub request: Weak<Request>,
    pub table: fn() -> RecordTable<E>,
}

impl<E> Loader<Uuid> for ByIds<E>
where
    E: EntityTrait + Send + Sync,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, E::Model>, Self::Error> {
        let Some(req) = self.request.upgrade() else {
            return Ok(HashMap::new());
        };
        keycare_domain::care_record::records_by_ids(&req, &(self.table)(), keys)
            .await
            .map_err(gql)
    }
}
