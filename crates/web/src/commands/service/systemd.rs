//! The systemd user unit (`~/.config/systemd/user/mlx-manager.service`).

use std::path::{Path, PathBuf};

use super::{ServiceSpec, manager, write_definition};

const UNIT: &str = "mlx-manager.service";

fn unit_path(home: &Path) -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    config.join("systemd/user").join(UNIT)
}

/// systemd's quoting of one word of `ExecStart=` (and of an `Environment=` assignment).
fn quoted(word: &str) -> String {
    let escaped = word
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    format!("\"{escaped}\"")
}

pub fn unit(spec: &ServiceSpec) -> String {
    let exec = spec
        .command()
        .iter()
        .map(|word| quoted(word))
        .collect::<Vec<_>>()
        .join(" ");
    let environment = spec
        .hf_home
        .as_ref()
        .map(|hf| {
            format!(
                "Environment={}\n",
                quoted(&format!("HF_HOME={}", hf.display()))
            )
        })
        .unwrap_or_default();
    format!(
        "[Unit]\n\
         Description=MLX Manager: find, run and serve MLX models\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={exec}\n\
         {environment}\
         Restart=on-failure\n\
         RestartSec=5\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec={}\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        spec.stop_timeout_secs
    )
}

pub fn install(home: &Path, spec: &ServiceSpec, start: bool) -> Result<(), String> {
    let path = unit_path(home);
    write_definition(&path, &unit(spec))?;
    println!("wrote {}", path.display());
    if !start {
        println!("start it with: systemctl --user enable --now {UNIT}");
        return Ok(());
    }
    manager("systemctl", &["--user", "daemon-reload"])?;
    manager("systemctl", &["--user", "enable", "--now", UNIT])?;
    println!("started; it runs at every login (for it to run without one: loginctl enable-linger)");
    Ok(())
}

pub fn uninstall(home: &Path) -> Result<(), String> {
    let path = unit_path(home);
    if !path.exists() {
        return Err(format!(
            "no service is installed ({} does not exist)",
            path.display()
        ));
    }
    // Not running, or no user manager at all: there is nothing to stop, the file still goes.
    if let Err(message) = manager("systemctl", &["--user", "disable", "--now", UNIT]) {
        eprintln!("note: {message}");
    }
    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = manager("systemctl", &["--user", "daemon-reload"]);
    println!("removed {}", path.display());
    Ok(())
}

pub fn status(home: &Path) -> Result<(), String> {
    let path = unit_path(home);
    if !path.exists() {
        println!("not installed (mlx-manager service install)");
        return Ok(());
    }
    println!("installed: {}", path.display());
    let active =
        manager("systemctl", &["--user", "is-active", UNIT]).unwrap_or_else(|message| message);
    println!("state: {}", active.trim());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_quotes_every_word_as_systemd_reads_them() {
        assert_eq!(
            quoted("/opt/my apps/mlx-manager"),
            "\"/opt/my apps/mlx-manager\""
        );
        assert_eq!(quoted("50%$HOME\"x\\"), "\"50%%$$HOME\\\"x\\\\\"");
    }
}
