//! `mlx-manager service` on Linux: the systemd user unit it writes (checked by
//! `systemd-analyze verify` where systemd is installed), its status, and its removal.

use std::process::{Command, Output};

use mlx_manager_tests::cli_command;

fn service(data_dir: &std::path::Path, config: &std::path::Path, args: &[&str]) -> Output {
    cli_command(data_dir)
        .arg("service")
        .args(args)
        .env("XDG_CONFIG_HOME", config)
        .env("HF_HOME", "/srv/hf cache")
        .env(
            "MLX_MANAGER_JWT_SECRET",
            "a-secret-that-must-stay-out-of-the-unit-file",
        )
        .output()
        .expect("run mlx-manager service")
}

#[test]
fn install_writes_a_user_unit_that_runs_serve_and_uninstall_removes_it() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("data");
    let config = temp.path().join("config");
    let unit_path = config.join("systemd/user/mlx-manager.service");

    let installed = service(
        &data_dir,
        &config,
        &["install", "--no-start", "--port", "10999"],
    );
    let stderr = String::from_utf8_lossy(&installed.stderr);
    assert!(installed.status.success(), "{stderr}");
    assert!(
        stderr.contains("MLX_MANAGER_JWT_SECRET") && stderr.contains("config.toml"),
        "{stderr}"
    );
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    let binary = std::fs::canonicalize(mlx_manager_tests::binary_path()).unwrap();
    let exec = format!(
        "ExecStart=\"{}\" \"serve\" \"--data-dir\" \"{}\" \"--host\" \"127.0.0.1\" \"--port\" \"10999\"",
        binary.display(),
        data_dir.display()
    );
    assert!(unit.contains(&exec), "{unit}");
    for line in [
        "Restart=on-failure",
        "Environment=\"HF_HOME=/srv/hf cache\"",
        "WantedBy=default.target",
        "TimeoutStopSec=",
    ] {
        assert!(unit.contains(line), "{line} in {unit}");
    }
    assert!(!unit.contains("a-secret"), "no secret in the unit: {unit}");
    // Verified as a system unit: a user manager needs a login session the tests lack.
    if let Ok(verify) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit_path)
        .output()
    {
        let complaints = String::from_utf8_lossy(&verify.stderr);
        assert!(
            verify.status.success() && complaints.is_empty(),
            "{complaints}"
        );
    }

    let status = service(&data_dir, &config, &["status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("installed:"));
    let removed = service(&data_dir, &config, &["uninstall"]);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    assert!(!unit_path.exists());
    let status = service(&data_dir, &config, &["status"]);
    assert!(String::from_utf8_lossy(&status.stdout).contains("not installed"));
    let again = service(&data_dir, &config, &["uninstall"]);
    assert!(!again.status.success(), "nothing left to remove");
}
