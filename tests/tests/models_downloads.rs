//! Downloads through the API against a fake hub: byte-identical results Python can load,
//! verification, pause/resume/cancel, fault recovery, restarts, and the hub being down.

use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, assert_same_files, fixture, run_python, spawn_with_hub};
use reqwest::Method;

const REPO: &str = "mlx-test/tiny-qwen3";
const LONG: Duration = Duration::from_secs(60);

fn fixture_size(name: &str) -> u64 {
    std::fs::read_dir(fixture(name))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum()
}

fn id_of(download: &serde_json::Value) -> i64 {
    download["id"].as_i64().expect("download id")
}

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
