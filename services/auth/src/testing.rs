//! An in-process OpenID provider for tests (cargo feature `testing`).
//!
//! It serves discovery, a JWKS, an auto-approving `/authorize` and a PKCE
//! checking `/token` on `127.0.0.1`, and can mint any token a test needs:
//! valid ones, and every kind of bad one. Test support only: it panics on
//! setup failures and accepts any client.
#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey};
use p256::elliptic_curve::sec1::{Coordinates, ToEncodedPoint};
use p256::pkcs8::EncodePrivateKey;
use rand::RngCore;
use rand::rngs::OsRng;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::IssuerSettings;

/// Lifetime of tokens from [`TestOidcProvider::default_claims`] and `/token`.
const TOKEN_TTL_SECS: u64 = 300;

/// Which key [`TestOidcProvider::mint`] signs with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MintKey {
    /// The provider's current signing key (RSA until [`TestOidcProvider::rotate`]).
    #[default]
    Current,
    /// The provider's RSA 2048 key (RS256).
    Rsa,
    /// The provider's original EC P-256 key (ES256).
    Ec,
    /// Any key the provider has created, by kid (also after it was removed).
    Kid(String),
    /// An EC P-256 key that is never published: its signatures are "wrong".
    Unlisted,
    /// HMAC with this shared secret (HS256 unless `alg` says otherwise).
    Hmac(Vec<u8>),
    /// No signature at all (`alg: none`, empty signature part).
    Unsigned,
}

/// What goes in the token header's `kid`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MintKid {
    /// The kid of the signing key (none for `Hmac` and `Unsigned`).
    #[default]
    FromKey,
    /// No `kid` header.
    Omit,
    /// This kid, whatever key signs.
    Set(String),
}

/// How [`TestOidcProvider::mint`] builds a token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MintOptions {
    /// The signing key.
    pub key: MintKey,
    /// The header `alg`. When it names an algorithm of the key's family the
    /// token is really signed with it; otherwise only the header says so and
    /// the key's natural algorithm signs.
    pub alg: Option<String>,
    /// The header `kid`.
    pub kid: MintKid,
}

impl MintOptions {
    /// Sign with `key`, everything else default.
    pub fn with_key(key: MintKey) -> Self {
        Self {
            key,
            ..Self::default()
        }
    }

    /// Set the header `alg`.
    pub fn alg(mut self, alg: &str) -> Self {
        self.alg = Some(alg.to_owned());
        self
    }

    /// Set the header `kid`.
    pub fn kid(mut self, kid: MintKid) -> Self {
        self.kid = kid;
        self
    }
}

/// A running OpenID provider on `http://127.0.0.1:PORT`. Stops when dropped.
pub struct TestOidcProvider {
    state: Arc<ProviderState>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestOidcProvider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for TestOidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestOidcProvider")
            .field("issuer", &self.state.issuer)
            .finish_non_exhaustive()
    }
}

