//! Downloads when things go wrong: bad checksums, stalls, cut connections, server errors, a
//! full disk and a hub that is down.

use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, LONG, assert_same_files, fixture, id_of, spawn_with_hub};
use reqwest::Method;

use super::REPO;

#[tokio::test]
async fn a_checksum_mismatch_fails_the_job_and_promotes_nothing() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().corrupt(REPO, "model.safetensors");
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (_, started) = app.start_download(&token, REPO).await;
    let failed = app
        .wait_status(&token, id_of(&started), "failed", LONG)
        .await;

    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("model.safetensors") && error.contains("sha256 mismatch"),
        "{error}"
    );
    let repo = home.repo_dir(REPO);
    assert!(!repo.join("snapshots").exists(), "a snapshot was linked");
    assert!(!repo.join("refs/main").exists(), "the ref was written");
    let (_, local) = app
        .call(Method::GET, "/api/models/local", &token, None)
        .await;
    assert_eq!(local, serde_json::json!([]));

    // Once the hub serves the right bytes, resuming the failed job completes it.
    hub.faults().reset();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{}/resume", id_of(&started)),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    app.wait_status(&token, id_of(&started), "completed", LONG)
        .await;
}

#[tokio::test]
async fn stalls_cuts_and_server_errors_are_retried_until_the_download_completes() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    // One file at a time, largest first: every fault lands on the weights.
    let app = spawn_with_hub(
        &hub,
        &home,
        &[("MLX_MANAGER_DOWNLOAD_CONCURRENT_FILES", "1")],
    )
    .await;
    let token = app.admin_token().await;

    hub.faults().stall(50_000, Duration::from_secs(30), 1);
    hub.faults().cut_after_bytes(300_000, 2);
    let (status, started) = app.start_download(&token, REPO).await;
    assert_eq!(status, 202, "{started}");
    hub.faults().fail_status(503, 3);
    let started_at = Instant::now();
    let done = app
        .wait_status(&token, id_of(&started), "completed", LONG)
        .await;

    // The 30 s stall was abandoned after the 2 s stall timeout, not waited out.
    assert!(
        started_at.elapsed() < Duration::from_secs(25),
        "{:?}",
        started_at.elapsed()
    );
    assert_eq!(done["downloaded_bytes"], done["total_bytes"]);
    let log = app.stderr();
    assert!(log.contains("stalled"), "no stall retry in the log:\n{log}");
    assert!(
        log.contains("transfer failed"),
        "no retry after the cut in the log:\n{log}"
    );
    assert_same_files(
        &home
            .repo_dir(REPO)
            .join("snapshots")
            .join(done["commit"].as_str().unwrap()),
        &fixture("tiny-qwen3"),
    );
}

#[tokio::test]
async fn when_the_hub_is_down_search_and_download_fail_fast_with_503() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    hub.stop().await;

    let started = Instant::now();
    let (search_status, search) = app
        .call(Method::GET, "/api/models/search?query=qwen", &token, None)
        .await;
    let (download_status, download) = app.start_download(&token, REPO).await;

    assert_eq!(search_status, 503, "{search}");
    assert_eq!(download_status, 503, "{download}");
    assert_eq!(
        search["type"].as_str().map(|t| t.ends_with("unavailable")),
        Some(true),
        "{search}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_fails_the_job_with_a_clear_message_and_keeps_the_partial_data() {
    use sha2::Digest;

    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let home = HfHome::new();
    // The weights' partial blob is /dev/full: every write to it fails with ENOSPC.
    let weights = std::fs::read(fixture("tiny-qwen3").join("model.safetensors")).unwrap();
    let sha256 = hex::encode(sha2::Sha256::digest(&weights));
    let blobs = home.repo_dir(REPO).join("blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let partial = blobs.join(format!("{sha256}.incomplete"));
    std::os::unix::fs::symlink("/dev/full", &partial).unwrap();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (_, started) = app.start_download(&token, REPO).await;
    let failed = app
        .wait_status(&token, id_of(&started), "failed", LONG)
        .await;

    let error = failed["error"].as_str().unwrap();
    assert!(
        error.contains("disk is full") && error.contains("model.safetensors"),
        "{error}"
    );
    assert!(
        std::fs::symlink_metadata(&partial).is_ok(),
        "the partial data was removed"
    );
    assert!(!home.repo_dir(REPO).join("snapshots").exists());

    // Space is back: resuming completes the download.
    std::fs::remove_file(&partial).unwrap();
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{}/resume", id_of(&started)),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    app.wait_status(&token, id_of(&started), "completed", LONG)
        .await;
}
