//! `cargo xtask bench serve`: streaming chat through our `/v1/chat/completions` against
//! `mlx_lm.server` on the same model, MLX build and prompt, with the same client (the `openai`
//! package, scripts/bench/serve_client.py): time to first token (p50, p95), decode speed, the
//! proxy tax against our engine called directly (`mlx-manager generate`); a 4-turn chat that
//! resends its history, timed with the prompt cache and without a reusable prefix; and 1, 4
//! and 8 streaming clients at once (continuous batching): aggregate and per-request speed, time
//! to first token, and our peak memory against the pool's accounting.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::bench_inference::PROMPT;
use crate::bench_pool::{address_of, admin_token, http, install, start_server};
use crate::bench_serve_figures::{Figures, batch_table_rows, chat_table_rows, level};
use crate::cmd::{self, Result};

const RUNS: usize = 10;
/// Clients at once, in turn.
const CONCURRENCY: [usize; 3] = [1, 4, 8];
/// Rounds of each count of clients.
pub(crate) const ROUNDS: usize = 3;

struct Case {
    fixture: &'static str,
    max_tokens: usize,
    /// Decode goal against mlx_lm.server (ours ÷ theirs).
    goal: f64,
}

const CASES: &[Case] = &[
    Case {
        fixture: "tiny-qwen3",
        max_tokens: 128,
        goal: 2.0,
    },
    Case {
        fixture: "smollm2-135m-f32",
        max_tokens: 64,
        goal: 1.0,
    },
];

pub fn run() -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))?;
    let binary = crate::bench::release_binary();
    let root = cmd::root();
    let (mut main_rows, mut chat_rows) = (Vec::new(), Vec::new());
    let (mut batch_rows, mut memory_rows) = (Vec::new(), Vec::new());
    for case in CASES {
        let dir = root.join(".fixtures").join(case.fixture);
        if !dir.join("config.json").exists() {
            return Err(format!("{} is missing: run ./setup", dir.display()));
        }
        let ours = through_ours(&binary, &root, &dir, case.max_tokens)?;
        let theirs = through_mlx_lm(&root, &dir, case.max_tokens)?;
        let direct = crate::bench_inference::ours(&binary, &dir, case.max_tokens)?.decode_tps;
        let decode_ratio = ours.decode_tps / theirs.decode_tps.max(1e-9);
        let proxy = ours.decode_tps / direct.max(1e-9);
        let ttft_ratio = ours.ttft_p50_ms / theirs.ttft_p50_ms.max(1e-9);
        let mark = |met: bool| if met { " " } else { "!" };
        main_rows.push(format!(
            "| {:<17} | {:>6.1} ms | {:>6.1} ms | {:>4.2}{} | {:>6.1} ms | {:>6.1} ms | {:>5.0} t/s | {:>5.0} t/s | {:>5.2}{} | {:>5.0} t/s | {:>5.2}{} |",
            case.fixture,
            ours.ttft_p50_ms,
            theirs.ttft_p50_ms,
            ttft_ratio,
            mark(ttft_ratio <= 1.0),
            ours.ttft_p95_ms,
            theirs.ttft_p95_ms,
            ours.decode_tps,
            theirs.decode_tps,
            decode_ratio,
            mark(decode_ratio >= case.goal),
            direct,
            proxy,
            mark(proxy >= 0.95),
        ));
        chat_rows.extend(chat_table_rows(case.fixture, &ours, &theirs));
        batch_rows.extend(batch_table_rows(case.fixture, &ours, &theirs));
        let grown = ours.peak_rss_bytes.saturating_sub(ours.idle_rss_bytes);
        memory_rows.push(format!(
            "| {:<17} | {:>7.0} MB | {:>7.0} MB | {:>7.0} MB | {:>7.0} MB | {:>5.2} |",
            case.fixture,
            ours.peak_rss_bytes as f64 / 1e6,
            ours.idle_rss_bytes as f64 / 1e6,
            grown as f64 / 1e6,
            ours.peak_accounted_bytes as f64 / 1e6,
            grown as f64 / ours.peak_accounted_bytes.max(1) as f64,
        ));
    }
    print_table(
        &format!(
            "serve benchmark: streaming /v1/chat/completions vs mlx_lm.server (greedy, same client, {RUNS} runs)"
        ),
        &[
            "model", "TTFT p50", "ref p50", "ratio", "TTFT p95", "ref p95", "decode", "ref",
            "ratio", "direct", "proxy",
        ],
        &main_rows,
        "TTFT <= 1.0x mlx_lm.server; decode >= 2x mlx_lm.server on tiny-qwen3; proxy (server ÷ engine direct) >= 0.95",
    );
    print_table(
        "4-turn chat resending its history: time to first token per turn (ours with the prompt cache, the same turn made uncacheable, mlx_lm.server with its cache)",
        &[
            "model",
            "turn",
            "cached",
            "uncacheable",
            "ratio",
            "ref",
            "ratio",
        ],
        &chat_rows,
        "turns 2-4 cached <= 0.3x uncacheable and <= 1.0x mlx_lm.server",
    );
    print_table(
        &format!(
            "clients at once (continuous batching): aggregate tok/s (median of {ROUNDS} rounds), per-request decode tok/s and time to first token"
        ),
        &[
            "model", "clients", "ours", "ref", "ratio", "× solo", "req ours", "req ref",
            "TTFT p50", "ref p50", "TTFT p95", "ref p95",
        ],
        &batch_rows,
        "4 clients on smollm2-135m-f32 >= 2.5x our single stream and >= 1.5x mlx_lm.server",
    );
    print_table(
        "ours: peak resident memory of the server while the clients ran, its growth over the idle server's, against the pool's peak accounting (models' memory: weights, host memory of the load, prompt cache, running requests' keys and values)",
        &[
            "model",
            "peak RSS",
            "idle RSS",
            "growth",
            "accounted",
            "ratio",
        ],
        &memory_rows,
        "growth <= accounted",
    );
    Ok(())
}

