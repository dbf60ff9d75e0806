//! Tests of the authorization crate: the policy against ACCESS.md, and bases from the
//! database with their dates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bases;
mod matrix;
