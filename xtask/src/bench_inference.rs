//! `cargo xtask bench inference`: our engine against Python mlx-lm in one run, on the same model
//! files, the same MLX build and the same BLAS (./setup points both at OpenBLAS). Each side
//! reports its own figures; we compare them as ratios. Then the quantized CPU kernel against
//! llama.cpp (`bench_llama_cpp`).

use std::process::Command;

use crate::cmd::{self, Result};

const RUNS: usize = 5;
pub(crate) const PROMPT: &str = "Write a long story about a robot who learns to paint.";

struct Case {
    fixture: &'static str,
    max_tokens: usize,
    /// Decode-speed goal, ours ÷ mlx-lm.
    goal: f64,
}

const CASES: &[Case] = &[
    Case {
        fixture: "tiny-qwen3",
        max_tokens: 256,
        goal: 2.0,
    },
    Case {
        fixture: "smollm2-135m-f32",
        max_tokens: 64,
        goal: 1.2,
    },
    Case {
        fixture: "smollm2-135m-4bit",
        max_tokens: 64,
        goal: 5.0,
    },
    Case {
        fixture: EIGHT_BIT,
        max_tokens: 64,
        goal: 5.0,
    },
];

/// SmolLM2 in 8 bits (groups of 64), converted by mlx-lm from the f32 fixture on first use into
/// `bench-results/` (the tests need no such fixture).
const EIGHT_BIT: &str = "smollm2-135m-8bit";

/// What one side reported.
#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub(crate) prompt_tokens: f64,
    pub(crate) prompt_tps: f64,
    generated: f64,
    pub(crate) decode_tps: f64,
    pub(crate) ttft_ms: f64,
    peak_mb: f64,
}

pub fn run() -> Result {
    cmd::run(cmd::cargo().args(["build", "--release", "--locked", "-p", "mlx-manager"]))?;
    let binary = crate::bench::release_binary();
    let root = cmd::root();
    println!(
        "\ninference benchmark: ours vs mlx_lm.generate (greedy, chat template, same MLX + OpenBLAS)"
    );
    println!(
        "| {:<18} | {:>11} | {:>11} | {:>6} | {:>11} | {:>11} | {:>6} | {:>5} | {:>9} | {:>9} | {:>9} | {:>9} |",
        "model",
        "decode ours",
        "decode ref",
        "ratio",
        "prompt ours",
        "prompt ref",
        "ratio",
        "goal",
        "TTFT ours",
        "TTFT ref",
        "peak ours",
        "peak ref"
    );
    println!("|{}|", ["-"; 12].map(|_| "------").join("|"));
    for case in CASES {
        let model = model_dir(&root, case.fixture)?;
        // Warm both up once (page cache, lazy initialisation), then take the median of
        // interleaved runs, so a busy moment of the machine does not favour either side.
        let _ = ours(&binary, &model, 8);
        let _ = reference(&root, &model, 8);
        let (mut our_runs, mut their_runs) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            our_runs.push(ours(&binary, &model, case.max_tokens)?);
            their_runs.push(reference(&root, &model, case.max_tokens)?);
        }
        let (ours, theirs) = (median(our_runs), median(their_runs));
        let decode_ratio = ours.decode_tps / theirs.decode_tps.max(1e-9);
        println!(
            "| {:<18} | {:>7.1} t/s | {:>7.1} t/s | {:>5.2}x | {:>7.1} t/s | {:>7.1} t/s | {:>5.2}x | {:>4.1}x{} | {:>6.1} ms | {:>6.1} ms | {:>6.1} MB | {:>6.1} MB |",
            case.fixture,
            ours.decode_tps,
            theirs.decode_tps,
            decode_ratio,
            ours.prompt_tps,
            theirs.prompt_tps,
            ours.prompt_tps / theirs.prompt_tps.max(1e-9),
            case.goal,
            if decode_ratio >= case.goal { " " } else { "!" },
            ours.ttft_ms,
            theirs.ttft_ms,
            ours.peak_mb,
            theirs.peak_mb,
        );
        if (ours.generated - theirs.generated).abs() > 0.5
            || (ours.prompt_tokens - theirs.prompt_tokens).abs() > 0.5
        {
            println!(
                "  note: {}: prompt {} vs {} tokens, generated {} vs {}",
                case.fixture,
                ours.prompt_tokens,
                theirs.prompt_tokens,
                ours.generated,
                theirs.generated
            );
        }
    }
    println!(
        "(\"!\" marks a decode ratio below its goal; TTFT ref = prompt tokens ÷ mlx-lm's prompt tok/s)"
    );
    crate::bench_llama_cpp::run(&binary)
}