/// A table: its title, a header naming its columns, its rows, and its goals ("!" in a row marks
/// a miss).
fn print_table(title: &str, columns: &[&str], rows: &[String], goals: &str) {
    println!("\n{title}");
    println!("| {} |", columns.join(" | "));
    println!("|{}|", vec!["---"; columns.len()].join("|"));
    for row in rows {
        println!("{row}");
    }
    println!("goals: {goals} (\"!\" marks a miss)");
}

/// Our release server with the model in its cache, measured by the client.
fn through_ours(binary: &Path, root: &Path, dir: &Path, max_tokens: usize) -> Result<Figures> {
    let temp = std::env::temp_dir().join(format!("mlx-manager-bench-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    install(&temp.join("hf"), "bench/model", dir)?;
    let mut child = start_server(binary, &temp)?;
    let result = address_of(&mut child).and_then(|address| {
        let token = admin_token(address)?;
        let (status, key) = http(
            address,
            "POST",
            "/api/auth/api-keys",
            Some(&token),
            Some(json!({"name": "bench"})),
        )?;
        let key = match (status, key["key"].as_str()) {
            (201, Some(key)) => key.to_string(),
            _ => return Err(format!("no API key ({status}): {key}")),
        };
        let pid = child.id();
        let sample = || {
            let rss = crate::bench::rss_kib(pid).unwrap_or(0) * 1024;
            let memory = http(address, "GET", "/api/servers/memory", Some(&token), None);
            let accounted = memory
                .ok()
                .and_then(|(_, body)| body["used_bytes"].as_u64());
            (rss, accounted.unwrap_or(0))
        };
        let idle = crate::bench::rss_kib(pid)? * 1024;
        let url = format!("http://{address}");
        let figures = client(root, &url, &key, "bench/model", max_tokens, Some(&sample))?;
        Ok(Figures {
            idle_rss_bytes: idle,
            ..figures
        })
    });
    stop(&mut child);
    let _ = std::fs::remove_dir_all(&temp);
    result
}

/// `mlx_lm.server` on the same directory, measured by the same client.
fn through_mlx_lm(root: &Path, dir: &Path, max_tokens: usize) -> Result<Figures> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new(root.join(".venv/bin/python"))
        .args([
            "-m",
            "mlx_lm.server",
            "--port",
            &port.to_string(),
            "--model",
        ])
        .arg(dir)
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start mlx_lm.server: {e}"))?;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(address).is_err() {
        if Instant::now() > deadline {
            stop(&mut child);
            return Err("mlx_lm.server did not start within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // mlx_lm.server maps `default_model` to its --model.
    let url = format!("http://{address}");
    let result = client(root, &url, "unused", "default_model", max_tokens, None);
    stop(&mut child);
    result
}

/// Resident and accounted bytes, sampled while the client runs.
type Sampler<'a> = &'a dyn Fn() -> (u64, u64);

fn client(
    root: &Path,
    base_url: &str,
    key: &str,
    model: &str,
    max_tokens: usize,
    sample: Option<Sampler>,
) -> Result<Figures> {
    let levels = CONCURRENCY.map(|n| n.to_string()).join(",");
    let mut child = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/bench/serve_client.py"))
        .env("BASE_URL", base_url)
        .env("API_KEY", key)
        .env("MODEL", model)
        .env("PROMPT", PROMPT)
        .env("MAX_TOKENS", max_tokens.to_string())
        .env("RUNS", RUNS.to_string())
        .env("CONCURRENCY", levels)
        .env("ROUNDS", ROUNDS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let (mut peak_rss_bytes, mut peak_accounted_bytes) = (0, 0);
    while child.try_wait().map_err(|e| e.to_string())?.is_none() {
        if let Some(sample) = sample {
            let (rss, accounted) = sample();
            peak_rss_bytes = peak_rss_bytes.max(rss);
            peak_accounted_bytes = peak_accounted_bytes.max(accounted);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "the benchmark client failed against {base_url}: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let report: Value = serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
    let runs = report["sequential"].as_array().ok_or("no runs")?;
    let field = |name: &str| -> Vec<f64> {
        let mut values: Vec<f64> = runs.iter().filter_map(|r| r[name].as_f64()).collect();
        values.sort_by(f64::total_cmp);
        values
    };
    let (ttft, decode) = (field("ttft_ms"), field("decode_tps"));
    if ttft.len() != RUNS || decode.len() != RUNS {
        return Err(format!("incomplete report: {report}"));
    }
    let percentile =
        |values: &[f64], p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    let chat = |name: &str| -> Vec<f64> {
        let values = report["chat"][name].as_array();
        values.map_or_else(Vec::new, |v| v.iter().filter_map(Value::as_f64).collect())
    };
    Ok(Figures {
        ttft_p50_ms: percentile(&ttft, 0.5),
        ttft_p95_ms: percentile(&ttft, 0.95),
        decode_tps: percentile(&decode, 0.5),
        levels: CONCURRENCY
            .iter()
            .map(|&clients| level(&report["concurrent"][clients.to_string()], clients))
            .collect::<Result<_>>()?,
        peak_rss_bytes,
        peak_accounted_bytes,
        idle_rss_bytes: 0,
        chat_cached_ms: chat("cached_ms"),
        chat_uncached_ms: chat("uncached_ms"),
    })
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
