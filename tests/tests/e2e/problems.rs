//! Every error is an RFC 9457 problem document.

use mlx_manager_tests::TestApp;

async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
    body
}

#[tokio::test]
async fn an_unknown_api_path_is_a_404_problem_naming_the_path() {
    let app = TestApp::spawn().await;
    let body = assert_problem(app.get("/api/no-such-thing").await, 404).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("/api/no-such-thing")
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_that_lists_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let response = app.client.delete(app.url("/health")).send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET"), "{allow}");
    assert_problem(response, 405).await;
}

#[tokio::test]
async fn a_request_id_is_generated_or_echoed_and_appears_in_the_log() {
    let app = TestApp::spawn().await;
    let generated = app.get("/health").await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(id.len() >= 16, "{id}");

    let echoed = app
        .client
        .get(app.url("/api/missing"))
        .header("x-request-id", "trace-me-7f3a")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-7f3a");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = app.stderr();
    let line = log
        .lines()
        .find(|line| line.contains("trace-me-7f3a"))
        .unwrap_or_else(|| panic!("request id not logged:\n{log}"));
    assert!(
        line.contains("/api/missing") && line.contains("404"),
        "{line}"
    );
}

#[tokio::test]
async fn cross_origin_requests_get_no_cors_headers_by_default() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn allowed_origins_get_cors_headers_and_others_do_not() {
    let options = mlx_manager_tests::SpawnOptions::default()
        .env("MLX_MANAGER_CORS_ALLOWED_ORIGINS", "https://ui.example");
    let app = TestApp::spawn_with(options).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/health"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .send()
    };
    let allowed = preflight("https://ui.example").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://ui.example"
    );
    let denied = preflight("https://evil.example").await.unwrap();
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_gzip() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
