//! Handing memory freed during a model load back to the system.
//!
//! Building a model frees as much as it keeps: stacking projections copies their weights and
//! drops the parts. An allocator that keeps freed pages for reuse (mimalloc, which the
//! `mlx-manager` binary installs for the whole process) holds them in the process's RSS until it
//! purges on its own schedule — measured: SmolLM2-135M in f32 kept ~150 MB beyond its weights.
//! The binary registers its allocator's "collect now" here; the engine calls it once a load is
//! done. Without a registered hook (a library user's own allocator) nothing happens.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Registers how to return freed memory to the system (once; later calls are ignored).
pub fn set_release_hook(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Returns freed memory to the system, when a hook is registered.
pub(crate) fn release_freed_memory() {
    if let Some(release) = RELEASE.get() {
        release();
    }
}
