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
