//! Downloads through the API against a fake hub: byte-identical results Python can load, one
//! open job per model, queueing, deletion rules, gated repos and bad names.

use std::time::Duration;

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{
    HfHome, LONG, assert_same_files, fixture, fixture_size, id_of, run_python, spawn_with_hub,
};
use reqwest::Method;

use super::REPO;

#[tokio::test]
async fn a_download_is_byte_identical_and_python_loads_it_offline() {
    let hub = FakeHub::start().await;
    let commit = hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (status, started) = app.start_download(&token, REPO).await;
    assert_eq!(status, 202, "{started}");
    let done = app
        .wait_status(&token, id_of(&started), "completed", LONG)
        .await;

    assert_eq!(done["commit"], commit.as_str());
    assert_eq!(done["downloaded_bytes"], done["total_bytes"]);
    assert_eq!(done["total_bytes"], fixture_size("tiny-qwen3"));
    assert_eq!(done["progress"], 100.0);
    assert_eq!(done["files_done"], done["files_total"]);
    let snapshot = home.repo_dir(REPO).join("snapshots").join(&commit);
    assert_same_files(&snapshot, &fixture("tiny-qwen3"));

    let python_path = run_python(
        &format!(
            "from huggingface_hub import snapshot_download\n\
             print(snapshot_download('{REPO}', local_files_only=True))"
        ),
        &[
            ("HF_HOME".into(), home.path().display().to_string()),
            ("HF_HUB_OFFLINE".into(), "1".into()),
        ],
    );
    assert_eq!(std::path::Path::new(&python_path), snapshot);

    let (status, local) = app
        .call(Method::GET, "/api/models/local", &token, None)
        .await;
    assert_eq!(status, 200);
    let listed = local.as_array().unwrap();
    assert_eq!(listed.len(), 1, "{local}");
    assert_eq!(listed[0]["model_id"], REPO);
    assert_eq!(listed[0]["size_bytes"], fixture_size("tiny-qwen3"));
    assert_eq!(listed[0]["characteristics"]["model_type"], "qwen3");
}

#[tokio::test]
async fn a_second_request_for_an_open_download_returns_the_same_job() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(100_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (first_status, first) = app.start_download(&token, REPO).await;
    let (second_status, second) = app.start_download(&token, REPO).await;

    assert_eq!((first_status, second_status), (202, 200));
    assert_eq!(id_of(&first), id_of(&second));
    let (_, list) = app
        .call(Method::GET, "/api/models/downloads", &token, None)
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn a_model_cannot_be_deleted_while_its_download_is_open_and_is_gone_after_delete() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(100_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = id_of(&started);
    let path = format!("/api/models/{REPO}");

    let (status, refused) = app.call(Method::DELETE, &path, &token, None).await;
    assert_eq!(status, 409, "{refused}");

    hub.faults().rate_limit(None);
    app.wait_status(&token, id, "completed", LONG).await;
    let (status, _) = app.call(Method::DELETE, &path, &token, None).await;
    assert_eq!(status, 204);
    assert!(!home.repo_dir(REPO).exists());
    let (status, missing) = app.call(Method::DELETE, &path, &token, None).await;
    assert_eq!(status, 404, "{missing}");
}

#[tokio::test]
async fn a_gated_model_needs_the_token_which_never_reaches_the_file_host() {
    let hub = FakeHub::start().await;
    let card = ModelCard {
        gated: true,
        ..ModelCard::default()
    };
    hub.publish(REPO, &fixture("tiny-qwen3"), card);
    hub.faults().set_token(Some("hf_test_token".into()));
    let home = HfHome::new();

    let without = spawn_with_hub(&hub, &home, &[]).await;
    let token = without.admin_token().await;
    let (_, started) = without.start_download(&token, REPO).await;
    let failed = without
        .wait_status(&token, id_of(&started), "failed", LONG)
        .await;
    assert!(
        failed["error"].as_str().unwrap().contains("HF_TOKEN"),
        "{failed}"
    );
    drop(without);

    let app = spawn_with_hub(&hub, &home, &[("HF_TOKEN", "hf_test_token")]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    app.wait_status(&token, id_of(&started), "completed", LONG)
        .await;
    assert!(
        !hub.faults().cdn_saw_authorization(),
        "the token was sent to the file host"
    );
    assert!(
        !app.stderr().contains("hf_test_token"),
        "the token reached the log"
    );
}

#[tokio::test]
async fn an_unknown_model_is_404_and_a_malformed_id_is_422() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (status, body) = app.start_download(&token, "mlx-test/does-not-exist").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.start_download(&token, "../../etc/passwd").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = app
        .call(Method::GET, "/api/models/downloads/999", &token, None)
        .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn downloads_beyond_the_concurrency_limit_wait_in_the_queue() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.publish(
        "mlx-test/tiny-llama",
        &fixture("tiny-llama"),
        ModelCard::default(),
    );
    hub.faults().rate_limit(Some(300_000));
    let home = HfHome::new();
    let app = spawn_with_hub(
        &hub,
        &home,
        &[("MLX_MANAGER_DOWNLOAD_CONCURRENT_JOBS", "1")],
    )
    .await;
    let token = app.admin_token().await;

    let (_, first) = app.start_download(&token, REPO).await;
    app.wait_status(&token, id_of(&first), "downloading", LONG)
        .await;
    let (_, second) = app.start_download(&token, "mlx-test/tiny-llama").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = app.download(&token, id_of(&second)).await;

    assert_eq!(waiting["status"], "queued", "{waiting}");
    assert_eq!(waiting["downloaded_bytes"], 0);
    hub.faults().rate_limit(None);
    app.wait_status(&token, id_of(&second), "completed", LONG)
        .await;
    assert_eq!(
        app.download(&token, id_of(&first)).await["status"],
        "completed"
    );
}
