//! The process's resident memory, to count what a model load takes outside MLX's arrays (its
//! tokenizer and chat template live on the host heap: ~40 MB for a 151k-token vocabulary).

/// Bytes of this process resident in memory now; `None` where it cannot be read.
pub fn resident_bytes() -> Option<u64> {
    imp::resident_bytes()
}

#[cfg(target_os = "linux")]
mod imp {
    pub fn resident_bytes() -> Option<u64> {
        // statm: total, resident, … in pages.
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf only reads a configuration value.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        Some(pages * u64::try_from(page).ok()?)
    }
}

#[cfg(target_os = "macos")]
mod imp {
    pub fn resident_bytes() -> Option<u64> {
        let mut info: libc::proc_taskinfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::proc_taskinfo>() as libc::c_int;
        // SAFETY: the buffer is a proc_taskinfo of the size given.
        let written = unsafe {
            libc::proc_pidinfo(
                libc::getpid(),
                libc::PROC_PIDTASKINFO,
                0,
                (&mut info as *mut libc::proc_taskinfo).cast(),
                size,
            )
        };
        (written == size).then_some(info.pti_resident_size)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod imp {
    pub fn resident_bytes() -> Option<u64> {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn touching_memory_grows_the_resident_bytes() {
        let before = super::resident_bytes().expect("readable on this system");
        let block = vec![1u8; 64 << 20];
        let after = super::resident_bytes().unwrap();
        assert!(after >= before + (60 << 20), "{before} → {after}");
        drop(std::hint::black_box(block));
    }
}
