//! The download metrics: bytes received from the hub and the jobs transferring, as a scraper
//! sees them while a download runs and after it ends.

use std::time::{Duration, Instant};

use mlx_manager_tests::TestApp;
use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::inspect::{parse_metrics, sample};
use mlx_manager_tests::models::{HfHome, LONG, fixture, fixture_size, id_of, spawn_with_hub};

use super::REPO;

async fn scrape(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let text = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap();
    parse_metrics(&text)
}

fn downloads(samples: &[serde_json::Value]) -> (f64, f64) {
    let bytes = sample(samples, "mlx_manager_download_bytes_total", &[]).expect("bytes counter");
    let active = sample(samples, "mlx_manager_downloads_active", &[]).expect("active gauge");
    (bytes, active)
}

#[tokio::test]
async fn download_metrics_count_the_bytes_received_and_the_job_while_it_transfers() {
    let hub = FakeHub::start().await;
    hub.publish(REPO, &fixture("tiny-qwen3"), ModelCard::default());
    hub.faults().rate_limit(Some(400_000));
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    assert_eq!(downloads(&scrape(&app, &token).await), (0.0, 0.0));

    let (status, started) = app.start_download(&token, REPO).await;
    assert_eq!(status, 202, "{started}");
    let deadline = Instant::now() + LONG;
    let during = loop {
        let seen = downloads(&scrape(&app, &token).await);
        if seen.0 > 0.0 {
            break seen;
        }
        assert!(
            Instant::now() < deadline,
            "no bytes counted while downloading"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(during.1, 1.0, "one job transferring: {during:?}");
    assert!(during.0 < fixture_size("tiny-qwen3") as f64, "{during:?}");

    app.wait_status(&token, id_of(&started), "completed", LONG)
        .await;
    let after = downloads(&scrape(&app, &token).await);
    assert_eq!(after, (fixture_size("tiny-qwen3") as f64, 0.0));
}
