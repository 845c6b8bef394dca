//! The server's own defences: connections, `Host`, request ids, headers, methods, file modes.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use mlx_manager_tests::{SpawnOptions, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Sends raw bytes and reads the answer until the server closes or `wait` passes.
async fn raw_exchange(address: SocketAddr, request: &str, wait: Duration) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// A connection from another loopback address that sends half a request header and stops.
async fn half_open_from(client: &str, server: SocketAddr) -> Option<TcpStream> {
    let socket = TcpSocket::new_v4().ok()?;
    socket.bind(format!("{client}:0").parse().unwrap()).ok()?;
    let mut stream = socket.connect(server).await.ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .ok()?;
    Some(stream)
}

#[tokio::test]
async fn slow_clients_holding_connections_do_not_take_the_server_down_under_a_low_file_limit() {
    let app = TestApp::spawn_with(
        SpawnOptions::default()
            .open_file_limit(256)
            .env("MLX_MANAGER_HEADER_READ_TIMEOUT_SECS", "3"),
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..260 {
        if let Some(stream) = half_open_from("127.0.0.2", app.address).await {
            slow.push(stream);
        }
    }
    assert!(
        slow.len() > 200,
        "the attack opened {} connections",
        slow.len()
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    for attempt in 0..5 {
        let health = client.get(app.url("/health")).send().await;
        assert!(
            health.as_ref().is_ok_and(|r| r.status() == 200),
            "attempt {attempt}: /health did not answer while slow clients held connections: {health:?}"
        );
        let login = client
            .post(app.url("/api/auth/login"))
            .json(&serde_json::json!({"username": "a@example.com", "password": "wrong-password"}))
            .send()
            .await;
        assert!(
            login.as_ref().is_ok_and(|r| r.status() == 401),
            "attempt {attempt}: login did not answer: {login:?}"
        );
    }

    // The header deadline closes the half-open ones: the server hangs up on each.
    let started = Instant::now();
    let mut held = slow.pop().unwrap();
    let mut buffer = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(10), held.read(&mut buffer)).await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "a connection without a whole header was still open after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn one_client_gets_only_its_share_of_connections() {
    let app = TestApp::spawn_with(
        SpawnOptions::default().env("MLX_MANAGER_MAX_CONNECTIONS_PER_CLIENT", "4"),
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(half_open_from("127.0.0.3", app.address).await.unwrap());
    }
    // The fifth from the same address is closed at once, without an answer.
    let mut fifth = half_open_from("127.0.0.3", app.address).await.unwrap();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), fifth.read(&mut buffer)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "the fifth connection was served: {read:?}"
    );
    // Another address is not affected.
    assert_eq!(app.get("/health").await.status(), 200);
    drop(held);
}

