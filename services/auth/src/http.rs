//! Outbound HTTP to identity providers.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::AuthError;

/// Responses from identity providers larger than this are refused.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Builds the HTTP client to use for every call to an identity provider.
///
/// Redirects are never followed: an authorization code or client secret
/// must not be replayed to wherever a redirect points. Timeouts keep a slow
/// provider from tying up request handlers.
///
/// # Panics
///
/// Only if the TLS backend cannot be initialised, exactly as
/// `reqwest::Client::new` would.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("keycare-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
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
