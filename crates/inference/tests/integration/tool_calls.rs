//! Tool calls on real templates: a conversation whose assistant turn made calls renders as
//! transformers renders it (so tool loops reach the model as it was trained), and the text
//! that turn is — what the model writes when it calls tools — parses back into the same calls,
//! however the text is split into streamed pieces.

use mlx_manager_inference::text::chat_template::{ChatMessage, ChatTemplate, MessageToolCall};
use mlx_manager_inference::text::reasoning::{Part, ReasoningSplitter};
use mlx_manager_inference::text::tool_calls::{ToolCallParser, ToolFormat, ToolPart};
use serde_json::{Value, json};

use crate::chat_template_parity::harness::{
    Case, assert_parity, model_with_template, msg, options, tools,
};
use crate::chat_template_parity::templates::{
    LLAMA3_TEMPLATE, MISTRAL_V3_TOOLS_TEMPLATE, QWEN3_TEMPLATE, QWEN25_TEMPLATE,
};

struct Family {
    template: &'static str,
    bos: Option<&'static str>,
    eos: &'static str,
    /// What ends an assistant turn in the rendered text after the model's own words.
    end_of_turn: &'static str,
    format: ToolFormat,
    /// The template writes the turn's thinking before the calls.
    reasons: bool,
    parallel: bool,
}

const FAMILIES: [Family; 4] = [
    Family {
        template: QWEN25_TEMPLATE,
        bos: None,
        eos: "<|im_end|>",
        end_of_turn: "<|im_end|>\n",
        format: ToolFormat::HermesJson,
        reasons: false,
        parallel: true,
    },
    Family {
        template: QWEN3_TEMPLATE,
        bos: None,
        eos: "<|im_end|>",
        end_of_turn: "<|im_end|>\n",
        format: ToolFormat::HermesJson,
        reasons: true,
        parallel: true,
    },
    Family {
        template: LLAMA3_TEMPLATE,
        bos: Some("<|begin_of_text|>"),
        eos: "<|eot_id|>",
        end_of_turn: "<|eot_id|>",
        format: ToolFormat::Llama3Json,
        reasons: false,
        parallel: false,
    },
    Family {
        template: MISTRAL_V3_TOOLS_TEMPLATE,
        bos: Some("<s>"),
        eos: "</s>",
        end_of_turn: "</s>",
        format: ToolFormat::Mistral,
        reasons: false,
        parallel: true,
    },
];

fn calls(parallel: bool) -> Vec<MessageToolCall> {
    let mut calls = vec![MessageToolCall::function(
        "abc123def",
        "get_weather",
        json!({"city": "Zürich", "days": 2}),
    )];
    if parallel {
        calls.push(MessageToolCall::function("xyz789ghi", "now", json!({})));
    }
    calls
}

fn calling_turn(parallel: bool, reasoning: Option<&str>) -> ChatMessage {
    let mut turn = ChatMessage::new("assistant", "");
    turn.tool_calls = Some(calls(parallel));
    turn.reasoning_content = reasoning.map(str::to_string);
    turn
}

fn tool_result(id: &str, content: &str) -> ChatMessage {
    let mut result = ChatMessage::new("tool", content);
    result.tool_call_id = Some(id.into());
    result
}

/// The model's output as the engine splits it: thinking out first, then calls from the answer.
fn parse(format: ToolFormat, reasons: bool, text: &str, piece: usize) -> (String, Vec<ToolPart>) {
    let mut splitter = ReasoningSplitter::new(false);
    let mut parser = ToolCallParser::new(format);
    let (mut reasoning, mut parts) = (String::new(), Vec::new());
    let chars: Vec<char> = text.chars().collect();
    let mut pieces: Vec<Part> = Vec::new();
    for chunk in chars.chunks(piece) {
        let chunk: String = chunk.iter().collect();
        match reasons {
            true => pieces.extend(splitter.push(&chunk)),
            false => pieces.push(Part::Answer(chunk)),
        }
    }
    pieces.extend(splitter.finish());
    for part in pieces {
        match part {
            Part::Reasoning(text) => reasoning.push_str(&text),
            Part::Answer(text) => parts.extend(parser.push(&text)),
        }
    }
    parts.extend(parser.finish());
    (reasoning, parts)
}

#[test]
fn tool_loops_render_as_transformers_on_qwen_llama_and_mistral_templates() {
    for family in &FAMILIES {
        let model = model_with_template(family.template, family.bos, Some(family.eos));
        let model = model.path();
        let mut loop_turns = vec![
            msg("user", "Weather in Zürich, and the time?"),
            calling_turn(family.parallel, family.reasons.then_some("Two tools.")),
            tool_result("abc123def", "{\"temperature\": 21.5}"),
        ];
        if family.parallel {
            loop_turns.push(tool_result("xyz789ghi", "12:00"));
        }
        let extra = json!({"date_string": "01 Feb 2025"});
        let cases = vec![
            Case::new(
                model,
                loop_turns.clone(),
                options(true, Some(tools()), extra.clone()),
            ),
            Case::new(
                model,
                loop_turns[..2].to_vec(),
                options(false, Some(tools()), extra),
            ),
        ];
        assert_eq!(assert_parity(&cases), 0, "{}", family.eos);
    }
}

#[test]
fn what_a_calling_turn_writes_parses_back_into_its_calls_in_any_pieces() {
    for family in &FAMILIES {
        let model = model_with_template(family.template, family.bos, Some(family.eos));
        let template = ChatTemplate::load(model.path()).unwrap().unwrap();
        assert_eq!(template.tool_format(), Some(family.format), "{template:?}");
        let render = |messages: &[ChatMessage], add_generation_prompt: bool| {
            let extra = json!({"date_string": "01 Feb 2025"});
            template
                .render(
                    messages,
                    &options(add_generation_prompt, Some(tools()), extra),
                )
                .unwrap()
        };
        let question = msg("user", "Weather in Zürich, and the time?");
        let prompt = render(std::slice::from_ref(&question), true);
        let reasoning = family.reasons.then_some("Two tools.");
        let whole = render(&[question, calling_turn(family.parallel, reasoning)], false);
        let written = whole
            .strip_prefix(prompt.as_str())
            .and_then(|turn| turn.strip_suffix(family.end_of_turn))
            .unwrap_or_else(|| panic!("the turn follows the prompt: {whole:?}"));
        for piece in [usize::MAX, 1, 3, 8] {
            let (thought, parts) = parse(family.format, family.reasons, written, piece);
            let parsed: Vec<(String, Value)> = parts
                .iter()
                .map(|part| match part {
                    ToolPart::Call(call) => (
                        call.name.clone(),
                        serde_json::from_str(&call.arguments).unwrap(),
                    ),
                    ToolPart::Text(text) => panic!("text {text:?} in {written:?}"),
                })
                .collect();
            let expected: Vec<(String, Value)> = calls(family.parallel)
                .into_iter()
                .map(|call| (call.function.name, call.function.arguments))
                .collect();
            assert_eq!(parsed, expected, "{written:?} in pieces of {piece}");
            assert_eq!(thought.trim(), reasoning.unwrap_or_default());
        }
    }
}
