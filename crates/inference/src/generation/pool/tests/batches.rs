//! Requests that run together on one model: as many as the batch size (the others queue), a
//! resize that takes effect for requests running at the time, and their keys and values
//! counted in the model's memory.

use super::*;

fn batched(size: usize) -> PoolLimits {
    PoolLimits {
        max_batch_size: size,
        ..limits(1000)
    }
}

/// Whether a request for `name` gets its turn within a short wait.
async fn gets_a_turn(
    pool: &ModelPool<FakeLoader>,
    name: &str,
) -> Option<Lease<fake_loader::FakeModel>> {
    tokio::time::timeout(Duration::from_millis(200), pool.acquire(spec(name)))
        .await
        .ok()
        .map(|lease| lease.expect("a turn"))
}

#[tokio::test]
async fn a_model_runs_as_many_requests_as_its_batch_size_and_queues_the_rest() {
    let pool = ModelPool::new(FakeLoader::default(), batched(3));
    let mut running = Vec::new();
    for _ in 0..3 {
        running.push(gets_a_turn(&pool, "m").await.expect("room in the batch"));
    }
    assert_eq!(pool.loader().batch_sizes.lock().unwrap()["m"], 3);
    assert_eq!(pool.status("m").unwrap().running, 3);
    assert!(
        gets_a_turn(&pool, "m").await.is_none(),
        "a fourth must wait"
    );
    running.pop();
    assert!(gets_a_turn(&pool, "m").await.is_some(), "a turn came free");
}

#[tokio::test]
async fn a_smaller_batch_size_applies_as_running_requests_end() {
    let pool = ModelPool::new(FakeLoader::default(), batched(3));
    let mut running = Vec::new();
    for _ in 0..3 {
        running.push(gets_a_turn(&pool, "m").await.unwrap());
    }
    pool.set_limits(batched(1));
    assert_eq!(pool.loader().batch_sizes.lock().unwrap()["m"], 1);
    running.pop();
    running.pop();
    assert!(
        gets_a_turn(&pool, "m").await.is_none(),
        "one still runs: the batch is full"
    );
    running.pop();
    let only = gets_a_turn(&pool, "m").await.expect("the batch is empty");
    assert!(gets_a_turn(&pool, "m").await.is_none(), "a batch of one");
    drop(only);
    pool.set_limits(batched(2));
    let _first = gets_a_turn(&pool, "m").await.unwrap();
    assert!(gets_a_turn(&pool, "m").await.is_some(), "grown to two");
}

#[tokio::test]
async fn running_requests_keys_and_values_count_in_the_models_memory() {
    let pool = ModelPool::new(FakeLoader::default(), batched(4));
    drop(pool.acquire(spec("m")).await.unwrap());
    let running = pool.loader().running.lock().unwrap()["m"].clone();
    let before = pool.status("m").unwrap().memory_bytes;
    running.store(25, Ordering::SeqCst);
    assert_eq!(pool.status("m").unwrap().memory_bytes, before + 25);
    assert_eq!(pool.snapshot().used_bytes, before + 25);
}
