//! Continuous batching through a model worker: requests that join and leave a running batch
//! (and some cancelled on the way) answer exactly as they do alone, seeded sampling included;
//! the batch bound holds.

use std::time::{Duration, Instant};

use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{GenerationEvent, GenerationRequest, ModelWorker, Prompt};

use crate::support::{Outcome, collect, collect_noting_start, greedy_request, load};

const PROMPTS: [&str; 5] = [
    "The capital of France is",
    "Write a short poem about the sea.",
    "List the planets of the solar system in order from the sun, with one fact about each, \
     and then explain which of them could hold liquid water and why that matters for life.",
    "def fibonacci(n):",
    "Once upon a time, in a small village at the edge of a dark forest, there lived",
];

/// Request `i` of the mixed load: prompts of 5 to 40 tokens, 1 to 31 new tokens; every fourth
/// one samples with its own seed (seeded requests batch too).
fn mixed_request(i: usize) -> GenerationRequest {
    let mut request = greedy_request(Prompt::Text(PROMPTS[i % 5].into()), 1 + (i * 7) % 31);
    if i % 4 == 3 {
        request.sampling = SamplingParams {
            temperature: 0.8,
            top_p: 0.95,
            seed: Some(i as u64),
            ..SamplingParams::default()
        };
    }
    request
}

