//! `mlx-manager chat` against a running server: answers stream to stdout through `/v1`, and a
//! wrong model or key fails before the first question with the server's own message.

use std::time::Duration;

use mlx_manager_tests::models::{HfHome, spawn_offline};
use mlx_manager_tests::run_cli_with_input;

use super::{api_key, smol_server};

async fn chat(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    input: &'static str,
) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        run_cli_with_input(&args, &env, Some(input), Duration::from_secs(120))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_terminal_chat_streams_answers_and_refuses_unknown_models_and_keys() {
    let (_home, app, _admin, key) = smol_server().await;
    let env = vec![
        ("MLX_MANAGER_URL", app.url("")),
        ("MLX_MANAGER_API_KEY", key.clone()),
    ];

    let output = chat(
        vec!["chat".into(), "smol".into(), "--temperature".into(), "0".into(), "--max-tokens".into(), "24".into()],
        env.clone(),
        "What is the capital of France?\n/clear\n\nWhat is the capital of France?\n/bye\nnot asked\n",
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert_eq!(
        stdout.matches("Paris").count(),
        2,
        "two answers, then /bye: {stdout}"
    );
    assert!(stderr.contains("forgotten"), "{stderr}");

    let output = chat(vec!["chat".into(), "no-such-profile".into()], env, "Hi\n").await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("404") && stderr.contains("no-such-profile"),
        "{stderr}"
    );

    let output = chat(
        vec!["chat".into(), "smol".into(), "--url".into(), app.url("")],
        vec![("MLX_MANAGER_API_KEY", "mlxm_wrong".into())],
        "Hi\n",
    )
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("401"), "{stderr}");
    assert!(
        !stderr.contains("mlxm_wrong"),
        "the key is never echoed: {stderr}"
    );
}

#[tokio::test]
async fn ctrl_c_stops_the_answer_frees_the_model_and_the_chat_goes_on() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;

    let home = HfHome::new();
    home.install("test-org/smollm2", "smollm2-135m-f32");
    let app = spawn_offline(&home, &[]).await;
    let admin = app.admin_token().await;
    let key = api_key(&app, &admin).await;
    let temp = tempfile::tempdir().unwrap();
    let mut child = mlx_manager_tests::cli_command(&temp.path().join("data"))
        .args([
            "chat",
            "test-org/smollm2",
            "--max-tokens",
            "8000",
            "--temperature",
            "1",
        ])
        .env("MLX_MANAGER_URL", app.url(""))
        .env("MLX_MANAGER_API_KEY", &key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "Tell me a very long story about a dragon.").unwrap();
    // Wait until the answer is streaming.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    let read = tokio::task::spawn_blocking(move || {
        std::io::Read::read(&mut stdout, &mut first).map(|n| (n, stdout))
    })
    .await
    .unwrap()
    .unwrap();
    // Kept open to the end: the chat goes on writing to it.
    let (started, _stdout) = read;
    assert!(started > 0, "the answer started");
    let busy = super::pool_model(&app, &admin, "test-org/smollm2")
        .await
        .unwrap();
    assert_eq!(busy["running"], 1, "{busy}");

    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    super::wait_pool(
        &app,
        &admin,
        "test-org/smollm2",
        Duration::from_secs(5),
        "was freed by Ctrl-C",
        |m| m.is_some_and(|m| m["running"] == 0),
    )
    .await;
    // The chat goes on: it reads the next line (/bye) and leaves cleanly.
    writeln!(stdin, "/bye").unwrap();
    drop(stdin);
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        status.success(),
        "Ctrl-C during an answer does not end the chat"
    );
    let stderr: Vec<String> = stderr.lines().map(Result::unwrap).collect();
    assert!(stderr.iter().any(|l| l.contains("(stopped)")), "{stderr:?}");
}
