//! The extractor and the middleware stack, exercised over real HTTP on a random loopback port.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ApiJson;
use crate::app::with_middleware;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Signup {
    email: String,
    age: u8,
    tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Tag {
    name: String,
}

const BODY_LIMIT: usize = 4096;

async fn serve() -> SocketAddr {
    serve_with_timeout(5).await
}

async fn serve_with_timeout(request_timeout_secs: u64) -> SocketAddr {
    let settings = mlx_manager_core::settings::ServerSettings {
        host: [127, 0, 0, 1].into(),
        port: 0,
        cors_allowed_origins: Vec::new(),
        request_timeout_secs,
        body_limit_bytes: BODY_LIMIT,
        shutdown_timeout_secs: 1,
        header_read_timeout_secs: 5,
        max_connections: None,
        max_connections_per_client: 16,
        allowed_hosts: mlx_manager_core::settings::AllowedHosts::Any,
        trusted_proxies: Default::default(),
        metrics_listen: None,
    };
    let slow = || async {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        "too late"
    };
    let router = Router::new()
        .route(
            "/signup",
            post(|ApiJson(_): ApiJson<Signup>| async { "ok" }),
        )
        .route("/slow", axum::routing::get(slow));
    let app = with_middleware(router, &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn post_raw(
    addr: SocketAddr,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (u16, String, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/signup"))
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, content_type, body)
}

fn first_field(problem: &Value) -> &str {
    problem["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_valid_body_is_accepted() {
    let addr = serve().await;
    let body = json!({"email": "a@b.c", "age": 30, "tags": [{"name": "x"}]}).to_string();
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/signup"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_wrong_type_is_a_422_problem_naming_the_field() {
    let addr = serve().await;
    let body = json!({"email": "a@b.c", "age": "thirty", "tags": []}).to_string();
    let (status, content_type, problem) = post_raw(addr, Some("application/json"), body).await;
    assert_eq!(status, 422);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(first_field(&problem), "age");
    assert_eq!(problem["status"], 422);
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("validation-error")
    );
}

#[tokio::test]
async fn a_nested_wrong_type_names_the_full_path() {
    let addr = serve().await;
    let body =
        json!({"email": "a@b.c", "age": 3, "tags": [{"name": "ok"}, {"name": 7}]}).to_string();
    let (status, _, problem) = post_raw(addr, Some("application/json"), body).await;
    assert_eq!(status, 422);
    assert_eq!(first_field(&problem), "tags[1].name");
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let addr = serve().await;
    let (status, _, problem) =
        post_raw(addr, Some("application/json"), r#"{"age": 3, "tags": []}"#).await;
    assert_eq!(status, 422);
    assert_eq!(first_field(&problem), "email");
}

#[tokio::test]
async fn malformed_json_is_a_422_problem_about_the_body() {
    let addr = serve().await;
    let (status, content_type, problem) =
        post_raw(addr, Some("application/json"), r#"{"email": "#).await;
    assert_eq!(status, 422);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(first_field(&problem), "body");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("malformed JSON")
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused_even_when_serde_would_read_it() {
    let addr = serve().await;
    for body in [r#"["a@b.c", 3, []]"#, "null", "7"] {
        let (status, _, problem) = post_raw(addr, Some("application/json"), body).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(first_field(&problem), "body");
        assert!(
            problem["detail"].as_str().unwrap().contains("JSON object"),
            "{problem}"
        );
    }
}

#[tokio::test]
async fn a_missing_content_type_is_a_415_problem() {
    let addr = serve().await;
    let (status, content_type, problem) = post_raw(addr, None, r#"{}"#).await;
    assert_eq!(status, 415);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 415);
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_problem() {
    let addr = serve().await;
    let huge = format!(r#"{{"email": "{}"}}"#, "a".repeat(BODY_LIMIT * 2));
    let (status, content_type, problem) = post_raw(addr, Some("application/json"), huge).await;
    assert_eq!(status, 413);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(problem["status"], 413);
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_a_413_problem_too() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = serve().await;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /signup HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    for _ in 0..(BODY_LIMIT / 1024 + 2) {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("application/problem+json"), "{reply}");
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let addr = serve().await;
    let response = reqwest::get(format!("http://{addr}/signup")).await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert!(
        response.headers()["allow"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_echoes_the_callers() {
    let addr = serve().await;
    let generated = reqwest::get(format!("http://{addr}/signup")).await.unwrap();
    assert!(!generated.headers()["x-request-id"].is_empty());
    let echoed = reqwest::Client::new()
        .get(format!("http://{addr}/signup"))
        .header("x-request-id", "caller-chosen-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "caller-chosen-42");
}

#[tokio::test]
async fn a_handler_that_overruns_the_request_timeout_gets_a_503_problem() {
    let addr = serve_with_timeout(1).await;
    let started = std::time::Instant::now();
    let response = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
