//! `mlx-manager chat PROFILE_OR_MODEL`: an interactive chat in the terminal through a running
//! server's `/v1/chat/completions` — answers stream as they are written, the conversation is
//! remembered, Ctrl-C stops the current answer (and leaves at the prompt).

mod client;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use serde_json::{Value, json};
use tokio::signal::unix::{SignalKind, signal};

use client::{ChatClient, Reply};

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// A profile's name or a downloaded model's `org/name`, as `/v1/models` lists them
    model: String,
    /// The server
    #[arg(
        long,
        env = "MLX_MANAGER_URL",
        default_value = "http://127.0.0.1:10242"
    )]
    url: String,
    /// An API key (`mlxm_…`, made in the web UI or with POST /api/auth/api-keys). Prefer the
    /// variable: flags are visible to other users
    #[arg(long, env = "MLX_MANAGER_API_KEY", hide_env_values = true)]
    api_key: String,
    /// A system message before the conversation (the profile's own comes first)
    #[arg(long)]
    system: Option<String>,
    /// Most tokens per answer [default: the profile's, else up to the context's end]
    #[arg(long)]
    max_tokens: Option<u32>,
    /// Sampling temperature [default: the profile's, else 1]
    #[arg(long)]
    temperature: Option<f32>,
}

const HELP: &str =
    "/clear forgets the conversation, /bye (or Ctrl-D) leaves; Ctrl-C stops an answer";

pub fn run(args: ChatArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(chat(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn chat(args: ChatArgs) -> Result<(), String> {
    let client = ChatClient::new(&args.url, &args.api_key)?;
    // Fails early (unknown model, wrong key, no server) before the user types anything.
    client.check_model(&args.model).await?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!("chatting with {} at {} — {HELP}", args.model, args.url);
    }
    let mut history: Vec<Value> = Vec::new();
    if let Some(system) = &args.system {
        history.push(json!({"role": "system", "content": system}));
    }
    let started_with = history.len();
    let mut lines = read_lines();
    // Ctrl-C no longer ends the process: at the prompt it leaves the chat, during an answer it
    // stops that answer.
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
    loop {
        if interactive {
            eprint!(">>> ");
        }
        let line = tokio::select! {
            line = lines.recv() => line,
            _ = interrupt.recv() => None,
        };
        let Some(line) = line else { break };
        let line = line.map_err(|e| format!("cannot read the terminal: {e}"))?;
        match line.trim() {
            "" => continue,
            "/bye" => break,
            "/clear" => {
                history.truncate(started_with);
                eprintln!("(the conversation is forgotten)");
                continue;
            }
            "/help" | "/?" => {
                eprintln!("{HELP}");
                continue;
            }
            _ => {}
        }
        history.push(json!({"role": "user", "content": line}));
        let mut body = json!({"model": args.model, "messages": history, "stream": true});
        if let Some(max_tokens) = args.max_tokens {
            body["max_tokens"] = json!(max_tokens);
        }
        if let Some(temperature) = args.temperature {
            body["temperature"] = json!(temperature);
        }
        let mut stdout = std::io::stdout();
        match client
            .stream_answer(&body, &mut stdout, &mut interrupt)
            .await
        {
            Ok(Reply::Finished(answer)) => {
                history.push(json!({"role": "assistant", "content": answer}));
            }
            Ok(Reply::Interrupted(answer)) => {
                eprintln!("(stopped)");
                // What the model said so far stays part of the conversation.
                history.push(json!({"role": "assistant", "content": answer}));
            }
            Err(message) => {
                history.pop();
                eprintln!("error: {message}");
            }
        }
        let _ = writeln!(stdout);
        let _ = stdout.flush();
    }
    Ok(())
}

/// Standard input's lines, read on a thread of their own so that a pending read never blocks
/// the answer being streamed (or Ctrl-C).
fn read_lines() -> tokio::sync::mpsc::UnboundedReceiver<std::io::Result<String>> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}
