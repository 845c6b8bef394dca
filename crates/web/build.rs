//! - The binary finds the prebuilt libmlx without LD_LIBRARY_PATH: cargo does not pass mlx-sys's
//!   link arguments on to dependents, so the rpath is added here from `DEP_MLX_LIBDIR`.
//! - The web UI is embedded from `ui/build` (`cargo xtask ui` builds it). Without it (no Node on
//!   this machine) a one-page placeholder saying how to build it is embedded instead, so the
//!   binary always builds.
use std::path::PathBuf;

fn main() {
    if let Ok(libdir) = std::env::var("DEP_MLX_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    }

    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let built = manifest.join("ui/build");
    println!("cargo:rerun-if-changed={}", built.display());
    println!(
        "cargo:rerun-if-changed={}",
        built.join("index.html").display()
    );
    let dir = if built.join("index.html").is_file() {
        built
    } else {
        let placeholder = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("ui");
        std::fs::create_dir_all(&placeholder).expect("placeholder dir");
        std::fs::write(
            placeholder.join("index.html"),
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>MLX Manager</title></head><body><h1>MLX Manager</h1>\
             <p>This binary was built without its web UI. Build it with \
             <code>cargo xtask ui</code>, then rebuild the binary. The API is at \
             <a href=\"/api/docs/\">/api/docs/</a>.</p></body></html>\n",
        )
        .expect("placeholder page");
        placeholder
    };
    println!("cargo:rustc-env=MLX_MANAGER_UI_DIR={}", dir.display());
}
