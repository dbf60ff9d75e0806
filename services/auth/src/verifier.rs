//! Verification of bearer tokens against an issuer's published keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jwks::{KeySet, Lookup};
use crate::{AuthError, OutboundPolicy, http, token};

/// Cached keys older than this are refreshed on next use, so a key the
/// issuer withdraws stops being trusted even if no new `kid` ever appears.
const KEYS_MAX_AGE: Duration = Duration::from_secs(15 * 60);

/// The longest a token may be valid for, unless configured otherwise.
pub const DEFAULT_MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Which issuer a gateway accepts tokens from, and for whom they must be meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerSettings {
    /// Exact value the token's `iss` claim must have.
    pub issuer: String,
    /// Value the token's `aud` claim must contain.
    pub audience: String,
    /// Where the issuer publishes its signing keys, fetched only as
    /// [`VerifierOptions::outbound`] allows.
    pub jwks_url: String,
}

/// Tuning for [`Verifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierOptions {
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u64,
    /// Minimum time between two JWKS fetches for one issuer, so tokens with
    /// made-up `kid`s cannot turn the gateway into a load generator.
    pub min_refetch_interval: Duration,
    /// The longest validity accepted: `exp` - `iat`, or `exp` - now for a token without `iat`.
    /// A stolen token that lives for years is refused even if its issuer signed it.
    pub max_token_lifetime: Duration,
    /// Where keys may be fetched from. Build the verifier's HTTP client with
    /// [`crate::outbound_client`] under the same policy, so names are checked once resolved.
    pub outbound: OutboundPolicy,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            leeway_secs: 30,
            min_refetch_interval: Duration::from_secs(5),
            max_token_lifetime: DEFAULT_MAX_TOKEN_LIFETIME,
            outbound: OutboundPolicy::development(),
        }
    }
}

/// The claims of a token whose signature, issuer, audience and validity
/// period have all been checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifiedClaims {
    /// The issuer, equal to [`IssuerSettings::issuer`].
    pub iss: String,
    /// The subject: the user's stable identifier at the issuer.
    pub sub: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// The `email` claim, if present.
    pub email: Option<String>,
    /// The `nonce` claim, if present (ID tokens from a browser sign-in).
    pub nonce: Option<String>,
    /// Every other claim (`aud`, `iat`, `name`, ...) as a JSON object.
    pub extra: Value,
}

/// Verifies bearer tokens, caching each issuer's JWKS.
///
/// Cheap to clone: clones share the key caches.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    opts: VerifierOptions,
    /// One cache per JWKS URL. The URLs come from configuration, never from
    /// tokens, so this map stays small.
    caches: Mutex<HashMap<String, Arc<JwksCache>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("opts", &self.inner.opts)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Creates a verifier that fetches keys with `http`
    /// (build it with [`crate::outbound_client`] under `opts.outbound`).
    pub fn new(http: reqwest::Client, opts: VerifierOptions) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                opts,
                caches: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The outbound policy keys are fetched under (and other calls to providers keep to).
    pub fn outbound(&self) -> &OutboundPolicy {
        &self.inner.opts.outbound
    }

    /// Verifies `token` as issued by `issuer`.
    ///
    /// `alg: none` and HMAC tokens are refused before any key is looked up;
    /// the algorithm must match the type of the key named by `kid`.
    pub async fn verify(
        &self,
        token: &str,
        issuer: &IssuerSettings,
    ) -> Result<VerifiedClaims, AuthError> {
        let header = token::header(token)?;
        let alg = accepted_alg(&header.alg)?;
        if header.crit.is_some() {
            return Err(AuthError::Malformed(
                "the token uses unsupported critical header parameters".into(),
            ));
        }
        let cache = self.cache_for(&issuer.jwks_url);
        let key = self.key_for(&cache, header.kid.as_deref(), alg).await?;

        let mut validation = Validation::new(alg);
        validation.leeway = self.inner.opts.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[&issuer.audience]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|err| map_jwt_error(err.kind(), alg))?;
        self.check_lifetime(&data.claims)?;
        claims_from(data.claims, issuer)
    }

    /// Refuses a token issued in the future, or valid for longer than the maximum. Runs after
    /// the signature is checked, so that only the issuer's own claims are judged.
    fn check_lifetime(&self, claims: &Map<String, Value>) -> Result<(), AuthError> {
        let now = jsonwebtoken::get_current_timestamp();
        let leeway = self.inner.opts.leeway_secs;
        let exp = seconds(claims, "exp")?.unwrap_or(0);
        let iat = seconds(claims, "iat")?;
        if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
            return Err(AuthError::IssuedInFuture);
        }
        let max = self.inner.opts.max_token_lifetime.as_secs();
        if exp.saturating_sub(iat.unwrap_or(now)) > max {
            return Err(AuthError::LifetimeTooLong(max));
        }
        Ok(())
    }

    fn cache_for(&self, jwks_url: &str) -> Arc<JwksCache> {
        let mut caches = self
            .inner
            .caches
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            caches
                .entry(jwks_url.to_owned())
                .or_insert_with(|| Arc::new(JwksCache::new(jwks_url.to_owned()))),
        )
    }

    /// Finds the key for a token, refetching the JWKS (rate-limited, single
    /// flight) when the key is not cached or the cache is old.
    async fn key_for(
        &self,
        cache: &JwksCache,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, AuthError> {
        let attempts_seen = cache.attempts.load(Ordering::Acquire);
        let snapshot = cache.snapshot();
        if let Some(keys) = &snapshot.keys
            && !snapshot.is_stale()
        {
            match keys.lookup(kid, alg)? {
                Lookup::Found(key) => return Ok(key.decoding_key.clone()),
                Lookup::Ambiguous => return Err(AuthError::UnknownKey),
                Lookup::Missing => {}
            }
        }

        let refreshed = cache
            .refresh(
                attempts_seen,
                &self.inner.http,
                &self.inner.opts.outbound,
                self.inner.opts.min_refetch_interval,
            )
            .await;
        let Some(keys) = refreshed.keys else {
            return Err(AuthError::JwksUnavailable(
                refreshed
                    .error
                    .unwrap_or_else(|| "no keys fetched yet".into()),
            ));
        };
        match keys.lookup(kid, alg)? {
            Lookup::Found(key) => Ok(key.decoding_key.clone()),
            // If the refetch failed, say so rather than blame the token.
            Lookup::Missing => Err(refreshed
                .error
                .map_or(AuthError::UnknownKey, AuthError::JwksUnavailable)),
            Lookup::Ambiguous => Err(AuthError::UnknownKey),
        }
    }
}

