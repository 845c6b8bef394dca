//! Binaries and tests of this crate find the prebuilt libmlx without LD_LIBRARY_PATH: cargo does
//! not pass mlx-sys's link arguments on to dependents, so the rpath is added here from the
//! directory mlx-sys reports (`DEP_MLX_LIBDIR`).
//!
//! With that prebuilt MLX (Linux), the MLX primitive that runs this crate's CPU kernels
//! (`native/cpu_kernel.cpp`) is compiled here against its headers and mlx-c's
//! (`DEP_MLX_INCLUDE`).
fn main() {
    println!("cargo:rerun-if-changed=native/cpu_kernel.cpp");
    let Ok(libdir) = std::env::var("DEP_MLX_LIBDIR") else {
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
    let include = std::env::var_os("DEP_MLX_INCLUDE").expect("mlx-sys reports its include paths");
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++20")
        .pic(true)
        .opt_level(2)
        .warnings(false)
        .file("native/cpu_kernel.cpp");
    for dir in std::env::split_paths(&include) {
        build.include(dir);
    }
    build.compile("mlxm_cpu_kernel");
}
