//! The layering rule: nothing below `api` (core, auth, hub, inference, serving) knows HTTP.
//! The hub crate is an HTTP client of the Hugging Face hub (reqwest) but serves nothing.

use std::process::Command;

const HTTP_CRATES: &[&str] = &[
    "axum",
    "axum-core",
    "hyper",
    "hyper-util",
    "http",
    "http-body",
    "tower",
    "tower-http",
];
const HTTP_FREE_LAYERS: &[&str] = &[
    "mlx-manager-core",
    "mlx-manager-auth",
    "mlx-manager-hub",
    "mlx-manager-inference",
    "mlx-manager-serving",
];

#[test]
fn the_layers_below_the_api_have_no_http_server_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    for layer in HTTP_FREE_LAYERS {
        let package = packages
            .iter()
            .find(|p| p["name"] == *layer)
            .unwrap_or_else(|| panic!("{layer} is a workspace member"));
        for dependency in package["dependencies"].as_array().unwrap() {
            let name = dependency["name"].as_str().unwrap();
            assert!(
                !HTTP_CRATES.contains(&name),
                "{layer} depends on {name}: HTTP belongs in mlx-manager-api only"
            );
        }
    }
}
