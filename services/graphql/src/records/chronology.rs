//! The chronology.

use crate::care::person;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use keycare_domain::chronology::{self, EntryInput};
use keycare_entity as e;

/// A significant event in the child's life.
pub struct ChronologyEntry(pub e::chronology_entry::Model);

/// A significant event in the child's life.
#[Object]
impl ChronologyEntry {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("ChronologyEntry", self.0.id)
    }
    /// When it happened.
    async fn occurred_on(&self) -> Date {
        self.0.occurred_on.into()
    }
    /// What happened, in a line.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// More about it (manual entries).
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    /// The kind of record it was noted from (e.g. `missing_episode`); null for an entry
    /// written by hand.
    async fn source_kind(&self) -> Option<&str> {
        self.0.source_kind.as_deref()
    }
    /// Who wrote or recorded it.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Restricted: visible only to the key team, the manager and the social worker.
    async fn restricted(&self) -> bool {
        self.0.restricted
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// An entry to add.
#[derive(InputObject)]
pub struct AddChronologyEntryInput {
    /// The child.
    pub child_id: ID,
    /// When it happened (not in the future).
    pub occurred_on: Date,
    /// What happened, in a line.
    pub title: String,
    /// More about it.
    pub detail: Option<String>,
    /// Restricted: visible only to the key team, the manager and the social worker.
    #[graphql(default)]
    pub restricted: bool,
}

/// A correction of an entry (the earlier version is kept).
#[derive(InputObject)]
pub struct CorrectChronologyEntryInput {
    /// The entry.
    pub id: ID,
    /// The version the correction was made on.
    pub expected_version: i32,
    /// When it happened.
    pub occurred_on: Date,
    /// What happened, in a line.
    pub title: String,
    /// More about it.
    pub detail: Option<String>,
}

/// The entry as saved.
#[derive(SimpleObject)]
pub struct ChronologyEntryPayload {
    /// The entry.
    pub chronology_entry: ChronologyEntry,
}

/// Chronology mutations.
#[derive(Default)]
pub struct ChronologyMutation;

/// Chronology mutations.
#[Object]
impl ChronologyMutation {
    /// Adds an entry to the chronology.
    async fn add_chronology_entry(
        &self,
        ctx: &Context<'_>,
        input: AddChronologyEntryInput,
    ) -> Result<ChronologyEntryPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let saved = chronology::add(
            request(ctx)?,
            child,
            EntryInput {
                occurred_on: input.occurred_on.0,
                title: input.title,
                detail: input.detail,
                restricted: input.restricted,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ChronologyEntryPayload {
            chronology_entry: ChronologyEntry(saved),
        })
    }

    /// Corrects an entry; the earlier version is kept.
    async fn correct_chronology_entry(
        &self,
        ctx: &Context<'_>,
        input: CorrectChronologyEntryInput,
    ) -> Result<ChronologyEntryPayload> {
        let id = uuid_of(&input.id, "ChronologyEntry", "id")?;
        let saved = chronology::correct(
            request(ctx)?,
            id,
            input.expected_version,
            EntryInput {
                occurred_on: input.occurred_on.0,
                title: input.title,
                detail: input.detail,
                restricted: false,
            },
        )
        .await
        .map_err(gql)?;
        Ok(ChronologyEntryPayload {
            chronology_entry: ChronologyEntry(saved),
        })
    }
}
