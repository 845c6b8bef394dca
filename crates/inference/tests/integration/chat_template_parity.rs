//! Chat templates rendered here against Python transformers' `apply_chat_template(...,
//! tokenize=False)` on the same model directories: the fixtures' templates and well-known
//! real-world ones (ChatML/Qwen2.5 with tools, Qwen3 with thinking, Llama 3, Mistral), plus one
//! that exercises the Python-flavoured corners of Jinja. The text must be equal, and where
//! transformers raises, so must we (with the same message for `raise_exception`).

pub mod harness;
pub mod templates;

use harness::*;
use templates::*;

use mlx_manager_inference::InferenceError;
use mlx_manager_inference::text::chat_template::{ChatTemplate, RenderOptions};
use serde_json::{Map, json};

use crate::support::fixture;

#[test]
fn fixture_templates_render_as_transformers() {
    let mut cases = Vec::new();
    for name in FIXTURES {
        cases.extend(standard_cases(&fixture(name), &Map::new()));
    }
    assert_eq!(assert_parity(&cases), 0);
}

#[test]
fn qwen25_chatml_template_renders_as_transformers_with_and_without_tools() {
    let model = model_with_template(QWEN25_TEMPLATE, None, Some("<|im_end|>"));
    let model = model.path();
    let mut cases = standard_cases(model, &Map::new());
    for messages in conversations() {
        cases.push(Case::new(
            model,
            messages,
            options(true, Some(tools()), json!({})),
        ));
    }
    let tool_turns = vec![
        msg("user", "Weather in Zürich?"),
        msg("assistant", "Let me check."),
        msg("tool", "{\"temperature\": 21.5}"),
        msg("tool", "sunny"),
        msg("user", "Thanks!"),
    ];
    cases.push(Case::new(
        model,
        tool_turns.clone(),
        options(true, Some(tools()), json!({})),
    ));
    cases.push(Case::new(
        model,
        tool_turns,
        options(false, None, json!({})),
    ));
    // An empty list of tools is no tools.
    cases.push(Case::new(
        model,
        conversations()[0].clone(),
        options(true, Some(json!([])), json!({})),
    ));
    assert_eq!(assert_parity(&cases), 0);
    assert!(ChatTemplate::load(model).unwrap().unwrap().supports_tools());
}

#[test]
fn qwen3_template_renders_thinking_as_transformers() {
    let model = model_with_template(QWEN3_TEMPLATE, None, Some("<|im_end|>"));
    let model = model.path();
    let mut cases = standard_cases(model, &Map::new());
    cases.extend(standard_cases(
        model,
        json!({"enable_thinking": false}).as_object().unwrap(),
    ));
    let thinking = vec![
        msg("system", "Think first."),
        msg("user", "What is 2+2?"),
        msg("assistant", "<think>\nTwo and two.\n</think>\n\n4"),
        msg("user", "Why?"),
        msg("assistant", "<think>\nBecause.\n</think>\n\nArithmetic."),
    ];
    for enable_thinking in [true, false] {
        let extra = json!({ "enable_thinking": enable_thinking });
        cases.push(Case::new(
            model,
            thinking.clone(),
            options(false, None, extra.clone()),
        ));
        cases.push(Case::new(
            model,
            thinking[..4].to_vec(),
            options(true, None, extra),
        ));
    }
    cases.push(Case::new(
        model,
        thinking,
        options(true, Some(tools()), json!({})),
    ));
    assert_eq!(assert_parity(&cases), 0);
}

#[test]
fn llama3_template_renders_as_transformers() {
    let model = model_with_template(
        LLAMA3_TEMPLATE,
        Some("<|begin_of_text|>"),
        Some("<|eot_id|>"),
    );
    let model = model.path();
    // Today's date through strftime_now, and a fixed one through `date_string`.
    let mut cases = standard_cases(model, &Map::new());
    cases.extend(standard_cases(
        model,
        json!({"date_string": "01 Feb 2025"}).as_object().unwrap(),
    ));
    for messages in conversations() {
        let extra = json!({"date_string": "01 Feb 2025"});
        cases.push(Case::new(
            model,
            messages.clone(),
            options(true, Some(tools()), extra),
        ));
        let extra = json!({"tools_in_user_message": false});
        cases.push(Case::new(
            model,
            messages,
            options(true, Some(tools()), extra),
        ));
    }
    // A tool result is a string, which Jinja finds iterable, so it goes through tojson.
    let tool_turns = vec![
        msg("user", "Weather?"),
        msg("assistant", "Checking."),
        msg("tool", "{\"temp\": \"21 °C\"}"),
    ];
    cases.push(Case::new(model, tool_turns, options(true, None, json!({}))));
    // Unknown roles raise.
    let bad_role = vec![msg("user", "Hi"), msg("robot", "Beep")];
    cases.push(Case::new(model, bad_role, options(true, None, json!({}))));
    // Tools with only a system message: "no first user message".
    let system_only = vec![msg("system", "Alone.")];
    cases.push(Case::new(
        model,
        system_only,
        options(true, Some(tools()), json!({})),
    ));
    assert_eq!(assert_parity(&cases), 2);
}

