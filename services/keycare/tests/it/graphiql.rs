//! GraphiQL on a closed network: the page and every file it loads come from the gateway, under
//! a policy that names no other origin and allows no inline script; off in production.

use crate::demo_app::DemoApp;

/// The `src` and `href` values of a page, in order.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').unwrap();
            found.push(rest[..end].to_owned());
        }
    }
    found
}

async fn page(app: &DemoApp, query: &str) -> reqwest::Response {
    app.http
        .get(format!("{}/graphql{query}", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_page_loads_only_the_gateways_own_files_under_a_self_only_policy() {
    let app = DemoApp::spawn().await;
    let res = page(&app, "").await;
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();

    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "no inline script or style: {csp}");
    // Inline <style> only with this page's nonce, a new one for every page.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(nonce.len() >= 32, "{csp}");
    let again = page(&app, "").await.headers()["content-security-policy"].clone();
    assert!(
        !again.to_str().unwrap().contains(nonce),
        "a fresh nonce: {again:?}"
    );
    for source in csp.split([';', ' ']) {
        assert!(
            !source.contains("://") && !source.contains('.') && !source.ends_with(':')
                || source == "data:"
                || source.starts_with("'nonce-"),
            "no other origin or scheme: {source} in {csp}"
        );
    }

    assert!(!html.contains("<script>"), "no inline script: {html}");
    for handler in [
        "onclick=",
        "onload=",
        "onerror=",
        "onsubmit=",
        "javascript:",
    ] {
        assert!(!html.contains(handler), "no inline event handler: {html}");
    }
    let files: Vec<String> = references(&html)
        .into_iter()
        .filter(|r| !r.starts_with("/auth/"))
        .collect();
    assert!(
        files.len() >= 5,
        "react, react-dom, graphiql, its css, boot: {files:?}"
    );
    for file in &files {
        assert!(
            file.starts_with("/graphiql/assets/"),
            "only the gateway's assets: {file}"
        );
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(html.contains(r#"src="/graphiql/assets/boot.js""#));

    for file in &files {
        let res = app
            .http
            .get(format!("{}{file}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{file}");
        let h = res.headers();
        let expected = if file.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            "text/css; charset=utf-8"
        };
        assert_eq!(h["content-type"], expected, "{file}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{file}");
        let cache = h["cache-control"].to_str().unwrap();
        // Vendored files carry their version in their name.
        if file.chars().any(|c| c.is_ascii_digit()) {
            assert_eq!(cache, "public, max-age=31536000, immutable", "{file}");
        } else {
            assert_eq!(cache, "no-cache", "{file}: the gateway's own file");
        }
        assert!(!res.bytes().await.unwrap().is_empty(), "{file}");
    }
    let res = app
        .http
        .get(format!("{}/graphiql/assets/nothing.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn the_banner_links_to_the_councils_sign_in_when_the_council_is_named() {
    let app = DemoApp::spawn().await;
    let html = page(&app, "?council=northshire")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(
            r#"href="/auth/northshire/login?redirect=%2Fgraphql%3Fcouncil%3Dnorthshire""#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"{"Authorization": "Bearer ..."}"#),
        "the token hint"
    );

    // Without a council, a field to type it; nothing of a malformed one reaches the page.
    let html = page(&app, "?council=%22%3E%3Cscript%3E")
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("/login"), "{html}");
    assert!(html.contains(r#"name="council""#), "{html}");
    assert!(!html.contains("<script>"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn with_graphiql_off_neither_page_nor_assets_are_served() {
    let app = DemoApp::spawn_with(|c| c.limits.graphiql = false).await;
    assert_eq!(page(&app, "").await.status(), 404);
    for file in [
        "boot.js",
        "graphiql-3.9.0.min.js",
        "react-18.3.1.production.min.js",
    ] {
        let res = app
            .http
            .get(format!("{}/graphiql/assets/{file}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{file}");
    }
    app.stop().await;
}
