//! Weekly file audits.

use crate::care::person;
use crate::error::gql;
use crate::ids::global_id;
use crate::people::Person;
use crate::request::request;
use crate::scalars::Date;
use crate::writes::uuid_of;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use keycare_domain::file_audits;
use keycare_entity as e;
use keycare_entity::enums::{AuditDocument, AuditItem};

/// The weekly audit of the child's file by the key carer.
pub struct FileAudit(pub e::file_audit::Model);

/// One document checked by a file audit.
#[derive(SimpleObject)]
pub struct FileAuditItem {
    /// The document.
    pub document: AuditDocument,
    /// It applies to this child.
    pub applicable: bool,
    /// It is on file.
    pub present: bool,
    /// It is up to date.
    pub current: bool,
}

/// The weekly audit of the child's file by the key carer.
#[Object]
impl FileAudit {
    /// Global id.
    pub(crate) async fn id(&self) -> ID {
        global_id("FileAudit", self.0.id)
    }
    /// The Monday of the week audited.
    async fn week_of(&self) -> Date {
        self.0.week_of.into()
    }
    /// Each required document: whether it applies, is on file and is current.
    async fn items(&self) -> Vec<FileAuditItem> {
        file_audits::items(&self.0)
            .into_iter()
            .map(|i| FileAuditItem {
                document: i.document,
                applicable: i.applicable,
                present: i.present,
                current: i.current,
            })
            .collect()
    }
    /// What was updated.
    async fn updates(&self) -> Option<&str> {
        self.0.updates.as_deref()
    }
    /// When it was signed.
    async fn signed_at(&self) -> Option<DateTime<Utc>> {
        self.0.signed_at
    }
    /// Who signed it.
    async fn signed_by(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.signed_by_id).await
    }
    /// Who carried it out.
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, Some(self.0.author_id)).await
    }
    /// Optimistic-locking version: pass it back as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
}

/// One document as checked.
#[derive(InputObject)]
pub struct FileAuditItemInput {
    /// The document.
    pub document: AuditDocument,
    /// It applies to this child.
    pub applicable: bool,
    /// It is on file.
    pub present: bool,
    /// It is up to date.
    pub current: bool,
}

/// A week's file audit: every document of the audit, once.
#[derive(InputObject)]
pub struct RecordFileAuditInput {
    /// The child.
    pub child_id: ID,
    /// The Monday of the week audited.
    pub week_of: Date,
    /// Every document of the audit, once (mark those that do not apply).
    pub items: Vec<FileAuditItemInput>,
    /// What was updated.
    pub updates: Option<String>,
}

/// An audit to sign.
#[derive(InputObject)]
pub struct SignFileAuditInput {
    /// The audit.
    pub id: ID,
    /// The version signed.
    pub expected_version: i32,
}

/// The audit as saved.
#[derive(SimpleObject)]
pub struct FileAuditPayload {
    /// The audit.
    pub file_audit: FileAudit,
}

/// File audit mutations.
#[derive(Default)]
pub struct FileAuditMutation;

/// File audit mutations.
#[Object]
impl FileAuditMutation {
    /// Records the week's file audit (one per child and week).
    async fn record_file_audit(
        &self,
        ctx: &Context<'_>,
        input: RecordFileAuditInput,
    ) -> Result<FileAuditPayload> {
        let child = uuid_of(&input.child_id, "Child", "childId")?;
        let items: Vec<AuditItem> = input
            .items
            .iter()
            .map(|i| AuditItem {
                document: i.document,
                applicable: i.applicable,
                present: i.present,
                current: i.current,
            })
            .collect();
        let saved = file_audits::record(
            request(ctx)?,
            child,
            input.week_of.0,
            &items,
            input.updates.as_deref(),
        )
        .await
        .map_err(gql)?;
        Ok(FileAuditPayload {
            file_audit: FileAudit(saved),
        })
    }

    /// Signs a file audit (once).
    async fn sign_file_audit(
        &self,
        ctx: &Context<'_>,
        input: SignFileAuditInput,
    ) -> Result<FileAuditPayload> {
        let id = uuid_of(&input.id, "FileAudit", "id")?;
        let saved = file_audits::sign(request(ctx)?, id, input.expected_version)
            .await
            .map_err(gql)?;
        Ok(FileAuditPayload {
            file_audit: FileAudit(saved),
        })
    }
}
