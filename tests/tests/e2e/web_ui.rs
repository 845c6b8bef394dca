//! The embedded web UI as the binary serves it: the SPA fallback, caching, compression.

use mlx_manager_tests::TestApp;

/// The page, and the first hashed script it loads (a real UI build has one).
async fn index_and_script(app: &TestApp) -> (String, String) {
    let page = app.get("/").await.text().await.unwrap();
    let start = page
        .find("/_app/immutable/")
        .expect("index.html loads no /_app/immutable/ asset: build the UI with `cargo xtask ui`");
    let rest = &page[start..];
    let end = rest.find(['"', '\'']).expect("end of the asset path");
    (page.clone(), rest[..end].to_string())
}

#[tokio::test]
async fn deep_links_get_the_app_page_and_unknown_api_paths_stay_problems() {
    let app = TestApp::spawn().await;
    let (index, _) = index_and_script(&app).await;

    for path in ["/users", "/account", "/some/deep/link?x=1"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(response.text().await.unwrap(), index, "{path}");
    }
    let missing = app.get("/api/no-such-route").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(app.get("/_app/immutable/missing.js").await.status(), 404);
}

#[tokio::test]
async fn hashed_assets_are_cached_forever_and_pages_revalidate() {
    let app = TestApp::spawn().await;
    let (_, script) = index_and_script(&app).await;

    let asset = app.get(&script).await;
    assert_eq!(asset.status(), 200, "{script}");
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let page = app.get("/").await;
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let etag = page.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn scripts_are_sent_compressed_to_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let (_, script) = index_and_script(&app).await;
    let response = app
        .client
        .get(app.url(&script))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
