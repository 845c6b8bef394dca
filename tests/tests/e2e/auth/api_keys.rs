//! API keys: shown once, stored hashed, usable wherever a token is, revoked with their user.

use mlx_manager_tests::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn create_key(app: &TestApp, token: &str, name: &str) -> Value {
    let response = app
        .authed(Method::POST, "/api/auth/api-keys", token)
        .json(&json!({"name": name, "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

#[tokio::test]
async fn d3_22_a_key_is_shown_once_and_works_as_bearer_and_x_api_key() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let created = create_key(&app, &token, "laptop script").await;
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("mlxm_") && key.len() >= 5 + 22, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert!(created["expires_at"].is_string());

    let listed = app
        .authed(Method::GET, "/api/auth/api-keys", &token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&key), "lists never contain the key");
    assert!(listed.contains("laptop script"));

    assert_eq!(app.me_status(&key).await, 200);
    let with_header = app
        .client
        .get(app.url("/api/auth/me"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(with_header.status(), 200);
    let listed: Value = app
        .authed(Method::GET, "/api/auth/api-keys", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed[0]["last_used_at"].is_string(), "use is recorded");
}

#[tokio::test]
async fn a_revoked_key_stops_working_and_only_its_owner_can_revoke_it() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, user) = app.approved_user(&admin, "user@example.com").await;
    let created = create_key(&app, &user, "ci").await;
    let (id, key) = (
        created["id"].as_i64().unwrap(),
        created["key"].as_str().unwrap().to_string(),
    );
    let by_admin = app
        .authed(Method::DELETE, &format!("/api/auth/api-keys/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(by_admin.status(), 404, "keys are personal");
    let by_owner = app
        .authed(Method::DELETE, &format!("/api/auth/api-keys/{id}"), &user)
        .send()
        .await
        .unwrap();
    assert_eq!(by_owner.status(), 204);
    assert_eq!(app.me_status(&key).await, 401);
}

#[tokio::test]
async fn d3_13_keys_of_a_disabled_or_deleted_user_stop_working_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, user) = app.approved_user(&admin, "user@example.com").await;
    let key = create_key(&app, &user, "k").await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let edit = |status: &'static str| {
        app.authed(Method::PUT, &format!("/api/auth/users/{id}"), &admin)
            .json(&json!({"status": status}))
            .send()
    };
    edit("disabled").await.unwrap();
    assert_eq!(app.me_status(&key).await, 401);
    edit("approved").await.unwrap();
    assert_eq!(app.me_status(&key).await, 200);
    app.authed(Method::DELETE, &format!("/api/auth/users/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(app.me_status(&key).await, 401);
}

#[tokio::test]
async fn key_names_and_expiry_are_validated() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    for body in [
        json!({"name": ""}),
        json!({"name": "x".repeat(101)}),
        json!({"name": "ok", "expires_in_days": 0}),
    ] {
        let response = app
            .authed(Method::POST, "/api/auth/api-keys", &token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
    }
}
