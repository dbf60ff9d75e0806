//! A development-only token issuer, so KeyCare can run without a council's
//! identity provider. Its tokens go through the normal [`crate::Verifier`].

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::{Coordinates, ToEncodedPoint};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rand::RngCore;
use rand::rngs::OsRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{AuthError, IssuerSettings, http};

/// File name of the signing key inside the data directory.
pub const DEV_ISSUER_KEY_FILE: &str = "dev-issuer-key.pem";
/// Path under the server base URL where the router is mounted.
pub const DEV_ISSUER_PATH: &str = "/dev-issuer";

/// A local ES256 issuer whose key persists in the data directory, so tokens
/// stay valid across restarts.
pub struct DevIssuer {
    issuer: String,
    audience: String,
    kid: String,
    encoding_key: EncodingKey,
    public_jwk: Value,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        f.debug_struct("DevIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl DevIssuer {
    /// Loads the signing key from `data_dir/dev-issuer-key.pem`, creating it
    /// (mode 0600 on unix) if absent.
    ///
    /// `issuer_url` should be `{server base}/dev-issuer`, where
    /// [`DevIssuer::router`] is served.
    pub fn load_or_create(
        data_dir: &Path,
        issuer_url: &str,
        audience: &str,
    ) -> Result<DevIssuer, AuthError> {
        http::http_url(issuer_url, "the development issuer URL")?;
        let secret = load_or_create_key(&data_dir.join(DEV_ISSUER_KEY_FILE), data_dir)?;
        let point = secret.public_key().to_encoded_point(false);
        let Coordinates::Uncompressed { x, y } = point.coordinates() else {
            return Err(AuthError::KeyStore("unexpected public key encoding".into()));
        };
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        let kid = thumbprint(&x, &y);
        let der = secret
            .to_pkcs8_der()
            .map_err(|err| AuthError::KeyStore(format!("cannot encode the key: {err}")))?;
        Ok(DevIssuer {
            issuer: issuer_url.trim_end_matches('/').to_owned(),
            audience: audience.to_owned(),
            encoding_key: EncodingKey::from_ec_der(der.as_bytes()),
            public_jwk: json!({
                "kty": "EC",
                "crv": "P-256",
                "x": x,
                "y": y,
                "kid": kid,
                "use": "sig",
                "alg": "ES256",
            }),
            kid,
        })
    }

    /// The issuer identifier (`iss`) of tokens this issuer signs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audience (`aud`) of tokens this issuer signs.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The key id (RFC 7638 thumbprint of the public key).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Where the router serves the JWKS.
    pub fn jwks_url(&self) -> String {
        format!("{}{DEV_ISSUER_PATH}/jwks.json", self.base_url())
    }

    /// Settings for verifying this issuer's tokens with [`crate::Verifier`].
    pub fn settings(&self) -> IssuerSettings {
        IssuerSettings {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            jwks_url: self.jwks_url(),
        }
    }

    /// The public key set; contains no private key material.
    pub fn jwks_json(&self) -> Value {
        json!({ "keys": [self.public_jwk.clone()] })
    }

    /// Signs an ES256 token for `subject`, valid for `ttl` from now.
    pub fn sign(
        &self,
        subject: &str,
        email: Option<&str>,
        ttl: Duration,
    ) -> Result<String, AuthError> {
        let now = jsonwebtoken::get_current_timestamp();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(ttl.as_secs()),
            "jti": random_id(),
        });
        if let (Some(email), Some(map)) = (email, claims.as_object_mut()) {
            map.insert("email".into(), Value::from(email));
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding_key)
            .map_err(|err| AuthError::KeyStore(format!("signing failed: {err}")))
    }

    /// The OpenID discovery document, given the server's base URL.
    pub fn discovery_json(&self, base_url: &str) -> Value {
        let base = base_url.trim_end_matches('/');
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{base}{DEV_ISSUER_PATH}/jwks.json"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "email"],
        })
    }

    /// Serves `GET /dev-issuer/.well-known/openid-configuration` and
    /// `GET /dev-issuer/jwks.json`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/dev-issuer/.well-known/openid-configuration",
                get(|State(dev): State<Arc<DevIssuer>>| async move {
                    Json(dev.discovery_json(dev.base_url()))
                }),
            )
            .route(
                "/dev-issuer/jwks.json",
                get(|State(dev): State<Arc<DevIssuer>>| async move { Json(dev.jwks_json()) }),
            )
            .with_state(self)
    }

    /// The server base URL: the issuer without its `/dev-issuer` suffix.
    fn base_url(&self) -> &str {
        self.issuer
            .strip_suffix(DEV_ISSUER_PATH)
            .unwrap_or(&self.issuer)
    }
}

