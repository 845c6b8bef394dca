//! The recovery CLI works on the database with no server running; passwords come from
//! standard input, never from the command line.

use std::time::Duration;

use mlx_manager_tests::auth::{OTHER_STRONG_PASSWORD, STRONG_PASSWORD};
use mlx_manager_tests::{TestApp, run_cli_with_input};

const QUICK: Duration = Duration::from_secs(30);

/// A data dir holding an admin and a pending user, with the server stopped.
async fn stopped_server_with_users() -> TestApp {
    let mut app = TestApp::spawn().await;
    app.admin_token().await;
    app.register("pending@example.com", STRONG_PASSWORD).await;
    app.terminate();
    assert!(app.wait_exit(Duration::from_secs(10)).is_some());
    app
}

fn users_cli(app: &TestApp, args: &[&str], input: Option<&str>) -> std::process::Output {
    let data_dir = app.data_dir.to_str().unwrap();
    let mut full = vec!["users"];
    full.extend_from_slice(args);
    run_cli_with_input(&full, &[("MLX_MANAGER_DATA_DIR", data_dir)], input, QUICK)
}

#[tokio::test]
async fn users_list_shows_every_user_with_role_and_status() {
    let app = stopped_server_with_users().await;
    let output = users_cli(&app, &["list"], None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let admin_line = stdout
        .lines()
        .find(|l| l.contains("admin@example.com"))
        .expect("admin listed");
    assert!(
        admin_line.contains("admin") && admin_line.contains("approved"),
        "{admin_line}"
    );
    let pending_line = stdout
        .lines()
        .find(|l| l.contains("pending@example.com"))
        .expect("pending listed");
    assert!(
        pending_line.contains("user") && pending_line.contains("pending"),
        "{pending_line}"
    );
}

#[tokio::test]
async fn reset_password_reads_stdin_and_the_new_password_works() {
    let app = stopped_server_with_users().await;
    let input = format!("{OTHER_STRONG_PASSWORD}\n");
    let output = users_cli(&app, &["reset-password", "ADMIN@example.com"], Some(&input));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let app = app.restart_stopped().await;
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
async fn create_admin_makes_a_new_approved_admin_or_promotes_an_existing_user() {
    let app = stopped_server_with_users().await;
    let input = format!("{OTHER_STRONG_PASSWORD}\n");
    assert!(
        users_cli(&app, &["create-admin", "rescue@example.com"], Some(&input))
            .status
            .success()
    );
    assert!(
        users_cli(&app, &["create-admin", "pending@example.com"], Some(&input))
            .status
            .success()
    );
    let app = app.restart_stopped().await;
    for email in ["rescue@example.com", "pending@example.com"] {
        let token = app.token_for(email, OTHER_STRONG_PASSWORD).await;
        let users = app
            .authed(reqwest::Method::GET, "/api/auth/users", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(users.status(), 200, "{email} is an admin");
    }
}

#[tokio::test]
async fn weak_or_missing_passwords_and_unknown_users_are_refused_clearly() {
    let app = stopped_server_with_users().await;
    for (args, input, expected) in [
        (
            vec!["reset-password", "admin@example.com"],
            Some("password\n"),
            "password",
        ),
        (
            vec!["reset-password", "admin@example.com"],
            Some(""),
            "no password",
        ),
        (
            vec!["reset-password", "ghost@example.com"],
            Some("irrelevant\n"),
            "no user",
        ),
        (
            vec!["create-admin", "not-an-email"],
            Some("irrelevant\n"),
            "e-mail",
        ),
    ] {
        let output = users_cli(&app, &args, input);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("error:") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
    }
}
