//! The prompt cache through a model worker: follow-up turns and shared system prompts reuse
//! what was computed before, answers are exactly those computed without it, edited histories
//! and other system prompts miss, and a small bound evicts.

use mlx_manager_inference::generation::{ModelWorker, Prompt};
use mlx_manager_inference::text::chat_template::ChatMessage;

use crate::support::{Outcome, chat_request, collect, load};

fn ask(worker: &ModelWorker, messages: &[ChatMessage], max_tokens: usize) -> Outcome {
    collect(worker.generate(chat_request(messages, max_tokens))).expect("an answer")
}

const SYSTEM: &str = "You are a concise geography tutor. Answer in one short sentence.";

#[test]
fn a_four_turn_chat_reuses_each_earlier_turn_and_answers_exactly_as_without_the_cache() {
    let cached = load("smollm2-135m-f32");
    let uncached = load("smollm2-135m-f32");
    uncached.set_prompt_cache_limit(0);
    let questions = [
        "What is the capital of France?",
        "And of Italy?",
        "Which of the two cities is larger?",
        "Name a river that flows through the first one.",
    ];
    let mut history = vec![ChatMessage::new("system", SYSTEM)];
    let mut previous_prompt = 0;
    for (turn, question) in questions.iter().enumerate() {
        history.push(ChatMessage::new("user", *question));
        let with = ask(&cached, &history, 16);
        let without = ask(&uncached, &history, 16);
        assert_eq!(with.tokens, without.tokens, "turn {}", turn + 1);
        assert_eq!(without.stats.cached_tokens, 0);
        assert_eq!(with.stats.prompt_tokens, without.stats.prompt_tokens);
        match turn {
            // The system prompt is new on the first turn: nothing to reuse yet.
            0 => assert_eq!(with.stats.cached_tokens, 0),
            // Every later turn starts with the whole earlier prompt (and usually its answer).
            _ => assert!(
                with.stats.cached_tokens >= previous_prompt,
                "turn {}: {} cached of {}, the previous prompt had {previous_prompt}",
                turn + 1,
                with.stats.cached_tokens,
                with.stats.prompt_tokens
            ),
        }
        previous_prompt = with.stats.prompt_tokens;
        history.push(ChatMessage::new("assistant", with.text));
    }
    assert!(cached.prompt_cache_bytes() > 0);
    assert_eq!(uncached.prompt_cache_bytes(), 0);
}

/// Tokens of the system message alone, as the chat template renders it.
fn system_tokens(worker: &ModelWorker, system: &str) -> usize {
    let mut probe = chat_request(&[ChatMessage::new("system", system)], 1);
    if let Prompt::Chat { options, .. } = &mut probe.prompt {
        options.add_generation_prompt = false;
    }
    let Prompt::Chat { messages, options } = probe.prompt else {
        unreachable!("a chat")
    };
    mlx_manager_inference::generation::count_prompt_tokens(
        &worker.dir,
        &Prompt::Chat { messages, options },
    )
    .expect("a count")
}

#[test]
fn chats_with_the_same_system_prompt_share_it_and_other_prompts_or_edited_histories_miss() {
    let worker = load("tiny-qwen3");
    let system = system_tokens(&worker, SYSTEM);
    let first = [
        ChatMessage::new("system", SYSTEM),
        ChatMessage::new("user", "Where is Lyon?"),
    ];
    let first = ask(&worker, &first, 4);
    assert_eq!(first.stats.cached_tokens, 0);

    // Another user's chat with the same system prompt reads exactly the system prompt.
    let other_chat = [
        ChatMessage::new("system", SYSTEM),
        ChatMessage::new("user", "How high is Mont Blanc?"),
    ];
    let shared = ask(&worker, &other_chat, 4);
    assert!(
        shared.stats.cached_tokens >= system
            && shared.stats.cached_tokens < shared.stats.prompt_tokens,
        "{} cached, the system prompt is {system} tokens",
        shared.stats.cached_tokens
    );

    // A different system prompt shares at most the template's opening tokens.
    let other_system = [
        ChatMessage::new("system", "You are a pirate. Answer in rhymes."),
        ChatMessage::new("user", "Where is Lyon?"),
    ];
    let missed = ask(&worker, &other_system, 4);
    assert!(
        missed.stats.cached_tokens < system / 2,
        "{} cached",
        missed.stats.cached_tokens
    );

    // A follow-up whose earlier message was edited: it reuses the system prompt and the
    // tokens before the edit, not the first chat's prompt (which it would hold whole).
    let edited = [
        ChatMessage::new("system", SYSTEM),
        ChatMessage::new("user", "Where is Marseille?"),
        ChatMessage::new("assistant", "In the south of France."),
        ChatMessage::new("user", "Is it on the coast?"),
    ];
    let edited = ask(&worker, &edited, 4);
    assert!(
        edited.stats.cached_tokens >= system
            && edited.stats.cached_tokens < first.stats.prompt_tokens,
        "{} cached, the system prompt is {system} tokens, the first chat's prompt {}",
        edited.stats.cached_tokens,
        first.stats.prompt_tokens
    );
}

#[test]
fn a_small_bound_evicts_the_least_recently_used_and_never_holds_more() {
    let worker = load("tiny-qwen3");
    let question = |n: usize| {
        [ChatMessage::new(
            "user",
            format!("Question number {n}: what comes after {n}?"),
        )]
    };
    ask(&worker, &question(0), 2);
    let one_chat = worker.prompt_cache_bytes();
    assert!(one_chat > 0);
    worker.set_prompt_cache_limit(one_chat * 2);
    for n in 1..6 {
        ask(&worker, &question(n), 2);
        assert!(worker.prompt_cache_bytes() <= one_chat * 2);
    }
    // The first chat was evicted long ago: asking it again reuses only the opening all the
    // questions share, not its whole prompt (which a kept entry would give, less one token).
    let again = ask(&worker, &question(0), 2);
    assert!(
        again.stats.cached_tokens < again.stats.prompt_tokens - 2,
        "{} of {} cached",
        again.stats.cached_tokens,
        again.stats.prompt_tokens
    );
    worker.clear_prompt_cache();
    assert_eq!(worker.prompt_cache_bytes(), 0);
}
