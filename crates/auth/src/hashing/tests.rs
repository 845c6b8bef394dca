use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::*;

/// Cheap enough that debug-build tests stay fast; the OWASP cost is covered separately.
const CHEAP: HashCost = HashCost {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

fn cheap() -> PasswordHasher {
    PasswordHasher::with_cost(4, CHEAP).unwrap()
}

fn hash_with(algorithm: Algorithm, m: u32, t: u32, password: &str) -> String {
    let params = Params::new(m, t, 1, None).unwrap();
    Argon2::new(algorithm, Version::V0x13, params)
        .hash_password(password.as_bytes())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn hash_then_verify_round_trips() {
    let hasher = cheap();
    let hash = hasher.hash("correct horse").await.unwrap();
    let verification = hasher.verify("correct horse", &hash).await.unwrap();
    assert_eq!(
        verification,
        Verification {
            valid: true,
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn wrong_password_is_invalid() {
    let hasher = cheap();
    let hash = hasher.hash("correct horse").await.unwrap();
    let verification = hasher.verify("correct hors", &hash).await.unwrap();
    assert!(!verification.valid);
    assert!(!verification.needs_rehash);
}

#[tokio::test]
async fn default_hasher_produces_owasp_argon2id_phc_strings() {
    let hash = PasswordHasher::new(1).hash("pw").await.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[tokio::test]
async fn same_password_hashes_differently_each_time() {
    let hasher = cheap();
    let (a, b) = (
        hasher.hash("same").await.unwrap(),
        hasher.hash("same").await.unwrap(),
    );
    assert_ne!(a, b, "each hash has its own salt");
}

#[tokio::test]
async fn weaker_stored_params_verify_and_need_rehash() {
    let old = hash_with(Algorithm::Argon2id, 8192, 1, "legacy pass");
    let verification = PasswordHasher::new(1)
        .verify("legacy pass", &old)
        .await
        .unwrap();
    assert!(verification.valid);
    assert!(verification.needs_rehash);
}

#[tokio::test]
async fn wrong_password_against_old_hash_does_not_ask_for_rehash() {
    let old = hash_with(Algorithm::Argon2id, 8192, 1, "legacy pass");
    let verification = cheap().verify("guess", &old).await.unwrap();
    assert_eq!(verification, Verification::INVALID);
}

#[tokio::test]
async fn argon2i_hash_verifies_and_needs_rehash_to_argon2id() {
    let old = hash_with(Algorithm::Argon2i, CHEAP.memory_kib, 1, "pw");
    let verification = cheap().verify("pw", &old).await.unwrap();
    assert!(verification.valid && verification.needs_rehash);
}

#[tokio::test]
async fn stronger_stored_params_also_count_as_different() {
    let stored = hash_with(Algorithm::Argon2id, 128, 2, "pw");
    let verification = cheap().verify("pw", &stored).await.unwrap();
    assert!(verification.valid && verification.needs_rehash);
}

#[tokio::test]
async fn malformed_stored_hashes_are_invalid_not_errors() {
    let good = cheap().hash("pw").await.unwrap();
    let truncated = &good[..good.len() - 10];
    let malformed = [
        "",
        "plaintext-password",
        "$argon2id$",
        "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
        "$argon2id$v=99$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$YWJjZGVmZ2hpamtsbW5vcA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$pbkdf2-sha256$i=1000$c2FsdA$aGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1",
        truncated,
    ];
    for stored in malformed {
        let verification = cheap().verify("pw", stored).await.unwrap();
        assert_eq!(verification, Verification::INVALID, "{stored:?}");
    }
}

#[tokio::test]
async fn absurd_stored_cost_is_refused_without_computing() {
    let stored = "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$\
                  YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY";
    let started = Instant::now();
    let verification = cheap().verify("pw", stored).await.unwrap();
    assert_eq!(verification, Verification::INVALID);
    assert!(started.elapsed() < Duration::from_millis(200));
}

#[tokio::test]
async fn dummy_hash_has_the_current_owasp_cost() {
    let stored = parse_stored(OWASP_DUMMY_HASH).unwrap();
    assert!(!differs_from_current(&stored, &Params::default()));
    let hasher = PasswordHasher::new(1);
    assert_eq!(hasher.inner.dummy_hash.get().unwrap(), OWASP_DUMMY_HASH);
}

#[tokio::test]
async fn dummy_verification_runs_with_a_custom_cost_too() {
    let hasher = cheap();
    hasher.verify_dummy("anything").await;
    let dummy = hasher
        .inner
        .dummy_hash
        .get()
        .expect("prepared on first use");
    let stored = parse_stored(dummy).unwrap();
    assert!(!differs_from_current(&stored, &hasher.inner.params));
}

#[tokio::test]
async fn invalid_cost_is_an_error() {
    let cost = HashCost {
        memory_kib: 1,
        ..CHEAP
    };
    assert!(matches!(
        PasswordHasher::with_cost(1, cost),
        Err(AuthError::Hashing(_))
    ));
}

/// Runs `tasks` blocking jobs on `hasher` at once and returns the most that ran together.
async fn peak_concurrency(hasher: &PasswordHasher, tasks: usize) -> usize {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let jobs = (0..tasks).map(|_| {
        let (running, peak) = (Arc::clone(&running), Arc::clone(&peak));
        let hasher = hasher.clone();
        tokio::spawn(async move {
            hasher
                .run_blocking(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap();
        })
    });
    for job in jobs.collect::<Vec<_>>() {
        job.await.unwrap();
    }
    peak.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_permit_blocking_jobs_run_one_at_a_time() {
    let hasher = PasswordHasher::with_cost(1, CHEAP).unwrap();
    assert_eq!(peak_concurrency(&hasher, 4).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_three_permits_at_most_three_jobs_overlap() {
    let hasher = PasswordHasher::with_cost(3, CHEAP).unwrap();
    let peak = peak_concurrency(&hasher, 8).await;
    assert!((2..=3).contains(&peak), "peak {peak}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_caller_keeps_the_permit_until_the_work_ends() {
    let hasher = PasswordHasher::with_cost(1, CHEAP).unwrap();
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let job = {
        let hasher = hasher.clone();
        tokio::spawn(async move { hasher.run_blocking(move || wait.recv()).await })
    };
    while hasher.inner.permits.available_permits() != 0 {
        tokio::task::yield_now().await;
    }
    job.abort();
    let _ = job.await;
    assert_eq!(
        hasher.inner.permits.available_permits(),
        0,
        "work still running"
    );
    release.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while hasher.inner.permits.available_permits() != 1 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("permit returned once the work ended");
}

#[tokio::test(flavor = "current_thread")]
async fn hashing_does_not_block_the_async_runtime() {
    // Heavier than OWASP so that even an optimised build takes well over 10 ms.
    let cost = HashCost {
        iterations: 6,
        ..HashCost::OWASP
    };
    let hasher = PasswordHasher::with_cost(1, cost).unwrap();
    let hashing = tokio::spawn(async move {
        hasher.hash("slow to hash").await.unwrap();
        Instant::now()
    });
    let sleeping = tokio::spawn(async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        Instant::now()
    });
    let (hashed_at, slept_at) = (hashing.await.unwrap(), sleeping.await.unwrap());
    assert!(
        slept_at < hashed_at,
        "the 10 ms timer must fire while the hash is still running"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn password_strength_check_runs_off_the_async_runtime() {
    // Dense in l33t look-alikes: zxcvbn needs tens to hundreds of milliseconds for this.
    let crafted: String = "4@8({[<3&6!|1l0$5+7%2z".chars().cycle().take(100).collect();
    let hasher = cheap();
    let checking = tokio::spawn(async move {
        let _ = hasher.check_new_password(&crafted, &["a@b.c"]).await;
        Instant::now()
    });
    let sleeping = tokio::spawn(async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        Instant::now()
    });
    assert!(sleeping.await.unwrap() < checking.await.unwrap());
}

#[tokio::test]
async fn async_password_check_gives_the_same_answers() {
    let hasher = cheap();
    hasher
        .check_new_password("correct horse battery staple orbit", &["jane@example.com"])
        .await
        .unwrap();
    let weak = hasher.check_new_password("password123", &[]).await;
    assert!(matches!(weak, Err(AuthError::WeakPassword { .. })));
    let huge = "x".repeat(1 << 20);
    let long = hasher.check_new_password(&huge, &[]).await;
    assert!(matches!(long, Err(AuthError::WeakPassword { reason }) if reason.contains("at most")));
}

#[test]
fn print_a_fresh_owasp_dummy_hash_when_asked() {
    // `DUMP_DUMMY_HASH=1 cargo test -p mlx-manager-auth print_a_fresh -- --nocapture`
    // regenerates OWASP_DUMMY_HASH if the default cost ever changes.
    if std::env::var_os("DUMP_DUMMY_HASH").is_some() {
        let random = hex::encode(crate::random::random_bytes::<16>().unwrap());
        let hash = argon2id(Params::default())
            .hash_password(random.as_bytes())
            .unwrap();
        println!("{hash}");
    }
}
