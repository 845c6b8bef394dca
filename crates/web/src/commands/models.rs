//! `mlx-manager pull | models | rm`: the hub cache from the command line, without a server.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mlx_manager_core::Settings;
use mlx_manager_core::domain::{RepoId, Revision};
use mlx_manager_core::memory::MemoryBudget;
use mlx_manager_hub::downloads::{Counters, Downloader, RunError};
use mlx_manager_hub::{HubCache, ModelCatalog, local_model};
use tokio_util::sync::CancellationToken;

/// Exit code after Ctrl-C, as shells report it.
const EXIT_INTERRUPTED: u8 = 130;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The model on the hub, `org/name`.
    model: String,
    /// Branch, tag or commit (a git ref name, or a 40-hex commit).
    #[arg(long, default_value = "main", value_parser = parse_revision)]
    revision: Revision,
    /// Where config.toml lives [default: ~/.mlx-manager]
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The model to delete from the cache, `org/name`.
    model: String,
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
}

fn parse_revision(raw: &str) -> Result<Revision, String> {
    Revision::parse(raw).map_err(|e| e.to_string())
}

fn settings(data_dir: Option<std::path::PathBuf>) -> Result<Settings, String> {
    Settings::load(&mlx_manager_core::settings::Overrides {
        data_dir,
        ..Default::default()
    })
    .map_err(|e| format!("configuration: {e}"))
}

fn finish(result: Result<ExitCode, String>) -> ExitCode {
    result.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        ExitCode::FAILURE
    })
}

pub fn pull(args: PullArgs) -> ExitCode {
    finish((|| {
        let settings = settings(args.data_dir.clone())?;
        let repo_id = RepoId::parse(&args.model).map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        runtime.block_on(pull_async(settings, repo_id, args.revision))
    })())
}

async fn pull_async(
    settings: Settings,
    repo_id: RepoId,
    revision: Revision,
) -> Result<ExitCode, String> {
    let cache = HubCache::new(&settings.hub.cache);
    if settings.hub.offline {
        return match local_model(&cache, &repo_id).filter(|m| m.ready) {
            Some(model) => {
                println!(
                    "{repo_id} is already in the cache: {}",
                    model.path.display()
                );
                Ok(ExitCode::SUCCESS)
            }
            None => Err(format!(
                "offline mode (HF_HUB_OFFLINE=1) and {repo_id} is not in the cache"
            )),
        };
    }
    let downloader = Downloader::new(&settings.hub, &settings.downloads);
    let counters = Arc::new(Counters::default());
    let stop = CancellationToken::new();
    let interrupt = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.cancel();
            }
        })
    };
    let bar = progress_bar(&repo_id);
    let display = {
        let bar = bar.clone();
        let counters = counters.clone();
        tokio::spawn(async move {
            loop {
                update_bar(&bar, &counters);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let result = downloader.run(&repo_id, &revision, &counters, &stop).await;
    display.abort();
    interrupt.abort();
    update_bar(&bar, &counters);
    match result {
        Ok(done) => {
            bar.finish_and_clear();
            let fetched = counters.fetched();
            let note = if fetched == 0 {
                "already complete, nothing fetched".to_string()
            } else {
                format!("{} fetched", human_bytes(fetched))
            };
            println!(
                "{repo_id}@{} ready ({} in {} files; {note}): {}",
                done.commit.short(),
                human_bytes(counters.total()),
                counters.files_total(),
                done.snapshot.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(RunError::Stopped) => {
            bar.abandon();
            eprintln!(
                "interrupted: {} of {} kept; run `mlx-manager pull {repo_id}` again to resume",
                human_bytes(counters.downloaded()),
                human_bytes(counters.total())
            );
            Ok(ExitCode::from(EXIT_INTERRUPTED))
        }
        Err(RunError::Failed(error)) => {
            bar.abandon();
            Err(format!("{repo_id}: {error}"))
        }
    }
}

fn progress_bar(repo_id: &RepoId) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30.cyan/blue}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(repo_id.to_string());
    bar
}

fn update_bar(bar: &ProgressBar, counters: &Counters) {
    bar.set_length(counters.total());
    bar.set_position(counters.downloaded());
}

pub fn list(args: ModelsArgs) -> ExitCode {
    finish((|| {
        let catalog = catalog(args.data_dir)?;
        let models = block_on(catalog.cached_models())?.map_err(|e| e.to_string())?;
        let root = catalog.cache().root().display();
        if models.is_empty() {
            println!("no models in {root}");
            return Ok(ExitCode::SUCCESS);
        }
        let width = models
            .iter()
            .map(|m| m.repo_id.as_str().len())
            .max()
            .unwrap_or(5)
            .max(5);
        println!(
            "{:<width$}  {:>9}  {:<12}  STATE",
            "MODEL", "SIZE", "COMMIT"
        );
        for model in models {
            let state = if model.ready { "ready" } else { "incomplete" };
            println!(
                "{:<width$}  {:>9}  {:<12}  {state}",
                model.repo_id.as_str(),
                human_bytes(model.size_bytes),
                &model.commit[..model.commit.len().min(12)],
            );
        }
        Ok(ExitCode::SUCCESS)
    })())
}

pub fn remove(args: RmArgs) -> ExitCode {
    finish((|| {
        let catalog = catalog(args.data_dir)?;
        let repo_id = RepoId::parse(&args.model).map_err(|e| e.to_string())?;
        let freed = block_on(catalog.delete(&repo_id))?.map_err(|e| match e {
            mlx_manager_hub::HubError::NotFound(_) => format!("{repo_id} is not in the cache"),
            other => other.to_string(),
        })?;
        println!("removed {repo_id} ({} freed)", human_bytes(freed));
        Ok(ExitCode::SUCCESS)
    })())
}

/// The same catalog the server uses, on the configured cache.
fn catalog(data_dir: Option<std::path::PathBuf>) -> Result<ModelCatalog, String> {
    let settings = settings(data_dir)?;
    Ok(ModelCatalog::new(&settings.hub, MemoryBudget::detect()))
}

fn block_on<T>(work: impl std::future::Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(work))
}

fn human_bytes(bytes: u64) -> String {
    indicatif::HumanBytes(bytes).to_string()
}
