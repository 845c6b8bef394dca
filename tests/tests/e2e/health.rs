use mlx_manager_tests::{SpawnOptions, TestApp, postgres};

#[tokio::test]
async fn health_reports_healthy_with_version_and_a_reachable_sqlite_database() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "healthy");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["database"]["reachable"], true);
    assert_eq!(body["database"]["backend"], "sqlite");
}

#[tokio::test]
async fn health_needs_no_credentials_and_answers_head() {
    let app = TestApp::spawn().await;
    let response = app.client.head(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_server_runs_on_postgresql_when_given_its_url() {
    let url = postgres::fresh_database().await;
    let app = TestApp::spawn_with(SpawnOptions::default().database_url(url)).await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["database"]["backend"], "postgres");
    assert_eq!(body["database"]["reachable"], true);
}

#[tokio::test]
async fn health_turns_unhealthy_with_503_when_postgresql_goes_away() {
    let url = postgres::fresh_database().await;
    let app = TestApp::spawn_with(SpawnOptions::default().database_url(url.clone())).await;
    postgres::drop_database(&url).await;
    // Probe results are reused for up to half a second.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (status, body) = app.get_json("/health").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"]["reachable"], false);
}
