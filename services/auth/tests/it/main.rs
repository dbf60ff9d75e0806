//! Integration tests for keycare-auth, run against in-process providers on
//! 127.0.0.1 only.
#![allow(clippy::unwrap_used)]

mod bearer;
mod dev_issuer;
mod login;
mod outbound;
mod rotation;
mod verify;

use std::time::Duration;

use keycare_auth::{Verifier, VerifierOptions, http_client};

/// The audience API tokens are minted for in these tests.
pub const AUDIENCE: &str = "keycare-api";

/// A verifier with default leeway and the given minimum refetch interval.
pub fn verifier(min_refetch_interval: Duration) -> Verifier {
    Verifier::new(
        http_client(),
        VerifierOptions {
            min_refetch_interval,
            ..VerifierOptions::default()
        },
    )
}

/// A verifier with these options and an HTTP client under their outbound policy.
pub fn verifier_with(opts: VerifierOptions) -> Verifier {
    Verifier::new(keycare_auth::outbound_client(&opts.outbound), opts)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