/// A small deterministic generator, so a failure replays.
fn pseudo_random(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// When a request ran: from its `Started` event to its end.
#[derive(Clone, Copy)]
struct Span {
    from: Instant,
    to: Instant,
}

fn most_at_once(spans: &[Span]) -> usize {
    spans
        .iter()
        .map(|s| {
            spans
                .iter()
                .filter(|o| o.from <= s.from && s.from < o.to)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Runs `request` until it finishes, or drops its stream after `cancel_after` tokens.
fn run(
    worker: &ModelWorker,
    request: GenerationRequest,
    cancel_after: Option<usize>,
) -> (Option<Outcome>, Span) {
    let mut events = worker.generate(request);
    let mut from = None;
    let Some(cancel_after) = cancel_after else {
        let outcome = collect_noting_start(events, || from = Some(Instant::now()));
        let span = Span {
            from: from.expect("started"),
            to: Instant::now(),
        };
        return (Some(outcome.expect("an answer")), span);
    };
    let mut tokens = 0;
    while let Some(event) = events.blocking_recv() {
        match event.expect("no error") {
            GenerationEvent::Started { .. } => from = Some(Instant::now()),
            GenerationEvent::Delta { .. } => tokens += 1,
            GenerationEvent::Finished { .. } => break,
            _ => {}
        }
        if tokens >= cancel_after {
            break;
        }
    }
    let span = Span {
        from: from.expect("started"),
        to: Instant::now(),
    };
    (None, span)
}

/// `window`: arrivals spread over it, short enough that requests overlap on this model.
fn answer_alone_and_in_a_changing_batch(fixture: &str, window: Duration) {
    let alone = load(fixture);
    alone.set_max_batch_size(1);
    alone.set_prompt_cache_limit(0);
    let solo: Vec<Outcome> = (0..20)
        .map(|i| run(&alone, mixed_request(i), None).0.expect("finished"))
        .collect();
    drop(alone);

    let batched = load(fixture);
    let mut seed = 17;
    // Four requests cancelled after a few tokens.
    let plan: Vec<(Duration, Option<usize>)> = (0..20)
        .map(|i| {
            let delay = window.mul_f64((pseudo_random(&mut seed) % 1000) as f64 / 1000.0);
            let cancel = [2, 7, 11, 16].contains(&i).then(|| 1 + i % 3);
            (delay, cancel)
        })
        .collect();
    let results: Vec<(Option<Outcome>, Span)> = std::thread::scope(|scope| {
        let runs: Vec<_> = plan
            .iter()
            .enumerate()
            .map(|(i, &(delay, cancel))| {
                let batched = &batched;
                scope.spawn(move || {
                    std::thread::sleep(delay);
                    run(batched, mixed_request(i), cancel)
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });

    let spans: Vec<Span> = results.iter().map(|(_, span)| *span).collect();
    assert!(
        most_at_once(&spans) >= 4,
        "{fixture}: the requests never ran together (at most {} at once)",
        most_at_once(&spans)
    );
    let (mut same, mut total) = (0usize, 0usize);
    for (i, ((outcome, _), solo)) in results.iter().zip(&solo).enumerate() {
        let Some(outcome) = outcome else { continue };
        let agreeing = outcome
            .tokens
            .iter()
            .zip(&solo.tokens)
            .take_while(|(a, b)| a == b)
            .count();
        same += agreeing;
        total += solo.tokens.len().max(outcome.tokens.len());
        assert_eq!(
            outcome.reason, solo.reason,
            "{fixture}: request {i}'s finish"
        );
        if outcome.tokens == solo.tokens {
            assert_eq!(outcome.text, solo.text, "{fixture}: request {i}'s text");
        }
    }
    // Rows of a batched product may round differently from a matrix–vector product; a token
    // that flips changes everything after it, so agreement counts the common start.
    let agreement = same as f64 / total as f64;
    eprintln!(
        "{fixture}: {same}/{total} tokens as alone ({:.2}%)",
        agreement * 100.0
    );
    assert!(
        agreement >= 0.99,
        "{fixture}: only {:.2}% of tokens as alone",
        agreement * 100.0
    );
}

#[test]
fn requests_joining_and_leaving_a_batch_answer_as_alone_on_smollm2() {
    answer_alone_and_in_a_changing_batch("smollm2-135m-f32", Duration::from_secs(1));
}

#[test]
fn requests_joining_and_leaving_a_batch_answer_as_alone_on_a_4_bit_model() {
    answer_alone_and_in_a_changing_batch("tiny-qwen3-4bit", Duration::from_millis(40));
}

#[test]
fn cancelling_one_request_leaves_the_others_streams_intact() {
    let worker = load("smollm2-135m-f32");
    let request = |i: usize| greedy_request(Prompt::Text(PROMPTS[i].into()), 24);
    let alone: Vec<Outcome> = (0..3)
        .map(|i| collect(worker.generate(request(i))).unwrap())
        .collect();

    let mut streams: Vec<_> = (0..3).map(|i| worker.generate(request(i))).collect();
    let mut middle = streams.remove(1);
    let mut seen = 0;
    while let Some(event) = middle.blocking_recv() {
        if let GenerationEvent::Delta { .. } = event.unwrap() {
            seen += 1;
            if seen == 3 {
                break;
            }
        }
    }
    drop(middle);
    let last = streams.pop().unwrap();
    let first = streams.pop().unwrap();
    let first = collect(first).unwrap();
    let last = collect(last).unwrap();
    assert_eq!(first.tokens, alone[0].tokens);
    assert_eq!(last.tokens, alone[2].tokens);
    assert_eq!(first.text, alone[0].text);
    assert_eq!(last.text, alone[2].text);
}

/// The most keys and values `requests` greedy requests (prompt under 256 tokens, 64 new ones)
/// held at once while they ran: with no prompt cache, each holds one 256-token step of cache,
/// so this counts the requests running together.
fn most_held_by(worker: &ModelWorker, requests: usize) -> u64 {
    let running = worker.running_kv_counter();
    let streams: Vec<_> = (0..requests)
        .map(|i| worker.generate(greedy_request(Prompt::Text(PROMPTS[i % 5].into()), 64)))
        .collect();
    std::thread::scope(|scope| {
        let readers: Vec<_> = streams
            .into_iter()
            .map(|events| scope.spawn(move || collect(events).unwrap()))
            .collect();
        let mut most = 0;
        while !readers.iter().all(|r| r.is_finished()) {
            most = most.max(running.load(std::sync::atomic::Ordering::Relaxed));
            std::thread::sleep(Duration::from_micros(200));
        }
        most
    })
}

/// tiny-qwen3 without a prompt cache, and what one request holds.
fn uncached_tiny_model() -> (ModelWorker, u64) {
    let worker = load("tiny-qwen3");
    worker.set_prompt_cache_limit(0);
    let one_request = 256 * worker.facts.kv_cache_bytes_per_token;
    (worker, one_request)
}

#[test]
fn no_more_requests_run_together_than_the_batch_bound() {
    let (worker, one_request) = uncached_tiny_model();
    worker.set_max_batch_size(2);
    assert!(most_held_by(&worker, 6) <= 2 * one_request);
    worker.set_max_batch_size(8);
    assert!(most_held_by(&worker, 6) >= 4 * one_request);
}

#[test]
fn requests_wait_to_join_while_the_running_ones_fill_the_models_memory_room() {
    let (worker, one_request) = uncached_tiny_model();
    // Room for one request's keys and values: one at a time, every one still served.
    worker.set_memory_room(1);
    assert_eq!(most_held_by(&worker, 4), one_request);
    worker.set_memory_room(u64::MAX);
    assert!(most_held_by(&worker, 4) >= 3 * one_request);
}
