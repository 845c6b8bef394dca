//! Splitting one short piece of work (a product of a few milliseconds at most) over the cores:
//! the work is cut into chunks that the calling thread and helper threads (started once and
//! kept) take in turn from a shared counter. A decoding step makes a hundred such calls back to
//! back, so a helper spins briefly for the next one before it sleeps; one that wakes late
//! finds fewer chunks left (or none), so the caller never waits for a helper to wake, only for
//! chunks already being computed.
//!
//! One split runs at a time; a call made while another runs (another model's thread) does its
//! work alone rather than wait.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Helpers at most (9 threads in all): beyond that a few-row product is bound by memory.
const MAX_HELPERS: usize = 8;
/// How long a helper waits for the next job, spinning, before it sleeps: about the gap between
/// two products of one decoding step, short enough to leave the core to others between steps.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(100);
/// Work smaller than this (in matrix elements: 256 KB of f32 weights) is not split: a
/// sequence's attention over its cache, many small products a step, stays on one thread.
pub const SPLIT_FROM: usize = 64 * 1024;
/// Chunks per participating thread: small enough that a late helper still finds some.
const CHUNKS_PER_THREAD: usize = 8;

/// A helper's slot: no job, a job posted, or a job it took (and is working on).
const IDLE: u8 = 0;
const POSTED: u8 = 1;
const TAKEN: u8 = 2;

/// One split: the work, cut into `chunks` of `chunk` indices (of `n`), and the next to take.
struct Job<'a> {
    work: &'a (dyn Fn(usize, usize) + Sync),
    n: usize,
    chunk: usize,
    chunks: usize,
    next: AtomicUsize,
}

impl Job<'_> {
    /// Takes chunks until none is left.
    fn help(&self) {
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            if index >= self.chunks {
                return;
            }
            let from = index * self.chunk;
            (self.work)(from, (from + self.chunk).min(self.n));
        }
    }
}

struct Helper {
    thread: Thread,
    state: AtomicU8,
    /// The posted job; valid while `state` is not `IDLE` (the caller waits for that).
    job: AtomicPtr<Job<'static>>,
}

struct Helpers {
    helpers: Vec<&'static Helper>,
    busy: AtomicBool,
}

fn helpers() -> &'static Helpers {
    static HELPERS: OnceLock<Helpers> = OnceLock::new();
    HELPERS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let helpers = (1..cores.min(MAX_HELPERS + 1))
            .filter_map(|index| start_helper(index).ok())
            .collect();
        Helpers {
            helpers,
            busy: AtomicBool::new(false),
        }
    })
}

fn start_helper(index: usize) -> std::io::Result<&'static Helper> {
    let (sender, receiver) = std::sync::mpsc::channel::<&'static Helper>();
    let thread = std::thread::Builder::new()
        .name(format!("product-helper-{index}"))
        .spawn(move || {
            let Ok(helper) = receiver.recv() else { return };
            serve(helper);
        })?;
    let helper: &'static Helper = Box::leak(Box::new(Helper {
        thread: thread.thread().clone(),
        state: AtomicU8::new(IDLE),
        job: AtomicPtr::new(std::ptr::null_mut()),
    }));
    sender
        .send(helper)
        .map_err(|_| std::io::Error::other("the helper thread stopped"))?;
    Ok(helper)
}

fn serve(helper: &Helper) {
    loop {
        let idle_since = Instant::now();
        while helper.state.load(Ordering::Acquire) != POSTED {
            match idle_since.elapsed() < SPIN_BEFORE_SLEEP {
                true => std::hint::spin_loop(),
                false => std::thread::park(),
            }
        }
        // The caller may take the job back first (it finished every chunk itself).
        if helper
            .state
            .compare_exchange(POSTED, TAKEN, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
        {
            // SAFETY: TAKEN: the caller waits for IDLE before its job goes away.
            unsafe { (*helper.job.load(Ordering::Acquire)).help() };
            helper.state.store(IDLE, Ordering::Release);
        }
    }
}

/// Runs `work(from, to)` over `0..n` in parts whose bounds are multiples of `align` (but the
/// last), on every core, and returns when all are done. `size` is the work's size in whatever
/// unit (a product's matrix elements): below [`SPLIT_FROM`] it runs on the calling thread
/// alone, as waking a helper (which then spins) costs more than it saves.
pub fn split_rows(n: usize, align: usize, size: usize, work: &(dyn Fn(usize, usize) + Sync)) {
    if size < SPLIT_FROM {
        return work(0, n);
    }
    let pool = helpers();
    let align = align.max(1);
    let threads = pool.helpers.len() + 1;
    let chunk = n.div_ceil(threads * CHUNKS_PER_THREAD).div_ceil(align) * align;
    let chunks = n.div_ceil(chunk.max(1));
    if chunks <= 1
        || pool
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return work(0, n);
    }
    let job = Job {
        work,
        n,
        chunk,
        chunks,
        next: AtomicUsize::new(0),
    };
    // SAFETY (of the lifetime erased here): every helper is IDLE again, done with the job or
    // never having taken it, before this function returns.
    let shared = &job as *const Job<'_> as *mut Job<'static>;
    let helping = &pool.helpers[..pool.helpers.len().min(chunks - 1)];
    for helper in helping {
        helper.job.store(shared, Ordering::Release);
        helper.state.store(POSTED, Ordering::Release);
        helper.thread.unpark();
    }
    job.help();
    for helper in helping {
        let untaken =
            helper
                .state
                .compare_exchange(POSTED, IDLE, Ordering::AcqRel, Ordering::Acquire);
        if untaken.is_err() {
            while helper.state.load(Ordering::Acquire) != IDLE {
                std::hint::spin_loop();
            }
        }
    }
    pool.busy.store(false, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn every_index_is_covered_once_in_aligned_parts() {
        for n in [0, 1, 3, 4, 5, 17, 576, 1537] {
            let seen: Vec<AtomicUsize> = (0..n).map(|_| AtomicUsize::new(0)).collect();
            split_rows(n, 4, SPLIT_FROM, &|from, to| {
                assert!(
                    from % 4 == 0 && (to % 4 == 0 || to == n),
                    "{from}..{to} of {n}"
                );
                for count in &seen[from..to] {
                    count.fetch_add(1, Ordering::Relaxed);
                }
            });
            assert!(
                seen.iter().all(|count| count.load(Ordering::Relaxed) == 1),
                "n = {n}"
            );
        }
    }

    #[test]
    fn small_work_stays_on_the_calling_thread_in_one_part() {
        let caller = std::thread::current().id();
        let parts = AtomicUsize::new(0);
        split_rows(1000, 4, SPLIT_FROM - 1, &|from, to| {
            assert_eq!(std::thread::current().id(), caller);
            assert_eq!((from, to), (0, 1000));
            parts.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(parts.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn splits_from_several_threads_at_once_each_cover_their_work() {
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let total = AtomicUsize::new(0);
                        split_rows(1000, 4, SPLIT_FROM, &|from, to| {
                            total.fetch_add(to - from, Ordering::Relaxed);
                        });
                        assert_eq!(total.load(Ordering::Relaxed), 1000);
                    }
                });
            }
        });
    }
}