#[test]
fn mistral_templates_render_as_transformers_and_raise_on_bad_roles() {
    for source in [MISTRAL_TEMPLATE, MISTRAL_V1_TEMPLATE] {
        let model = model_with_template(source, Some("<s>"), Some("</s>"));
        let model = model.path();
        let mut cases = standard_cases(model, &Map::new());
        let bad = [
            vec![msg("user", "a"), msg("user", "b")],
            vec![msg("assistant", "first")],
            vec![msg("user", "a"), msg("assistant", "b"), msg("tool", "c")],
            vec![
                msg("system", "s"),
                msg("user", "a"),
                msg("assistant", "b"),
                msg("assistant", "c"),
            ],
        ];
        for messages in bad {
            cases.push(Case::new(model, messages, options(false, None, json!({}))));
        }
        // The v0.3 template takes a leading system message; v0.1 raises on it (4 cases of 8).
        let expected_errors = if source == MISTRAL_TEMPLATE { 4 } else { 4 + 4 };
        assert_eq!(assert_parity(&cases), expected_errors);
    }
}

#[test]
fn python_flavoured_jinja_renders_as_transformers() {
    let model = model_with_template(PYTHONIC_TEMPLATE, Some("<s>"), Some("</s>"));
    let model = model.path();
    let settings = json!({
        "settings": {
            "flag": true,
            "n": 3,
            "ratio": 0.25,
            "name": "héllo \"world\" it's",
            "nested": {"list": [1, 2.5, null, "🌍"], "empty": {}, "none": null},
        }
    });
    let mut cases = standard_cases(model, settings.as_object().unwrap());
    let messages = vec![
        msg("user", "Hi there, how are you?"),
        msg("skip", "not shown"),
        msg("assistant", "  Good!  "),
        msg("user", "Hello world out there!"),
    ];
    cases.push(Case::new(model, messages, options(true, None, settings)));
    assert_eq!(assert_parity(&cases), 0);
}

#[test]
fn strftime_now_matches_transformers() {
    let template = "{{ strftime_now('%d %b %B %Y %m %H:%M %a %A %j %y') }}|{{ strftime_now('%e %p %I %%') }}|{{ strftime_now('%z%Z') }}";
    let model = model_with_template(template, None, None);
    let cases = vec![Case::new(
        model.path(),
        vec![msg("user", "What day is it?")],
        RenderOptions::default(),
    )];
    assert_eq!(assert_parity(&cases), 0);
}

#[test]
fn raise_exception_is_an_error_with_its_message() {
    let template =
        ChatTemplate::from_source(MISTRAL_V1_TEMPLATE, Some("<s>".into()), Some("</s>".into()))
            .unwrap();
    let error = template
        .render(
            &[msg("user", "a"), msg("user", "b")],
            &RenderOptions::default(),
        )
        .unwrap_err();
    match &error {
        InferenceError::ChatTemplate(message) => assert_eq!(
            message,
            "Conversation roles must alternate user/assistant/user/assistant/..."
        ),
        other => panic!("expected a chat template error, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "chat template: Conversation roles must alternate user/assistant/user/assistant/..."
    );
}

#[test]
fn a_model_without_a_template_has_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(ChatTemplate::load(dir.path()).unwrap().is_none());
    std::fs::copy(
        fixture("tiny-llama").join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("tokenizer_config.json"),
        json!({"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "</s>"}).to_string(),
    )
    .unwrap();
    assert!(ChatTemplate::load(dir.path()).unwrap().is_none());
    // transformers refuses to render without one.
    let case = Case::new(
        dir.path(),
        vec![msg("user", "Hi")],
        RenderOptions::default(),
    );
    assert!(reference(&[case])[0].is_err());
}

#[test]
fn a_malformed_template_is_a_clear_error() {
    let source = "{% for message in messages %}{{ message.content }";
    let model = model_with_template(source, None, None);
    let error = ChatTemplate::load(model.path()).unwrap_err();
    let InferenceError::ChatTemplate(message) = &error else {
        panic!("expected a chat template error, got {error:?}");
    };
    assert!(message.contains("invalid"), "{message}");
    assert!(message.contains("syntax error"), "{message}");
    // transformers fails on it too.
    let case = Case::new(
        model.path(),
        vec![msg("user", "Hi")],
        RenderOptions::default(),
    );
    assert!(reference(&[case])[0].is_err());

    let unclosed = ChatTemplate::from_source("{% if messages %}open", None, None).unwrap_err();
    assert!(unclosed.to_string().contains("chat template"), "{unclosed}");
}
