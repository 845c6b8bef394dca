# Sourced by ./setup: the prebuilt MLX library the Rust engine links, from PyPI.
#
# crates/mlx-sys compiles mlx-c (sources: upstream mlx-sys 0.7.0, fetched by cargo) against the
# libmlx of the PyPI wheel whose version mlx-c pins. Variants: cpu (default), cuda-12, cuda-13.
MLX_VERSION=0.32.2

mlx_setup() {
  local variant="$1"
  case "$(uname -s)" in
    Darwin) say "macOS: crates/mlx-sys builds MLX from source with Metal, as upstream"; return ;;
  esac
  say "fetching the mlx-c sources (crates.io package mlx-sys 0.7.0)"
  cargo fetch --quiet --manifest-path crates/mlx-sys/fetch-sources/Cargo.toml

  case "$variant" in
    cpu) mlx_cpu ;;
    cuda-12|cuda-13) mlx_cuda "$variant" ;;
    *) say "unknown MLX variant $variant (cpu, cuda-12, cuda-13)"; exit 2 ;;
  esac
}

mlx_cpu() {
  local stamp=.mlx/wheel/.variant
  if [ "$(cat "$stamp" 2>/dev/null)" != "cpu-$MLX_VERSION" ]; then
    say "unpacking the mlx-cpu $MLX_VERSION wheel into .mlx/wheel"
    rm -rf .mlx/dl .mlx/wheel
    .venv/bin/pip download --quiet --disable-pip-version-check --no-deps \
      "mlx-cpu==$MLX_VERSION" -d .mlx/dl
    python3 -m zipfile -e .mlx/dl/mlx_cpu-"$MLX_VERSION"-*.whl .mlx/wheel
    chmod -R u+w .mlx/wheel
    echo "cpu-$MLX_VERSION" >"$stamp"
  else
    say "MLX $MLX_VERSION (cpu) present"
  fi
  # The wheel bundles the reference BLAS; Debian's OpenBLAS is ~10x faster. Point both the
  # engine's copy and the Python reference's at it, so benchmarks compare like with like.
  local site
  site="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  openblas_swap .mlx/wheel/mlx_cpu.libs
  openblas_swap "$site/mlx_cpu.libs"
}

openblas_swap() {
  local libs="$1" openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread f
  [ -d "$libs" ] && [ -e "$openblas/libblas.so.3" ] || return 0
  for f in "$libs"/libblas-*.so.*; do
    [ -L "$f" ] || { mv "$f" "$f.reference"; ln -s "$openblas/libblas.so.3" "$f"; }
  done
  for f in "$libs"/liblapack-*.so.*; do
    [ -L "$f" ] || { mv "$f" "$f.reference"; ln -s "$openblas/liblapack.so.3" "$f"; }
  done
}

# CUDA: the wheel needs the nvidia-* runtime wheels beside it (pip --target keeps the layout its
# RPATH expects). Build with MLX_PREFIX=$PWD/.mlx/site/mlx MLX_SYS_BUILDER=cc (no CUDA toolkit).
mlx_cuda() {
  local variant="$1" stamp=.mlx/site/.variant
  if [ "$(cat "$stamp" 2>/dev/null)" != "$variant-$MLX_VERSION" ]; then
    say "installing mlx-$variant $MLX_VERSION into .mlx/site (large: NVIDIA runtime wheels)"
    rm -rf .mlx/site
    .venv/bin/pip install --quiet --disable-pip-version-check --target .mlx/site \
      "mlx-$variant==$MLX_VERSION"
    echo "$variant-$MLX_VERSION" >"$stamp"
  fi
  say "build with: MLX_PREFIX=$PWD/.mlx/site/mlx MLX_SYS_BUILDER=cc cargo build …"
}
