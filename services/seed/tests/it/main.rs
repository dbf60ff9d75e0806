//! Integration tests of the seed crate.

mod demo;
mod scale;
