//! `cargo xtask bench pool`: from "start" to "ready" through the server (`POST
//! /api/servers/{id}/start`, then its status) and the peak memory the load took, against Python
//! `mlx_lm.load` of the same directory in the same run. Each load starts from a warm page cache
//! (one unmeasured load first), so both sides read the same bytes from memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cmd::{self, Result};

const RUNS: usize = 5;
const FIXTURES: &[&str] = &["smollm2-135m-f32", "smollm2-135m-4bit"];
const PASSWORD: &str = "correct horse battery staple 42";

struct Figures {
    seconds: f64,
    /// Peak resident memory during the load minus the resident memory before it.
    peak_growth_bytes: u64,
}

pub fn run() -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))?;
    let binary = crate::bench::release_binary();
    let root = cmd::root();
    println!(
        "\npool benchmark: start → ready through the server vs mlx_lm.load (median of {RUNS}, warm page cache)"
    );
    println!(
        "| {:<18} | {:>9} | {:>9} | {:>6} | {:>10} | {:>10} | {:>10} | {:>12} | {:>12} |",
        "model",
        "load ours",
        "load ref",
        "ratio",
        "weights",
        "peak ours",
        "peak ref",
        "ours/weights",
        "ref/weights"
    );
    println!(
        "|{:-<20}|{:->11}|{:->11}|{:->8}|{:->12}|{:->12}|{:->12}|{:->14}|{:->14}|",
        "", "", "", "", "", "", "", "", ""
    );
    for fixture in FIXTURES {
        let dir = root.join(".fixtures").join(fixture);
        if !dir.join("config.json").exists() {
            return Err(format!("{} is missing: run ./setup", dir.display()));
        }
        let weights = weight_bytes(&dir)?;
        let ours = median(ours(&binary, &dir)?);
        let mut reference_runs = Vec::new();
        reference(&root, &dir)?; // warm-up
        for _ in 0..RUNS {
            reference_runs.push(reference(&root, &dir)?);
        }
        let reference = median(reference_runs);
        let mb = |b: u64| format!("{:.0} MB", b as f64 / 1e6);
        println!(
            "| {:<18} | {:>7.3} s | {:>7.3} s | {:>6.2} | {:>10} | {:>10} | {:>10} | {:>12.2} | {:>12.2} |",
            fixture,
            ours.seconds,
            reference.seconds,
            ours.seconds / reference.seconds,
            mb(weights),
            mb(ours.peak_growth_bytes),
            mb(reference.peak_growth_bytes),
            ours.peak_growth_bytes as f64 / weights as f64,
            reference.peak_growth_bytes as f64 / weights as f64,
        );
    }
    println!("goals: load time ratio <= 1.0; peak growth <= 1.1x the weights");
    Ok(())
}

fn weight_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        if entry.path().extension().is_some_and(|e| e == "safetensors") {
            total += entry.metadata().map_err(|e| e.to_string())?.len();
        }
    }
    Ok(total)
}

fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    runs.swap_remove(runs.len() / 2)
}

/// Start → ready of the model in a fresh server, `RUNS` times after one unmeasured round (which
/// warms the page cache). A fresh process each time: a server that loaded the model before
/// reuses the memory it freed, which would hide the load's true peak.
fn ours(binary: &Path, model_dir: &Path) -> Result<Vec<Figures>> {
    let mut runs = Vec::new();
    for round in 0..=RUNS {
        let figures = one_load(binary, model_dir)?;
        if round > 0 {
            runs.push(figures);
        }
    }
    Ok(runs)
}

