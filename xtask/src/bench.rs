//! `cargo xtask bench`: measurements of the release binary, printed as a table.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, Result};

const STARTUP_RUNS: usize = 10;

pub fn run(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        None => server()
            .and_then(|()| crate::bench_inference::run())
            .and_then(|()| crate::bench_download::run())
            .and_then(|()| crate::bench_pool::run())
            .and_then(|()| crate::bench_serve::run()),
        Some("server") => server(),
        Some("inference") => crate::bench_inference::run(),
        Some("download") => crate::bench_download::run(),
        Some("pool") => crate::bench_pool::run(),
        Some("serve") => crate::bench_serve::run(),
        Some(other) => Err(format!(
            "unknown benchmark {other:?} (known: server, inference, download, pool, serve)"
        )),
    }
}

struct Row {
    metric: &'static str,
    value: String,
    target: &'static str,
    met: bool,
}

fn server() -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))?;
    let binary = release_binary();
    let temp = std::env::temp_dir().join(format!("mlx-manager-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temp);

    // Startup: from exec to the first healthy answer, on a data dir that already exists.
    let data_dir = temp.join("data");
    let (first, mut child, _) = start(&binary, &data_dir)?;
    stop(&mut child);
    let mut warm = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let (took, mut child, _) = start(&binary, &data_dir)?;
        warm.push(took);
        stop(&mut child);
    }
    warm.sort();
    let median = warm[warm.len() / 2];

    // Idle memory, then throughput and tail latency under wrk.
    let (_, mut child, address) = start(&binary, &data_dir)?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss_kib = rss_kib(child.id())?;
    let wrk = cmd::output(Command::new("wrk").args([
        "-t1",
        "-c2",
        "-d10s",
        "--latency",
        &format!("http://{address}/health"),
    ]))
    .map_err(|e| format!("{e} (wrk comes from Debian's `wrk` package; run ./setup)"))?;
    let loaded_rss_kib = rss_kib(child.id())?;
    stop(&mut child);
    let _ = std::fs::remove_dir_all(&temp);
    let requests_per_sec = parse_wrk_rate(&wrk)?;
    let p99_ms = parse_wrk_p99_ms(&wrk)?;

    let rows = [
        Row {
            metric: "startup, first run (creates db)",
            value: format!("{:.1} ms", ms(first)),
            target: "-",
            met: true,
        },
        Row {
            metric: "startup to healthy (median)",
            value: format!("{:.1} ms", ms(median)),
            target: "< 200 ms",
            met: median < Duration::from_millis(200),
        },
        Row {
            metric: "idle RSS",
            value: format!("{:.1} MB", idle_rss_kib as f64 / 1024.0),
            target: "< 40 MB",
            met: idle_rss_kib < 40 * 1024,
        },
        Row {
            metric: "GET /health throughput",
            value: format!("{requests_per_sec:.0} req/s"),
            target: ">= 20000 req/s",
            met: requests_per_sec >= 20_000.0,
        },
        Row {
            metric: "GET /health p99 latency",
            value: format!("{p99_ms:.2} ms"),
            target: "< 5 ms",
            met: p99_ms < 5.0,
        },
        Row {
            metric: "RSS after load",
            value: format!("{:.1} MB", loaded_rss_kib as f64 / 1024.0),
            target: "-",
            met: true,
        },
    ];
    println!("\nserver benchmark (wrk -t1 -c2 -d10s; startup median of {STARTUP_RUNS})");
    println!(
        "| {:<34} | {:>14} | {:>14} | {:<4} |",
        "metric", "value", "target", "met"
    );
    println!("|{:-<36}|{:->16}|{:->16}|{:-<6}|", "", "", "", "");
    for row in rows {
        println!(
            "| {:<34} | {:>14} | {:>14} | {:<4} |",
            row.metric,
            row.value,
            row.target,
            if row.met { "yes" } else { "NO" }
        );
    }
    Ok(())
}

/// The release binary, honouring CARGO_TARGET_DIR.
pub fn release_binary() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| cmd::root().join("target"));
    target.join("release/mlx-manager")
}

/// The tests' fake hub, built by the debug build of all targets.
pub fn fake_hub_binary() -> std::path::PathBuf {
    release_binary()
        .parent()
        .and_then(|release| release.parent())
        .map(|target| target.join("debug/fake-hub"))
        .unwrap_or_default()
}

/// Starts the server and returns how long it took to answer `/health` with 200.
fn start(
    binary: &std::path::Path,
    data_dir: &std::path::Path,
) -> Result<(Duration, Child, SocketAddr)> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .args(["serve", "--port", "0"])
        .env("MLX_MANAGER_DATA_DIR", data_dir)
        .env("MLX_MANAGER_LOG_LEVEL", "warn")
        .env("HF_HUB_OFFLINE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let mut line = String::new();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let address: SocketAddr = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("no address in {line:?}"))?;
    let deadline = started + Duration::from_secs(10);
    while !healthy(address) {
        if Instant::now() > deadline {
            stop(&mut child);
            return Err("the server did not become healthy within 10 s".into());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok((started.elapsed(), child, address))
}

fn healthy(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return false;
    };
    let request = "GET /health HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.starts_with("HTTP/1.1 200")
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

pub(crate) fn rss_kib(pid: u32) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no VmRSS in /proc status".into())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn parse_wrk_rate(report: &str) -> Result<f64> {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|rate| rate.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's report:\n{report}"))
}

/// wrk prints latencies like `99%  1.23ms`, `99%  812.00us` or `99%  1.02s`.
fn parse_wrk_p99_ms(report: &str) -> Result<f64> {
    let value = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .map(str::trim)
        .ok_or_else(|| format!("no 99% latency in wrk's report:\n{report}"))?;
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number
        .parse::<f64>()
        .map(|n| n * factor)
        .map_err(|e| format!("bad latency {value:?}: {e}"))
}
