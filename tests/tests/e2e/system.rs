//! `/api/system`: memory and machine facts as the machine reports them, checked against
//! `/proc`, `uname`, `nproc` and the project's MLX wheel.

use mlx_manager_tests::TestApp;
use mlx_manager_tests::inspect::{parse_metrics, sample};
use mlx_manager_tests::models::python;
use reqwest::Method;

/// A `/proc/meminfo` field in bytes.
fn meminfo(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = text.lines().find(|l| l.starts_with(field)).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn command(program: &str, args: &[&str]) -> String {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Loads the tiny model by having it answer one token.
async fn answer_one_token(app: &TestApp, token: &str) {
    let body = serde_json::json!({"model": "test-org/tiny-llama",
        "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1});
    let (status, answer) = app
        .call(Method::POST, "/v1/chat/completions", token, Some(body))
        .await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn memory_and_machine_facts_are_the_machines_own() {
    let app = TestApp::spawn().await;
    let (_, member) = {
        let admin = app.admin_token().await;
        app.approved_user(&admin, "member@example.com").await
    };

    let (status, memory) = app
        .call(Method::GET, "/api/system/memory", &member, None)
        .await;
    assert_eq!(status, 200, "{memory}");
    let total = memory["total_bytes"].as_u64().unwrap();
    assert_eq!(total, meminfo("MemTotal:"), "{memory}");
    let available = memory["available_bytes"].as_u64().unwrap();
    let gap = available.abs_diff(meminfo("MemAvailable:"));
    assert!(
        gap < total / 20,
        "available {available} far from /proc: {memory}"
    );
    assert_eq!(memory["used_bytes"].as_u64().unwrap(), total - available);
    let percent = memory["percent_used"].as_f64().unwrap();
    assert!((percent - (total - available) as f64 * 100.0 / total as f64).abs() < 0.1);
    let limit = memory["pool_limit_bytes"].as_u64().unwrap();
    assert_eq!(limit, total * 75 / 100, "the default budget: {memory}");
    assert_eq!(memory["pool_used_bytes"], 0);

    let (status, info) = app
        .call(Method::GET, "/api/system/info", &member, None)
        .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(info["kernel"], command("uname", &["-r"]));
    assert_eq!(
        info["logical_cpus"].as_u64().unwrap().to_string(),
        command("nproc", &["--all"])
    );
    let cores = info["cores"].as_u64().unwrap();
    assert!(
        cores >= 1 && cores <= info["logical_cpus"].as_u64().unwrap(),
        "{info}"
    );
    assert_eq!(info["memory_bytes"].as_u64().unwrap(), total);
    assert!(info["os"].as_str().unwrap().contains("Linux"), "{info}");
    assert!(!info["cpu"].as_str().unwrap().is_empty());
    assert_eq!(
        (info["device"].as_str(), info["gpu_backend"].as_str()),
        (Some("cpu"), None)
    );
    let wheel = command(
        python().to_str().unwrap(),
        &["-c", "import mlx.core as mx; print(mx.__version__)"],
    );
    assert_eq!(
        info["mlx_version"],
        wheel.as_str(),
        "the linked MLX is the wheel's"
    );
    let blas = info["blas"].as_str().unwrap_or_default();
    assert!(
        blas.starts_with("OpenBLAS (libopenblas"),
        "./setup points MLX at OpenBLAS: {info}"
    );
    assert!(info["uptime_secs"].as_u64().unwrap() < 120);
}

#[tokio::test]
async fn the_status_command_shows_health_memory_and_loaded_models_and_needs_a_key() {
    use mlx_manager_tests::models::{HfHome, spawn_offline};
    use serde_json::json;

    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    answer_one_token(&app, &admin).await;
    let (_, key) = app
        .call(
            Method::POST,
            "/api/auth/api-keys",
            &admin,
            Some(json!({"name": "status"})),
        )
        .await;
    let key = key["key"].as_str().unwrap().to_string();
    let url = app.url("");
    let run = move |key: Option<String>| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let mut env = vec![("MLX_MANAGER_URL", url.as_str())];
                if let Some(key) = &key {
                    env.push(("MLX_MANAGER_API_KEY", key.as_str()));
                }
                mlx_manager_tests::run_cli(&["status"], &env, std::time::Duration::from_secs(30))
            })
            .await
            .unwrap()
        }
    };
    let output = run(Some(key)).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("— healthy (version"), "{stdout}");
    assert!(stdout.contains("memory   models"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("test-org/tiny-llama"))
        .unwrap_or_else(|| panic!("the loaded model is listed: {stdout}"));
    assert!(row.contains("ready"), "{row}");

    let output = run(None).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: an API key is needed: set MLX_MANAGER_API_KEY"),
        "{stderr}"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_show_the_pool_to_admins_only() {
    use mlx_manager_tests::models::{HfHome, spawn_offline};

    let home = HfHome::new();
    home.install("test-org/tiny-llama", "tiny-llama-4bit");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let (_, member) = app.approved_user(&admin, "member@example.com").await;
    let (status, _) = app
        .call(Method::GET, "/api/profiles/9999", &admin, None)
        .await;
    assert_eq!(status, 404);
    let failed = app
        .login("member@example.com", "not the password at all")
        .await;
    assert_eq!(failed.status(), 401);
    answer_one_token(&app, &admin).await;

    let scrape = |token: Option<String>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(scrape(None).await.unwrap().status(), 401);
    assert_eq!(scrape(Some(member)).await.unwrap().status(), 403);
    let response = scrape(Some(admin.clone())).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let samples = parse_metrics(&text);
    assert!(
        samples
            .iter()
            .all(|s| !s["labels"].to_string().contains("9999")),
        "route templates, never raw paths: {text}"
    );

    let route = [
        ("route", "/api/profiles/{id}"),
        ("method", "GET"),
        ("status", "404"),
    ];
    assert_eq!(
        sample(&samples, "mlx_manager_http_requests_total", &route),
        Some(1.0),
        "{text}"
    );
    let chat = [
        ("route", "/v1/chat/completions"),
        ("method", "POST"),
        ("status", "200"),
    ];
    assert_eq!(
        sample(&samples, "mlx_manager_http_requests_total", &chat),
        Some(1.0)
    );
    let timed = [("route", "/v1/chat/completions"), ("method", "POST")];
    assert_eq!(
        sample(
            &samples,
            "mlx_manager_http_request_duration_seconds_count",
            &timed
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &samples,
            "mlx_manager_logins_total",
            &[("outcome", "failure")]
        ),
        Some(1.0)
    );
    let generation = [
        ("model", "test-org/tiny-llama"),
        ("endpoint", "chat"),
        ("status", "ok"),
    ];
    assert_eq!(
        sample(
            &samples,
            "mlx_manager_inference_requests_total",
            &generation
        ),
        Some(1.0),
        "{text}"
    );
    let generated = [("model", "test-org/tiny-llama")];
    assert_eq!(
        sample(&samples, "mlx_manager_generated_tokens_total", &generated),
        Some(1.0)
    );
    assert!(sample(&samples, "mlx_manager_prompt_tokens_total", &generated).unwrap() > 1.0);
    assert_eq!(
        sample(
            &samples,
            "mlx_manager_time_to_first_token_seconds_count",
            &[]
        ),
        Some(1.0)
    );
    assert!(
        sample(
            &samples,
            "mlx_manager_inter_token_latency_seconds_count",
            &[]
        )
        .is_some()
    );
    assert_eq!(
        sample(&samples, "mlx_manager_loaded_models", &[]),
        Some(1.0)
    );
    let model = [("model", "test-org/tiny-llama")];
    assert!(
        sample(&samples, "mlx_manager_model_memory_bytes", &model).unwrap() > 0.0,
        "{text}"
    );
    assert_eq!(
        sample(&samples, "mlx_manager_queue_depth", &model),
        Some(0.0)
    );
    let (_, memory) = app
        .call(Method::GET, "/api/system/memory", &admin, None)
        .await;
    assert_eq!(
        sample(&samples, "mlx_manager_pool_memory_limit_bytes", &[]),
        memory["pool_limit_bytes"].as_f64()
    );

    // Counters move: the first scrape is counted in the second.
    let again = parse_metrics(&scrape(Some(admin)).await.unwrap().text().await.unwrap());
    let scrapes = [("route", "/metrics"), ("method", "GET"), ("status", "200")];
    assert_eq!(
        sample(&again, "mlx_manager_http_requests_total", &scrapes),
        Some(1.0)
    );
}
