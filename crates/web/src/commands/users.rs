//! `mlx-manager users …`: recovery for an owner who is locked out. Passwords are read from a
//! prompt (or standard input when it is not a terminal), never from the command line.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mlx_manager::Services;
use mlx_manager_auth::{AdminEnsured, AuthError, AuthService};
use mlx_manager_core::{CoreError, Settings};

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    command: UsersCommand,
    /// Where the database, secrets and config.toml live [default: ~/.mlx-manager]
    #[arg(long, global = true)]
    data_dir: Option<std::path::PathBuf>,
    /// sqlite:// or postgres:// URL [default: SQLite in the data dir]
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum UsersCommand {
    /// List every user with their role and status.
    List,
    /// Set a user's password (read from a prompt or standard input) and end their sessions.
    ResetPassword { email: String },
    /// Create an approved admin, or make an existing user one, with a new password.
    CreateAdmin { email: String },
}

pub fn run(args: UsersArgs) -> ExitCode {
    let overrides = mlx_manager_core::settings::Overrides {
        data_dir: args.data_dir.clone(),
        database_url: args.database_url.clone(),
        ..Default::default()
    };
    let outcome = Settings::load(&overrides)
        .map_err(|e| format!("configuration: {e}"))
        .and_then(|settings| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            runtime.block_on(execute(args.command, settings))
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: UsersCommand, settings: Settings) -> Result<(), String> {
    if let Some(path) = settings.database.sqlite_path().filter(|p| !p.exists()) {
        return Err(format!(
            "no database at {} (has the server ever run with this data dir?)",
            path.display()
        ));
    }
    let (db, auth) = Services::auth_only(&settings)
        .await
        .map_err(|e| e.to_string())?;
    let result = match command {
        UsersCommand::List => list(&auth).await,
        UsersCommand::ResetPassword { email } => reset_password(&auth, &email).await,
        UsersCommand::CreateAdmin { email } => create_admin(&auth, &email).await,
    };
    db.close().await.map_err(|e| e.to_string())?;
    result
}

async fn list(auth: &AuthService) -> Result<(), String> {
    let all = auth.list_users(None).await.map_err(|e| e.to_string())?;
    println!("{:>5}  {:<40} {:<6} {:<9}", "id", "email", "role", "status");
    for user in all {
        let role = if user.is_admin { "admin" } else { "user" };
        println!(
            "{:>5}  {:<40} {:<6} {:<9}",
            user.id,
            user.email,
            role,
            user.status.as_str()
        );
    }
    Ok(())
}

async fn reset_password(auth: &AuthService, email: &str) -> Result<(), String> {
    let password = read_password()?;
    let user = auth
        .recover_password(email, &password)
        .await
        .map_err(|e| describe(e, email))?;
    println!(
        "password of {} reset; their sessions were ended",
        user.email
    );
    Ok(())
}

async fn create_admin(auth: &AuthService, email: &str) -> Result<(), String> {
    let password = read_password()?;
    match auth
        .ensure_admin(email, &password)
        .await
        .map_err(|e| describe(e, email))?
    {
        AdminEnsured::Created(user) => println!("created approved admin {}", user.email),
        AdminEnsured::Promoted(user) => {
            println!(
                "{} is now an approved admin with the new password",
                user.email
            )
        }
    }
    Ok(())
}

/// The service's errors, worded for someone at a terminal.
fn describe(error: AuthError, email: &str) -> String {
    match error {
        AuthError::Core(CoreError::NotFound { .. }) => format!("no user with e-mail {email}"),
        other => other.to_string(),
    }
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let second = rpassword::prompt_password("Repeat it: ").map_err(|e| e.to_string())?;
        if first != second {
            return Err("the passwords differ".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}