#[tokio::test]
async fn a_trusted_proxy_carries_more_connections_than_one_clients_share() {
    let app = TestApp::spawn_with(
        SpawnOptions::default()
            .env("MLX_MANAGER_MAX_CONNECTIONS_PER_CLIENT", "2")
            .env("MLX_MANAGER_TRUSTED_PROXIES", "127.0.0.4"),
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(half_open_from("127.0.0.4", app.address).await.unwrap());
    }
    // Twice the per-client cap is open, and the proxy's next connection is still answered.
    let mut next = half_open_from("127.0.0.4", app.address).await.unwrap();
    next.write_all(b"Connection: close\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), next.read_to_end(&mut answer))
        .await
        .expect("the proxy's connection was not answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    drop(held);
}

/// `GET /health` sent with this `Host` header; the raw answer.
async fn health_as(address: SocketAddr, host: &str) -> String {
    let request = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    raw_exchange(address, &request, Duration::from_secs(5)).await
}

#[tokio::test]
async fn a_foreign_host_is_refused_and_the_loopback_names_are_answered() {
    let app = TestApp::spawn().await;
    let port = app.address.port();
    for host in [
        "attacker.example",
        "attacker.example:80",
        "127.0.0.1.nip.io",
    ] {
        let answer = health_as(app.address, host).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{host}: {answer}");
        assert!(answer.contains("allowed_hosts"), "{host}: {answer}");
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "LOCALHOST".to_string(),
        format!("[::1]:{port}"),
    ] {
        let answer = health_as(app.address, &host).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }
}

#[tokio::test]
async fn allowed_hosts_opens_the_server_to_the_names_an_operator_lists() {
    let app = TestApp::spawn_with(
        SpawnOptions::default().env("MLX_MANAGER_ALLOWED_HOSTS", "models.lan, 192.168.1.20"),
    )
    .await;
    for (host, status) in [
        ("models.lan:10242", "200"),
        ("192.168.1.20", "200"),
        ("localhost", "400"),
    ] {
        let answer = health_as(app.address, host).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{host}: {answer}"
        );
    }
}

#[tokio::test]
async fn an_http11_request_without_host_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let answer = raw_exchange(
        app.address,
        "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("Host"), "{answer}");
}

#[tokio::test]
async fn methods_a_protected_route_does_not_answer_get_405_not_401() {
    let app = TestApp::spawn().await;
    for method in ["TRACE", "OPTIONS", "FOO", "PROPFIND", "PUT", "DELETE"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), app.url("/api/auth/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method}");
        let allow = response.headers()["allow"].to_str().unwrap().to_string();
        assert!(allow.contains("GET"), "{method}: allow {allow}");
    }
    // The methods it answers still need credentials.
    assert_eq!(app.get("/api/auth/me").await.status(), 401);
    let head = app
        .client
        .head(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 401);
}