/// RFC 7638 JWK thumbprint of a P-256 public key.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key_store_error(path: &Path, action: &str, err: io::Error) -> AuthError {
    AuthError::KeyStore(format!("cannot {action} {}: {err}", path.display()))
}

fn load_or_create_key(path: &Path, data_dir: &Path) -> Result<p256::SecretKey, AuthError> {
    match fs::read_to_string(path) {
        Ok(pem) => parse_key(path, &pem),
        Err(err) if err.kind() == io::ErrorKind::NotFound => create_key(path, data_dir),
        Err(err) => Err(key_store_error(path, "read", err)),
    }
}

fn parse_key(path: &Path, pem: &str) -> Result<p256::SecretKey, AuthError> {
    warn_if_readable_by_others(path);
    p256::SecretKey::from_pkcs8_pem(pem).map_err(|_| {
        AuthError::KeyStore(format!(
            "{} is not a PKCS#8 PEM P-256 private key",
            path.display()
        ))
    })
}

/// Writes a fresh key to a private temporary file, then links it into place
/// without overwriting, so a concurrent start-up or a crash mid-write never
/// leaves a truncated key behind.
fn create_key(path: &Path, data_dir: &Path) -> Result<p256::SecretKey, AuthError> {
    fs::create_dir_all(data_dir).map_err(|err| key_store_error(data_dir, "create", err))?;
    let secret = p256::SecretKey::random(&mut OsRng);
    let pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|err| AuthError::KeyStore(format!("cannot encode the key: {err}")))?;

    let tmp = data_dir.join(format!(".{DEV_ISSUER_KEY_FILE}.{}.tmp", random_id()));
    let written = write_private(&tmp, pem.as_bytes());
    let linked = written.and_then(|()| {
        fs::hard_link(&tmp, path).or_else(|err| match err.kind() {
            io::ErrorKind::AlreadyExists => Err(err),
            // Filesystems without hard links: create_new still never clobbers.
            _ => write_private(path, pem.as_bytes()),
        })
    });
    // Best effort: the temporary file is useless either way.
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "created development issuer key");
            Ok(secret)
        }
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            // Another process won the race; use its key.
            let pem = fs::read_to_string(path).map_err(|err| key_store_error(path, "read", err))?;
            parse_key(path, &pem)
        }
        Err(err) => Err(key_store_error(path, "write", err)),
    }
}

fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "development issuer key is readable by other users");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc7638_example_shape() {
        // Deterministic and URL-safe: 32 bytes of SHA-256 -> 43 characters.
        let kid = thumbprint("abc", "def");
        assert_eq!(kid.len(), 43);
        assert_eq!(kid, thumbprint("abc", "def"));
        assert_ne!(kid, thumbprint("abd", "def"));
    }

    #[test]
    fn discovery_points_at_the_served_jwks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dev =
            DevIssuer::load_or_create(dir.path(), "http://localhost:8080/dev-issuer", "keycare")
                .expect("dev issuer");
        let doc = dev.discovery_json("http://localhost:8080/");
        assert_eq!(doc["issuer"], "http://localhost:8080/dev-issuer");
        assert_eq!(
            doc["jwks_uri"],
            "http://localhost:8080/dev-issuer/jwks.json"
        );
        assert_eq!(dev.jwks_url(), "http://localhost:8080/dev-issuer/jwks.json");
        assert!(format!("{dev:?}").contains("kid"));
    }

    #[test]
    fn refuses_non_http_issuer() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            DevIssuer::load_or_create(dir.path(), "file:///etc", "keycare"),
            Err(AuthError::Config(_))
        ));
    }
}
