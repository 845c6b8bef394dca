//! Audit records, hash upgrades, and the first-admin race over real HTTP on both backends.

use std::time::Duration;

use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{UserChanges, UserRepository};
use mlx_manager_core::domain::Email;
use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD, client_from};
use mlx_manager_tests::{SpawnOptions, TestApp, postgres};
use serde_json::Value;

#[tokio::test]
async fn d3_28_auth_events_are_audited_with_ids_and_without_secrets() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    app.login("admin@example.com", OTHER_STRONG_PASSWORD).await;
    let created: Value = app
        .authed(reqwest::Method::POST, "/api/auth/api-keys", &token)
        .json(&serde_json::json!({"name": "audit"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.authed(reqwest::Method::POST, "/api/auth/logout", &token)
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = app.stderr();
    for event in [
        "user.registered",
        "login.succeeded",
        "login.failed",
        "api_key.created",
        "logout",
    ] {
        let line = log
            .lines()
            .find(|l| l.contains("audit") && l.contains(event))
            .unwrap_or_else(|| panic!("no {event} audit record in:\n{log}"));
        assert!(line.contains("user_id="), "{line}");
        assert!(line.contains("request_id="), "{line}");
    }
    for secret in [
        STRONG_PASSWORD,
        OTHER_STRONG_PASSWORD,
        token.as_str(),
        created["key"].as_str().unwrap(),
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

#[tokio::test]
async fn d3_1_a_hash_with_older_parameters_is_upgraded_at_the_next_login() {
    let mut app = TestApp::spawn().await;
    app.admin_token().await;
    app.terminate();
    app.wait_exit(Duration::from_secs(10)).expect("stopped");
    let url = mlx_manager_core::Settings::default_database_url(&app.data_dir);
    let weak = mlx_manager_auth::PasswordHasher::with_cost(
        1,
        mlx_manager_auth::HashCost {
            memory_kib: 8192,
            iterations: 1,
            parallelism: 1,
        },
    )
    .unwrap()
    .hash(STRONG_PASSWORD)
    .await
    .unwrap();
    let users = UserRepository::new(Database::connect(&url.clone().into()).await.unwrap());
    let admin = users
        .find_by_email(&Email::parse("admin@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    users
        .update(admin.id, UserChanges::password_hash(weak))
        .await
        .unwrap();

    let app = app.restart_stopped().await;
    app.token_for("admin@example.com", STRONG_PASSWORD).await;
    let stored = users.find_by_id(admin.id).await.unwrap().password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
}

async fn thirty_register_at_once(app: &TestApp) {
    // From 30 addresses: one address may only register a few accounts at a time.
    let registrations: Vec<_> = (0..30)
        .map(|i| {
            let request = client_from(100 + i)
                .post(app.url("/api/auth/register"))
                .json(&serde_json::json!({"email": format!("racer{i}@example.com"), "password": STRONG_PASSWORD}))
                .send();
            tokio::spawn(request)
        })
        .collect();
    let mut admins = 0;
    for registration in registrations {
        let response = registration.await.unwrap().unwrap();
        assert_eq!(response.status(), 201);
        admins += usize::from(response.json::<Value>().await.unwrap()["is_admin"] == true);
    }
    assert_eq!(
        admins, 1,
        "exactly one of 30 simultaneous first registrations becomes admin"
    );
}

#[tokio::test]
async fn d3_10_thirty_concurrent_http_registrations_on_sqlite_make_one_admin() {
    thirty_register_at_once(&TestApp::spawn().await).await;
}

#[tokio::test]
async fn d3_10_thirty_concurrent_http_registrations_on_postgresql_make_one_admin() {
    let url = postgres::fresh_database().await;
    thirty_register_at_once(&TestApp::spawn_with(SpawnOptions::default().database_url(url)).await)
        .await;
}
