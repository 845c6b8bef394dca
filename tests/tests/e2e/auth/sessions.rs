//! Sessions end when they should: logout, password changes, admin actions, account changes.

use mlx_manager_tests::TestApp;
use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn me_returns_the_caller() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let me: Value = app.me(&token).await;
    assert_eq!(me["email"], "admin@example.com");
    assert_eq!(me["is_admin"], true);
}

#[tokio::test]
async fn d3_20_logout_ends_the_token_and_it_stays_ended_after_a_restart() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let other_session = app.token_for("admin@example.com", STRONG_PASSWORD).await;
    let logout = app
        .authed(Method::POST, "/api/auth/logout", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(app.me_status(&token).await, 401);
    assert_eq!(
        app.me_status(&other_session).await,
        200,
        "only the presented token ends"
    );
    let app = app.restart().await;
    assert_eq!(
        app.me_status(&token).await,
        401,
        "logout survives a restart"
    );
    assert_eq!(
        app.me_status(&other_session).await,
        200,
        "the signing secret survives a restart"
    );
}

#[tokio::test]
async fn d3_7_changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let other_session = app.token_for("admin@example.com", STRONG_PASSWORD).await;
    let change = |current: &'static str, new: &'static str| {
        app.authed(Method::POST, "/api/auth/password", &token)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    let refused = change(OTHER_STRONG_PASSWORD, OTHER_STRONG_PASSWORD)
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "current_password");
    assert_eq!(
        change(STRONG_PASSWORD, "password1").await.unwrap().status(),
        422,
        "weak new password"
    );

    let changed = change(STRONG_PASSWORD, OTHER_STRONG_PASSWORD)
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let fresh = changed.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.me_status(&other_session).await, 401);
    assert_eq!(app.me_status(&token).await, 401);
    assert_eq!(app.me_status(&fresh).await, 200);
    assert_eq!(
        app.login("admin@example.com", STRONG_PASSWORD)
            .await
            .status(),
        401
    );
    app.token_for("admin@example.com", OTHER_STRONG_PASSWORD)
        .await;
}

#[tokio::test]
async fn d3_12_13_disabling_or_deleting_a_user_takes_effect_on_their_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, token) = app.approved_user(&admin, "user@example.com").await;
    assert_eq!(app.me_status(&token).await, 200);
    let set_status = |status: &'static str| {
        app.authed(Method::PATCH, &format!("/api/auth/users/{id}"), &admin)
            .json(&json!({"status": status}))
            .send()
    };
    assert_eq!(set_status("disabled").await.unwrap().status(), 200);
    assert_eq!(app.me_status(&token).await, 401);
    assert_eq!(set_status("approved").await.unwrap().status(), 200);
    assert_eq!(
        app.me_status(&token).await,
        401,
        "disabling ended the session: re-enabling does not revive it"
    );
    let token = app.token_for("user@example.com", STRONG_PASSWORD).await;
    assert_eq!(app.me_status(&token).await, 200, "a fresh sign-in works");
    let delete = app
        .authed(Method::DELETE, &format!("/api/auth/users/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 204);
    assert_eq!(app.me_status(&token).await, 401);
}

#[tokio::test]
async fn a_demoted_admin_loses_admin_access_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, second) = app.approved_user(&admin, "second@example.com").await;
    let promote = app
        .authed(Method::PUT, &format!("/api/auth/users/{id}"), &admin)
        .json(&json!({"is_admin": true}))
        .send();
    assert_eq!(promote.await.unwrap().status(), 200);
    let list_as_second = || app.authed(Method::GET, "/api/auth/users", &second).send();
    assert_eq!(list_as_second().await.unwrap().status(), 200);
    let demote = app
        .authed(Method::PUT, &format!("/api/auth/users/{id}"), &admin)
        .json(&json!({"is_admin": false}))
        .send();
    assert_eq!(demote.await.unwrap().status(), 200);
    assert_eq!(list_as_second().await.unwrap().status(), 403);
}

#[tokio::test]
async fn admin_password_reset_and_session_revocation_end_the_users_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (id, token) = app.approved_user(&admin, "user@example.com").await;
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
    assert_eq!(app.me_status(&token).await, 401);

    let token = app.token_for("user@example.com", STRONG_PASSWORD).await;
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
    assert_eq!(app.me_status(&token).await, 401);
    app.token_for("user@example.com", OTHER_STRONG_PASSWORD)
        .await;
}

#[tokio::test]
async fn d3_15_the_last_approved_admin_cannot_be_demoted_disabled_or_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let me: Value = app.me(&admin).await;
    let id = me["id"].as_i64().unwrap();
    for change in [
        json!({"is_admin": false}),
        json!({"status": "disabled"}),
        json!({"status": "pending"}),
    ] {
        let response = app
            .authed(Method::PUT, &format!("/api/auth/users/{id}"), &admin)
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "{change}");
        assert!(response.text().await.unwrap().contains("admin"));
    }
    let delete = app
        .authed(Method::DELETE, &format!("/api/auth/users/{id}"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 409);
}

#[tokio::test]
async fn d3_15_a_disabled_second_admin_does_not_let_the_only_approved_admin_step_down() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let (second_id, _) = app.approved_user(&admin, "second@example.com").await;
    let edit = |id: i64, body: Value| {
        app.authed(Method::PUT, &format!("/api/auth/users/{id}"), &admin)
            .json(&body)
            .send()
    };
    assert_eq!(
        edit(second_id, json!({"is_admin": true}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        edit(second_id, json!({"status": "disabled"}))
            .await
            .unwrap()
            .status(),
        200
    );
    let me: Value = app.me(&admin).await;
    let demote_self = edit(me["id"].as_i64().unwrap(), json!({"is_admin": false}))
        .await
        .unwrap();
    assert_eq!(
        demote_self.status(),
        409,
        "the original allows this and ends with no usable admin"
    );
}

#[tokio::test]
async fn admins_list_filter_count_create_and_approve_users_recording_who_approved() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.register("p1@example.com", STRONG_PASSWORD).await;
    let p2: Value = app
        .register("p2@example.com", STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let count: Value = app
        .authed(Method::GET, "/api/auth/users/pending/count", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["count"], 2);
    let pending: Value = app
        .authed(Method::GET, "/api/auth/users?status=pending", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["p2@example.com", "p1@example.com"], "newest first");

    let approved: Value = app
        .authed(
            Method::PUT,
            &format!("/api/auth/users/{}", p2["id"]),
            &admin,
        )
        .json(&json!({"status": "approved"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me: Value = app.me(&admin).await;
    assert_eq!(approved["approved_by"], me["id"]);
    assert!(approved["approved_at"].is_string());

    let created = app
        .authed(Method::POST, "/api/auth/users", &admin)
        .json(&json!({"email": "Made@Example.com", "password": STRONG_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(
        (created["email"].clone(), created["status"].clone()),
        (json!("made@example.com"), json!("approved"))
    );
    app.token_for("made@example.com", STRONG_PASSWORD).await;
    let missing = app
        .authed(Method::DELETE, "/api/auth/users/9999", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
