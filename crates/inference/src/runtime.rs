//! What this process computes with, as read from MLX and from the libraries the process has
//! mapped: MLX's version, the GPU backend, and the BLAS library MLX's CPU kernels call.

use std::ffi::CStr;

/// The version of the linked MLX library (e.g. `0.32.2`).
pub fn mlx_version() -> Option<String> {
    // SAFETY: mlx-c's string API: `mlx_version` fills the string it is given; its data is a
    // NUL-terminated buffer owned by the string until `mlx_string_free`.
    unsafe {
        let mut version = mlx_sys::mlx_string_new();
        let text = match mlx_sys::mlx_version(&mut version) {
            0 => {
                let data = mlx_sys::mlx_string_data(version);
                (!data.is_null()).then(|| CStr::from_ptr(data).to_string_lossy().into_owned())
            }
            _ => None,
        };
        mlx_sys::mlx_string_free(version);
        text.filter(|t| !t.is_empty())
    }
}

/// The GPU API MLX drives on this platform: Metal on macOS, CUDA elsewhere.
pub fn gpu_backend() -> &'static str {
    if cfg!(target_os = "macos") {
        "metal"
    } else {
        "cuda"
    }
}

/// The BLAS implementation in this process: Accelerate on macOS; on Linux the BLAS library
/// mapped into memory (`OpenBLAS (libopenblas.so.0)`), as the dynamic linker resolved it.
pub fn blas_library() -> Option<String> {
    if cfg!(target_os = "macos") {
        return Some("Accelerate".into());
    }
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .filter_map(|path| path.rsplit('/').next())
        .find_map(|file| blas_name(file).map(|name| format!("{name} ({file})")))
}

/// The implementation a shared library's file name stands for.
fn blas_name(file: &str) -> Option<&'static str> {
    let known = [
        ("libopenblas", "OpenBLAS"),
        ("libblis", "BLIS"),
        ("libmkl_rt", "Intel MKL"),
        ("libflexiblas", "FlexiBLAS"),
        ("libcblas", "reference BLAS"),
        ("libblas.", "reference BLAS"),
    ];
    known
        .iter()
        .find(|(prefix, _)| file.starts_with(prefix) && file.contains(".so"))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_linked_mlx_reports_a_dotted_version() {
        let version = mlx_version().expect("a version");
        let parts: Vec<&str> = version.split('.').collect();
        assert!(
            parts.len() >= 2 && parts.iter().all(|p| !p.is_empty()),
            "{version}"
        );
    }

    #[test]
    fn blas_libraries_are_named_by_their_file() {
        assert_eq!(blas_name("libopenblas.so.0"), Some("OpenBLAS"));
        assert_eq!(blas_name("libblas.so.3"), Some("reference BLAS"));
        assert_eq!(blas_name("libblake3.so"), None);
        assert_eq!(blas_name("libopenblas.a"), None);
    }
}
