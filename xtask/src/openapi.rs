//! `cargo xtask openapi`: the committed spec is generated from the code, and the TypeScript
//! types of the web UI and the SDK from the spec.

use crate::cmd::{self, Result};

const SPEC_FILE: &str = "openapi.json";

pub fn run(check: bool) -> Result {
    let spec =
        cmd::output(cmd::cargo().args(["run", "--quiet", "-p", "mlx-manager", "--", "openapi"]))?;
    let path = cmd::root().join(SPEC_FILE);
    if check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != spec {
            return Err(format!(
                "{SPEC_FILE} is stale: run `cargo xtask openapi` and commit it"
            ));
        }
        crate::ui::generate_types(true)?;
        eprintln!("{SPEC_FILE} and the TypeScript types are up to date");
        return Ok(());
    }
    std::fs::write(&path, spec).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    crate::ui::generate_types(false)
}
