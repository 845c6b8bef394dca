//! Accounts (issue 12, items 4, 7, 8, 10, 11): a login storm from one address cannot lock
//! the owner out, account recovery ends API keys, disabling ends sessions for good, look-alike
//! e-mails are one account or refused, and mass registration is limited.

use std::time::{Duration, Instant};

use mlx_manager_api::dto::UserPublic;
use mlx_manager_auth::PasswordHasher;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{NewUser, UserRepository};
use mlx_manager_core::domain::{Email, UserStatus};
use mlx_manager_tests::TestApp;
use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD, client_from};
use reqwest::{Method, Response};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

fn retry_after(response: &Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn detail(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["detail"].as_str().unwrap_or_default().to_string()
}

// ---- 4. Anyone can lock any account out ------------------------------------------------

#[tokio::test]
async fn a_login_storm_from_one_address_does_not_lock_the_owner_out_from_another() {
    let app = TestApp::spawn().await;
    app.register("owner@example.com", STRONG_PASSWORD).await;
    let attacker = client_from(2);
    let owner = client_from(3);
    for _ in 0..5 {
        let wrong = app
            .login_via(&attacker, "owner@example.com", OTHER_STRONG_PASSWORD)
            .await;
        assert_eq!(wrong.status(), 401);
    }
    // The storming address is refused, even with the right password.
    let refused = app
        .login_via(&attacker, "owner@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(refused.status(), 429);
    assert!((1..=15 * 60).contains(&retry_after(&refused)));
    // The owner, elsewhere, gets in.
    let started = Instant::now();
    let signed_in = app
        .login_via(&owner, "OWNER@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(
        signed_in.status(),
        200,
        "{}",
        signed_in.text().await.unwrap()
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // And signing in does not unlock the attacker.
    let still_refused = app
        .login_via(&attacker, "owner@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(still_refused.status(), 429);
}

#[tokio::test]
async fn guessing_from_many_addresses_is_slowed_by_a_growing_bounded_delay_not_refused() {
    let app = TestApp::spawn().await;
    app.register("owner@example.com", STRONG_PASSWORD).await;
    // 8 wrong guesses from 8 addresses: under every per-address limit.
    for n in 0..8 {
        let guesser = client_from(10 + n);
        let wrong = app
            .login_via(&guesser, "owner@example.com", OTHER_STRONG_PASSWORD)
            .await;
        assert_eq!(wrong.status(), 401, "guess {n} is answered, never refused");
    }
    // The next attempt waits (250 ms doubling per failure after the 5th: 2 s now), before the
    // password is checked; the server keeps answering others meanwhile.
    let owner = client_from(3);
    let url = app.url("/api/auth/login");
    let started = Instant::now();
    let login = tokio::spawn(async move {
        owner
            .post(url)
            .form(&[
                ("username", "owner@example.com"),
                ("password", STRONG_PASSWORD),
            ])
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let health_started = Instant::now();
    assert_eq!(app.get("/health").await.status(), 200);
    assert!(
        health_started.elapsed() < Duration::from_millis(500),
        "the delay must not block the server: /health took {:?}",
        health_started.elapsed()
    );
    assert_eq!(login.await.unwrap(), 200, "the owner still gets in");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
    // Success clears the delay.
    let started = Instant::now();
    app.token_for("owner@example.com", STRONG_PASSWORD).await;
    assert!(started.elapsed() < Duration::from_millis(1000));
}

// ---- 7. API keys outlive account recovery ------------------------------------------------

async fn create_key(app: &TestApp, token: &str) -> (i64, String) {
    let response = app
        .authed(Method::POST, "/api/auth/api-keys", token)
        .json(&json!({"name": "script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (
        body["id"].as_i64().unwrap(),
        body["key"].as_str().unwrap().to_string(),
    )
}

async fn key_status(app: &TestApp, key: &str) -> u16 {
    app.client
        .get(app.url("/api/auth/me"))
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_admin_password_reset_revokes_the_users_api_keys() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, token) = app.approved_user(&admin, "member@example.com").await;
    let (_, key) = create_key(&app, &token).await;
    assert_eq!(key_status(&app, &key).await, 200);
    let reset = app
        .authed(
            Method::POST,
            &format!("/api/auth/users/{id}/reset-password"),
            &admin,
        )
        .json(&json!({"password": OTHER_STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert!(message(reset).await.contains("API keys"));
    assert_eq!(key_status(&app, &key).await, 401);
    assert_eq!(app.me_status(&token).await, 401);
}

async fn message(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["message"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn revoking_a_users_sessions_revokes_their_api_keys_too() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, token) = app.approved_user(&admin, "member@example.com").await;
    let (_, key) = create_key(&app, &token).await;
    let revoke = app
        .authed(
            Method::POST,
            &format!("/api/auth/users/{id}/revoke-sessions"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 200);
    assert_eq!(key_status(&app, &key).await, 401);
    assert_eq!(app.me_status(&token).await, 401);
    // The user signs in again and starts over.
    let fresh = app.token_for("member@example.com", STRONG_PASSWORD).await;
    let listed: Value = app
        .authed(Method::GET, "/api/auth/api-keys", &fresh)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
}

#[tokio::test]
async fn a_users_own_password_change_keeps_their_api_keys() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (_, token) = app.approved_user(&admin, "member@example.com").await;
    let (_, key) = create_key(&app, &token).await;
    let changed = app
        .authed(Method::POST, "/api/auth/password", &token)
        .json(&json!({"current_password": STRONG_PASSWORD, "new_password": OTHER_STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(app.me_status(&token).await, 401, "old sessions end");
    assert_eq!(key_status(&app, &key).await, 200, "programs keep working");
}

#[tokio::test]
async fn an_admin_lists_and_revokes_any_users_api_keys_and_members_cannot() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, token) = app.approved_user(&admin, "member@example.com").await;
    let (other_id, other) = app.approved_user(&admin, "other@example.com").await;
    let (key_id, key) = create_key(&app, &token).await;
    let (other_key_id, other_key) = create_key(&app, &other).await;

    let listed = app
        .authed(
            Method::GET,
            &format!("/api/auth/users/{id}/api-keys"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    let text = listed.text().await.unwrap();
    let keys: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["id"], key_id);
    assert!(!text.contains(&key), "never the key itself");

    // Members may not look at or touch others' keys.
    for (method, path) in [
        (Method::GET, format!("/api/auth/users/{other_id}/api-keys")),
        (
            Method::DELETE,
            format!("/api/auth/users/{other_id}/api-keys/{other_key_id}"),
        ),
        (Method::GET, format!("/api/auth/users/{id}/api-keys")),
    ] {
        let response = app.authed(method, &path, &token).send().await.unwrap();
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(key_status(&app, &other_key).await, 200);

    // A key of another user, or of no user, is not found.
    let wrong_owner = app
        .authed(
            Method::DELETE,
            &format!("/api/auth/users/{id}/api-keys/{other_key_id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_owner.status(), 404);
    let no_user = app
        .authed(Method::GET, "/api/auth/users/9999/api-keys", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(no_user.status(), 404);

    let revoked = app
        .authed(
            Method::DELETE,
            &format!("/api/auth/users/{id}/api-keys/{key_id}"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(key_status(&app, &key).await, 401);
    assert_eq!(key_status(&app, &other_key).await, 200);
    assert_eq!(app.me_status(&token).await, 200, "the session is untouched");
}

#[tokio::test]
async fn a_user_can_hold_at_most_fifty_api_keys() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for _ in 0..50 {
        create_key(&app, &admin).await;
    }
    let refused = app
        .authed(Method::POST, "/api/auth/api-keys", &admin)
        .json(&json!({"name": "one too many"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    assert!(detail(refused).await.contains("at most 50"));
    // Revoking one makes room.
    let listed: Value = app
        .authed(Method::GET, "/api/auth/api-keys", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = listed[0]["id"].as_i64().unwrap();
    let revoke = app
        .authed(Method::DELETE, &format!("/api/auth/api-keys/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    create_key(&app, &admin).await;
}

// ---- 8. Re-enabling revives old tokens ---------------------------------------------------

#[tokio::test]
async fn leaving_approved_ends_sessions_for_good() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, _) = app.approved_user(&admin, "member@example.com").await;
    for away in ["disabled", "pending"] {
        let token = app.token_for("member@example.com", STRONG_PASSWORD).await;
        assert_eq!(app.me_status(&token).await, 200);
        let left = app.edit_user(&admin, id, json!({"status": away})).await;
        assert_eq!(left.status(), 200);
        let back = app
            .edit_user(&admin, id, json!({"status": "approved"}))
            .await;
        assert_eq!(back.status(), 200);
        assert_eq!(
            app.me_status(&token).await,
            401,
            "a token from before `{away}` stays dead after re-approval"
        );
    }
    app.token_for("member@example.com", STRONG_PASSWORD).await;
}

// ---- 10. Look-alike accounts -------------------------------------------------------------

#[tokio::test]
async fn look_alike_emails_are_the_same_account_or_refused() {
    let app = TestApp::spawn().await;
    app.admin_token().await;
    // Fullwidth letters fold to the taken address.
    let fullwidth = app
        .register("ａｄｍｉｎ@example.com", OTHER_STRONG_PASSWORD)
        .await;
    assert_eq!(fullwidth.status(), 409);
    app.token_for("ａｄｍｉｎ@ｅｘａｍｐｌｅ.com", STRONG_PASSWORD)
        .await;
    // Invisible characters are refused.
    for invisible in ["admin\u{200B}@example.com", "admin\u{00AD}@example.com"] {
        let refused = app.register(invisible, OTHER_STRONG_PASSWORD).await;
        assert_eq!(refused.status(), 422, "{invisible:?}");
        assert!(detail(refused).await.contains("invisible"));
    }
    // A Cyrillic а among Latin letters mixes scripts.
    let mixed = app
        .register("\u{430}dmin@example.com", OTHER_STRONG_PASSWORD)
        .await;
    assert_eq!(mixed.status(), 422);
    assert!(detail(mixed).await.contains("scripts"));
    // A dotless ı is Latin, so the script rules let it through, but it looks like `admin`.
    let dotless = app
        .register("adm\u{131}n@example.com", OTHER_STRONG_PASSWORD)
        .await;
    assert_eq!(dotless.status(), 409);
    assert!(detail(dotless).await.contains("looks the same"));
    let dotted_capital = app
        .register("ADM\u{130}N@example.com", OTHER_STRONG_PASSWORD)
        .await;
    assert_eq!(dotted_capital.status(), 409);

    // NFC and NFD are one address.
    let nfc = app.register("caf\u{E9}@example.com", STRONG_PASSWORD).await;
    assert_eq!(nfc.status(), 201);
    let nfd = app
        .register("cafe\u{301}@example.com", OTHER_STRONG_PASSWORD)
        .await;
    assert_eq!(nfd.status(), 409);
    let pending = app.login("CAFE\u{301}@example.com", STRONG_PASSWORD).await;
    assert_eq!(pending.status(), 403, "found, and waiting for approval");
}

#[tokio::test]
async fn stored_addresses_from_before_are_normalised_so_logins_find_them() {
    let mut app = TestApp::spawn().await;
    app.admin_token().await;
    app.terminate();
    app.wait_exit(Duration::from_secs(10)).expect("stopped");

    // Rows as the old code stored them: trimmed and lower-cased only.
    let url = mlx_manager_core::Settings::default_database_url(&app.data_dir);
    let db = Database::connect(&url.into()).await.unwrap();
    let users = UserRepository::new(db.clone());
    let hash = PasswordHasher::new(1).hash(STRONG_PASSWORD).await.unwrap();
    for stored in ["cafe\u{301}@example.com", "ａｄｍｉｎ@example.com"] {
        users
            .create(NewUser {
                email: Email::from_stored(stored.into()),
                password_hash: hash.clone(),
                is_admin: false,
                status: UserStatus::Approved,
                approved_by: None,
            })
            .await
            .unwrap();
    }
    // As if the database predated the normalisation.
    db.connection()
        .execute_unprepared(
            "DELETE FROM seaql_migrations WHERE version = 'm20261202_000001_normalise_emails'",
        )
        .await
        .unwrap();
    db.close().await.unwrap();

    let app = app.restart_stopped().await;
    app.token_for("caf\u{E9}@example.com", STRONG_PASSWORD)
        .await;
    app.token_for("cafe\u{301}@example.com", STRONG_PASSWORD)
        .await;
    // The fullwidth twin of the admin cannot take the admin's address: it stays as it was,
    // for the admin to see and remove.
    let admin = app.token_for("admin@example.com", STRONG_PASSWORD).await;
    let listed: Vec<UserPublic> = app
        .authed(Method::GET, "/api/auth/users", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = listed.iter().map(|u| u.email.as_str()).collect();
    assert!(emails.contains(&"ａｄｍｉｎ@example.com"), "{emails:?}");
    assert!(emails.contains(&"caf\u{E9}@example.com"), "{emails:?}");
}

// ---- 11. Mass registration -------------------------------------------------------------

#[tokio::test]
async fn one_address_registers_only_a_few_accounts_per_window() {
    let app = TestApp::spawn().await;
    let flooder = client_from(20);
    let weak = app
        .register_via(&flooder, "weak@example.com", "password")
        .await;
    assert_eq!(weak.status(), 422, "a refused registration does not count");
    for n in 0..5 {
        let made = app
            .register_via(&flooder, &format!("bot{n}@example.com"), STRONG_PASSWORD)
            .await;
        assert_eq!(made.status(), 201, "registration {n}");
    }
    let throttled = app
        .register_via(&flooder, "bot5@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(throttled.status(), 429);
    assert!((1..=600).contains(&retry_after(&throttled)));
    let elsewhere = app
        .register_via(&client_from(21), "person@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(elsewhere.status(), 201, "other addresses are not affected");
}

#[tokio::test]
async fn registration_closes_at_one_hundred_pending_accounts_and_the_admin_is_warned() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let pending_count = || async {
        let response = app
            .authed(Method::GET, "/api/auth/users/pending/count", &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()
    };
    let calm = pending_count().await;
    assert_eq!(calm["count"], 0);
    assert_eq!(calm["limit"], 100);
    assert_eq!(calm["near_limit"], false);
    assert!(calm["warning"].is_null());

    // 99 pending accounts, written straight into the database (as 99 registrations from
    // 20 addresses would make them, only faster).
    let url = mlx_manager_core::Settings::default_database_url(&app.data_dir);
    let users = UserRepository::new(Database::connect(&url.into()).await.unwrap());
    for n in 0..99 {
        users
            .create(NewUser {
                email: Email::parse(&format!("pending{n}@example.com")).unwrap(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
                is_admin: false,
                status: UserStatus::Pending,
                approved_by: None,
            })
            .await
            .unwrap();
    }
    let near = pending_count().await;
    assert_eq!(near["count"], 99);
    assert_eq!(near["near_limit"], true);
    assert_eq!(near["registration_open"], true);
    assert!(near["warning"].as_str().unwrap().contains("100"), "{near}");

    let last = app
        .register_via(&client_from(30), "last@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(last.status(), 201);
    let closed = app
        .register_via(&client_from(31), "late@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(closed.status(), 503);
    let message = detail(closed).await;
    assert!(
        message.contains("waiting for an administrator"),
        "{message}"
    );

    let full = pending_count().await;
    assert_eq!(full["count"], 100);
    assert_eq!(full["registration_open"], false);
    assert!(
        full["warning"].as_str().unwrap().contains("closed"),
        "{full}"
    );

    // Approving one reopens it.
    let approved = app
        .edit_user(&admin, 2, json!({"status": "approved"}))
        .await;
    assert_eq!(approved.status(), 200);
    let reopened = app
        .register_via(&client_from(31), "late@example.com", STRONG_PASSWORD)
        .await;
    assert_eq!(reopened.status(), 201);
}
