//! What the server writes to its log, and what it must never write.

use mlx_manager_tests::{SpawnOptions, TestApp, postgres};

#[tokio::test]
async fn json_log_format_writes_one_json_object_per_line_with_the_request_id() {
    let app =
        TestApp::spawn_with(SpawnOptions::default().env("MLX_MANAGER_LOG_FORMAT", "json")).await;
    app.client
        .get(app.url("/health"))
        .header("x-request-id", "json-log-check-1")
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = app.stderr();
    for line in log.lines().filter(|l| !l.trim().is_empty()) {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert!(log.contains("json-log-check-1"), "{log}");
}

#[tokio::test]
async fn the_database_password_never_reaches_the_log() {
    let url = postgres::fresh_database().await;
    let mut with_password = url::Url::parse(&url).unwrap();
    // The test cluster trusts loopback, so any password is accepted.
    with_password
        .set_password(Some("pw-that-must-not-leak"))
        .unwrap();
    let app = TestApp::spawn_with(
        SpawnOptions::default()
            .database_url(with_password.to_string())
            .env("MLX_MANAGER_LOG_LEVEL", "trace"),
    )
    .await;
    assert_eq!(app.get("/health").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = app.stderr();
    assert!(log.contains("***"), "the URL is logged masked:\n{log}");
    assert!(
        !log.contains("pw-that-must-not-leak"),
        "the password leaked into the log"
    );
}
