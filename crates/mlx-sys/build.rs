//! Build script of the mlx-sys 0.7.0 replacement.
//!
//! * Apple targets: compile mlx-c + MLX from source with CMake, as upstream
//!   mlx-sys 0.7.0 does (MLX is FetchContent-downloaded by mlx-c's CMake),
//!   link statically with the Metal/Accelerate frameworks.
//! * Every other target (Linux CPU, Linux CUDA): compile only mlx-c, against
//!   a prebuilt MLX installation (`MLX_PREFIX`, e.g. the `mlx/` directory of
//!   the PyPI wheel `mlx-cpu` / `mlx-cuda-12` / `mlx-cuda-13`) and link
//!   `libmlx` dynamically.
//!
//! In both cases the Rust bindings are generated with bindgen from the mlx-c
//! headers with the same settings as upstream, so `mlx-rs` 0.33 compiles
//! unchanged.
//!
//! Environment:
//! * `MLX_C_SRC_DIR`   mlx-c source tree (has CMakeLists.txt and mlx/c/). When
//!   unset, the upstream mlx-sys-0.7.0 package in cargo's registry is used
//!   (`$CARGO_HOME/registry/src/*/mlx-sys-0.7.0/src/mlx-c`, or the
//!   `.crate` archive in `registry/cache`, unpacked into OUT_DIR).
//! * `MLX_PREFIX`      (non-Apple) prefix holding lib/libmlx.so, include/mlx/,
//!   share/cmake/MLX/.
//! * `MLX_SYS_BUILDER` (non-Apple) `cmake` (default) or `cc`: how mlx-c is
//!   compiled. `cc` needs no CMake and never runs MLX's CMake package config
//!   (which, for CUDA builds of MLX, insists on finding a CUDA toolkit).
//! * `MLX_RS_METAL_PATH` (Apple) as upstream.

use std::{
    env,
    ffi::OsStr,
    fs, io,
    path::{Path, PathBuf},
    process::Command,
};

/// The upstream package whose mlx-c sources this crate compiles.
const UPSTREAM: &str = "mlx-sys-0.7.0";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=native/std_format_compat.h");
    println!("cargo:rerun-if-changed=native/bindgen_half.h");
    for var in [
        "MLX_C_SRC_DIR",
        "MLX_PREFIX",
        "MLX_SYS_BUILDER",
        "MLX_RS_METAL_PATH",
        "CARGO_HOME",
        "MLX_SYS_ALLOW_VERSION_MISMATCH",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let mlx_c = locate_mlx_c(&out_dir);
    eprintln!("mlx-sys (shim): mlx-c sources from {}", mlx_c.display());

    let apple = env::var("CARGO_CFG_TARGET_VENDOR").as_deref() == Ok("apple");
    if apple {
        apple::build(&mlx_c);
    } else {
        prebuilt::build(&mlx_c, &out_dir);
    }

    generate_bindings(&mlx_c, &out_dir, apple);
}

// ---------------------------------------------------------------------------
// Where the mlx-c sources come from
// ---------------------------------------------------------------------------

fn is_mlx_c_tree(dir: &Path) -> bool {
    dir.join("CMakeLists.txt").is_file() && dir.join("mlx/c/mlx.h").is_file()
}

fn cargo_home() -> Option<PathBuf> {
    if let Some(home) = env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home));
    }
    env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo"))
}

/// Sub-directories of `$CARGO_HOME/registry/<kind>/` (one per registry).
fn registry_dirs(kind: &str) -> Vec<PathBuf> {
    let Some(home) = cargo_home() else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = fs::read_dir(home.join("registry").join(kind))
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn locate_mlx_c(out_dir: &Path) -> PathBuf {
    if let Some(dir) = env::var_os("MLX_C_SRC_DIR") {
        let dir = PathBuf::from(dir);
        if !is_mlx_c_tree(&dir) {
            panic!(
                "MLX_C_SRC_DIR={} is not an mlx-c source tree (no CMakeLists.txt / mlx/c/mlx.h)",
                dir.display()
            );
        }
        return dir;
    }

    // 1. An unpacked copy of the upstream crate in cargo's registry.
    for registry in registry_dirs("src") {
        let package = registry.join(UPSTREAM);
        let dir = package.join("src/mlx-c");
        if package.join(".cargo-ok").is_file() && is_mlx_c_tree(&dir) {
            return dir;
        }
    }

    // 2. The downloaded .crate archive (cargo's cache GC removes unpacked
    //    sources before archives): unpack it into OUT_DIR.
    for registry in registry_dirs("cache") {
        let archive = registry.join(format!("{UPSTREAM}.crate"));
        if !archive.is_file() {
            continue;
        }
        let dest = out_dir.join("upstream-src");
        let dir = dest.join(UPSTREAM).join("src/mlx-c");
        if is_mlx_c_tree(&dir) {
            return dir;
        }
        fs::create_dir_all(&dest).unwrap();
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&dest)
            .status()
            .expect("running tar to unpack the upstream mlx-sys archive");
        if status.success() && is_mlx_c_tree(&dir) {
            return dir;
        }
        println!(
            "cargo:warning=could not unpack {} ({status})",
            archive.display()
        );
    }

    panic!(
        "\n\nmlx-sys (shim): the mlx-c sources of upstream {UPSTREAM} were not found.\n\
         Run ./setup once: it runs\n  \
         cargo fetch --manifest-path crates/mlx-sys/fetch-sources/Cargo.toml\n\
         so that cargo downloads {UPSTREAM} into $CARGO_HOME/registry;\n\
         or point MLX_C_SRC_DIR at an mlx-c source tree.\n\n"
    );
}

