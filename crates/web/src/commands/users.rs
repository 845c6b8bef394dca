//! `mlx-manager users …`: recovery for an owner who is locked out. Passwords are read from a
//! prompt (or standard input when it is not a terminal), never from the command line.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use mlx_manager_auth::{PasswordHasher, check_new_password};
use mlx_manager_core::Settings;
use mlx_manager_core::db::Database;
use mlx_manager_core::db::repositories::{NewUser, UserChanges, UserRepository};
use mlx_manager_core::domain::{Email, UserStatus};

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
    if let Some(path) = settings.sqlite_path().filter(|p| !p.exists()) {
        return Err(format!(
            "no database at {} (has the server ever run with this data dir?)",
            path.display()
        ));
    }
    let db = Database::connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let users = UserRepository::new(db.clone());
    let result = match command {
        UsersCommand::List => list(&users).await,
        UsersCommand::ResetPassword { email } => reset_password(&users, &email).await,
        UsersCommand::CreateAdmin { email } => create_admin(&users, &email).await,
    };
    db.close().await.map_err(|e| e.to_string())?;
    result
}

async fn list(users: &UserRepository) -> Result<(), String> {
    let all = users.list(None).await.map_err(|e| e.to_string())?;
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

async fn reset_password(users: &UserRepository, email: &str) -> Result<(), String> {
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let user = users
        .find_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no user with e-mail {email}"))?;
    let hash = new_password_hash(&email)?;
    let hash = hash.await?;
    let changes = UserChanges::password_hash(hash);
    users
        .update(user.id, changes)
        .await
        .map_err(|e| e.to_string())?;
    users
        .bump_session_version(user.id)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(target: "audit", event = "user.password_reset", user_id = user.id, via = "cli");
    println!("password of {email} reset; their sessions were ended");
    Ok(())
}

async fn create_admin(users: &UserRepository, email: &str) -> Result<(), String> {
    let email = Email::parse(email).map_err(|e| e.to_string())?;
    let hash = new_password_hash(&email)?.await?;
    match users
        .find_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(existing) => {
            let changes = UserChanges {
                password_hash: Some(hash),
                is_admin: Some(true),
                status: Some(UserStatus::Approved),
                ..Default::default()
            };
            users
                .update(existing.id, changes)
                .await
                .map_err(|e| e.to_string())?;
            users
                .bump_session_version(existing.id)
                .await
                .map_err(|e| e.to_string())?;
            println!("{email} is now an approved admin with the new password");
        }
        None => {
            let new = NewUser {
                email: email.clone(),
                password_hash: hash,
                is_admin: true,
                status: UserStatus::Approved,
                approved_by: None,
            };
            users.create(new).await.map_err(|e| e.to_string())?;
            println!("created approved admin {email}");
        }
    }
    tracing::info!(target: "audit", event = "user.admin_created", via = "cli");
    Ok(())
}

/// Reads and checks a new password, then hashes it off the async executor.
fn new_password_hash(
    email: &Email,
) -> Result<impl std::future::Future<Output = Result<String, String>>, String> {
    let password = read_password()?;
    let local = email.as_str().split('@').next().unwrap_or_default();
    check_new_password(&password, &[email.as_str(), local]).map_err(|e| e.to_string())?;
    Ok(async move {
        PasswordHasher::new(1)
            .hash(&password)
            .await
            .map_err(|e| e.to_string())
    })
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
