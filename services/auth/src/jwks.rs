//! Parsing a JSON Web Key Set into the keys the verifier can use.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::AuthError;

/// RSA keys shorter than this are ignored (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

/// The key types KeyCare accepts signatures from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyType {
    Rsa,
    EcP256,
}

impl KeyType {
    /// The key type an algorithm needs; pins each algorithm to one key type.
    pub(crate) fn for_alg(alg: Algorithm) -> Option<Self> {
        match alg {
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => Some(Self::Rsa),
            Algorithm::ES256 => Some(Self::EcP256),
            _ => None,
        }
    }
}

/// One usable public key from a JWKS.
#[derive(Clone)]
pub(crate) struct PublicKey {
    pub kid: Option<String>,
    pub key_type: KeyType,
    /// The `alg` the JWKS restricts this key to, if any.
    pub alg: Option<String>,
    pub decoding_key: DecodingKey,
}

/// The usable keys of one issuer.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    pub keys: Vec<PublicKey>,
}

/// What looking up a key for a token header found.
pub(crate) enum Lookup<'a> {
    Found(&'a PublicKey),
    /// No key with that `kid` (or, without a `kid`, none of the right type).
    Missing,
    /// No `kid` and several keys of the right type: refuse rather than guess.
    Ambiguous,
}

impl KeySet {
    /// Parses a JWKS document, skipping keys that are not signature keys of a
    /// supported type, or that are malformed, rather than failing the set.
    pub(crate) fn from_jwks(doc: &serde_json::Value) -> Result<Self, String> {
        let raw_keys = doc
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| "the JWKS has no \"keys\" array".to_string())?;
        let keys = raw_keys
            .iter()
            .filter_map(|raw| match parse_key(raw) {
                Ok(key) => key,
                Err(reason) => {
                    tracing::warn!(%reason, "ignoring unusable key in JWKS");
                    None
                }
            })
            .collect();
        Ok(Self { keys })
    }

    /// Finds the key for a token header, checking that `alg` suits it.
    pub(crate) fn lookup(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Lookup<'_>, AuthError> {
        let refused = || AuthError::RefusedAlgorithm(format!("{alg:?}"));
        let wanted = KeyType::for_alg(alg).ok_or_else(refused)?;
        let found = match kid {
            Some(kid) => {
                let mut with_kid = self.keys.iter().filter(|k| k.kid.as_deref() == Some(kid));
                let Some(first) = with_kid.clone().next() else {
                    return Ok(Lookup::Missing);
                };
                // A kid names a key of one type; an alg for another type is
                // an algorithm-confusion attempt, not an unknown key.
                match with_kid.find(|k| k.key_type == wanted) {
                    Some(key) => key,
                    None if first.key_type != wanted => return Err(refused()),
                    None => return Ok(Lookup::Missing),
                }
            }
            None => {
                let mut candidates = self.keys.iter().filter(|k| k.key_type == wanted);
                match (candidates.next(), candidates.next()) {
                    (Some(only), None) => only,
                    (None, _) => return Ok(Lookup::Missing),
                    (Some(_), Some(_)) => return Ok(Lookup::Ambiguous),
                }
            }
        };
        if found
            .alg
            .as_deref()
            .is_some_and(|a| a != format!("{alg:?}"))
        {
            return Err(refused());
        }
        Ok(Lookup::Found(found))
    }
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// `Ok(None)` for keys that are fine but not for us (encryption keys, other
/// types); `Err` for keys that claim to be usable but are broken.
fn parse_key(raw: &serde_json::Value) -> Result<Option<PublicKey>, String> {
    let jwk = RawJwk::deserialize(raw).map_err(|err| format!("invalid JWK: {err}"))?;
    if jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let key_type = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => KeyType::Rsa,
        ("EC", Some("P-256")) => KeyType::EcP256,
        _ => return Ok(None),
    };
    let decoding_key = match key_type {
        KeyType::Rsa => {
            let (Some(n), Some(e)) = (&jwk.n, &jwk.e) else {
                return Err("RSA key without n or e".into());
            };
            let modulus = b64(n, "n")?;
            let significant = modulus.iter().skip_while(|b| **b == 0).count();
            if significant * 8 < MIN_RSA_BITS {
                return Err(format!("RSA key shorter than {MIN_RSA_BITS} bits"));
            }
            let exponent = b64(e, "e")?;
            DecodingKey::from_rsa_raw_components(&modulus, &exponent)
        }
        KeyType::EcP256 => {
            let (Some(x), Some(y)) = (&jwk.x, &jwk.y) else {
                return Err("EC key without x or y".into());
            };
            let (x, y) = (b64(x, "x")?, b64(y, "y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes".into());
            }
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            p256::PublicKey::from_sec1_bytes(&point)
                .map_err(|_| "P-256 key is not a point on the curve".to_string())?;
            DecodingKey::from_ec_der(&point)
        }
    };
    Ok(Some(PublicKey {
        kid: jwk.kid,
        key_type,
        alg: jwk.alg,
        decoding_key,
    }))
}

fn b64(value: &str, field: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| format!("JWK field {field} is not base64url"))
}
