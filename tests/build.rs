//! This crate's tests link the engine, so they must find the prebuilt libmlx without
//! LD_LIBRARY_PATH: cargo does not pass mlx-sys's link arguments on to dependents, so the rpath
//! is added here from the directory mlx-sys reports (`DEP_MLX_LIBDIR`).
fn main() {
    if let Ok(libdir) = std::env::var("DEP_MLX_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    }
}