/// The .cpp files listed in mlx-c's CMakeLists.txt (`mlxc-src`), so that the
/// `cc` builder compiles exactly what upstream's CMake build compiles.
fn mlx_c_sources(mlx_c: &Path) -> Vec<PathBuf> {
    let cmake = fs::read_to_string(mlx_c.join("CMakeLists.txt")).unwrap();
    let sources: Vec<PathBuf> = cmake
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.strip_prefix("${CMAKE_CURRENT_LIST_DIR}/"))
        .map(|rel| rel.trim_end_matches(')'))
        .filter(|rel| rel.starts_with("mlx/c/") && rel.ends_with(".cpp"))
        .map(|rel| mlx_c.join(rel))
        .collect();
    assert!(
        sources.len() > 10,
        "could not read the mlx-c source list from {}/CMakeLists.txt",
        mlx_c.display()
    );
    sources
}

/// MLX version pinned by mlx-c's CMakeLists (`GIT_TAG vX.Y.Z`).
fn pinned_mlx_version(mlx_c: &Path) -> Option<String> {
    let cmake = fs::read_to_string(mlx_c.join("CMakeLists.txt")).ok()?;
    cmake.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("GIT_TAG v")?;
        Some(rest.trim_end_matches(')').trim().to_owned())
    })
}

// ---------------------------------------------------------------------------
// Bindings (same settings as upstream mlx-sys 0.7.0)
// ---------------------------------------------------------------------------

fn mlx_c_headers(mlx_c: &Path) -> io::Result<Vec<PathBuf>> {
    let mut headers: Vec<PathBuf> = fs::read_dir(mlx_c.join("mlx/c"))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<io::Result<_>>()?;
    headers.retain(|path| path.extension() == Some(OsStr::new("h")));
    headers.sort();
    Ok(headers)
}

fn generate_bindings(mlx_c: &Path, out_dir: &Path, apple: bool) {
    let headers = mlx_c_headers(mlx_c).expect("listing mlx-c headers");
    let mut builder = bindgen::Builder::default()
        .rust_target("1.73.0".parse().expect("rust target"))
        .clang_arg(format!("-I{}", mlx_c.display()))
        .blocklist_function("malloc")
        .blocklist_function("realloc")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    if !apple {
        let half =
            PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("native/bindgen_half.h");
        builder = builder
            .clang_arg("-include")
            .clang_arg(half.to_string_lossy());
    }
    for header in &headers {
        builder = builder.header(header.to_string_lossy());
    }
    builder
        .generate()
        .expect("bindgen failed on the mlx-c headers (is libclang installed?)")
        .write_to_file(out_dir.join("bindings.rs"))
        .expect("writing bindings.rs");
}

// ---------------------------------------------------------------------------
// Non-Apple: mlx-c against a prebuilt, dynamically linked libmlx
// ---------------------------------------------------------------------------

mod prebuilt {
    use super::*;

    fn mlx_prefix() -> PathBuf {
        let Some(prefix) = env::var_os("MLX_PREFIX") else {
            panic!(
                "\n\nmlx-sys (shim): MLX_PREFIX is not set. It must name a prebuilt MLX\n\
                 (lib/libmlx.so, include/mlx/mlx.h, share/cmake/MLX), e.g. the `mlx/`\n\
                 directory of the unpacked PyPI wheel `mlx-cpu` (or mlx-cuda-12/13).\n\
                 Run the project's MLX setup script, which installs it and sets\n\
                 MLX_PREFIX in .cargo/config.toml.\n\n"
            )
        };
        let prefix = PathBuf::from(prefix);
        let prefix = prefix.canonicalize().unwrap_or(prefix);
        for needed in ["lib/libmlx.so", "include/mlx/mlx.h"] {
            if !prefix.join(needed).is_file() {
                panic!(
                    "MLX_PREFIX={} has no {needed}: not a prebuilt MLX",
                    prefix.display()
                );
            }
        }
        prefix
    }