fn one_load(binary: &Path, model_dir: &Path) -> Result<Figures> {
    let temp = std::env::temp_dir().join(format!("mlx-manager-bench-pool-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);
    install(&temp.join("hf"), "bench/model", model_dir)?;
    let mut child = start_server(binary, &temp)?;
    let result = (|| {
        let address = address_of(&mut child)?;
        let token = admin_token(address)?;
        let (_, profile) = http(
            address,
            "POST",
            "/api/profiles",
            Some(&token),
            Some(json!({"name": "bench", "model": "bench/model", "keep_alive_secs": -1})),
        )?;
        let id = profile["id"]
            .as_i64()
            .ok_or_else(|| format!("no profile: {profile}"))?;
        let before = rss_bytes(child.id())?;
        // Reset the peak-RSS counter (VmHWM) to the current RSS.
        std::fs::write(format!("/proc/{}/clear_refs", child.id()), "5")
            .map_err(|e| e.to_string())?;
        let started = Instant::now();
        let (status, body) = http(
            address,
            "POST",
            &format!("/api/servers/{id}/start"),
            Some(&token),
            None,
        )?;
        if status != 202 {
            return Err(format!("start answered {status}: {body}"));
        }
        loop {
            let (_, body) = http(
                address,
                "GET",
                &format!("/api/servers/{id}/status"),
                Some(&token),
                None,
            )?;
            match body["state"].as_str() {
                Some("ready") => break,
                Some("loading") => std::thread::sleep(Duration::from_millis(2)),
                _ => return Err(format!("the load did not succeed: {body}")),
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let peak = peak_rss_bytes(child.id())?;
        Ok(Figures {
            seconds,
            peak_growth_bytes: peak.saturating_sub(before),
        })
    })();
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&temp);
    result
}

/// `mlx_lm.load` in a fresh Python (imports done before the clock starts).
fn reference(root: &Path, model_dir: &Path) -> Result<Figures> {
    let script = r#"
import sys, time
import mlx.core as mx
from mlx_lm import load
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
before = rss("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")
started = time.perf_counter()
model, tokenizer = load(sys.argv[1])
mx.eval(model.parameters())
print(time.perf_counter() - started, rss("VmHWM:") - before)
"#;
    let output = Command::new(root.join(".venv/bin/python"))
        .args(["-c", script])
        .arg(model_dir)
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "mlx_lm.load failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut numbers = stdout
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok());
    match (numbers.next(), numbers.next()) {
        (Some(seconds), Some(peak)) => Ok(Figures {
            seconds,
            peak_growth_bytes: peak.max(0.0) as u64,
        }),
        _ => Err(format!("unexpected output: {stdout}")),
    }
}

/// Our server on a free port, its data dir `<temp>/data` and its cache `<temp>/hf` (offline).
pub(crate) fn start_server(binary: &Path, temp: &Path) -> Result<Child> {
    Command::new(binary)
        .args(["serve", "--port", "0"])
        .env("MLX_MANAGER_DATA_DIR", temp.join("data"))
        .env("MLX_MANAGER_LOG_LEVEL", "warn")
        .env("HF_HOME", temp.join("hf"))
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))
}

/// A complete snapshot of `repo` in the cache under `hf_home`, its files linked to `dir`.
pub(crate) fn install(hf_home: &Path, repo: &str, dir: &Path) -> Result {
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let repo_dir = hf_home
        .join("hub")
        .join(format!("models--{}", repo.replace('/', "--")));
    let snapshot = repo_dir.join("snapshots").join(commit);
    std::fs::create_dir_all(&snapshot).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(repo_dir.join("refs")).map_err(|e| e.to_string())?;
    std::fs::write(repo_dir.join("refs/main"), commit).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())?.flatten() {
        std::os::unix::fs::symlink(entry.path(), snapshot.join(entry.file_name()))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub(crate) fn address_of(child: &mut Child) -> Result<SocketAddr> {
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    line.split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .and_then(|a| a.trim_end_matches('/').parse().ok())
        .ok_or_else(|| format!("no address in {line:?}"))
}

pub(crate) fn admin_token(address: SocketAddr) -> Result<String> {
    let credentials = json!({"email": "admin@example.com", "password": PASSWORD});
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match http(
            address,
            "POST",
            "/api/auth/register",
            None,
            Some(credentials.clone()),
        ) {
            Ok((201, _)) => break,
            Ok((status, body)) => return Err(format!("register answered {status}: {body}")),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(error),
        }
    }
    let login = json!({"username": "admin@example.com", "password": PASSWORD});
    let (_, body) = http(address, "POST", "/api/auth/login", None, Some(login))?;
    body["access_token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no token: {body}"))
}

/// One HTTP/1.1 request with `connection: close`; the body parsed as JSON (null when empty).
pub(crate) fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<(u16, Value)> {
    let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    let payload = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        payload.len()
    );
    if !payload.is_empty() {
        request.push_str("content-type: application/json\r\n");
    }
    if let Some(token) = token {
        request.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(&payload);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| e.to_string())?;
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {reply:?}"))?;
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn rss_bytes(pid: u32) -> Result<u64> {
    status_field(pid, "VmRSS:")
}

fn peak_rss_bytes(pid: u32) -> Result<u64> {
    status_field(pid, "VmHWM:")
}

fn status_field(pid: u32, field: &str) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| kib * 1024)
        .ok_or_else(|| format!("no {field} in /proc status"))
}
