//! Authorization for KeyCare: who may see and change what (ACCESS.md).
//!
//! The policy lives in `policies/` and is enforced by Casbin; this crate computes a caller's
//! bases per child from the database and turns the policy into decisions for single records
//! and SQL predicates for lists. No access decision is made anywhere else.

mod access;
mod error;
mod policy;
mod vocabulary;

pub use access::{
    Access, ChildAccess, Decision, Grant, Principal, RecordFacts, ReportScope, Scope,
};
pub use error::AuthzError;
pub use policy::{MODEL, POLICY, Policy, validate};
pub use vocabulary::{Action, Basis, Kind};
