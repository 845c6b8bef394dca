//! Registration and login through the real binary (checklist items from peers.md §D.3 named
//! in the test names where one applies).

use std::time::{Duration, Instant};

use mlx_manager_tests::TestApp;
use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD};
use serde_json::{Value, json};

#[tokio::test]
async fn d3_10_11_first_user_is_an_approved_admin_and_the_next_is_pending() {
    let app = TestApp::spawn().await;
    let first: Value = app
        .register("first@example.com", STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (first["is_admin"].clone(), first["status"].clone()),
        (json!(true), json!("approved"))
    );
    assert!(first.get("password_hash").is_none() && first.get("hashed_password").is_none());
    let response = app.register("second@example.com", STRONG_PASSWORD).await;
    assert_eq!(response.status(), 201);
    let second: Value = response.json().await.unwrap();
    assert_eq!(
        (second["is_admin"].clone(), second["status"].clone()),
        (json!(false), json!("pending"))
    );
}

#[tokio::test]
async fn email_is_trimmed_and_lower_cased_at_registration_and_login() {
    let app = TestApp::spawn().await;
    let user: Value = app
        .register("  Ada.Lovelace@Example.COM ", STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["email"], "ada.lovelace@example.com");
    app.token_for("ADA.LOVELACE@example.com  ", STRONG_PASSWORD)
        .await;
    let duplicate = app
        .register("ada.lovelace@EXAMPLE.com", STRONG_PASSWORD)
        .await;
    assert_eq!(duplicate.status(), 409);
}