    /// Version of the prebuilt MLX, from its CMake package version file.
    fn prebuilt_version(prefix: &Path) -> Option<String> {
        let text =
            fs::read_to_string(prefix.join("share/cmake/MLX/MLXConfigVersion.cmake")).ok()?;
        text.lines().find_map(|line| {
            let rest = line.trim().strip_prefix("set(PACKAGE_VERSION \"")?;
            Some(rest.split('"').next()?.to_owned())
        })
    }

    fn compat_header() -> PathBuf {
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("native/std_format_compat.h")
    }

    fn build_with_cmake(mlx_c: &Path, prefix: &Path, out_dir: &Path) {
        let cmake_dir = prefix.join("share/cmake/MLX");
        if !cmake_dir.join("MLXConfig.cmake").is_file() {
            panic!("{} has no MLXConfig.cmake", cmake_dir.display());
        }
        let mut config = cmake::Config::new(mlx_c);
        config
            .profile("Release")
            .define("MLX_C_USE_SYSTEM_MLX", "ON")
            .define("MLX_DIR", &cmake_dir)
            .define("MLX_C_BUILD_EXAMPLES", "OFF")
            .define("BUILD_SHARED_LIBS", "OFF")
            .define("CMAKE_POSITION_INDEPENDENT_CODE", "ON")
            .cxxflag(format!("-include {}", compat_header().display()))
            .build_target("mlxc");
        let dst = config.build();
        debug_assert_eq!(dst, out_dir);
        println!("cargo:rustc-link-search=native={}/build", dst.display());
        println!("cargo:rustc-link-lib=static=mlxc");
    }

    fn build_with_cc(mlx_c: &Path, prefix: &Path) {
        let mut build = cc::Build::new();
        build
            .cpp(true)
            .std("c++20")
            .pic(true)
            .warnings(false)
            .include(mlx_c)
            .include(prefix.join("include"))
            .flag("-include")
            .flag(compat_header().to_str().unwrap())
            .files(mlx_c_sources(mlx_c));
        // cc emits rustc-link-lib=static=mlxc and the search path itself.
        build.compile("mlxc");
    }

    pub fn build(mlx_c: &Path, out_dir: &Path) {
        let prefix = mlx_prefix();
        let libdir = prefix.join("lib");

        // mlx-c calls MLX's C++ API directly: even patch releases change
        // signatures (mlx-c 0.7.0 fails to compile against MLX 0.32.4), so
        // the prebuilt MLX must be exactly the version mlx-c pins.
        if let (Some(have), Some(pinned)) = (prebuilt_version(&prefix), pinned_mlx_version(mlx_c)) {
            if have != pinned && env::var_os("MLX_SYS_ALLOW_VERSION_MISMATCH").is_none() {
                panic!(
                    "prebuilt MLX at {} is {have}, but mlx-c pins MLX {pinned}: install \
                     the matching wheel (e.g. `pip download --no-deps mlx-cpu=={pinned}`) \
                     or set MLX_SYS_ALLOW_VERSION_MISMATCH=1",
                    prefix.display()
                );
            }
        }

        match env::var("MLX_SYS_BUILDER").as_deref() {
            Ok("cc") => build_with_cc(mlx_c, &prefix),
            Ok("cmake") | Err(_) => build_with_cmake(mlx_c, &prefix, out_dir),
            Ok(other) => panic!("MLX_SYS_BUILDER={other}: expected `cmake` or `cc`"),
        }

        println!("cargo:rustc-link-search=native={}", libdir.display());
        println!("cargo:rustc-link-lib=dylib=mlx");
        // libmlxc.a is C++ built against the same libstdc++ as the wheel.
        println!("cargo:rustc-link-lib=dylib=stdc++");
        // Only affects this package's own bin/test/example targets: cargo does
        // not forward rustc-link-arg to dependents. Dependents read
        // DEP_MLX_LIBDIR (below) and add the rpath themselves.
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", libdir.display());

        // Same metadata contract as upstream (DEP_MLX_*), plus LIBDIR.
        let include = env::join_paths([prefix.join("include"), mlx_c.to_path_buf()]).unwrap();
        println!("cargo::metadata=include={}", include.to_string_lossy());
        println!("cargo::metadata=defines=");
        println!("cargo::metadata=libdir={}", libdir.display());
        if let Some(version) = prebuilt_version(&prefix) {
            println!("cargo::metadata=version={version}");
        }
    }
}

// ---------------------------------------------------------------------------
// Apple: what upstream mlx-sys 0.7.0 does
// ---------------------------------------------------------------------------

mod apple {
    use super::*;

    fn feature(name: &str) -> bool {
        env::var_os(format!("CARGO_FEATURE_{name}")).is_some()
    }

