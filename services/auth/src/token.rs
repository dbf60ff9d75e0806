//! Parsing of the `Authorization` header and of unverified token parts.
//!
//! Nothing here establishes trust: these helpers only pick a token apart so
//! the verifier can decide how to check it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::AuthError;

/// Tokens larger than this are refused before any decoding work is done.
pub(crate) const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Extracts the token from an `Authorization` header value.
///
/// The scheme is matched case-insensitively (RFC 7235); exactly one
/// non-empty token made of `token68` characters must follow it.
pub fn bearer_token(header: Option<&str>) -> Result<&str, AuthError> {
    let value = header.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Err(AuthError::MissingHeader);
    }
    let mut parts = value.split_ascii_whitespace();
    let scheme = parts.next().unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::WrongScheme);
    }
    let Some(token) = parts.next() else {
        return Err(AuthError::Malformed("the Bearer token is empty".into()));
    };
    if parts.next().is_some() {
        return Err(AuthError::Malformed(
            "expected exactly one token after Bearer".into(),
        ));
    }
    if !is_token68(token) {
        return Err(AuthError::Malformed(
            "the Bearer token contains invalid characters".into(),
        ));
    }
    Ok(token)
}

/// `token68` from RFC 7235: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_token68(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// Reads the `iss` claim without verifying anything.
///
/// Only for choosing which [`crate::IssuerSettings`] to verify against; the
/// verifier then checks `iss` again under the signature.
pub fn peek_issuer(token: &str) -> Result<String, AuthError> {
    #[derive(Deserialize)]
    struct IssOnly {
        iss: Option<serde_json::Value>,
    }
    let parts = split(token)?;
    let claims: IssOnly = decode_json(parts.payload, "payload")?;
    match claims.iss {
        Some(serde_json::Value::String(iss)) => Ok(iss),
        Some(_) => Err(AuthError::Malformed("the iss claim is not a string".into())),
        None => Err(AuthError::Malformed("the token has no iss claim".into())),
    }
}

/// The three base64url segments of a compact JWS.
pub(crate) struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
}

pub(crate) fn split(token: &str) -> Result<Parts<'_>, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed("the token is too large".into()));
    }
    let mut it = token.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(header), Some(payload), Some(_signature), None)
            if !header.is_empty() && !payload.is_empty() =>
        {
            Ok(Parts { header, payload })
        }
        _ => Err(AuthError::Malformed(
            "expected a JWT with three dot-separated parts".into(),
        )),
    }
}

pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    segment: &str,
    what: &str,
) -> Result<T, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::Malformed(format!("the {what} is not valid base64url")))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| AuthError::Malformed(format!("the {what} is not a valid JSON object")))
}

/// The header fields the verifier needs before it trusts anything.
///
/// Parsed by hand rather than through `jsonwebtoken::Header` so that
/// algorithms that library cannot represent (such as `none`) still produce
/// a precise [`AuthError::RefusedAlgorithm`].
#[derive(Debug, Deserialize)]
pub(crate) struct UnverifiedHeader {
    pub alg: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub crit: Option<serde_json::Value>,
}

pub(crate) fn header(token: &str) -> Result<UnverifiedHeader, AuthError> {
    let parts = split(token)?;
    decode_json(parts.header, "header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token68() {
        assert!(is_token68("abc.def-ghi_jkl"));
        assert!(is_token68("abc=="));
        assert!(!is_token68("=="));
        assert!(!is_token68("a,b"));
        assert!(!is_token68("a=b"));
    }

    #[test]
    fn split_requires_three_parts() {
        assert!(split("a.b.c").is_ok());
        assert!(split("a.b.").is_ok());
        assert!(split("a.b").is_err());
        assert!(split("a.b.c.d").is_err());
        assert!(split(".b.c").is_err());
    }

    #[test]
    fn peek_issuer_reads_iss() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://idp.example","sub":"x"}"#);
        let token = format!("e30.{payload}.sig");
        assert_eq!(peek_issuer(&token), Ok("https://idp.example".to_string()));

        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#);
        assert!(matches!(
            peek_issuer(&format!("e30.{payload}.sig")),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            peek_issuer("not-a-jwt"),
            Err(AuthError::Malformed(_))
        ));
    }
}