/// A fixture's directory; the 8-bit SmolLM2 is made here the first time.
fn model_dir(root: &std::path::Path, fixture: &str) -> Result<std::path::PathBuf> {
    let fixtures = root.join(".fixtures");
    let model = match fixture {
        EIGHT_BIT => root.join("bench-results").join(EIGHT_BIT),
        _ => fixtures.join(fixture),
    };
    if fixture == EIGHT_BIT && !model.join("config.json").exists() {
        cmd::run(
            Command::new(root.join(".venv/bin/python"))
                .args(["-m", "mlx_lm", "convert", "--hf-path"])
                .arg(fixtures.join("smollm2-135m-f32"))
                .arg("--mlx-path")
                .arg(&model)
                .args(["-q", "--q-bits", "8", "--q-group-size", "64"])
                .env("HF_HUB_OFFLINE", "1"),
        )?;
    }
    if !model.join("config.json").exists() {
        return Err(format!("{} is missing: run ./setup", model.display()));
    }
    Ok(model)
}

pub(crate) fn ours(
    binary: &std::path::Path,
    model: &std::path::Path,
    max_tokens: usize,
) -> Result<Figures> {
    ours_with(Command::new(binary), model, max_tokens)
}

/// `command` (the binary, possibly behind `taskset`) generating from `model`.
pub(crate) fn ours_with(
    mut command: Command,
    model: &std::path::Path,
    max_tokens: usize,
) -> Result<Figures> {
    let output = command
        .args([
            "generate",
            "--chat",
            "--prompt",
            PROMPT,
            "--max-tokens",
            &max_tokens.to_string(),
            "--model",
        ])
        .arg(model)
        .output()
        .map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!("mlx-manager generate failed: {stderr}"));
    }
    parse_stats(&stderr)
}

/// "prompt: 37 tokens, 512.3 tok/s | generation: 64 tokens, 9.8 tok/s | first token: 72 ms |
/// peak memory: 120.1 MB" (the peak is optional).
pub(crate) fn parse_stats(stderr: &str) -> Result<Figures> {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("prompt:"))
        .ok_or("no statistics line")?;
    let numbers = numbers_in(line);
    if numbers.len() < 5 {
        return Err(format!("unexpected statistics line: {line}"));
    }
    Ok(Figures {
        prompt_tokens: numbers[0],
        prompt_tps: numbers[1],
        generated: numbers[2],
        decode_tps: numbers[3],
        ttft_ms: numbers[4],
        peak_mb: numbers.get(5).copied().unwrap_or_default(),
    })
}

fn reference(
    root: &std::path::Path,
    model: &std::path::Path,
    max_tokens: usize,
) -> Result<Figures> {
    let output = Command::new(root.join(".venv/bin/python"))
        .args([
            "-m",
            "mlx_lm",
            "generate",
            "--temp",
            "0",
            "--prompt",
            PROMPT,
            "--max-tokens",
            &max_tokens.to_string(),
            "--model",
        ])
        .arg(model)
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "mlx_lm generate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    // "Prompt: 37 tokens, 5.5 tokens-per-sec" / "Generation: 8 tokens, 3.5 tokens-per-sec" / "Peak memory: 0.119 GB"
    let find = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .map(numbers_in)
            .unwrap_or_default()
    };
    let (prompt, generation, peak) = (find("Prompt:"), find("Generation:"), find("Peak memory:"));
    if prompt.len() < 2 || generation.len() < 2 || peak.is_empty() {
        return Err(format!("unexpected mlx_lm output:\n{stdout}"));
    }
    Ok(Figures {
        prompt_tokens: prompt[0],
        prompt_tps: prompt[1],
        generated: generation[0],
        decode_tps: generation[1],
        ttft_ms: prompt[0] / prompt[1].max(1e-9) * 1000.0,
        peak_mb: peak[0] * 1000.0,
    })
}

/// The run with the median decode speed.
pub(crate) fn median(mut runs: Vec<Figures>) -> Figures {
    runs.sort_by(|a, b| a.decode_tps.total_cmp(&b.decode_tps));
    runs.swap_remove(runs.len() / 2)
}

fn numbers_in(line: &str) -> Vec<f64> {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|word| word.trim_matches('.').parse().ok())
        .collect()
}