    /// 64-bit FNV-1a over (relative path, NUL, contents) of the mlx-c headers
    /// and CMakeLists.txt: the key upstream uses for packaged sources (no .git),
    /// so both builds share `~/.mlx/lib/<key>`.
    fn source_key(mlx_c: &Path) -> String {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut files = mlx_c_headers(mlx_c).expect("listing mlx-c headers");
        files.push(mlx_c.join("CMakeLists.txt"));
        files.sort();
        let mut hash = OFFSET;
        let mut feed = |bytes: &[u8]| {
            for &byte in bytes {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(PRIME);
            }
        };
        for file in &files {
            let rel = file.strip_prefix(mlx_c).unwrap_or(file);
            feed(rel.to_string_lossy().as_bytes());
            feed(&[0]);
            feed(&fs::read(file).expect("reading mlx-c source for the metallib key"));
        }
        format!("{hash:016x}")[..12].to_owned()
    }

    fn metallib_dir(mlx_c: &Path) -> PathBuf {
        if let Some(path) = env::var_os("MLX_RS_METAL_PATH") {
            return PathBuf::from(path);
        }
        let home = env::var_os("HOME").expect("HOME (or MLX_RS_METAL_PATH) must be set");
        let mut key = source_key(mlx_c);
        if feature("METAL_JIT") {
            key.push_str("-jit");
        }
        PathBuf::from(home).join(".mlx/lib").join(key)
    }

    fn clang_rt_dir() -> Option<PathBuf> {
        let ok = |cmd: &mut Command| cmd.output().ok().filter(|o| o.status.success());
        ok(Command::new("xcrun").arg("--show-sdk-platform-path"))?;
        let out = ok(Command::new("xcode-select").arg("--print-path"))?;
        let developer = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let base = developer.join("Toolchains/XcodeDefault.xctoolchain/usr/lib/clang");
        fs::read_dir(base).ok()?.flatten().find_map(|entry| {
            let dir = entry.path().join("lib/darwin");
            dir.join("libclang_rt.osx.a").is_file().then_some(dir)
        })
    }

    pub fn build(mlx_c: &Path) {
        let metal = feature("METAL");
        let mut config = cmake::Config::new(mlx_c);
        config
            .very_verbose(true)
            .define("CMAKE_INSTALL_PREFIX", ".")
            .define("CMAKE_C_COMPILER", "/usr/bin/cc")
            .define("CMAKE_CXX_COMPILER", "/usr/bin/c++")
            .define(
                "CMAKE_BUILD_TYPE",
                if env::var("PROFILE").as_deref() == Ok("release") {
                    "Release"
                } else {
                    "Debug"
                },
            )
            .define("MLX_BUILD_METAL", if metal { "ON" } else { "OFF" })
            .define(
                "MLX_BUILD_ACCELERATE",
                if feature("ACCELERATE") { "ON" } else { "OFF" },
            );
        if metal {
            if feature("METAL_JIT") {
                config.define("MLX_METAL_JIT", "ON");
            }
            let dir = metallib_dir(mlx_c);
            fs::create_dir_all(&dir).expect("creating the metallib directory");
            config.define("MLX_METAL_PATH", &dir);
        }
        let dst = config.build();
        let build = dst.join("build");

        println!("cargo:rustc-link-search=native={}/lib", build.display());
        println!(
            "cargo:rustc-link-search=native={}/_deps/mlx-build/mlx/io",
            build.display()
        );
        for lib in ["mlx", "mlxc", "gguflib"] {
            println!("cargo:rustc-link-lib=static={lib}");
        }
        if build.join("jaccl/libjaccl.a").is_file() {
            println!("cargo:rustc-link-search=native={}/jaccl", build.display());
            println!("cargo:rustc-link-lib=static=jaccl");
        }
        println!("cargo:rustc-link-lib=c++");
        println!("cargo:rustc-link-lib=dylib=objc");
        println!("cargo:rustc-link-lib=framework=Foundation");
        if metal {
            println!("cargo:rustc-link-lib=framework=Metal");
        }
        if feature("ACCELERATE") {
            println!("cargo:rustc-link-lib=framework=Accelerate");
        }
        if let Some(dir) = clang_rt_dir() {
            println!("cargo:rustc-link-search={}", dir.display());
            println!("cargo:rustc-link-lib=static=clang_rt.osx");
        }

        let deps = build.join("_deps");
        let mut include = vec![deps.join("mlx-src")];
        if metal {
            include.push(deps.join("metal_cpp-src"));
        }
        include.push(mlx_c.to_path_buf());
        let include = env::join_paths(include).unwrap();
        println!("cargo::metadata=include={}", include.to_string_lossy());
        println!("cargo::metadata=defines=MLX_STATIC");
        if let Some(version) = pinned_mlx_version(mlx_c) {
            println!("cargo::metadata=version={version}");
        }
    }
}
