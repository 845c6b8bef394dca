//! Splitting one short piece of work (a product of a few milliseconds at most) over the cores:
//! the calling thread takes the first part and helper threads, started once and kept, the
//! others. A decoding step makes a hundred such calls back to back, so a helper spins briefly
//! for the next one before it sleeps, and a call wakes it without a lock.
//!
//! One split runs at a time; a call made while another runs (another model's thread) does its
//! work alone rather than wait.

use std::cell::UnsafeCell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

/// Helpers at most (9 threads in all): beyond that a few-row product is bound by memory.
const MAX_HELPERS: usize = 8;
/// How long a helper waits for the next job, spinning, before it sleeps: about the gap between
/// two products of one decoding step, short enough to leave the core to others between steps.
const SPIN_BEFORE_SLEEP: Duration = Duration::from_micros(50);

type Job = *const (dyn Fn(usize, usize) + Sync);

struct Helper {
    thread: Thread,
    /// Jobs posted to and finished by this helper.
    posted: AtomicU64,
    finished: AtomicU64,
    /// Written by the caller before it bumps `posted`, read by the helper after it sees it.
    job: UnsafeCell<Option<(Job, usize, usize)>>,
}

// SAFETY: `job` is handed over through `posted`/`finished` (release/acquire): only the caller
// writes it while the helper is idle, only the helper reads it while the caller waits.
unsafe impl Sync for Helper {}
unsafe impl Send for Helper {}

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
        posted: AtomicU64::new(0),
        finished: AtomicU64::new(0),
        job: UnsafeCell::new(None),
    }));
    sender
        .send(helper)
        .map_err(|_| std::io::Error::other("the helper thread stopped"))?;
    Ok(helper)
}

fn serve(helper: &Helper) {
    let mut done = 0u64;
    loop {
        let idle_since = Instant::now();
        while helper.posted.load(Ordering::Acquire) == done {
            match idle_since.elapsed() < SPIN_BEFORE_SLEEP {
                true => std::hint::spin_loop(),
                false => std::thread::park(),
            }
        }
        // SAFETY: posted > done: the caller wrote the job and waits for `finished`.
        if let Some((job, from, to)) = unsafe { *helper.job.get() } {
            // SAFETY: the job outlives the call that posted it, which waits for us.
            unsafe { (*job)(from, to) };
        }
        done += 1;
        helper.finished.store(done, Ordering::Release);
    }
}

/// Runs `work(from, to)` over `0..n` in parts whose bounds are multiples of `align` (but the
/// last), one per core, and returns when all are done.
pub fn split_rows(n: usize, align: usize, work: &(dyn Fn(usize, usize) + Sync)) {
    let pool = helpers();
    let parts = (pool.helpers.len() + 1).min(n.div_ceil(align.max(1)));
    if parts <= 1
        || pool
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        return work(0, n);
    }
    let per_part = n.div_ceil(parts).div_ceil(align) * align;
    let bound = |part: usize| (part * per_part).min(n);
    // SAFETY: erases the borrow's lifetime; every helper given the job finishes with it
    // before this function returns (the wait below).
    let job: Job =
        unsafe { std::mem::transmute::<*const (dyn Fn(usize, usize) + Sync + '_), Job>(work) };
    let mut posted = Vec::with_capacity(parts - 1);
    for (part, helper) in (1..parts).zip(&pool.helpers) {
        let (from, to) = (bound(part), bound(part + 1));
        if from >= to {
            continue;
        }
        // SAFETY: the helper is idle (finished == posted), so it does not read the slot.
        unsafe { *helper.job.get() = Some((job, from, to)) };
        let ticket = helper.posted.fetch_add(1, Ordering::Release) + 1;
        helper.thread.unpark();
        posted.push((helper, ticket));
    }
    work(0, bound(1));
    for (helper, ticket) in posted {
        while helper.finished.load(Ordering::Acquire) < ticket {
            std::hint::spin_loop();
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
            split_rows(n, 4, &|from, to| {
                assert!(
                    from % 4 == 0 && (to % 4 == 0 || to == n),
                    "{from}..{to} of {n}"
                );
                for index in from..to {
                    seen[index].fetch_add(1, Ordering::Relaxed);
                }
            });
            assert!(
                seen.iter().all(|count| count.load(Ordering::Relaxed) == 1),
                "n = {n}"
            );
        }
    }

    #[test]
    fn splits_from_several_threads_at_once_each_cover_their_work() {
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..200 {
                        let total = AtomicUsize::new(0);
                        split_rows(1000, 4, &|from, to| {
                            total.fetch_add(to - from, Ordering::Relaxed);
                        });
                        assert_eq!(total.load(Ordering::Relaxed), 1000);
                    }
                });
            }
        });
    }
}
