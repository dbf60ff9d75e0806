//! GraphiQL served by the gateway itself, so it works on a council network with no route to a
//! public CDN: the page at `GET /graphql` (for a browser) and its pinned assets at
//! `/graphiql/assets/{file}`, under a Content-Security-Policy of `'self'` (and a nonce for
//! `<style>`).
//!
//! The vendored builds and how to update them: `assets/graphiql/README.md`. The page has no
//! inline script; `boot.js` starts GraphiQL with a fetcher that sends the session cookie and
//! the headers pane's `Authorization` with every request, the schema's introspection included,
//! and shows where to sign in when neither is there.

use crate::operation::Failure;
use crate::server::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rand::RngCore;

/// The page's policy, `nonce` fresh for each page: scripts from this origin only, styles from
/// this origin and `<style>` elements carrying the nonce (the dialogs' scroll lock adds one,
/// sized to the scrollbar, so no hash can name it; `boot.js` hands the nonce to it), requests
/// to this origin only (CSP 3's `'self'` covers the same host's `ws:`/`wss:` for
/// subscriptions). No `'unsafe-inline'`: GraphiQL and React set element styles through the
/// CSSOM, which a policy does not govern; GraphiQL's fonts are `data:` URLs inside its CSS.
fn policy(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self' 'nonce-{nonce}'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// One file under `/graphiql/assets/`.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Vendored files carry their version in the name and never change: cached for a year.
    /// The gateway's own (`boot.js`, `keycare.css`) change with the gateway: revalidated.
    immutable: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const REACT: &str = "react-18.3.1.production.min.js";
const REACT_DOM: &str = "react-dom-18.3.1.production.min.js";
const GRAPHIQL_JS: &str = "graphiql-3.9.0.min.js";
const GRAPHIQL_CSS: &str = "graphiql-3.9.0.min.css";

const ASSETS: &[Asset] = &[
    Asset {
        name: REACT,
        content_type: JS,
        body: include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
        immutable: true,
    },
    Asset {
        name: REACT_DOM,
        content_type: JS,
        body: include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
        immutable: true,
    },
    Asset {
        name: GRAPHIQL_JS,
        content_type: JS,
        body: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
        immutable: true,
    },
    Asset {
        name: GRAPHIQL_CSS,
        content_type: CSS,
        body: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css"),
        immutable: true,
    },
    Asset {
        name: "boot.js",
        content_type: JS,
        body: include_bytes!("../assets/graphiql/boot.js"),
        immutable: false,
    },
    Asset {
        name: "keycare.css",
        content_type: CSS,
        body: include_bytes!("../assets/graphiql/keycare.css"),
        immutable: false,
    },
];

/// The assets' routes (answering 404 when the `graphiql` setting is off, like the page).
pub fn routes() -> Router<AppState> {
    Router::new().route("/graphiql/assets/{file}", get(asset))
}

async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let found = ASSETS.iter().find(|a| a.name == file);
    let Some(asset) = found.filter(|_| state.limits.graphiql) else {
        return Failure::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such file").into_http();
    };
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        asset.body,
    )
        .into_response()
}

/// GraphiQL's page. `query` is the request's query string: `council=SLUG` in it makes the
/// sign-in banner link to that council's browser sign-in (`/auth/SLUG/login`); without it the
/// banner asks for the council.
pub fn page(query: Option<&str>) -> Response {
    let council = query
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "council")
        .map(|(_, v)| v.into_owned())
        .filter(|v| plausible_slug(v));
    let sign_in = match &council {
        // Back to this page (with its council) once signed in.
        Some(slug) => format!(
            r#"<a id="keycare-sign-in" href="/auth/{slug}/login?redirect=%2Fgraphql%3Fcouncil%3D{slug}">Sign in to {slug}</a>"#
        ),
        None => r#"<form id="keycare-council" action="/graphql" method="get">
      <label for="keycare-council-slug">Council</label>
      <input id="keycare-council-slug" name="council" placeholder="e.g. northshire" required
        pattern="[a-z][a-z0-9\-]{1,62}" autocomplete="off" spellcheck="false">
      <button type="submit">Sign in</button>
    </form>"#
            .to_owned(),
    };
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let nonce = hex::encode(nonce);
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>KeyCare GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/{GRAPHIQL_CSS}">
  <link rel="stylesheet" href="/graphiql/assets/keycare.css">
</head>
<body>
  <div id="keycare-banner" hidden>
    <span id="keycare-who"></span>
    <span id="keycare-signed-out">Not signed in.
    {sign_in}
    <span>or paste a bearer token in the Headers pane below:
      <code>{{"Authorization": "Bearer ..."}}</code></span></span>
    <form id="keycare-sign-out" action="/auth/logout" method="post" hidden>
      <button type="submit">Sign out</button>
    </form>
  </div>
  <div id="graphiql" data-endpoint="/graphql" data-subscriptions="/graphql/ws"
    data-style-nonce="{nonce}">Loading GraphiQL...</div>
  <noscript>GraphiQL needs JavaScript. Without it, send queries with POST /graphql.</noscript>
  <script src="/graphiql/assets/{REACT}"></script>
  <script src="/graphiql/assets/{REACT_DOM}"></script>
  <script src="/graphiql/assets/{GRAPHIQL_JS}"></script>
  <script src="/graphiql/assets/boot.js"></script>
</body>
</html>
"#
    );
    let mut res = Html(html).into_response();
    // Always valid ASCII; were it not, the gateway's default policy (nothing loads) would stay.
    if let Ok(csp) = HeaderValue::from_str(&policy(&nonce)) {
        res.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Whether `value` can be put into the page and a path as it is (only letters, digits and
/// hyphens); whether such a council exists is for the sign-in route to say.
fn plausible_slug(value: &str) -> bool {
    (1..=63).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