#[tokio::test]
async fn login_accepts_the_oauth2_form_and_json_and_returns_a_bearer_token() {
    let app = TestApp::spawn().await;
    app.register("a@example.com", STRONG_PASSWORD).await;
    let form: Value = app
        .login("a@example.com", STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(form["token_type"], "bearer");
    assert_eq!(form["expires_in"], 7 * 24 * 3600);
    let json_login = app
        .client
        .post(app.url("/api/auth/login"))
        .json(&json!({"email": "a@example.com", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_login.status(), 200);
    let token = json_login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.me_status(&token).await, 200);
}

#[tokio::test]
async fn d3_5_6_weak_passwords_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    for (password, why) in [
        ("short1!", "too short"),
        ("password123", "a common password"),
        ("qwertyuiop", "a keyboard pattern"),
        ("aaaaaaaaaaaa", "a repeat"),
        ("victim@example.com", "the e-mail itself"),
    ] {
        let response = app.register("victim@example.com", password).await;
        assert_eq!(response.status(), 422, "{why}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], "password", "{why}");
        assert!(
            !problem["errors"][0]["message"].as_str().unwrap().is_empty(),
            "{why}"
        );
    }
    let too_long = "Zq9!".repeat(33);
    assert_eq!(
        app.register("victim@example.com", &too_long).await.status(),
        422
    );
}

#[tokio::test]
async fn d3_5_long_and_unicode_passwords_are_kept_exactly_without_truncation() {
    let app = TestApp::spawn().await;
    let unicode: String = "пароль-ключ-🔑-".repeat(10).chars().take(128).collect();
    assert_eq!(unicode.chars().count(), 128);
    assert_eq!(app.register("u@example.com", &unicode).await.status(), 201);
    app.token_for("u@example.com", &unicode).await;
    // Same first 72 bytes (bcrypt's limit), different ending: must not match.
    let mut almost: String = unicode.chars().take(100).collect();
    almost.push_str(&"x".repeat(28));
    assert_eq!(app.login("u@example.com", &almost).await.status(), 401);
}

#[tokio::test]
async fn d3_3_unknown_email_and_wrong_password_answer_identically() {
    let app = TestApp::spawn().await;
    app.register("known@example.com", STRONG_PASSWORD).await;
    let unknown = app.login("unknown@example.com", STRONG_PASSWORD).await;
    let wrong = app.login("known@example.com", OTHER_STRONG_PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong.status(), 401);
    let (unknown, wrong) = (unknown.bytes().await.unwrap(), wrong.bytes().await.unwrap());
    assert_eq!(unknown, wrong, "the bodies must not tell the cases apart");
}

#[tokio::test]
async fn d3_3_unknown_emails_take_as_long_as_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.register("known@example.com", STRONG_PASSWORD).await;
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for i in 0..4 {
        // Distinct e-mails keep the per-e-mail throttle out of the way.
        let started = Instant::now();
        app.login(&format!("nobody{i}@example.com"), OTHER_STRONG_PASSWORD)
            .await;
        unknown.push(started.elapsed());
        let started = Instant::now();
        app.login("known@example.com", OTHER_STRONG_PASSWORD).await;
        wrong.push(started.elapsed());
    }
    unknown.sort();
    wrong.sort();
    let (u, w) = (unknown[2].as_secs_f64(), wrong[2].as_secs_f64());
    assert!(
        (u - w).abs() / w.max(u) < 0.5,
        "unknown {u:.3}s vs wrong {w:.3}s"
    );
}

#[tokio::test]
async fn pending_and_disabled_accounts_learn_their_state_only_with_the_right_password() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.register("pending@example.com", STRONG_PASSWORD).await;
    assert_eq!(
        app.login("pending@example.com", OTHER_STRONG_PASSWORD)
            .await
            .status(),
        401
    );
    let pending = app.login("pending@example.com", STRONG_PASSWORD).await;
    assert_eq!(pending.status(), 403);
    assert!(pending.text().await.unwrap().contains("approval"));

    let (id, _) = app.approved_user(&admin, "disabled@example.com").await;
    let disable = app
        .edit_user(&admin, id, json!({"status": "disabled"}))
        .await;
    assert_eq!(disable.status(), 200);
    assert_eq!(
        app.login("disabled@example.com", OTHER_STRONG_PASSWORD)
            .await
            .status(),
        401
    );
    let disabled = app.login("disabled@example.com", STRONG_PASSWORD).await;
    assert_eq!(disabled.status(), 403);
    assert!(disabled.text().await.unwrap().contains("disabled"));
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_problem_never_a_500() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, reqwest::Body, &str)> = vec![
        (
            "/api/auth/register",
            json!({"email": "not-an-email", "password": STRONG_PASSWORD})
                .to_string()
                .into(),
            "application/json",
        ),
        (
            "/api/auth/register",
            json!({"email": "x@example.com", "password": "p".repeat(200)})
                .to_string()
                .into(),
            "application/json",
        ),
        (
            "/api/auth/register",
            json!({"email": 42, "password": STRONG_PASSWORD})
                .to_string()
                .into(),
            "application/json",
        ),
        (
            "/api/auth/register",
            json!({"email": "x@example.com"}).to_string().into(),
            "application/json",
        ),
        (
            "/api/auth/register",
            "{\"email\": \"x@exa".into(),
            "application/json",
        ),
        (
            "/api/auth/register",
            json!({"email": "ü@例え.jp", "password": "🔑".repeat(3)})
                .to_string()
                .into(),
            "application/json",
        ),
        (
            "/api/auth/login",
            json!({"username": ["a"], "password": "x"})
                .to_string()
                .into(),
            "application/json",
        ),
        (
            "/api/auth/login",
            "username=nope&password=".into(),
            "application/x-www-form-urlencoded",
        ),
        (
            "/api/auth/login",
            "password=only".into(),
            "application/x-www-form-urlencoded",
        ),
        (
            "/api/auth/login",
            "username=a@b.c&password=x".into(),
            "text/plain",
        ),
    ];
    for (path, body, content_type) in cases {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{path} {content_type}: {status}"
        );
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn d3_2_health_stays_fast_during_eight_concurrent_logins() {
    let app = TestApp::spawn().await;
    app.register("busy@example.com", STRONG_PASSWORD).await;
    let logins: Vec<_> = (0..8)
        .map(|_| {
            let request = app
                .client
                .post(app.url("/api/auth/login"))
                .form(&[
                    ("username", "busy@example.com"),
                    ("password", STRONG_PASSWORD),
                ])
                .send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(app.get("/health").await.status(), 200);
        slowest = slowest.max(started.elapsed());
    }
    for login in logins {
        login.await.unwrap().unwrap();
    }
    assert!(
        slowest < Duration::from_millis(150),
        "/health took {slowest:?} during logins"
    );
}

#[tokio::test]
async fn a_ten_megabyte_password_is_refused_with_413_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let head = format!(
        "POST /api/auth/register HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        10 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream
        .write_all(br#"{"email": "x@example.com", "password": "pppp"#)
        .await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(reply.contains("application/problem+json"), "{reply}");
    assert_eq!(app.get("/health").await.status(), 200);
}
