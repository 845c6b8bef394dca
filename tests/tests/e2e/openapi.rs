//! The spec is generated from code, served, and committed; all three must agree.

use mlx_manager_tests::{TestApp, run_cli};
use std::time::Duration;

fn committed_spec() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json");
    let text = std::fs::read_to_string(path).expect("openapi.json is committed at the repo root");
    serde_json::from_str(&text).expect("openapi.json is JSON")
}

#[tokio::test]
async fn the_served_spec_equals_the_committed_openapi_json() {
    let app = TestApp::spawn().await;
    let (status, served) = app.get_json("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        served == committed_spec(),
        "openapi.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

#[test]
fn the_openapi_command_prints_exactly_the_committed_file() {
    let output = run_cli(&["openapi"], &[], Duration::from_secs(30));
    assert!(output.status.success());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json");
    let committed = std::fs::read_to_string(path).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "openapi.json is stale: run `cargo xtask openapi` and commit the result"
    );
}

#[tokio::test]
async fn swagger_ui_is_served_offline_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page must not load anything from the network"
    );
    for asset in [
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "swagger-initializer.js",
    ] {
        let response = app.get(&format!("/api/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
    }
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert!(
        redirect.status().is_redirection(),
        "/api/docs leads to the docs page"
    );
    assert!(
        redirect.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/api/docs/")
    );
    let initializer = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(initializer.contains("/api/openapi.json"), "{initializer}");
}

#[test]
fn every_operation_has_its_own_id_so_generated_clients_compile() {
    let spec = committed_spec();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id:?} is used by {other} and {method} {path}");
            }
        }
    }
}

/// The TypeScript types (of the SDK, which the web UI imports) are generated from the spec.
#[test]
fn the_generated_typescript_types_match_the_committed_spec() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let generator = root.join("sdk/node_modules/.bin/openapi-typescript");
    assert!(
        generator.exists(),
        "{} is missing: run ./setup",
        generator.display()
    );
    let temp = tempfile::tempdir().unwrap();
    let fresh = temp.path().join("schema.ts");
    let status = std::process::Command::new(&generator)
        .arg(root.join("openapi.json"))
        .arg("-o")
        .arg(&fresh)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let fresh = std::fs::read_to_string(fresh).unwrap();
    let committed = "sdk/src/schema.ts";
    let text = std::fs::read_to_string(root.join(committed))
        .unwrap_or_else(|e| panic!("{committed}: {e}"));
    assert!(
        text == fresh,
        "{committed} is stale: run `cargo xtask openapi` and commit the result"
    );
}
