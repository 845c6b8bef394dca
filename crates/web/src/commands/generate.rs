//! `mlx-manager generate`: the quickest way to try a model (a directory, a cached model or a
//! profile). Text streams to stdout as it is generated; a statistics line goes to stderr.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use mlx_manager::Services;
use mlx_manager_core::Settings;
use mlx_manager_core::db::repositories::ProfileRepository;
use mlx_manager_core::domain::{Profile, ProfileName, RepoId};
use mlx_manager_hub::HubCache;
use mlx_manager_inference::generation::{GenerationEvent, GenerationStats};
use mlx_manager_inference::text::chat_template::ChatMessage;
use mlx_manager_serving::{
    ClientInput, ClientRequest, ModelLocation, ToolChoice, generation_request, load_model_blocking,
    locate_model,
};

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// A model directory (config.json, tokenizer.json, *.safetensors), the `org/name` of a
    /// model in the Hugging Face cache, or a profile's name (its model, sampling defaults,
    /// system prompt and template options apply; flags override them)
    #[arg(long)]
    model: String,
    /// The prompt (a user message with --chat)
    #[arg(long)]
    prompt: String,
    /// [default: the profile's, else 256]
    #[arg(long)]
    max_tokens: Option<usize>,
    /// Sampling temperature; 0 is greedy [default: the profile's, else 0]
    #[arg(long)]
    temp: Option<f32>,
    /// [default: the profile's, else 1]
    #[arg(long)]
    top_p: Option<f32>,
    /// Seed for reproducible sampling [default: the profile's]
    #[arg(long)]
    seed: Option<u64>,
    /// Apply the model's chat template to the prompt as a user message
    #[arg(long)]
    chat: bool,
    /// A system message (with --chat; instead of the profile's)
    #[arg(long, requires = "chat")]
    system: Option<String>,
    /// Stop before this text (repeatable) [default: the profile's]
    #[arg(long)]
    stop: Vec<String>,
}

/// Without a length anywhere, answers end here (a terminal is not a server).
const DEFAULT_MAX_TOKENS: usize = 256;

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
    let (location, profile) = locate(&args.model)?;
    let input = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = args.system {
            messages.push(ChatMessage::new("system", system));
        }
        messages.push(ChatMessage::new("user", args.prompt));
        ClientInput::Chat {
            messages,
            template_options: Default::default(),
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
        }
    } else {
        ClientInput::Text(args.prompt)
    };
    let mut client = ClientRequest::new(input);
    client.max_tokens = args.max_tokens;
    client.fallback_max_tokens = Some(DEFAULT_MAX_TOKENS);
    // Greedy unless asked otherwise: the quickest check of a model is a reproducible one.
    client.temperature = args.temp.or(match profile {
        Some(_) => None,
        None => Some(0.0),
    });
    client.top_p = args.top_p;
    client.seed = args.seed;
    client.stop = Some(args.stop).filter(|stop| !stop.is_empty());
    let context = profile
        .as_ref()
        .and_then(|p| p.spec.context_length)
        .map_or(u64::MAX, |c| u64::from(c.get()));
    let mut request = generation_request(profile.as_ref(), context, client);
    request.sampling.validate().map_err(|e| e.to_string())?;
    // The terminal shows the model's output as it is, thinking included.
    request.split_reasoning = false;
    let model = load_model_blocking(location)
        .map_err(|e| e.to_string())?
        .worker;
    let mut events = model.generate(request);
    let mut stdout = std::io::stdout().lock();
    while let Some(event) = events.blocking_recv() {
        match event.map_err(|e| e.to_string())? {
            // No tools are offered here, so no calls are parsed out.
            GenerationEvent::Started { .. }
            | GenerationEvent::ToolCall(_)
            | GenerationEvent::Logprob(_) => {}
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

/// The model the user named, as the server would find it, and the profile when it is a
/// profile's name. The settings (for the cache and the database) are read only when the name
/// is not a directory.
fn locate(name: &str) -> Result<(ModelLocation, Option<Profile>), String> {
    if Path::new(name).is_dir() {
        let cache = HubCache::new(Path::new(name).join(".unused-cache"));
        return Ok((locate_model(name, &cache).map_err(|e| e.to_string())?, None));
    }
    let settings =
        Settings::load(&Default::default()).map_err(|e| format!("configuration: {e}"))?;
    let cache = HubCache::new(&settings.hub.cache);
    if RepoId::parse(name).is_ok() {
        return Ok((locate_model(name, &cache).map_err(|e| e.to_string())?, None));
    }
    let Ok(profile_name) = ProfileName::parse(name) else {
        // Not a profile's name either: say what a model directory or repository id needs.
        return Err(locate_model(name, &cache)
            .err()
            .map_or_else(|| format!("{name:?} names no model"), |e| e.to_string()));
    };
    let profile = find_profile(&settings, &profile_name)?.ok_or_else(|| {
        format!("no profile is named {name:?} (and it is not a directory or an org/name id)")
    })?;
    if let Some(revision) = &profile.spec.revision {
        eprintln!(
            "note: the profile pins revision {}; the cache's snapshot of {} is used",
            revision.as_str(),
            profile.spec.model
        );
    }
    let location =
        locate_model(&profile.spec.model.to_string(), &cache).map_err(|e| e.to_string())?;
    Ok((location, Some(profile)))
}

/// The profile of that name in the server's database (none when no server ever ran here).
fn find_profile(settings: &Settings, name: &ProfileName) -> Result<Option<Profile>, String> {
    if settings
        .database
        .sqlite_path()
        .is_some_and(|path| !path.exists())
    {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let db = Services::database(settings)
            .await
            .map_err(|e| e.to_string())?;
        let found = ProfileRepository::new(db.clone()).find_by_name(name).await;
        db.close().await.map_err(|e| e.to_string())?;
        found.map_err(|e| e.to_string())
    })
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
