//! A download's life: pause, resume, cancel, and surviving restarts (killed or stopped).

use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{
    HfHome, LONG, assert_same_files, fixture, fixture_size, id_of, spawn_with_hub,
};
use reqwest::Method;

use super::REPO;

#[tokio::test]
async fn pause_keeps_partial_data_and_resume_continues_from_it() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(200_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = id_of(&started);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(300_000)
    })
    .await;

    let (status, paused) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/pause"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(paused["status"], "paused");
    let kept = paused["downloaded_bytes"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let still = app.download(&token, id).await;
    assert_eq!(still["status"], "paused");
    assert_eq!(
        still["downloaded_bytes"].as_u64().unwrap(),
        kept,
        "bytes moved while paused"
    );
    let served_before_resume = hub.bytes_served();

    let (status, again) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/pause"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 409, "{again}");

    hub.faults().rate_limit(None);
    let (status, resumed) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/resume"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{resumed}");
    let done = app.wait_status(&token, id, "completed", LONG).await;

    let total = done["total_bytes"].as_u64().unwrap();
    let fetched_after = hub.bytes_served() - served_before_resume;
    assert!(
        fetched_after <= total - kept + 64 * 1024,
        "resume fetched {fetched_after} of {total} bytes although {kept} were kept"
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
async fn cancel_removes_the_partial_data_and_a_cancelled_job_stays_cancelled() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(200_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = id_of(&started);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(100_000)
    })
    .await;
    assert!(home.repo_dir(REPO).join("blobs").exists());

    let (status, cancelled) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/cancel"),
            &token,
            None,
        )
        .await;

    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(!home.repo_dir(REPO).exists(), "partial data left behind");
    for action in ["cancel", "pause", "resume"] {
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/api/models/downloads/{id}/{action}"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 409, "{action}: {body}");
    }
}

#[tokio::test]
async fn cancelling_an_update_keeps_the_blobs_of_the_snapshot_already_there() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, first) = app.start_download(&token, REPO).await;
    let first = app
        .wait_status(&token, id_of(&first), "completed", LONG)
        .await;
    let old_snapshot = home
        .repo_dir(REPO)
        .join("snapshots")
        .join(first["commit"].as_str().unwrap());

    // A new commit with different weights, cancelled half-way.
    hub.publish(REPO, &fixture("tiny-qwen3-f16"), ModelCard::default());
    hub.faults().rate_limit(Some(150_000));
    let (_, update) = app.start_download(&token, REPO).await;
    let id = id_of(&update);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(50_000)
    })
    .await;
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/cancel"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200);

    assert_same_files(&old_snapshot, &fixture("tiny-qwen3"));
    let partials: Vec<_> = std::fs::read_dir(home.repo_dir(REPO).join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".incomplete"))
        .collect();
    assert!(partials.is_empty(), "{partials:?}");
}

#[tokio::test]
async fn a_server_killed_mid_download_resumes_from_its_partial_bytes_after_a_restart() {
    let hub = FakeHub::start().await;
    let repo = "mlx-test/smollm2-4bit";
    hub.publish(repo, &fixture("smollm2-135m-4bit"), ModelCard::default());
    hub.faults().rate_limit(Some(20_000_000));
    let home = HfHome::new();
    let mut app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, repo).await;
    let id = id_of(&started);
    let total = fixture_size("smollm2-135m-4bit");
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(total * 3 / 10)
    })
    .await;

    app.kill();
    hub.faults().rate_limit(None);
    let app = app.restart_stopped().await;
    let token = app
        .token_for(
            "admin@example.com",
            mlx_manager_tests::auth::STRONG_PASSWORD,
        )
        .await;
    let done = app.wait_status(&token, id, "completed", LONG).await;

    assert_eq!(done["total_bytes"], total);
    let served = hub.bytes_served();
    assert!(
        served < total + total / 10,
        "{served} bytes served for {total}: more than 10% fetched twice"
    );
    assert_same_files(
        &home
            .repo_dir(repo)
            .join("snapshots")
            .join(done["commit"].as_str().unwrap()),
        &fixture("smollm2-135m-4bit"),
    );
}

#[tokio::test]
async fn a_paused_download_stays_paused_across_a_restart() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(200_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = id_of(&started);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(100_000)
    })
    .await;
    let (_, paused) = app
        .call(
            Method::POST,
            &format!("/api/models/downloads/{id}/pause"),
            &token,
            None,
        )
        .await;
    let kept = paused["downloaded_bytes"].as_u64().unwrap();

    let app = app.restart().await;
    let served = hub.bytes_served();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let after = app.download(&token, id).await;

    assert_eq!(after["status"], "paused", "{after}");
    assert_eq!(after["downloaded_bytes"].as_u64(), Some(kept));
    assert_eq!(
        hub.bytes_served(),
        served,
        "a paused download fetched bytes after the restart"
    );
}

#[tokio::test]
async fn a_graceful_stop_during_a_download_with_a_watcher_is_prompt_and_the_download_resumes() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(200_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, REPO).await;
    let id = id_of(&started);
    app.wait_download(&token, id, LONG, |d| {
        d["downloaded_bytes"].as_u64() > Some(100_000)
    })
    .await;
    let watcher = app
        .authed(
            Method::GET,
            &format!("/api/models/downloads/{id}/events"),
            &token,
        )
        .send()
        .await
        .unwrap();

    let stopping = Instant::now();
    let app = app.restart().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(8),
        "{:?}",
        stopping.elapsed()
    );
    drop(watcher);
    hub.faults().rate_limit(None);
    let done = app.wait_status(&token, id, "completed", LONG).await;
    assert_eq!(done["downloaded_bytes"], done["total_bytes"]);
}
