//! Data for KeyCare that is not typed in by users: the demo councils of API.md and
//! synthetic county-scale data for benchmarks.

pub mod demo;
pub mod scale;
