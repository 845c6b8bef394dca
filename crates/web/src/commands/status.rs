//! `mlx-manager status`: a running server's health, memory and loaded models, through its API
//! (an API key from `MLX_MANAGER_API_KEY` or `--api-key`).

use std::process::ExitCode;

use clap::Args;
use serde_json::Value;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The server
    #[arg(
        long,
        env = "MLX_MANAGER_URL",
        default_value = "http://127.0.0.1:10242"
    )]
    url: String,
    /// An API key (`mlxm_…`). Prefer the variable: flags are visible to other users
    #[arg(long, env = "MLX_MANAGER_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
}

pub fn run(args: StatusArgs) -> ExitCode {
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
        .and_then(|runtime| runtime.block_on(status(args)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    /// The JSON body of `GET path` (with the key when `auth`); `/health` answers even when
    /// unhealthy (503), the others must succeed.
    async fn get(&self, path: &str, auth: bool) -> Result<Value, String> {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if auth {
            request = request.bearer_auth(&self.key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() || path == "/health" {
            return Ok(body);
        }
        let reason = body["detail"].as_str().or(body["title"].as_str());
        Err(format!("{path}: {status}: {}", reason.unwrap_or("refused")))
    }
}

/// Bytes in the unit that reads best (`1.2 GB`, `540 MB`, `12 kB`).
fn megabytes(bytes: &Value) -> String {
    let bytes = bytes.as_f64().unwrap_or(0.0);
    match bytes {
        b if b >= 1e9 => format!("{:.1} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.0} MB", b / 1e6),
        b => format!("{:.0} kB", b / 1e3),
    }
}

async fn status(args: StatusArgs) -> Result<(), String> {
    let Some(key) = args.api_key.filter(|k| !k.is_empty()) else {
        return Err(
            "an API key is needed: set MLX_MANAGER_API_KEY (or pass --api-key); make one in the \
             web UI or with POST /api/auth/api-keys"
                .into(),
        );
    };
    let api = Api {
        http: reqwest::Client::new(),
        base: args.url.trim_end_matches('/').to_string(),
        key,
    };
    let health = api.get("/health", false).await?;
    let database = &health["database"];
    println!(
        "server   {} — {} (version {}; {} database {})",
        args.url,
        health["status"].as_str().unwrap_or("unknown"),
        health["version"].as_str().unwrap_or("?"),
        database["backend"].as_str().unwrap_or("?"),
        if database["reachable"] == true {
            "reachable"
        } else {
            "unreachable"
        },
    );
    let memory = api.get("/api/system/memory", true).await?;
    println!(
        "memory   models {} of {} · machine {} used of {} ({}%)",
        megabytes(&memory["pool_used_bytes"]),
        megabytes(&memory["pool_limit_bytes"]),
        megabytes(&memory["used_bytes"]),
        megabytes(&memory["total_bytes"]),
        memory["percent_used"],
    );
    let servers = api.get("/api/servers", true).await?;
    let servers = servers.as_array().cloned().unwrap_or_default();
    if servers.is_empty() {
        println!("models   none loaded");
        return Ok(());
    }
    println!(
        "models   {:<32} {:<10} {:>9} {:>8} {:>7}",
        "NAME", "STATE", "MEMORY", "RUNNING", "QUEUED"
    );
    for server in servers {
        let name = server["profile_name"]
            .as_str()
            .or(server["model"].as_str())
            .unwrap_or("?");
        println!(
            "         {:<32} {:<10} {:>9} {:>8} {:>7}",
            name,
            server["state"].as_str().unwrap_or("?"),
            megabytes(&server["memory_bytes"]),
            server["running"].as_u64().unwrap_or(0),
            server["queued"].as_u64().unwrap_or(0),
        );
    }
    Ok(())
}