#[tokio::test]
async fn request_ids_that_could_forge_log_fields_are_replaced() {
    let app = TestApp::spawn().await;
    let id_for = |sent: String| {
        let request = app
            .client
            .get(app.url("/health"))
            .header("x-request-id", sent);
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(id_for("trace-42.a_b".into()).await, "trace-42.a_b");
    for forged in [
        "spoof request_id=admin path=/api/auth/users".to_string(),
        "x".repeat(65),
        "quote\"d".to_string(),
    ] {
        let answered = id_for(forged.clone()).await;
        assert_ne!(answered, forged);
        assert!(
            uuid::Uuid::parse_str(&answered).is_ok(),
            "a fresh id replaces {forged:?}: {answered}"
        );
    }
    let log = app.stderr();
    assert!(
        !log.contains("request_id=admin"),
        "a forged field reached the log"
    );
}

#[tokio::test]
async fn api_answers_are_never_cached_or_sniffed_and_pages_are_not_framed() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let login = app
        .login(
            "admin@example.com",
            mlx_manager_tests::auth::STRONG_PASSWORD,
        )
        .await;
    for response in [
        login,
        app.authed(reqwest::Method::GET, "/api/auth/me", &token)
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    }
    let docs = app.get("/api/docs/").await;
    assert_eq!(docs.headers()["x-frame-options"], "DENY");
    assert!(
        docs.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = app.get("/").await;
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(
        !policy.contains("script-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
}

#[tokio::test]
async fn database_files_are_owner_only_even_in_a_shared_data_dir() {
    let mut app = TestApp::spawn().await;
    app.admin_token().await;
    let data_dir = app.data_dir.clone();
    let mode = |name: &str| {
        std::fs::metadata(data_dir.join(name))
            .map(|m| m.permissions().mode() & 0o777)
            .ok()
    };
    assert_eq!(mode("mlx-manager.db"), Some(0o600));
    for name in ["mlx-manager.db-wal", "mlx-manager.db-shm"] {
        assert!(
            matches!(mode(name), None | Some(0o600)),
            "{name}: {:?}",
            mode(name)
        );
    }

    // Loosened by hand (or by an older version) while stopped, then started again.
    app.terminate();
    assert!(
        app.wait_exit(Duration::from_secs(15))
            .is_some_and(|s| s.success())
    );
    let loosen = |path: std::path::PathBuf, to: u32| {
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(to)).unwrap();
        }
    };
    loosen(data_dir.clone(), 0o755);
    for name in ["mlx-manager.db", "mlx-manager.db-wal", "mlx-manager.db-shm"] {
        loosen(data_dir.join(name), 0o644);
    }
    let app = app.restart_stopped().await;
    assert_eq!(app.get("/health").await.status(), 200);
    assert_eq!(mode("mlx-manager.db"), Some(0o600));
    for name in ["mlx-manager.db-wal", "mlx-manager.db-shm"] {
        assert!(
            matches!(mode(name), None | Some(0o600)),
            "{name}: {:?}",
            mode(name)
        );
    }
    assert!(
        app.stderr().contains("readable by other users"),
        "a warning names the shared data directory"
    );
}

#[tokio::test]
async fn beyond_loopback_the_first_admin_needs_the_setup_token_printed_at_startup() {
    let app = TestApp::spawn_with(SpawnOptions {
        args: vec!["--host".into(), "0.0.0.0".into()],
        ..SpawnOptions::default().env("MLX_MANAGER_ALLOWED_HOSTS", "0.0.0.0, localhost")
    })
    .await;
    let (status, setup) = app.get_json("/api/auth/setup").await;
    assert_eq!(status, 200);
    assert_eq!(setup["first_admin_needed"], true);
    assert_eq!(setup["setup_token_required"], true);
    let token_file = app.data_dir.join("setup-token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let register = |body: serde_json::Value| {
        app.client
            .post(app.url("/api/auth/register"))
            .json(&body)
            .send()
    };
    let email = "owner@example.com";
    let password = mlx_manager_tests::auth::STRONG_PASSWORD;
    for attempt in [
        serde_json::json!({"email": email, "password": password}),
        serde_json::json!({"email": email, "password": password, "setup_token": "guess"}),
        serde_json::json!({"email": email, "password": password, "setup_token": &token[1..]}),
    ] {
        let refused = register(attempt).await.unwrap();
        assert_eq!(refused.status(), 403);
        let problem: serde_json::Value = refused.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains("setup token"),
            "{problem}"
        );
    }
    let claimed = register(serde_json::json!({
        "email": email, "password": password, "setup_token": token.trim()
    }))
    .await
    .unwrap();
    assert_eq!(claimed.status(), 201);
    let admin: serde_json::Value = claimed.json().await.unwrap();
    assert_eq!(
        (admin["is_admin"].clone(), admin["status"].clone()),
        (true.into(), "approved".into())
    );
    assert!(!token_file.exists(), "the token is gone once used");

    let (_, setup) = app.get_json("/api/auth/setup").await;
    assert_eq!(setup["first_admin_needed"], false);
    assert_eq!(setup["setup_token_required"], false);
    // Later accounts never needed it; they wait for approval as usual.
    let later = register(serde_json::json!({"email": "later@example.com", "password": password}))
        .await
        .unwrap();
    assert_eq!(later.status(), 201);
    let later: serde_json::Value = later.json().await.unwrap();
    assert_eq!(later["status"], "pending");
}

#[tokio::test]
async fn on_loopback_no_setup_token_is_asked_for() {
    let app = TestApp::spawn().await;
    let (_, setup) = app.get_json("/api/auth/setup").await;
    assert_eq!(setup["first_admin_needed"], true);
    assert_eq!(setup["setup_token_required"], false);
    assert!(!app.data_dir.join("setup-token").exists());
    app.admin_token().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_header_deadline() {
    let app = TestApp::spawn_with(
        SpawnOptions::default().env("MLX_MANAGER_HEADER_READ_TIMEOUT_SECS", "2"),
    )
    .await;
    let mut stream = TcpStream::connect(app.address).await.unwrap();
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    // The whole first answer arrives and the connection stays open for another request...
    while !String::from_utf8_lossy(&answer).contains("\"database\"") {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .expect("an answer")
            .unwrap();
        assert!(read > 0, "closed before answering");
        answer.extend_from_slice(&buffer[..read]);
    }
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    // ...but not forever: idle past the deadline, the server hangs up.
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "an idle keep-alive connection was still open after {:?}: {closed:?}",
        started.elapsed()
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "not before the deadline"
    );
}
