//! The fake Hugging Face hub's faults do what they say; stopping it refuses connections; its
//! request log names every request.

use std::time::{Duration, Instant};

use mlx_manager_tests::fake_hub::probe::{
    TINY_QWEN3 as REPO, cdn_location, client, fixture_file, get_bytes, header, hub_with_tiny_qwen3,
    resolve_url, sha256_hex,
};
use serde_json::Value;

/// Reads a body until it ends or fails; returns the bytes and whether it failed.
async fn read_body(mut response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return (body, false),
            Err(_) => return (body, true),
        }
    }
}

#[tokio::test]
async fn cut_after_bytes_truncates_the_next_bodies_then_serves_normally() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().cut_after_bytes(100_000, 2);
    for _ in 0..2 {
        let response = client().get(&cdn).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let (body, failed) = read_body(response).await;
        assert!(failed, "a cut body is an error, not a clean end");
        assert_eq!(body.len(), 100_000);
        assert_eq!(body, model[..100_000]);
    }
    let response = client().get(&cdn).send().await.unwrap();
    let (body, failed) = read_body(response).await;
    assert!(!failed);
    assert_eq!(body, model);

    // Resuming after a cut with Range gives the rest.
    hub.faults().cut_after_bytes(1234, 1);
    let (head, _) = read_body(client().get(&cdn).send().await.unwrap()).await;
    let rest = client()
        .get(&cdn)
        .header("range", format!("bytes={}-", head.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    assert_eq!([head, rest.bytes().await.unwrap().to_vec()].concat(), model);
}

#[tokio::test]
async fn fail_status_answers_n_failures_of_any_kind_then_succeeds() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().fail_status(503, 3);
    let urls = [
        format!("{}/api/models/{REPO}", hub.url()),
        resolve_url(&hub, "main", "config.json"),
        cdn.clone(),
    ];
    for url in &urls {
        let response = client().get(url).send().await.unwrap();
        assert_eq!(response.status(), 503, "{url}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    for url in &urls {
        assert_eq!(
            client().get(url).send().await.unwrap().status(),
            200,
            "{url}"
        );
    }
    hub.faults().fail_status(500, 1);
    assert_eq!(client().head(&cdn).send().await.unwrap().status(), 500);
    assert_eq!(client().head(&cdn).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn corrupt_flips_one_byte_while_the_metadata_keeps_the_right_checksum() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let sha256 = sha256_hex(&model);
    hub.faults().corrupt(REPO, "model.safetensors");
    let head = client()
        .head(resolve_url(&hub, "main", "model.safetensors"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(head.headers(), "x-linked-etag"),
        format!("\"{sha256}\"")
    );
    let served = get_bytes(resolve_url(&hub, "main", "model.safetensors")).await;
    assert_eq!(served.len(), model.len());
    let differing: Vec<usize> = (0..model.len())
        .filter(|&i| served[i] != model[i])
        .collect();
    assert_eq!(differing, [model.len() / 2]);
    assert_ne!(sha256_hex(&served), sha256);

    hub.faults().reset();
    let served = get_bytes(resolve_url(&hub, "main", "model.safetensors")).await;
    assert_eq!(served, model);
}

#[tokio::test]
async fn stall_pauses_the_body_then_sends_the_rest() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let model = fixture_file("model.safetensors");
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().stall(50_000, Duration::from_millis(800), 1);
    let mut response = client().get(&cdn).send().await.unwrap();
    let mut body = Vec::new();
    while body.len() < 50_000 {
        body.extend_from_slice(&response.chunk().await.unwrap().unwrap());
    }
    assert_eq!(body.len(), 50_000, "the stall starts exactly there");
    let started = Instant::now();
    while let Some(chunk) = response.chunk().await.unwrap() {
        body.extend_from_slice(&chunk);
    }
    assert!(started.elapsed() >= Duration::from_millis(750));
    assert_eq!(body, model);

    let started = Instant::now();
    let again = get_bytes(&cdn).await;
    assert_eq!(again, model);
    assert!(started.elapsed() < Duration::from_millis(600), "only once");
}

#[tokio::test]
async fn rate_limit_throttles_bodies_until_lifted() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.faults().rate_limit(Some(1_000_000));
    let started = Instant::now();
    let body = client()
        .get(&cdn)
        .header("range", "bytes=0-299999")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(body.len(), 300_000);
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_millis(1000),
        "300 kB at 1 MB/s took {elapsed:?}"
    );
    hub.faults().rate_limit(None);
    let started = Instant::now();
    get_bytes(&cdn).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1000),
        "1.7 MB took {elapsed:?}: at 1 MB/s it would take 1.7 s"
    );
}

#[tokio::test]
async fn stop_refuses_connections_on_both_listeners() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    let cdn = cdn_location(&hub, "model.safetensors").await;
    hub.stop().await;
    assert!(
        client()
            .get(format!("{}/api/models", hub.url()))
            .send()
            .await
            .is_err()
    );
    assert!(client().get(&cdn).send().await.is_err());
    hub.stop().await;
}

#[tokio::test]
async fn the_request_log_names_every_request() {
    let (hub, _) = hub_with_tiny_qwen3().await;
    client()
        .get(format!("{}/api/models?search=qwen", hub.url()))
        .send()
        .await
        .unwrap();
    let cdn = cdn_location(&hub, "model.safetensors").await;
    client().head(&cdn).send().await.unwrap();
    let log = hub.requests();
    assert_eq!(log[0], "hub GET /api/models?search=qwen -> 200");
    assert_eq!(
        log[1],
        format!("hub HEAD /{REPO}/resolve/main/model.safetensors -> 302")
    );
    assert!(
        log[2].starts_with("cdn HEAD /repos/") && log[2].ends_with("-> 200"),
        "{log:?}"
    );
}
