//! `mlx-manager generate`: the quickest way to try a model. Text streams to stdout as it is
//! generated; a statistics line goes to stderr.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{
    GenerationEvent, GenerationRequest, GenerationStats, ModelWorker, Prompt,
};
use mlx_manager_inference::text::chat_template::{ChatMessage, RenderOptions};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A model directory (config.json, tokenizer.json, *.safetensors)
    #[arg(long)]
    model: PathBuf,
    /// The prompt (a user message with --chat)
    #[arg(long)]
    prompt: String,
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature; 0 is greedy
    #[arg(long, default_value_t = 0.0)]
    temp: f32,
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// Seed for reproducible sampling
    #[arg(long)]
    seed: Option<u64>,
    /// Apply the model's chat template to the prompt as a user message
    #[arg(long)]
    chat: bool,
    /// A system message (with --chat)
    #[arg(long, requires = "chat")]
    system: Option<String>,
    /// Stop before this text (repeatable)
    #[arg(long)]
    stop: Vec<String>,
}

pub fn run(args: GenerateArgs) -> ExitCode {
    match generate(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate(args: GenerateArgs) -> Result<(), String> {
    let sampling = SamplingParams {
        temperature: args.temp,
        top_p: args.top_p,
        seed: args.seed,
        ..SamplingParams::default()
    };
    sampling.validate().map_err(|e| e.to_string())?;
    let prompt = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = args.system {
            messages.push(ChatMessage {
                role: "system".into(),
                content: system,
            });
        }
        messages.push(ChatMessage {
            role: "user".into(),
            content: args.prompt,
        });
        Prompt::Chat {
            messages,
            options: RenderOptions {
                add_generation_prompt: true,
                ..RenderOptions::default()
            },
        }
    } else {
        Prompt::Text(args.prompt)
    };
    let model = ModelWorker::load(&args.model).map_err(|e| e.to_string())?;
    let request = GenerationRequest {
        prompt,
        max_tokens: args.max_tokens,
        sampling,
        stop: args.stop,
    };
    let mut events = model.generate(request);
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = events.blocking_recv() {
        match event.map_err(|e| e.to_string())? {
            GenerationEvent::Delta { text, .. } => {
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            }
            GenerationEvent::Finished { reason, stats } => {
                let _ = writeln!(stdout);
                eprintln!("{} | finish: {reason:?}", stats_line(&stats));
            }
        }
    }
    Ok(())
}

fn stats_line(stats: &GenerationStats) -> String {
    format!(
        "prompt: {} tokens, {:.1} tok/s | generation: {} tokens, {:.1} tok/s | first token: {:.0} ms | peak memory: {:.1} MB",
        stats.prompt_tokens,
        stats.prompt_tokens_per_sec,
        stats.generated_tokens,
        stats.decode_tokens_per_sec,
        stats.time_to_first_token.as_secs_f64() * 1000.0,
        stats.peak_memory_bytes as f64 / 1e6,
    )
}
