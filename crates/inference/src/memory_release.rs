//! Handing memory freed during a model load back to the system.
//!
//! Building a model frees memory it does not keep: parsing the tokenizer, and stacking
//! projections (which copies their weights and drops the parts). An allocator that keeps freed
//! pages for reuse (mimalloc, which the `mlx-manager` binary installs for the whole process)
//! holds them in the process's RSS until it purges on its own schedule. The binary registers
//! its allocator's "collect now" here; the engine calls it after the tokenizer and at the end
//! of a load. Without a registered hook (a library user's own allocator) only MLX's cache is
//! cleared.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Registers how to return freed memory to the system (once; later calls are ignored).
pub fn set_release_hook(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Returns freed memory to the system: MLX's buffer cache, then the allocator's free pages when
/// a hook is registered.
pub(crate) fn release_freed_memory() {
    // Failing to clear a cache loses nothing: the memory stays reusable.
    let _ = mlx_rs::memory::clear_cache();
    if let Some(release) = RELEASE.get() {
        release();
    }
}
