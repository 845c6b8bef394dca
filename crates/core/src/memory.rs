//! Memory planning, in one place for search ("fits in memory") and the model pool (admission):
//! what the machine has, what models may use of it, and what a model needs to run.

/// The share of physical memory models may use unless configured otherwise. The rest stays for
/// the operating system, the server and MLX's own buffers.
pub const DEFAULT_BUDGET_PERCENT: u64 = 75;

/// What the machine has right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemMemory {
    pub total_bytes: u64,
    pub available_bytes: u64,
}

impl SystemMemory {
    /// Reads the machine's memory (a few microseconds; no blocking I/O worth a thread).
    pub fn read() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        Self {
            total_bytes: system.total_memory(),
            available_bytes: system.available_memory(),
        }
    }
}

/// How much memory models may use together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    pub total_bytes: u64,
    pub budget_bytes: u64,
}

impl MemoryBudget {
    /// The default budget of this machine: [`DEFAULT_BUDGET_PERCENT`] of its memory.
    pub fn detect() -> Self {
        Self::of_total(SystemMemory::read().total_bytes)
    }

    pub fn of_total(total_bytes: u64) -> Self {
        Self {
            total_bytes,
            budget_bytes: (u128::from(total_bytes) * u128::from(DEFAULT_BUDGET_PERCENT) / 100)
                as u64,
        }
    }

    /// Whether a model with this need fits in an otherwise empty budget.
    pub fn fits(&self, need: &MemoryNeed) -> bool {
        need.total_bytes() <= self.budget_bytes
    }
}

/// What a model needs resident: its weights, the KV cache for the context it serves, and MLX's
/// working memory (activations, scratch buffers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryNeed {
    pub weights_bytes: u64,
    pub kv_cache_bytes: u64,
    pub overhead_bytes: u64,
}

impl MemoryNeed {
    /// The estimate for `weights_bytes` of weights serving `context_tokens` tokens, where each
    /// token's keys and values take `kv_bytes_per_token` (unknown: counted as none, as search
    /// does before a model's config is read).
    pub fn estimate(
        weights_bytes: u64,
        kv_bytes_per_token: Option<u64>,
        context_tokens: u64,
    ) -> Self {
        let kv_cache_bytes = kv_bytes_per_token
            .unwrap_or(0)
            .saturating_mul(context_tokens);
        Self {
            weights_bytes,
            kv_cache_bytes,
            // Measured on the fixtures at short contexts: ~10 % of the weights.
            overhead_bytes: weights_bytes / 10,
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.weights_bytes
            .saturating_add(self.kv_cache_bytes)
            .saturating_add(self.overhead_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_budget_is_three_quarters_of_memory() {
        let budget = MemoryBudget::of_total(16 << 30);
        assert_eq!(budget.budget_bytes, 12 << 30);
    }

    #[test]
    fn a_need_counts_weights_kv_cache_and_overhead() {
        let need = MemoryNeed::estimate(1000, Some(8), 100);
        assert_eq!(
            (need.weights_bytes, need.kv_cache_bytes, need.overhead_bytes),
            (1000, 800, 100)
        );
        assert_eq!(need.total_bytes(), 1900);
        assert_eq!(MemoryNeed::estimate(1000, None, 4096).total_bytes(), 1100);
    }

    #[test]
    fn fitting_compares_the_whole_need_with_the_budget() {
        let budget = MemoryBudget {
            total_bytes: 2000,
            budget_bytes: 1100,
        };
        assert!(budget.fits(&MemoryNeed::estimate(1000, None, 0)));
        assert!(!budget.fits(&MemoryNeed::estimate(1000, Some(1), 1)));
    }

    #[test]
    fn the_system_reports_some_memory() {
        let memory = SystemMemory::read();
        assert!(memory.total_bytes > 0);
        assert!(memory.available_bytes <= memory.total_bytes);
    }
}