impl TestOidcProvider {
    /// Binds `127.0.0.1:0` and starts serving on the current tokio runtime.
    pub async fn start() -> TestOidcProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let rsa = TestKey::rsa();
        let ec = TestKey::ec();
        let state = Arc::new(ProviderState {
            issuer: format!("http://{addr}"),
            keys: Mutex::new(Keys {
                signing_kid: rsa.kid.clone(),
                rsa_kid: rsa.kid.clone(),
                ec_kid: ec.kid.clone(),
                unlisted: TestKey::ec(),
                all: vec![rsa, ec],
            }),
            codes: Mutex::new(HashMap::new()),
            jwks_fetches: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(Arc::clone(&state));
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(%err, "test OpenID provider stopped");
            }
        });
        TestOidcProvider { state, server }
    }

    /// The issuer identifier, which is also the base URL.
    pub fn issuer(&self) -> String {
        self.state.issuer.clone()
    }

    /// Where the key set is served.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.state.issuer)
    }

    /// Verifier settings for tokens meant for `audience`.
    pub fn settings(&self, audience: &str) -> IssuerSettings {
        IssuerSettings {
            issuer: self.issuer(),
            audience: audience.to_owned(),
            jwks_url: self.jwks_url(),
        }
    }

    /// Valid claims: this issuer, `sub`, `aud`, `iat`/`nbf` now, `exp` in
    /// five minutes and an email address.
    pub fn default_claims(&self, sub: &str, audience: &str) -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({
            "iss": self.state.issuer,
            "sub": sub,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_TTL_SECS,
            "email": format!("{sub}@example.test"),
        })
    }

    /// Builds a compact JWS from `claims` as `opts` says.
    pub fn mint(&self, claims: Value, opts: MintOptions) -> String {
        let keys = self.state.keys();
        let key = match &opts.key {
            MintKey::Current => Some(keys.by_kid(&keys.signing_kid)),
            MintKey::Rsa => Some(keys.by_kid(&keys.rsa_kid)),
            MintKey::Ec => Some(keys.by_kid(&keys.ec_kid)),
            MintKey::Kid(kid) => Some(keys.by_kid(kid)),
            MintKey::Unlisted => Some(&keys.unlisted),
            MintKey::Hmac(_) | MintKey::Unsigned => None,
        };
        let (natural, default_alg_name) = match (&opts.key, key) {
            (_, Some(key)) => (Some(key.natural_alg()), format!("{:?}", key.natural_alg())),
            (MintKey::Hmac(_), None) => (Some(Algorithm::HS256), "HS256".to_owned()),
            _ => (None, "none".to_owned()),
        };
        let alg_name = opts.alg.clone().unwrap_or(default_alg_name);

        let mut header = json!({ "alg": alg_name, "typ": "JWT" });
        let kid = match (&opts.kid, key) {
            (MintKid::FromKey, Some(key)) => Some(key.kid.clone()),
            (MintKid::Set(kid), _) => Some(kid.clone()),
            _ => None,
        };
        if let (Some(kid), Some(map)) = (kid, header.as_object_mut()) {
            map.insert("kid".into(), Value::from(kid));
        }
        let message = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );

        let signature = match (&opts.key, key, natural) {
            (MintKey::Hmac(secret), _, Some(natural)) => {
                let alg = same_family(&alg_name, natural).unwrap_or(natural);
                jsonwebtoken::crypto::sign(
                    message.as_bytes(),
                    &EncodingKey::from_secret(secret),
                    alg,
                )
                .expect("HMAC signing")
            }
            (_, Some(key), Some(natural)) => {
                let alg = same_family(&alg_name, natural).unwrap_or(natural);
                jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, alg).expect("signing")
            }
            _ => String::new(),
        };
        format!("{message}.{signature}")
    }

    /// Publishes a fresh EC P-256 key and makes it the signing default.
    /// Returns its kid.
    pub fn rotate(&self) -> String {
        let key = TestKey::ec();
        let kid = key.kid.clone();
        let mut keys = self.state.keys();
        keys.all.push(key);
        keys.signing_kid = kid.clone();
        kid
    }

    /// Stops publishing the key `kid` (it can still be used to mint).
    pub fn remove_key(&self, kid: &str) {
        for key in self.state.keys().all.iter_mut().filter(|k| k.kid == kid) {
            key.served = false;
        }
    }

    /// The kid of the current signing key.
    pub fn signing_kid(&self) -> String {
        self.state.keys().signing_kid.clone()
    }

    /// The kid of the RSA key.
    pub fn rsa_kid(&self) -> String {
        self.state.keys().rsa_kid.clone()
    }

    /// The kid of the original EC key.
    pub fn ec_kid(&self) -> String {
        self.state.keys().ec_kid.clone()
    }

    /// How many times `/jwks` has been fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }
}

/// `alg` if it names an algorithm of `natural`'s family, so it can really sign.
fn same_family(alg: &str, natural: Algorithm) -> Option<Algorithm> {
    let alg: Algorithm = alg.parse().ok()?;
    let family = |a: Algorithm| match a {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => 0,
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => 1,
        Algorithm::ES256 => 2,
        _ => 3,
    };
    (family(alg) == family(natural) && family(alg) != 3).then_some(alg)
}

struct ProviderState {
    issuer: String,
    keys: Mutex<Keys>,
    codes: Mutex<HashMap<String, PendingCode>>,
    jwks_fetches: AtomicUsize,
}

impl ProviderState {
    fn keys(&self) -> MutexGuard<'_, Keys> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn codes(&self) -> MutexGuard<'_, HashMap<String, PendingCode>> {
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Keys {
    all: Vec<TestKey>,
    signing_kid: String,
    rsa_kid: String,
    ec_kid: String,
    unlisted: TestKey,
}

impl Keys {
    fn by_kid(&self, kid: &str) -> &TestKey {
        self.all
            .iter()
            .find(|k| k.kid == kid)
            .unwrap_or_else(|| panic!("the test provider has no key {kid}"))
    }
}

#[derive(Clone)]
struct TestKey {
    kid: String,
    is_rsa: bool,
    encoding: EncodingKey,
    public_jwk: Value,
    served: bool,
}

impl TestKey {
    /// The process-wide RSA key (generation is slow in debug builds) under a
    /// fresh kid.
    fn rsa() -> Self {
        struct RsaMaterial {
            pkcs1_der: Vec<u8>,
            n: String,
            e: String,
        }
        static RSA: OnceLock<RsaMaterial> = OnceLock::new();
        let material = RSA.get_or_init(|| {
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation");
            RsaMaterial {
                pkcs1_der: key
                    .to_pkcs1_der()
                    .expect("PKCS#1 encoding")
                    .as_bytes()
                    .to_vec(),
                n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
                e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            }
        });
        let kid = format!("rsa-{}", random_string(8));
        TestKey {
            public_jwk: json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                "n": material.n, "e": material.e,
            }),
            kid,
            is_rsa: true,
            encoding: EncodingKey::from_rsa_der(&material.pkcs1_der),
            served: true,
        }
    }

