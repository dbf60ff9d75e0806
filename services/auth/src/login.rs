//! Browser sign-in with the authorization code flow and PKCE.
//!
//! The gateway redirects the browser to [`LoginStart::authorize_url`], keeps
//! `state`, `pkce_verifier` and `nonce` server-side (or in an encrypted
//! cookie), and on the callback calls [`finish_login`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{
    BasicClient, BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{describe, get_json, http_url};
use crate::{AuthError, IssuerSettings, VerifiedClaims, Verifier};

/// The endpoints of an OpenID provider, from its discovery document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcEndpoints {
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the authorization code is exchanged for tokens.
    pub token_endpoint: String,
    /// Where the provider publishes its signing keys.
    pub jwks_uri: String,
    /// The provider's issuer identifier.
    pub issuer: String,
}

/// Fetches `{issuer}/.well-known/openid-configuration`.
///
/// The document must name the same issuer it was fetched for (OpenID
/// Connect Discovery §4.3), otherwise one provider could impersonate another.
pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<OidcEndpoints, AuthError> {
    let url = http_url(
        &format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        "the issuer URL",
    )?;
    let doc: OidcEndpoints = get_json(http, url).await.map_err(AuthError::Discovery)?;
    if doc.issuer != issuer {
        return Err(AuthError::Discovery(format!(
            "the document names issuer {:?}, expected {issuer:?}",
            doc.issuer
        )));
    }
    for (what, endpoint) in [
        ("authorization_endpoint", &doc.authorization_endpoint),
        ("token_endpoint", &doc.token_endpoint),
        ("jwks_uri", &doc.jwks_uri),
    ] {
        http_url(endpoint, what).map_err(|err| AuthError::Discovery(err.to_string()))?;
    }
    Ok(doc)
}

/// The start of a sign-in: where to send the browser, and the secrets to
/// keep until the callback.
#[derive(Clone)]
pub struct LoginStart {
    /// The provider URL to redirect the browser to.
    pub authorize_url: String,
    /// CSRF token; the callback's `state` must equal it.
    pub state: String,
    /// PKCE verifier; pass to [`finish_login`].
    pub pkce_verifier: String,
    /// Nonce the ID token must carry; pass to [`finish_login`].
    pub nonce: String,
}

impl std::fmt::Debug for LoginStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginStart")
            .field("authorize_url", &self.authorize_url)
            .finish_non_exhaustive()
    }
}

/// Builds the authorization URL: scopes `openid email profile`, an S256
/// PKCE challenge, and fresh random `state` and `nonce`.
pub fn start_login(
    endpoints: &OidcEndpoints,
    client_id: &str,
    redirect_uri: &str,
) -> Result<LoginStart, AuthError> {
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(AuthUrl::from_url(http_url(
            &endpoints.authorization_endpoint,
            "the authorization endpoint",
        )?))
        .set_redirect_uri(RedirectUrl::from_url(http_url(
            redirect_uri,
            "the redirect URI",
        )?));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = random_token();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(["openid", "email", "profile"].map(|s| Scope::new(s.to_owned())))
        .set_pkce_challenge(challenge)
        .add_extra_param("nonce", nonce.clone())
        .url();
    Ok(LoginStart {
        authorize_url: url.into(),
        state: state.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        nonce,
    })
}

/// Completes a sign-in: exchanges `code` (with the PKCE verifier) for
/// tokens, verifies the ID token with `verifier` (audience = `client_id`)
/// and checks its nonce.
///
/// `http` must not follow redirects and must keep to the verifier's outbound policy; build it
/// with [`crate::outbound_client`]. The token endpoint (named by the provider's discovery
/// document) is checked against that policy before the code is sent there.
#[allow(clippy::too_many_arguments)]
pub async fn finish_login(
    http: &reqwest::Client,
    verifier: &Verifier,
    endpoints: &OidcEndpoints,
    settings: &IssuerSettings,
    client_id: &str,
    client_secret: Option<&str>,
    redirect_uri: &str,
    code: &str,
    pkce_verifier: &str,
    expected_nonce: &str,
) -> Result<VerifiedClaims, AuthError> {
    let token_url = verifier
        .outbound()
        .check_url("token_endpoint", &endpoints.token_endpoint)
        .map_err(|refused| {
            tracing::warn!(issuer = %settings.issuer, %refused, "token endpoint refused by the outbound policy");
            AuthError::TokenExchange(UNREACHABLE.into())
        })?;
    let mut client = OidcClient::new(ClientId::new(client_id.to_owned()))
        .set_token_uri(TokenUrl::from_url(token_url))
        .set_redirect_uri(RedirectUrl::from_url(http_url(
            redirect_uri,
            "the redirect URI",
        )?));
    if let Some(secret) = client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.to_owned()));
    }
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(http)
        .await
        .map_err(|err| AuthError::TokenExchange(describe_token_error(err)))?;
    let id_token = response
        .extra_fields()
        .id_token
        .as_deref()
        .ok_or_else(|| AuthError::TokenExchange("the token response has no id_token".into()))?;

    let id_token_settings = IssuerSettings {
        audience: client_id.to_owned(),
        ..settings.clone()
    };
    let claims = verifier.verify(id_token, &id_token_settings).await?;

    // OpenID Connect Core §3.1.3.7: with several audiences, azp must be us.
    if let Some(Value::Array(audiences)) = claims.extra.get("aud")
        && audiences.len() > 1
        && claims.extra.get("azp").and_then(Value::as_str) != Some(client_id)
    {
        return Err(AuthError::WrongAudience);
    }
    match claims.nonce.as_deref() {
        Some(nonce) if !expected_nonce.is_empty() && nonce == expected_nonce => Ok(claims),
        _ => Err(AuthError::NonceMismatch),
    }
}

/// The token response fields OpenID Connect adds to OAuth 2.
#[derive(Deserialize, Serialize)]
struct IdTokenFields {
    #[serde(default)]
    id_token: Option<String>,
}

impl std::fmt::Debug for IdTokenFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdTokenFields").finish_non_exhaustive()
    }
}

impl ExtraTokenFields for IdTokenFields {}

/// An OAuth 2 client whose token response carries the ID token.
type OidcClient<HasTokenUrl = EndpointNotSet> = oauth2::Client<
    BasicErrorResponse,
    StandardTokenResponse<IdTokenFields, BasicTokenType>,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
>;

/// What a browser is told when the token endpoint cannot be called, whatever the reason.
const UNREACHABLE: &str = "the identity provider could not be reached";

fn describe_token_error<E: std::error::Error + 'static>(
    err: RequestTokenError<E, BasicErrorResponse>,
) -> String {
    match err {
        RequestTokenError::ServerResponse(response) => {
            format!("the identity provider refused the code: {response}")
        }
        RequestTokenError::Request(err) => {
            // What answered (or did not) at the endpoint is for operators, not the browser.
            tracing::warn!(error = %describe(&err), "the token endpoint could not be reached");
            UNREACHABLE.into()
        }
        RequestTokenError::Parse(_, _) => "the token response could not be parsed".into(),
        RequestTokenError::Other(message) => message,
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
