//! Outbound HTTP to identity providers.

use serde::de::DeserializeOwned;

use crate::{AuthError, OutboundPolicy, outbound_client};

/// Responses from identity providers larger than this are refused (read as they stream in;
/// a key set or discovery document is a few kilobytes).
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The HTTP client for identity providers under the development policy (loopback and `http`
/// allowed); a server builds its own with [`outbound_client`] from its configuration.
///
/// # Panics
///
/// Only if the TLS backend cannot be initialised, exactly as
/// `reqwest::Client::new` would.
pub fn http_client() -> reqwest::Client {
    outbound_client(&OutboundPolicy::development())
}

/// Parses `raw` and insists on an `http` or `https` URL.
pub(crate) fn http_url(raw: &str, what: &str) -> Result<url::Url, AuthError> {
    let url = url::Url::parse(raw)
        .map_err(|err| AuthError::Config(format!("{what} is not a valid URL: {err}")))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(AuthError::Config(format!(
            "{what} must use http or https, not {other}"
        ))),
    }
}

/// GETs `url` and decodes a JSON body of bounded size.
///
/// Errors are plain strings; callers wrap them in the variant that fits.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: url::Url,
) -> Result<T, String> {
    let mut response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|err| format!("request failed: {}", describe(&err)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("HTTP status {status}"));
    }
    if response
        .content_length()
        .is_some_and(|len| len > MAX_BODY_BYTES as u64)
    {
        return Err("response too large".into());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| format!("reading the response failed: {}", describe(&err)))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err("response too large".into());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|err| format!("invalid JSON: {err}"))
}

/// An error with its chain of causes, since reqwest's own message alone
/// ("error sending request") rarely says what went wrong.
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
