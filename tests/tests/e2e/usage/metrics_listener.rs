//! `metrics_listen`: a second address answering `GET /metrics` without credentials, and
//! nothing else; the main listener still wants an admin.

use mlx_manager_tests::{SpawnOptions, TestApp};

#[tokio::test]
async fn the_metrics_listener_answers_scrapers_without_credentials_and_serves_nothing_else() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let app =
        TestApp::spawn_with(SpawnOptions::default().env("MLX_MANAGER_METRICS_LISTEN", &address))
            .await;
    let client = reqwest::Client::new();
    let scraped = client
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = scraped.text().await.unwrap();
    assert!(
        text.contains("mlx_manager_pool_memory_limit_bytes"),
        "{text}"
    );
    for path in ["/api/system/info", "/v1/models", "/"] {
        let other = client
            .get(format!("http://{address}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{path}");
    }
    assert_eq!(
        app.get("/metrics").await.status(),
        401,
        "the main listener still needs an admin"
    );
}

#[tokio::test]
async fn a_metrics_address_that_is_not_one_stops_the_server_with_the_setting_named() {
    let output = mlx_manager_tests::run_cli(
        &["serve", "--port", "0"],
        &[("MLX_MANAGER_METRICS_LISTEN", "localhost:notaport")],
        std::time::Duration::from_secs(20),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("metrics_listen"), "{stderr}");
}
