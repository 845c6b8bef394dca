//! Quotas: requests per minute and generated tokens per day, refused with 429 and the time
//! until the window frees, counted from the audit log so a restart forgets nothing.

use mlx_manager_tests::TestApp;
use mlx_manager_tests::models::{HfHome, spawn_offline};
use reqwest::Method;
use serde_json::{Value, json};

use super::{MODEL, chat};

async fn models_status(app: &TestApp, token: &str) -> reqwest::Response {
    app.authed(Method::GET, "/v1/models", token)
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Generates until the member's day holds at least `tokens`; returns what it holds.
async fn generate_at_least(app: &TestApp, token: &str, tokens: u64) -> u64 {
    let mut generated = 0;
    while generated < tokens {
        let (status, answer) = app
            .call(
                Method::POST,
                "/v1/chat/completions",
                token,
                Some(chat("Count with me", 8)),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        generated += answer["usage"]["completion_tokens"].as_u64().unwrap();
    }
    generated
}

#[tokio::test]
async fn quotas_refuse_at_the_limit_with_the_time_until_the_window_frees_and_hold_across_a_restart()
{
    let home = HfHome::new();
    home.install(MODEL, "tiny-llama");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;
    let (heavy_id, heavy) = app.approved_user(&admin, "heavy@example.com").await;

    // Only admins set quotas, and every value is checked.
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/settings/quotas",
            &member,
            Some(json!({"requests_per_minute": 100})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, invalid) = app
        .call(
            Method::PUT,
            "/api/settings/quotas",
            &admin,
            Some(json!({"requests_per_minute": 0, "tokens_per_day": 0})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(invalid["errors"].as_array().unwrap().len(), 2, "{invalid}");
    let (status, default) = app
        .call(
            Method::PUT,
            "/api/settings/quotas",
            &admin,
            Some(json!({"requests_per_minute": 2, "tokens_per_day": null})),
        )
        .await;
    assert_eq!((status, &default["requests_per_minute"]), (200, &json!(2)));

    // The heavy user gets limits of their own: no request limit, 3 tokens a day.
    let (status, own) = app
        .call(
            Method::PUT,
            &format!("/api/auth/users/{heavy_id}/quota"),
            &admin,
            Some(json!({"tokens_per_day": 3})),
        )
        .await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(own["source"], "user");
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/auth/users/999999/quota",
            &admin,
            Some(json!({"tokens_per_day": 3})),
        )
        .await;
    assert_eq!(status, 404);

    // Members' default: two requests a minute.
    for _ in 0..2 {
        assert_eq!(models_status(&app, &member).await.status(), 200);
    }
    let refused = models_status(&app, &member).await;
    assert_eq!(refused.status(), 429);
    let wait = retry_after(&refused);
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    assert!(
        refused.headers().get("x-should-retry").is_none(),
        "worth retrying after a minute"
    );
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["type"], "rate_limit_error");
    assert_eq!(error["error"]["code"], "quota_exceeded");
    // An admin without limits of their own has none.
    for _ in 0..3 {
        assert_eq!(models_status(&app, &admin).await.status(), 200);
    }

    // Tokens per day: generations are refused once the day holds 3, other calls are not.
    let generated = generate_at_least(&app, &heavy, 3).await;
    let refused = app
        .authed(Method::POST, "/v1/chat/completions", &heavy)
        .json(&chat("More", 2))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let wait = retry_after(&refused);
    assert!(
        (86_000..=86_400).contains(&wait),
        "the day frees in about 24 h: {wait}"
    );
    assert_eq!(refused.headers()["x-should-retry"], "false");
    let anthropic = app
        .authed(Method::POST, "/v1/messages", &heavy)
        .json(&json!({"model": MODEL, "max_tokens": 2, "messages": [{"role": "user", "content": "Hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(anthropic.status(), 429);
    let error: Value = anthropic.json().await.unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["type"], "rate_limit_error");
    assert_eq!(models_status(&app, &heavy).await.status(), 200);

    let (_, usage) = app
        .call(Method::GET, "/api/auth/me/usage", &heavy, None)
        .await;
    assert_eq!(usage["tokens_last_day"], generated, "{usage}");
    assert_eq!(usage["quota"]["tokens_per_day"], 3);
    assert_eq!(usage["quota"]["source"], "user");
    let (_, usage) = app
        .call(Method::GET, "/api/auth/me/usage", &member, None)
        .await;
    assert_eq!(
        usage["requests_last_minute"], 2,
        "refusals are not counted: {usage}"
    );
    assert_eq!(usage["quota"]["source"], "members_default");

    // After a restart the audit log still holds the day's tokens and the minute's requests.
    let app = app.restart().await;
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &heavy,
            Some(chat("Again", 2)),
        )
        .await;
    assert_eq!(status, 429, "the token quota survived the restart");
    assert_eq!(
        models_status(&app, &member).await.status(),
        429,
        "so did the request quota"
    );

    // Back to the members' default (now roomier): the heavy user may generate again.
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/settings/quotas",
            &admin,
            Some(json!({"requests_per_minute": 100})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, cleared) = app
        .call(
            Method::DELETE,
            &format!("/api/auth/users/{heavy_id}/quota"),
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (status, cleared["source"].as_str()),
        (200, Some("members_default"))
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/v1/chat/completions",
            &heavy,
            Some(chat("Again", 2)),
        )
        .await;
    assert_eq!(status, 200);
}
