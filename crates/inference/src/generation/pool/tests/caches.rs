//! Models' caches (their prompt caches) in the pool's memory: counted, bounded by the model's
//! admitted need, and given up before any model is evicted.

use super::*;

fn needing(name: &str, need_bytes: u64) -> LoadSpec {
    LoadSpec {
        need_bytes,
        ..spec(name)
    }
}

#[tokio::test]
async fn a_models_cache_may_fill_the_rest_of_its_need_and_counts_in_its_memory() {
    let pool = ModelPool::new(FakeLoader::default(), limits(1000));
    // The fake load takes 50 bytes; the pool admitted 80.
    drop(pool.acquire(needing("a", 80)).await.unwrap());
    let cache = pool.loader().caches.lock().unwrap()["a"].clone();
    assert_eq!(cache.load(Ordering::SeqCst), 30, "the bound given: 80 - 50");
    assert_eq!(pool.status("a").unwrap().memory_bytes, 80);
    assert_eq!(pool.snapshot().used_bytes, 80);
    cache.store(10, Ordering::SeqCst);
    assert_eq!(pool.status("a").unwrap().memory_bytes, 60, "counted live");
}

#[tokio::test]
async fn a_load_that_does_not_fit_takes_idle_caches_before_any_model() {
    let pool = ModelPool::new(FakeLoader::default(), limits(150));
    drop(pool.acquire(needing("a", 80)).await.unwrap());
    // a holds 80 (50 + a full cache of 30); b needs 80 of the 150: a's cache goes, a stays.
    drop(pool.acquire(needing("b", 80)).await.unwrap());
    assert_eq!(keys(&pool), ["a", "b"]);
    assert!(pool.loader().dropped.lock().unwrap().is_empty());
    assert_eq!(*pool.loader().released.lock().unwrap(), ["a"]);
    assert_eq!(pool.status("a").unwrap().memory_bytes, 50);
}

#[tokio::test]
async fn caches_are_left_alone_when_the_load_fits() {
    let pool = ModelPool::new(FakeLoader::default(), limits(1000));
    drop(pool.acquire(needing("a", 80)).await.unwrap());
    drop(pool.acquire(needing("b", 80)).await.unwrap());
    assert!(pool.loader().released.lock().unwrap().is_empty());
    assert_eq!(pool.status("a").unwrap().memory_bytes, 80);
}

#[tokio::test]
async fn host_memory_beyond_the_tensors_counts_without_shrinking_the_cache_bound() {
    let loader = FakeLoader {
        host_bytes: 20,
        ..FakeLoader::default()
    };
    let pool = ModelPool::new(loader, limits(1000));
    drop(pool.acquire(needing("a", 80)).await.unwrap());
    let cache = pool.loader().caches.lock().unwrap()["a"].clone();
    assert_eq!(
        cache.load(Ordering::SeqCst),
        30,
        "the bound: 80 - 50 tensor bytes"
    );
    assert_eq!(pool.status("a").unwrap().memory_bytes, 50 + 20 + 30);
}
