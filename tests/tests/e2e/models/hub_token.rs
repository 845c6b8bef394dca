//! The hub token as admins manage it: stored encrypted (never in the database in the clear,
//! never in a response or the log), used for gated downloads at once and after a restart,
//! checked with the hub's whoami, and outranked by a configured token.

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, LONG, fixture, id_of, spawn_with_hub};
use reqwest::Method;
use serde_json::{Value, json};

use super::REPO;
use mlx_manager_tests::inspect::files_containing;

const TOKEN: &str = "hf_stored_token_4821";

#[tokio::test]
async fn a_stored_hub_token_is_encrypted_used_for_gated_downloads_and_never_shown() {
    let hub = FakeHub::start().await;
    let card = ModelCard {
        gated: true,
        ..ModelCard::default()
    };
    hub.publish(REPO, &fixture("tiny-qwen3"), card);
    hub.faults().set_token(Some(TOKEN.into()));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;

    let (status, state) = app
        .call(Method::GET, "/api/settings/huggingface", &admin, None)
        .await;
    assert_eq!(
        (status, &state),
        (200, &json!({"configured": false, "source": null}))
    );
    let (status, problem) = app
        .call(Method::POST, "/api/settings/huggingface/test", &admin, None)
        .await;
    assert_eq!(status, 422, "nothing to check yet: {problem}");
    for (method, path) in [
        (Method::GET, "/api/settings/huggingface"),
        (Method::PUT, "/api/settings/huggingface"),
        (Method::DELETE, "/api/settings/huggingface"),
        (Method::POST, "/api/settings/huggingface/test"),
    ] {
        let (status, _) = app
            .call(method.clone(), path, &member, Some(json!({"token": TOKEN})))
            .await;
        assert_eq!(status, 403, "{method} {path} is for admins");
    }
    let (status, problem) = app
        .call(
            Method::PUT,
            "/api/settings/huggingface",
            &admin,
            Some(json!({"token": "has spaces"})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");

    // A wrong token: stored, but the hub refuses it.
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/settings/huggingface",
            &admin,
            Some(json!({"token": "hf_wrong"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, refused) = app
        .call(Method::POST, "/api/settings/huggingface/test", &admin, None)
        .await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("does not accept"),
        "{refused}"
    );

    // The right one: the hub names its owner, and a gated download works at once.
    let (status, stored) = app
        .call(
            Method::PUT,
            "/api/settings/huggingface",
            &admin,
            Some(json!({"token": TOKEN})),
        )
        .await;
    assert_eq!(
        (status, &stored),
        (200, &json!({"configured": true, "source": "stored"}))
    );
    let (status, check) = app
        .call(Method::POST, "/api/settings/huggingface/test", &admin, None)
        .await;
    assert_eq!(
        (status, &check),
        (200, &json!({"username": "test-user", "source": "stored"}))
    );
    let (_, started) = app.start_download(&admin, REPO).await;
    app.wait_status(&admin, id_of(&started), "completed", LONG)
        .await;
    assert!(
        !hub.faults().cdn_saw_authorization(),
        "the token went to the file host"
    );

    // After a restart the stored token is still in use.
    let app = app.restart().await;
    let (status, check) = app
        .call(Method::POST, "/api/settings/huggingface/test", &admin, None)
        .await;
    assert_eq!(
        (status, check["username"].as_str()),
        (200, Some("test-user"))
    );

    // Encrypted at rest, with its key readable by this user only.
    let key = app.data_dir.join("secrets.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let (status, _) = app
        .call(Method::DELETE, "/api/settings/huggingface", &admin, None)
        .await;
    assert_eq!(status, 200);
    let (_, state) = app
        .call(Method::GET, "/api/settings/huggingface", &admin, None)
        .await;
    assert_eq!(state["configured"], false);
    let stderr = app.stderr();
    assert!(
        !stderr.contains(TOKEN) && !stderr.contains("hf_wrong"),
        "a token reached the log"
    );
    assert_eq!(
        files_containing(&app.data_dir, TOKEN),
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn a_configured_token_wins_over_the_stored_one_and_is_reported_as_such() {
    let hub = FakeHub::start().await;
    hub.faults().set_token(Some("hf_from_env".into()));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[("HF_TOKEN", "hf_from_env")]).await;
    let admin = app.admin_token().await;
    let (_, state) = app
        .call(Method::GET, "/api/settings/huggingface", &admin, None)
        .await;
    assert_eq!(state, json!({"configured": true, "source": "environment"}));
    let (status, stored) = app
        .call(
            Method::PUT,
            "/api/settings/huggingface",
            &admin,
            Some(json!({"token": TOKEN})),
        )
        .await;
    assert_eq!(
        (status, stored["source"].as_str()),
        (200, Some("environment"))
    );
    let (status, check): (u16, Value) = app
        .call(Method::POST, "/api/settings/huggingface/test", &admin, None)
        .await;
    assert_eq!(
        (status, check["source"].as_str()),
        (200, Some("environment"))
    );
}
