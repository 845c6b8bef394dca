//! The launchd agent (`~/Library/LaunchAgents/dev.mlx-manager.serve.plist`), managed with
//! `launchctl bootstrap` / `bootout` in the user's GUI domain.

use std::path::{Path, PathBuf};

use super::{ServiceSpec, manager, write_definition};

const LABEL: &str = "dev.mlx-manager.serve";

fn plist_path(home: &Path) -> PathBuf {
    home.join("Library/LaunchAgents")
        .join(format!("{LABEL}.plist"))
}

fn domain() -> Result<String, String> {
    let uid = manager("id", &["-u"])?;
    Ok(format!("gui/{}", uid.trim()))
}

/// XML's escaping of text.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn plist(spec: &ServiceSpec) -> String {
    let arguments = spec
        .command()
        .iter()
        .map(|a| format!("    <string>{}</string>\n", escaped(a)))
        .collect::<String>();
    let environment = spec
        .hf_home
        .as_ref()
        .map(|hf| {
            format!(
                "  <key>EnvironmentVariables</key>\n  <dict>\n    <key>HF_HOME</key>\n    <string>{}</string>\n  </dict>\n",
                escaped(&hf.display().to_string())
            )
        })
        .unwrap_or_default();
    let log = escaped(&spec.data_dir.join("server.log").display().to_string());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         \x20 <key>Label</key>\n  <string>{LABEL}</string>\n\
         \x20 <key>ProgramArguments</key>\n  <array>\n{arguments}  </array>\n\
         {environment}\
         \x20 <key>RunAtLoad</key>\n  <true/>\n\
         \x20 <key>KeepAlive</key>\n  <dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>\n\
         \x20 <key>ExitTimeOut</key>\n  <integer>{}</integer>\n\
         \x20 <key>StandardErrorPath</key>\n  <string>{log}</string>\n\
         </dict>\n</plist>\n",
        spec.stop_timeout_secs
    )
}

pub fn install(home: &Path, spec: &ServiceSpec, start: bool) -> Result<(), String> {
    let path = plist_path(home);
    write_definition(&path, &plist(spec))?;
    println!("wrote {}", path.display());
    if !start {
        println!(
            "start it with: launchctl bootstrap {} {}",
            domain()?,
            path.display()
        );
        return Ok(());
    }
    let domain = domain()?;
    // A previous version of the agent is replaced.
    let _ = manager("launchctl", &["bootout", &format!("{domain}/{LABEL}")]);
    manager(
        "launchctl",
        &["bootstrap", &domain, &path.display().to_string()],
    )?;
    println!("started; it runs at every login");
    Ok(())
}

pub fn uninstall(home: &Path) -> Result<(), String> {
    let path = plist_path(home);
    if !path.exists() {
        return Err(format!(
            "no service is installed ({} does not exist)",
            path.display()
        ));
    }
    if let Err(message) = manager("launchctl", &["bootout", &format!("{}/{LABEL}", domain()?)]) {
        eprintln!("note: {message}");
    }
    std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("removed {}", path.display());
    Ok(())
}

pub fn status(home: &Path) -> Result<(), String> {
    let path = plist_path(home);
    if !path.exists() {
        println!("not installed (mlx-manager service install)");
        return Ok(());
    }
    println!("installed: {}", path.display());
    let state = match manager("launchctl", &["print", &format!("{}/{LABEL}", domain()?)]) {
        Ok(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("state = "))
            .unwrap_or("loaded")
            .to_string(),
        Err(_) => "not loaded".into(),
    };
    println!("state: {state}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_runs_serve_keeps_it_alive_and_escapes_paths() {
        let spec = ServiceSpec {
            binary: "/opt/mlx & co/mlx-manager".into(),
            data_dir: "/Users/ada/.mlx-manager".into(),
            host: "127.0.0.1".into(),
            port: 10242,
            stop_timeout_secs: 35,
            hf_home: None,
        };
        let text = plist(&spec);
        assert!(
            text.contains(
                "<string>/opt/mlx &amp; co/mlx-manager</string>\n    <string>serve</string>"
            ),
            "{text}"
        );
        assert!(
            text.contains("<key>SuccessfulExit</key>\n    <false/>"),
            "{text}"
        );
        assert!(text.contains("<integer>35</integer>"), "{text}");
        assert!(!text.contains("EnvironmentVariables"));
    }
}
