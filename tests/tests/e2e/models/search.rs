//! Search, characteristics and the local cache through the API, against a fake hub.

use mlx_manager_tests::fake_hub::{FakeHub, ModelCard};
use mlx_manager_tests::models::{HfHome, fixture, run_python, spawn_with_hub};
use reqwest::Method;

#[tokio::test]
async fn search_finds_mlx_models_with_size_badges_and_local_presence() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-qwen3-4bit",
        &fixture("tiny-qwen3-4bit"),
        ModelCard {
            downloads: 50,
            tags: vec!["tool-use".into()],
            ..ModelCard::default()
        },
    );
    hub.publish(
        "other-org/tiny-qwen3",
        &fixture("tiny-qwen3"),
        ModelCard {
            downloads: 900,
            ..ModelCard::default()
        },
    );
    hub.publish(
        "mlx-test/tiny-llama",
        &fixture("tiny-llama"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;
    let (_, started) = app.start_download(&token, "mlx-test/tiny-qwen3-4bit").await;
    app.wait_status(
        &token,
        started["id"].as_i64().unwrap(),
        "completed",
        std::time::Duration::from_secs(60),
    )
    .await;

    let (status, results) = app
        .call(Method::GET, "/api/models/search?query=QWEN3", &token, None)
        .await;

    assert_eq!(status, 200, "{results}");
    let results = results.as_array().unwrap();
    let ids: Vec<_> = results
        .iter()
        .map(|r| r["model_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["other-org/tiny-qwen3", "mlx-test/tiny-qwen3-4bit"],
        "any author, by downloads"
    );
    let quantized = &results[1];
    assert_eq!(quantized["author"], "mlx-test");
    assert_eq!(quantized["is_downloaded"], true);
    assert_eq!(results[0]["is_downloaded"], false);
    assert_eq!(quantized["badges"]["quantization_bits"], 4);
    assert_eq!(quantized["badges"]["architecture"], "Qwen");
    assert_eq!(quantized["badges"]["tool_use"], true);
    assert_eq!(quantized["fits_in_memory"], true);
    let size = quantized["estimated_size_bytes"].as_u64().unwrap();
    let weights = std::fs::metadata(fixture("tiny-qwen3-4bit").join("model.safetensors"))
        .unwrap()
        .len();
    assert!(
        size <= weights && size > weights * 9 / 10,
        "estimate {size} vs weights {weights}"
    );
}

#[tokio::test]
async fn search_limits_and_size_filters_apply_and_bad_parameters_are_422() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-qwen3",
        &fixture("tiny-qwen3"),
        ModelCard::default(),
    );
    hub.publish(
        "mlx-test/tiny-qwen3-4bit",
        &fixture("tiny-qwen3-4bit"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (_, one) = app
        .call(
            Method::GET,
            "/api/models/search?query=qwen3&limit=1",
            &token,
            None,
        )
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    // 0.001 GiB ≈ 1 MiB: only the 4-bit model (≈ 0.4 MB) fits.
    let (_, small) = app
        .call(
            Method::GET,
            "/api/models/search?query=qwen3&max_size_gb=0.001",
            &token,
            None,
        )
        .await;
    let ids: Vec<_> = small
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model_id"].clone())
        .collect();
    assert_eq!(ids, ["mlx-test/tiny-qwen3-4bit"], "{small}");
    for bad in [
        "query=",
        "query=x&limit=0",
        "query=x&limit=101",
        "query=x&sort=random",
        "query=x&max_size_gb=-1",
    ] {
        let (status, body) = app
            .call(
                Method::GET,
                &format!("/api/models/search?{bad}"),
                &token,
                None,
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

#[tokio::test]
async fn offline_search_lists_only_local_models_and_never_calls_the_hub() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-qwen3",
        &fixture("tiny-qwen3"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    run_python(
        "from huggingface_hub import snapshot_download\nsnapshot_download('mlx-test/tiny-qwen3')",
        &[
            ("HF_HOME".into(), home.path().display().to_string()),
            ("HF_ENDPOINT".into(), hub.url()),
        ],
    );
    let requests_before = hub.requests().len();
    let app = spawn_with_hub(&hub, &home, &[("HF_HUB_OFFLINE", "1")]).await;
    let token = app.admin_token().await;

    let (status, results) = app
        .call(Method::GET, "/api/models/search?query=tiny", &token, None)
        .await;
    let (download_status, refused) = app.start_download(&token, "mlx-test/tiny-qwen3").await;

    assert_eq!(status, 200, "{results}");
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["model_id"], "mlx-test/tiny-qwen3");
    assert_eq!(results[0]["is_downloaded"], true);
    assert_eq!(download_status, 503, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains("offline"),
        "{refused}"
    );
    assert_eq!(
        hub.requests().len(),
        requests_before,
        "the hub was called: {:?}",
        hub.requests()
    );
}

#[tokio::test]
async fn a_model_downloaded_by_python_is_listed_with_its_characteristics() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-qwen3-4bit",
        &fixture("tiny-qwen3-4bit"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    run_python(
        "from huggingface_hub import snapshot_download\nsnapshot_download('mlx-test/tiny-qwen3-4bit')",
        &[
            ("HF_HOME".into(), home.path().display().to_string()),
            ("HF_ENDPOINT".into(), hub.url()),
        ],
    );
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (_, local) = app
        .call(Method::GET, "/api/models/local", &token, None)
        .await;
    let (status, config) = app
        .call(
            Method::GET,
            "/api/models/config/mlx-test/tiny-qwen3-4bit",
            &token,
            None,
        )
        .await;

    let local = local.as_array().unwrap();
    assert_eq!(local.len(), 1, "{local:?}");
    assert_eq!(local[0]["model_id"], "mlx-test/tiny-qwen3-4bit");
    assert_eq!(local[0]["characteristics"]["quantization_bits"], 4);
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["model_type"], "qwen3");
    assert_eq!(config["quantization_bits"], 4);
    assert!(config["num_hidden_layers"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn config_of_a_model_not_downloaded_comes_from_the_hub() {
    let hub = FakeHub::start().await;
    hub.publish(
        "mlx-test/tiny-llama",
        &fixture("tiny-llama"),
        ModelCard::default(),
    );
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    let token = app.admin_token().await;

    let (status, config) = app
        .call(
            Method::GET,
            "/api/models/config/mlx-test/tiny-llama",
            &token,
            None,
        )
        .await;
    let (missing_status, missing) = app
        .call(
            Method::GET,
            "/api/models/config/mlx-test/nope",
            &token,
            None,
        )
        .await;

    assert_eq!(status, 200, "{config}");
    assert_eq!(config["model_type"], "llama");
    assert_eq!(config["architecture_family"], "Llama");
    assert_eq!(config["quantization_bits"], serde_json::Value::Null);
    assert_eq!(missing_status, 404, "{missing}");
}

#[tokio::test]
async fn model_routes_need_credentials() {
    let hub = FakeHub::start().await;
    let home = HfHome::new();
    let app = spawn_with_hub(&hub, &home, &[]).await;
    for path in [
        "/api/models/search?query=x",
        "/api/models/local",
        "/api/models/downloads",
    ] {
        assert_eq!(app.get(path).await.status(), 401, "{path}");
    }
}

#[tokio::test]
async fn a_hub_that_never_answers_gives_a_503_within_the_request_timeout() {
    // Connections are accepted by the kernel's backlog, but nobody ever answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let home = HfHome::new();
    let app = mlx_manager_tests::TestApp::spawn_with(
        mlx_manager_tests::SpawnOptions::default()
            .env("HF_HOME", &home.path().display().to_string())
            .env("HF_ENDPOINT", &url)
            .env("HF_HUB_OFFLINE", "0")
            .env("MLX_MANAGER_HUB_REQUEST_TIMEOUT_SECS", "2"),
    )
    .await;
    let token = app.admin_token().await;

    let started = std::time::Instant::now();
    let (status, problem) = app
        .call(Method::GET, "/api/models/search?query=qwen", &token, None)
        .await;

    assert_eq!(status, 503, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("timed out"),
        "{problem}"
    );
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_secs(2) && took < std::time::Duration::from_secs(6),
        "{took:?}"
    );
    drop(silent);
}
