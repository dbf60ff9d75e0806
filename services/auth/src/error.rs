//! The crate's single error type.

/// Why a request could not be authenticated (or why an authentication
/// component could not do its job).
///
/// The messages are meant to be shown to API clients: they say what is wrong
/// without echoing token contents back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The request carried no `Authorization` header.
    #[error("missing Authorization header")]
    MissingHeader,
    /// The `Authorization` header used a scheme other than `Bearer`.
    #[error("Authorization header must use the Bearer scheme")]
    WrongScheme,
    /// The header or token could not be parsed.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The token's `exp` lies in the past (beyond the allowed leeway).
    #[error("token expired")]
    Expired,
    /// The token's `nbf` lies in the future (beyond the allowed leeway).
    #[error("token not yet valid (nbf)")]
    NotYetValid,
    /// The token's `iss` is missing or not the configured issuer.
    #[error("token issuer is not accepted")]
    WrongIssuer,
    /// The token's `aud` is missing or does not contain the expected audience.
    #[error("token audience does not match")]
    WrongAudience,
    /// The signature does not verify with the issuer's key.
    #[error("token signature is invalid")]
    BadSignature,
    /// The issuer publishes no usable key matching the token's `kid`.
    #[error("token signed with an unknown key (kid)")]
    UnknownKey,
    /// The token's `alg` is refused (`none`, HMAC, or not matching the key type).
    #[error("algorithm {0} is not accepted")]
    RefusedAlgorithm(String),
    /// The token's `iat` lies in the future (beyond the allowed leeway).
    #[error("token issued in the future")]
    IssuedInFuture,
    /// The token is valid for longer than the gateway accepts (`exp` - `iat`, or `exp` - now
    /// without `iat`); the maximum is in seconds.
    #[error("token lifetime exceeds the maximum of {}", duration(*.0))]
    LifetimeTooLong(u64),
    /// The issuer's JWKS could not be fetched or parsed. The detail is for operators' logs
    /// only: what answered at an address says too much to an anonymous caller.
    #[error("token could not be verified")]
    JwksUnavailable(String),
    /// The token is valid but no KeyCare account is linked to its subject.
    #[error("no KeyCare account for this subject")]
    UnknownAccount,
    /// The account exists but has been deactivated.
    #[error("account deactivated")]
    Deactivated,
    /// The OpenID discovery document could not be fetched or was inconsistent.
    #[error("OpenID discovery failed: {0}")]
    Discovery(String),
    /// The authorization code could not be exchanged at the token endpoint.
    #[error("sign-in could not be completed: {0}")]
    TokenExchange(String),
    /// The ID token's `nonce` is missing or differs from the one sent.
    #[error("ID token nonce does not match the sign-in request")]
    NonceMismatch,
    /// A URL the gateway would call breaks the outbound policy; `field` names the setting,
    /// `reason` ends the sentence ("must use https").
    #[error("{field} {reason}")]
    RefusedUrl { field: String, reason: String },
    /// Authentication is misconfigured (for example an invalid or non-HTTP URL).
    #[error("authentication is misconfigured: {0}")]
    Config(String),
    /// The development issuer's key file could not be read, written or used.
    #[error("development issuer key store: {0}")]
    KeyStore(String),
}

impl AuthError {
    /// Why, as a word for metrics and logs (no detail that could name anyone).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingHeader => "missing_header",
            Self::WrongScheme => "wrong_scheme",
            Self::Malformed(_) => "malformed",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::BadSignature => "bad_signature",
            Self::UnknownKey => "unknown_key",
            Self::RefusedAlgorithm(_) => "refused_algorithm",
            Self::IssuedInFuture => "issued_in_future",
            Self::LifetimeTooLong(_) => "lifetime_too_long",
            Self::JwksUnavailable(_) => "jwks_unavailable",
            Self::UnknownAccount => "unknown_account",
            Self::Deactivated => "deactivated",
            Self::Discovery(_) => "discovery",
            Self::TokenExchange(_) => "token_exchange",
            Self::NonceMismatch => "nonce_mismatch",
            Self::RefusedUrl { .. } => "refused_url",
            Self::Config(_) => "config",
            Self::KeyStore(_) => "key_store",
        }
    }

    /// A stable, machine-readable code for API error extensions.
    ///
    /// Everything the caller can fix by signing in again is `UNAUTHENTICATED`;
    /// a deactivated account is `FORBIDDEN`; server-side misconfiguration is
    /// `INTERNAL_SERVER_ERROR` so it is not mistaken for a client problem.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Deactivated => "FORBIDDEN",
            Self::Config(_) | Self::KeyStore(_) => "INTERNAL_SERVER_ERROR",
            Self::RefusedUrl { .. } => "BAD_USER_INPUT",
            _ => "UNAUTHENTICATED",
        }
    }
}

/// A number of seconds as the largest whole unit: `24h`, `90m`, `45s`.
fn duration(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::AuthError;

    #[test]
    fn codes() {
        assert_eq!(AuthError::Expired.code(), "UNAUTHENTICATED");
        assert_eq!(AuthError::MissingHeader.code(), "UNAUTHENTICATED");
        assert_eq!(
            AuthError::JwksUnavailable("x".into()).code(),
            "UNAUTHENTICATED"
        );
        assert_eq!(AuthError::Deactivated.code(), "FORBIDDEN");
        assert_eq!(
            AuthError::Config("x".into()).code(),
            "INTERNAL_SERVER_ERROR"
        );
    }

    #[test]
    fn messages() {
        assert_eq!(
            AuthError::RefusedAlgorithm("HS256".into()).to_string(),
            "algorithm HS256 is not accepted"
        );
        assert_eq!(
            AuthError::Malformed("bad base64".into()).to_string(),
            "malformed token: bad base64"
        );
        assert_eq!(
            AuthError::NotYetValid.to_string(),
            "token not yet valid (nbf)"
        );
        assert_eq!(
            AuthError::JwksUnavailable("Connection refused".into()).to_string(),
            "token could not be verified"
        );
        assert_eq!(
            AuthError::IssuedInFuture.to_string(),
            "token issued in the future"
        );
        assert_eq!(
            AuthError::LifetimeTooLong(24 * 3600).to_string(),
            "token lifetime exceeds the maximum of 24h"
        );
        assert_eq!(
            AuthError::LifetimeTooLong(90 * 60).to_string(),
            "token lifetime exceeds the maximum of 90m"
        );
        assert_eq!(
            AuthError::LifetimeTooLong(45).to_string(),
            "token lifetime exceeds the maximum of 45s"
        );
    }
}