/// Only these algorithms are ever accepted; everything else, `none` and
/// HMAC included, is refused outright.
fn accepted_alg(alg: &str) -> Result<Algorithm, AuthError> {
    match alg {
        "RS256" => Ok(Algorithm::RS256),
        "RS384" => Ok(Algorithm::RS384),
        "RS512" => Ok(Algorithm::RS512),
        "ES256" => Ok(Algorithm::ES256),
        other => {
            // The name is attacker-chosen; only echo it if it looks like one.
            let shown = if other.len() <= 16 && other.bytes().all(|b| b.is_ascii_alphanumeric()) {
                other.to_owned()
            } else {
                "(unrecognised)".to_owned()
            };
            Err(AuthError::RefusedAlgorithm(shown))
        }
    }
}

fn map_jwt_error(kind: &ErrorKind, alg: Algorithm) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            AuthError::RefusedAlgorithm(format!("{alg:?}"))
        }
        ErrorKind::MissingRequiredClaim(claim) => match claim.as_str() {
            "iss" => AuthError::WrongIssuer,
            "aud" => AuthError::WrongAudience,
            // jsonwebtoken also reports a present but unparsable claim as missing.
            other => AuthError::Malformed(format!("the {other} claim is missing or invalid")),
        },
        ErrorKind::InvalidClaimFormat(claim) => {
            AuthError::Malformed(format!("the {claim} claim has an invalid format"))
        }
        ErrorKind::Base64(_) => AuthError::Malformed("the token is not valid base64url".into()),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
            AuthError::Malformed("the token is not valid JSON".into())
        }
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            AuthError::JwksUnavailable("the identity provider published an unusable key".into())
        }
        other => AuthError::Malformed(format!("{other:?}")),
    }
}

fn claims_from(
    mut claims: Map<String, Value>,
    issuer: &IssuerSettings,
) -> Result<VerifiedClaims, AuthError> {
    // jsonwebtoken has checked iss already; check again so an array-valued
    // `iss` cannot slip through.
    let iss = match claims.remove("iss") {
        Some(Value::String(iss)) if iss == issuer.issuer => iss,
        _ => return Err(AuthError::WrongIssuer),
    };
    let sub = match claims.remove("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub,
        _ => return Err(AuthError::Malformed("the token has no sub claim".into())),
    };
    let exp = match claims.remove("exp") {
        Some(Value::Number(exp)) => exp
            .as_i64()
            // Fractional seconds are allowed by RFC 7519; truncation is safe
            // because jsonwebtoken already checked the exact value.
            .or_else(|| exp.as_f64().map(|f| f as i64)),
        _ => None,
    }
    .ok_or_else(|| AuthError::Malformed("the exp claim has an invalid format".into()))?;
    let email = optional_string(&mut claims, "email")?;
    let nonce = optional_string(&mut claims, "nonce")?;
    Ok(VerifiedClaims {
        iss,
        sub,
        exp,
        email,
        nonce,
        extra: Value::Object(claims),
    })
}

