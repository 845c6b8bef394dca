//! The binary finds the prebuilt libmlx without LD_LIBRARY_PATH: cargo does not pass mlx-sys's
//! link arguments on to dependents, so the rpath is added here from `DEP_MLX_LIBDIR`.
fn main() {
    if let Ok(libdir) = std::env::var("DEP_MLX_LIBDIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    }
}
