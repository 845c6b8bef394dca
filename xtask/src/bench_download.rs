//! `cargo xtask bench download`: `mlx-manager pull` against the tests' fake hub on loopback,
//! side by side with curl fetching the same files in the same run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::cmd::{self, Result};

const RUNS: usize = 3;
const REPO: &str = "mlx-bench/smollm2-135m-f32";

struct Figures {
    seconds: f64,
    cpu_seconds: f64,
}

pub fn run() -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))?;
    cmd::run(cmd::cargo().args([
        "build",
        "--locked",
        "-p",
        "mlx-manager-tests",
        "--bin",
        "fake-hub",
    ]))?;
    let binary = crate::bench::release_binary();
    let fixture = cmd::root().join(".fixtures/smollm2-135m-f32");
    if !fixture.is_dir() {
        return Err(format!("{} is missing: run ./setup", fixture.display()));
    }
    let bytes: u64 = files_of(&fixture)?.iter().map(|(_, size)| size).sum();
    let mut hub = Command::new(debug_binary("fake-hub"))
        .args([REPO, &fixture.display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the fake hub: {e}"))?;
    let mut url = String::new();
    BufReader::new(hub.stdout.take().ok_or("no stdout")?)
        .read_line(&mut url)
        .map_err(|e| e.to_string())?;
    let url = url.trim().to_string();

    let work = std::env::temp_dir().join(format!("mlx-manager-bench-dl-{}", std::process::id()));
    let mut ours = Vec::new();
    let mut curl = Vec::new();
    for run in 0..RUNS {
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        curl.push(curl_run(&url, &fixture, &work.join(format!("curl-{run}")))?);
        ours.push(pull_run(&binary, &url, &work.join(format!("hf-{run}")))?);
    }
    let _ = std::fs::remove_dir_all(&work);
    drop(hub.stdin.take());
    let _ = hub.wait();

    let ours = median(ours);
    let curl = median(curl);
    let gb = bytes as f64 / 1e9;
    let ratio = curl.seconds / ours.seconds;
    println!(
        "\nDownload of {REPO} ({:.0} MB) from the fake hub on loopback (median of {RUNS}):",
        bytes as f64 / 1e6
    );
    println!("| client | time | throughput | CPU per GB |");
    println!("|---|---|---|---|");
    for (name, f) in [
        ("mlx-manager pull (verifies sha256)", &ours),
        ("curl -L (no verification)", &curl),
    ] {
        println!(
            "| {name} | {:.2} s | {:.0} MB/s | {:.2} s |",
            f.seconds,
            bytes as f64 / 1e6 / f.seconds,
            f.cpu_seconds / gb
        );
    }
    println!(
        "throughput ratio mlx-manager / curl: {ratio:.2}× (goal ≥ 0.9×) {}",
        if ratio >= 0.9 { "✓" } else { "✗" }
    );
    Ok(())
}

fn pull_run(binary: &Path, url: &str, hf_home: &Path) -> Result<Figures> {
    let command = format!(
        "{} pull {REPO} > /dev/null",
        shell_quote(&binary.display().to_string())
    );
    timed(
        &command,
        &[
            ("HF_HOME", hf_home.display().to_string()),
            ("HF_ENDPOINT", url.to_string()),
            (
                "MLX_MANAGER_DATA_DIR",
                hf_home.join("data").display().to_string(),
            ),
        ],
    )
}

fn curl_run(url: &str, fixture: &Path, out: &Path) -> Result<Figures> {
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let mut command = String::from("curl -sS --fail -L");
    for (name, _) in files_of(fixture)? {
        command.push_str(&format!(
            " -o {} {url}/{REPO}/resolve/main/{name}",
            shell_quote(&out.join(&name).display().to_string())
        ));
    }
    timed(&command, &[])
}

/// Runs a shell command under bash's `time`, returning wall and CPU (user + system) seconds.
fn timed(command: &str, env: &[(&str, String)]) -> Result<Figures> {
    let script = format!("TIMEFORMAT='%U %S'; time ( {command} )");
    let started = Instant::now();
    let output = Command::new("bash")
        .args(["-c", &script])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("HF_HUB_OFFLINE")
        .output()
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("`{command}` failed: {stderr}"));
    }
    let cpu: f64 = stderr
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse::<f64>().ok())
        .sum();
    Ok(Figures {
        seconds,
        cpu_seconds: cpu,
    })
}

fn files_of(dir: &Path) -> Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let size = entry.metadata().map_err(|e| e.to_string())?.len();
        files.push((entry.file_name().to_string_lossy().into_owned(), size));
    }
    files.sort();
    Ok(files)
}

fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    runs.swap_remove(runs.len() / 2)
}

fn debug_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cmd::root().join("target"));
    target.join("debug").join(name)
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
