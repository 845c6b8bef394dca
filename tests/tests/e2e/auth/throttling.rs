//! Login throttling: repeated failures for an e-mail from one client address, or from one
//! address over many e-mails, get 429 with Retry-After, and probing registration for taken
//! e-mails counts the same way. (Other addresses are not refused: `security::accounts`.)

use mlx_manager_tests::TestApp;
use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD};

#[tokio::test]
async fn d3_8_five_failures_from_one_address_get_429_with_retry_after_even_for_the_right_password()
{
    let app = TestApp::spawn().await;
    app.register("target@example.com", STRONG_PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(
            app.login("target@example.com", OTHER_STRONG_PASSWORD)
                .await
                .status(),
            401
        );
    }
    let throttled = app.login("TARGET@example.com", STRONG_PASSWORD).await;
    assert_eq!(
        throttled.status(),
        429,
        "counting is case-insensitive and the right password does not help"
    );
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        throttled.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn d3_8_a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    app.register("reset@example.com", STRONG_PASSWORD).await;
    for _ in 0..4 {
        app.login("reset@example.com", OTHER_STRONG_PASSWORD).await;
    }
    app.token_for("reset@example.com", STRONG_PASSWORD).await;
    for _ in 0..4 {
        assert_eq!(
            app.login("reset@example.com", OTHER_STRONG_PASSWORD)
                .await
                .status(),
            401
        );
    }
    app.token_for("reset@example.com", STRONG_PASSWORD).await;
}

#[tokio::test]
async fn d3_9_one_address_spraying_many_emails_is_throttled() {
    let app = TestApp::spawn().await;
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(
            app.login(&format!("spray{i}@example.com"), OTHER_STRONG_PASSWORD)
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(statuses[0], 401);
}

#[tokio::test]
async fn d3_4_probing_for_registered_emails_is_throttled_like_login() {
    let app = TestApp::spawn().await;
    app.register("taken@example.com", STRONG_PASSWORD).await;
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(
            app.register("taken@example.com", OTHER_STRONG_PASSWORD)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses[0], 409);
    let throttled = statuses
        .iter()
        .position(|s| *s == 429)
        .expect("throttled at some point");
    assert!(
        statuses[throttled..].iter().all(|s| *s == 429),
        "{statuses:?}"
    );
    assert!(throttled <= 20, "{statuses:?}");
}

/// Five failed sign-ins for one e-mail "from" `throttled` (in `X-Forwarded-For`), then one
/// from `other`: its status.
async fn after_five_failures_from(app: &TestApp, throttled: &str, other: &str) -> (u16, u16) {
    app.register("proxied@example.com", STRONG_PASSWORD).await;
    let attempt = |forwarded: &str| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&serde_json::json!({"username": "proxied@example.com", "password": OTHER_STRONG_PASSWORD}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt(throttled).await.unwrap().status(), 401);
    }
    let again = attempt(throttled).await.unwrap().status().as_u16();
    let elsewhere = attempt(other).await.unwrap().status().as_u16();
    (again, elsewhere)
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_is_throttled_not_the_proxy() {
    let app = TestApp::spawn_with(
        mlx_manager_tests::SpawnOptions::default().env("MLX_MANAGER_TRUSTED_PROXIES", "127.0.0.1"),
    )
    .await;
    let statuses = after_five_failures_from(&app, "203.0.113.5", "198.51.100.7, 203.0.113.6").await;
    assert_eq!(
        statuses,
        (429, 401),
        "the client is throttled, another behind the same proxy is not"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forged_forwarded_for_changes_nothing() {
    let app = TestApp::spawn().await;
    let statuses = after_five_failures_from(&app, "203.0.113.5", "203.0.113.6").await;
    assert_eq!(
        statuses,
        (429, 429),
        "the header is ignored: both are the same client"
    );
}