    fn ec() -> Self {
        let secret = p256::SecretKey::random(&mut OsRng);
        let point = secret.public_key().to_encoded_point(false);
        let Coordinates::Uncompressed { x, y } = point.coordinates() else {
            panic!("uncompressed point expected");
        };
        let kid = format!("ec-{}", random_string(8));
        TestKey {
            public_jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            }),
            kid,
            is_rsa: false,
            encoding: EncodingKey::from_ec_der(
                secret.to_pkcs8_der().expect("PKCS#8 encoding").as_bytes(),
            ),
            served: true,
        }
    }

    fn natural_alg(&self) -> Algorithm {
        if self.is_rsa {
            Algorithm::RS256
        } else {
            Algorithm::ES256
        }
    }
}

/// What `/authorize` remembers for `/token`.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    nonce: Option<String>,
    subject: String,
}

async fn discovery(State(state): State<Arc<ProviderState>>) -> Json<Value> {
    let issuer = &state.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    }))
}

async fn jwks(State(state): State<Arc<ProviderState>>) -> Json<Value> {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys: Vec<Value> = state
        .keys()
        .all
        .iter()
        .filter(|k| k.served)
        .map(|k| k.public_jwk.clone())
        .collect();
    Json(json!({ "keys": keys }))
}

async fn authorize(
    State(state): State<Arc<ProviderState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    if param("response_type").as_deref() != Some("code") {
        return bad_request("response_type must be code");
    }
    if param("code_challenge_method").as_deref() != Some("S256") {
        return bad_request("code_challenge_method must be S256");
    }
    let (
        Some(client_id),
        Some(redirect_uri),
        Some(oauth_state),
        Some(code_challenge),
        Some(subject),
    ) = (
        param("client_id"),
        param("redirect_uri"),
        param("state"),
        param("code_challenge"),
        param("login_hint"),
    )
    else {
        return bad_request(
            "client_id, redirect_uri, state, code_challenge and login_hint are required",
        );
    };
    let Ok(mut location) = url::Url::parse(&redirect_uri) else {
        return bad_request("redirect_uri is not a URL");
    };
    let code = random_string(24);
    state.codes().insert(
        code.clone(),
        PendingCode {
            client_id,
            redirect_uri,
            code_challenge,
            nonce: param("nonce"),
            subject,
        },
    );
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &oauth_state);
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

async fn token(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    if field("grant_type") != "authorization_code" {
        return token_error(
            "unsupported_grant_type",
            "grant_type must be authorization_code",
        );
    }
    // Codes are single use: take it out whatever happens next.
    let Some(pending) = state.codes().remove(&field("code")) else {
        return token_error("invalid_grant", "unknown or already used code");
    };
    let client_id = basic_auth_client_id(&headers).unwrap_or_else(|| field("client_id"));
    if client_id != pending.client_id {
        return token_error("invalid_grant", "the code was issued to another client");
    }
    if field("redirect_uri") != pending.redirect_uri {
        return token_error(
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    }
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if challenge != pending.code_challenge {
        return token_error("invalid_grant", "PKCE verification failed");
    }

    let now = jsonwebtoken::get_current_timestamp();
    let mut claims = json!({
        "iss": state.issuer,
        "sub": pending.subject,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_TTL_SECS,
        "email": format!("{}@example.test", pending.subject),
    });
    if let (Some(nonce), Some(map)) = (pending.nonce, claims.as_object_mut()) {
        map.insert("nonce".into(), Value::from(nonce));
    }
    let id_token = {
        let keys = state.keys();
        let key = keys.by_kid(&keys.rsa_kid);
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding).expect("RS256 signing")
    };
    Json(json!({
        "access_token": random_string(24),
        "token_type": "Bearer",
        "expires_in": TOKEN_TTL_SECS,
        "scope": "openid email profile",
        "id_token": id_token,
    }))
    .into_response()
}

/// The client id from `Authorization: Basic` (RFC 6749 §2.3.1 form-encodes it).
fn basic_auth_client_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, _secret) = decoded.split_once(':')?;
    url::form_urlencoded::parse(id.as_bytes())
        .next()
        .map(|(id, _)| id.into_owned())
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, message.to_owned()).into_response()
}

fn token_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn random_string(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}
