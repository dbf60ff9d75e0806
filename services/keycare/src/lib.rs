//! The KeyCare gateway: configuration, HTTP wiring and authentication. `main.rs` only parses
//! the command line; tests start the same server in-process with [`server::start`].

pub mod auth;
pub mod browser;
pub mod cli;
pub mod config;
pub mod graphiql;
pub mod guard;
pub mod limits;
pub mod metrics;
pub mod operation;
pub mod persisted;
pub mod server;
pub mod telemetry;
pub mod ws;
