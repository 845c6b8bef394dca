//! A reasoning model's `<think>` block through the real engine: split out as reasoning events
//! when the request asks, from the first token when the prompt opened the block
//! (`tiny-qwen3-think` has the tags as tokens and a template that opens one).

use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{GenerationEvent, GenerationRequest, ModelWorker, Prompt};

use crate::support::load;

/// (reasoning events, answer events) of a greedy generation of `prompt`.
fn kinds(model: &ModelWorker, prompt: &str, split_reasoning: bool) -> (usize, usize) {
    let mut events = model.generate(GenerationRequest {
        prompt: Prompt::Text(prompt.into()),
        max_tokens: 12,
        sampling: SamplingParams::default(),
        stop: Vec::new(),
        split_reasoning,
        parse_tool_calls: false,
        logprobs: None,
    });
    let (mut reasoning, mut answer) = (0, 0);
    while let Some(event) = events.blocking_recv() {
        match event.unwrap() {
            GenerationEvent::Reasoning { .. } => reasoning += 1,
            GenerationEvent::Delta { .. } => answer += 1,
            GenerationEvent::Started { .. } => {}
            GenerationEvent::ToolCall(call) => panic!("no tools were offered: {call:?}"),
            GenerationEvent::Logprob(score) => panic!("no scores were asked for: {score:?}"),
            GenerationEvent::Finished { stats, .. } => assert_eq!(stats.generated_tokens, 12),
        }
    }
    (reasoning, answer)
}

#[test]
fn output_after_an_opened_think_block_is_reasoning_and_after_a_closed_one_the_answer() {
    let model = load("tiny-qwen3-think");
    let (reasoning, answer) = kinds(&model, "Hi<think>\n", true);
    assert!(
        reasoning >= 1,
        "the prompt opened the block: {reasoning} reasoning, {answer} answer"
    );
    let (reasoning, answer) = kinds(&model, "Hi<think>\n\n</think>\n\n", true);
    assert_eq!(reasoning, 0, "thinking was closed by the prompt");
    assert!(answer >= 1);
    let (reasoning, _) = kinds(&model, "Hi<think>\n", false);
    assert_eq!(reasoning, 0, "unsplit, thinking is plain text");
}
