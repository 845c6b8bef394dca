//! The TypeScript SDK's README example, run with Node against the real server and an API key.

use std::process::Command;

use mlx_manager_tests::TestApp;
use reqwest::Method;

#[tokio::test]
async fn the_sdk_example_signs_in_with_an_api_key_and_lists_models() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    assert!(
        root.join("dist/index.js").exists(),
        "sdk/dist is missing: run `cargo xtask ui` (./setup installs its packages)"
    );
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let created: serde_json::Value = app
        .authed(Method::POST, "/api/auth/api-keys", &token)
        .json(&serde_json::json!({ "name": "sdk test" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap().to_string();

    let base_url = app.base_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("examples/whoami.mjs")
            .current_dir(&root)
            .env("MLX_MANAGER_URL", base_url)
            .env("MLX_MANAGER_API_KEY", key)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim(), "signed in as admin@example.com (admin)");
}

#[tokio::test]
async fn the_sdk_reports_a_refused_key_as_an_error_with_the_problem() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let app = TestApp::spawn().await;
    let base_url = app.base_url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("examples/whoami.mjs")
            .current_dir(&root)
            .env("MLX_MANAGER_URL", base_url)
            .env("MLX_MANAGER_API_KEY", "mlxm_not_a_real_key")
            .output()
            .expect("run node")
    })
    .await
    .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("MlxManagerError") && stderr.contains("401")
            || stderr.contains("credentials"),
        "{stderr}"
    );
}
