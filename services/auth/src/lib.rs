//! Authentication for the KeyCare gateway.
//!
//! Identity comes from each council's OpenID Connect provider. This crate
//! verifies the bearer tokens those providers issue ([`Verifier`]), drives
//! the browser sign-in ([`start_login`] / [`finish_login`]), and offers a
//! local [`DevIssuer`] so development needs no external provider.
//!
//! With the `testing` feature, [`testing::TestOidcProvider`] is an
//! in-process OpenID provider for end-to-end tests.

mod dev_issuer;
mod error;
mod http;
mod jwks;
mod login;
mod outbound;
mod token;
mod verifier;

#[cfg(feature = "testing")]
pub mod testing;

pub use dev_issuer::{DEV_ISSUER_KEY_FILE, DEV_ISSUER_PATH, DevIssuer};
pub use error::AuthError;
pub use http::http_client;
pub use login::{LoginStart, OidcEndpoints, discover, finish_login, start_login};
pub use outbound::{OutboundPolicy, outbound_client};
pub use token::{bearer_token, peek_issuer};
pub use verifier::{
    DEFAULT_MAX_TOKEN_LIFETIME, IssuerSettings, VerifiedClaims, Verifier, VerifierOptions,
};
