//! `mlx-manager generate`: the quickest way to try a model. Text streams to stdout as it is
//! generated; a statistics line goes to stderr.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use mlx_manager_core::Settings;
use mlx_manager_hub::HubCache;
use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{
    GenerationEvent, GenerationRequest, GenerationStats, Prompt,
};
use mlx_manager_inference::text::chat_template::{ChatMessage, RenderOptions};
use mlx_manager_serving::{ModelLocation, load_model_blocking, locate_model};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A model directory (config.json, tokenizer.json, *.safetensors), or the `org/name` of a
    /// model in the Hugging Face cache
    #[arg(long)]
    model: String,
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
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", args.prompt));
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
    let location = locate(&args.model)?;
    let model = load_model_blocking(location)
        .map_err(|e| e.to_string())?
        .worker;
    let request = GenerationRequest {
        prompt,
        max_tokens: args.max_tokens,
        sampling,
        stop: args.stop,
        // The terminal shows the model's output as it is, thinking included.
        split_reasoning: false,
        parse_tool_calls: false,
    };
    let mut events = model.generate(request);
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = events.blocking_recv() {
        match event.map_err(|e| e.to_string())? {
            // No tools are offered here, so no calls are parsed out.
            GenerationEvent::Started { .. } | GenerationEvent::ToolCall(_) => {}
            GenerationEvent::Delta { text, .. } | GenerationEvent::Reasoning { text, .. } => {
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

/// The model the user named, as the server would find it; the settings (for the cache) are
/// read only when the name is not a directory.
fn locate(name: &str) -> Result<ModelLocation, String> {
    let cache = if Path::new(name).is_dir() {
        HubCache::new(Path::new(name).join(".unused-cache"))
    } else {
        let settings =
            Settings::load(&Default::default()).map_err(|e| format!("configuration: {e}"))?;
        HubCache::new(&settings.hub.cache)
    };
    locate_model(name, &cache).map_err(|e| e.to_string())
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
