//! The machine the server runs on, as the operating system reports it.

/// Facts that do not change while the server runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineFacts {
    /// E.g. `Linux (Debian GNU/Linux 12)` or `macOS 15.1 Sequoia`.
    pub os: String,
    pub kernel: String,
    /// The processor's brand string.
    pub cpu: String,
    pub physical_cores: usize,
    pub logical_cpus: usize,
    pub memory_bytes: u64,
}

impl MachineFacts {
    /// Reads them (milliseconds: call off the async executor).
    pub fn read() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
        system.refresh_memory();
        let cpus = system.cpus();
        let cpu = cpus
            .first()
            .map(|cpu| cpu.brand().trim().to_string())
            .filter(|brand| !brand.is_empty())
            .unwrap_or_else(|| std::env::consts::ARCH.to_string());
        Self {
            os: sysinfo::System::long_os_version().unwrap_or_else(|| std::env::consts::OS.into()),
            kernel: sysinfo::System::kernel_version().unwrap_or_default(),
            cpu,
            physical_cores: sysinfo::System::physical_core_count().unwrap_or(cpus.len()),
            logical_cpus: cpus.len(),
            memory_bytes: system.total_memory(),
        }
    }
}