/// A NumericDate claim as whole seconds (fractions dropped, negative as zero), if present.
fn seconds(claims: &Map<String, Value>, name: &str) -> Result<Option<u64>, AuthError> {
    match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)) {
            Some(secs) => Ok(Some(secs)),
            None => Err(AuthError::Malformed(format!(
                "the {name} claim has an invalid format"
            ))),
        },
        Some(_) => Err(AuthError::Malformed(format!(
            "the {name} claim has an invalid format"
        ))),
    }
}

fn optional_string(
    claims: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<String>, AuthError> {
    match claims.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AuthError::Malformed(format!(
            "the {name} claim is not a string"
        ))),
    }
}

/// The cached keys of one JWKS URL.
struct JwksCache {
    /// As configured: checked against the outbound policy at every fetch.
    url: String,
    current: RwLock<Snapshot>,
    /// Incremented after every fetch attempt; lets waiters see that someone
    /// else fetched while they queued, so they do not fetch again.
    attempts: AtomicU64,
    /// Held for the duration of a fetch: at most one fetch in flight.
    refresh: tokio::sync::Mutex<RefreshState>,
}

#[derive(Clone, Default)]
struct Snapshot {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
}

impl Snapshot {
    fn is_stale(&self) -> bool {
        self.fetched_at.is_none_or(|at| at.elapsed() > KEYS_MAX_AGE)
    }
}

#[derive(Default)]
struct RefreshState {
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// The keys after a refresh attempt, and why the last fetch failed, if it did.
struct Refreshed {
    keys: Option<Arc<KeySet>>,
    error: Option<String>,
}

impl JwksCache {
    fn new(url: String) -> Self {
        Self {
            url,
            current: RwLock::new(Snapshot::default()),
            attempts: AtomicU64::new(0),
            refresh: tokio::sync::Mutex::new(RefreshState::default()),
        }
    }

    fn snapshot(&self) -> Snapshot {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn refresh(
        &self,
        attempts_seen: u64,
        http: &reqwest::Client,
        outbound: &OutboundPolicy,
        min_interval: Duration,
    ) -> Refreshed {
        let mut state = self.refresh.lock().await;
        let current = || Refreshed {
            keys: self.snapshot().keys,
            error: None,
        };
        if self.attempts.load(Ordering::Acquire) != attempts_seen {
            // Someone fetched while we waited for the lock.
            return Refreshed {
                error: state.last_error.clone(),
                ..current()
            };
        }
        if state
            .last_attempt
            .is_some_and(|at| at.elapsed() < min_interval)
        {
            tracing::debug!(url = %self.url, "JWKS refetch suppressed by the minimum interval");
            return Refreshed {
                error: state.last_error.clone(),
                ..current()
            };
        }

        state.last_attempt = Some(Instant::now());
        let fetched = match outbound.check_url("jwksUrl", &self.url) {
            Ok(url) => http::get_json::<Value>(http, url)
                .await
                .and_then(|doc| KeySet::from_jwks(&doc)),
            Err(refused) => Err(format!("refused by the outbound policy: {refused}")),
        };
        self.attempts.fetch_add(1, Ordering::AcqRel);
        match fetched {
            Ok(keys) => {
                tracing::debug!(url = %self.url, keys = keys.keys.len(), "fetched JWKS");
                let keys = Arc::new(keys);
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = Snapshot {
                    keys: Some(Arc::clone(&keys)),
                    fetched_at: Some(Instant::now()),
                };
                state.last_error = None;
                Refreshed {
                    keys: Some(keys),
                    error: None,
                }
            }
            Err(error) => {
                tracing::warn!(url = %self.url, %error, "could not fetch JWKS");
                state.last_error = Some(error.clone());
                Refreshed {
                    error: Some(error),
                    ..current()
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_asymmetric_algorithms_are_accepted() {
        assert_eq!(accepted_alg("RS256"), Ok(Algorithm::RS256));
        assert_eq!(accepted_alg("ES256"), Ok(Algorithm::ES256));
        for alg in ["none", "HS256", "HS512", "PS256", "ES384", "EdDSA"] {
            assert_eq!(
                accepted_alg(alg),
                Err(AuthError::RefusedAlgorithm(alg.to_owned()))
            );
        }
        assert_eq!(
            accepted_alg("<script>"),
            Err(AuthError::RefusedAlgorithm("(unrecognised)".into()))
        );
    }

    #[test]
    fn default_options() {
        let opts = VerifierOptions::default();
        assert_eq!(opts.leeway_secs, 30);
        assert_eq!(opts.min_refetch_interval, Duration::from_secs(5));
        assert_eq!(opts.max_token_lifetime, Duration::from_secs(86_400));
        assert_eq!(opts.outbound, OutboundPolicy::development());
    }
}
