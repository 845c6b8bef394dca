use super::*;

/// Feeds `text` to a parser in pieces of `size` characters; returns the parts, adjacent text
/// joined, and call ids blanked (they are random).
fn parse_in_pieces(format: ToolFormat, text: &str, size: usize) -> Vec<ToolPart> {
    let mut parser = ToolCallParser::new(format);
    let chars: Vec<char> = text.chars().collect();
    let mut parts: Vec<ToolPart> = chars
        .chunks(size)
        .flat_map(|piece| parser.push(&piece.iter().collect::<String>()))
        .collect();
    parts.extend(parser.finish());
    let mut joined: Vec<ToolPart> = Vec::new();
    for part in parts {
        match (joined.last_mut(), part) {
            (Some(ToolPart::Text(last)), ToolPart::Text(more)) => last.push_str(&more),
            (_, ToolPart::Call(call)) => joined.push(ToolPart::Call(ToolCall {
                id: String::new(),
                ..call
            })),
            (_, part) => joined.push(part),
        }
    }
    joined
}

/// The same parts whatever the pieces the text arrives in.
fn parse_all_ways(format: ToolFormat, text: &str) -> Vec<ToolPart> {
    let whole = parse_in_pieces(format, text, usize::MAX);
    for size in [1, 2, 3, 5, 7] {
        assert_eq!(
            parse_in_pieces(format, text, size),
            whole,
            "pieces of {size}"
        );
    }
    whole
}

fn call(name: &str, arguments: &str) -> ToolPart {
    ToolPart::Call(ToolCall {
        id: String::new(),
        name: name.into(),
        arguments: arguments.into(),
    })
}

fn text(text: &str) -> ToolPart {
    ToolPart::Text(text.into())
}

#[test]
fn formats_are_found_from_the_config_or_the_template_text() {
    assert_eq!(
        ToolFormat::detect(Some("json_tools"), &[]),
        Some(ToolFormat::HermesJson)
    );
    assert_eq!(
        ToolFormat::detect(Some("pythonic"), &["<tool_call> tool_call.name"]),
        None,
        "a named parser wins, even one this engine lacks"
    );
    let qwen = "{{- '<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}";
    assert_eq!(
        ToolFormat::detect(None, &[qwen]),
        Some(ToolFormat::HermesJson)
    );
    let coder = "{{- '<tool_call>\\n<function=' + tool_call.name }}";
    assert_eq!(ToolFormat::detect(None, &[coder]), None);
    let llama = "Environment: ipython ... {\"name\": function name, \"parameters\": dictionary";
    assert_eq!(
        ToolFormat::detect(None, &[llama]),
        Some(ToolFormat::Llama3Json)
    );
    assert_eq!(
        ToolFormat::detect(None, &["{{ '[TOOL_CALLS] [' }}"]),
        Some(ToolFormat::Mistral)
    );
    assert_eq!(ToolFormat::detect(None, &["{{ message.content }}"]), None);
}

#[test]
fn call_ids_are_long_enough_and_alphanumeric_and_mistral_gets_nine() {
    let mistral = ToolFormat::Mistral.new_call_id();
    assert_eq!(mistral.len(), 9);
    assert!(mistral.chars().all(|c| c.is_ascii_alphanumeric()));
    let other = ToolFormat::HermesJson.new_call_id();
    assert!(other.starts_with("call_") && other.len() == 29);
    assert_ne!(other, ToolFormat::HermesJson.new_call_id());
}

#[test]
fn hermes_calls_are_parsed_with_the_text_before_them_and_parallel_calls_apart() {
    let output = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \
                  {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \
                  \"arguments\": \"{\\\"zone\\\": \\\"CET\\\"}\"}\n</tool_call>";
    assert_eq!(
        parse_all_ways(ToolFormat::HermesJson, output),
        [
            text("Let me check."),
            call("get_weather", r#"{"city":"Paris"}"#),
            call("get_time", r#"{"zone":"CET"}"#),
        ]
    );
}

#[test]
fn text_that_only_looked_like_a_tag_and_malformed_calls_stay_text() {
    assert_eq!(
        parse_all_ways(ToolFormat::HermesJson, "a <tool and <b>"),
        [text("a <tool and <b>")]
    );
    let broken = "<tool_call>\n{\"name\": \"f\", \"arguments\": {oops}}\n</tool_call> after";
    assert_eq!(
        parse_all_ways(ToolFormat::HermesJson, broken),
        [text(broken)]
    );
    let nameless = "<tool_call>{\"arguments\": {}}</tool_call>";
    assert_eq!(
        parse_all_ways(ToolFormat::HermesJson, nameless),
        [text(nameless)]
    );
}

#[test]
fn an_unclosed_call_is_a_call_when_complete_and_text_when_cut_short() {
    assert_eq!(
        parse_all_ways(ToolFormat::HermesJson, "<tool_call>\n{\"name\": \"f\"}\n"),
        [call("f", "{}")]
    );
    let cut = "<tool_call>\n{\"name\": \"f\", \"argu";
    assert_eq!(parse_all_ways(ToolFormat::HermesJson, cut), [text(cut)]);
}

#[test]
fn llama_calls_are_the_whole_answer_with_or_without_the_python_tag() {
    let output = "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 2}}";
    assert_eq!(
        parse_all_ways(ToolFormat::Llama3Json, output),
        [call("get_weather", r#"{"city":"Paris","days":2}"#)]
    );
    let tagged = "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \
                  \"arguments\": {\"x\": 1}}";
    assert_eq!(
        parse_all_ways(ToolFormat::Llama3Json, tagged),
        [call("a", "{}"), call("b", r#"{"x":1}"#)]
    );
    assert_eq!(
        parse_all_ways(ToolFormat::Llama3Json, "  {\"answer\": 42}"),
        [text("  {\"answer\": 42}")],
        "JSON that is not a call is the answer"
    );
    assert_eq!(
        parse_all_ways(ToolFormat::Llama3Json, "Paris is {big}."),
        [text("Paris is {big}.")],
        "braces later in a text answer are text"
    );
}

#[test]
fn mistral_calls_in_both_forms_keep_the_models_ids() {
    let v3 = "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \
              \"id\": \"a1B2c3D4e\"}, {\"name\": \"get_time\", \"arguments\": {}}]";
    let mut parser = ToolCallParser::new(ToolFormat::Mistral);
    let mut parts = parser.push(v3);
    parts.extend(parser.finish());
    let ids: Vec<&str> = parts
        .iter()
        .map(|part| match part {
            ToolPart::Call(call) => call.id.as_str(),
            ToolPart::Text(text) => panic!("text {text:?}"),
        })
        .collect();
    assert_eq!(ids[0], "a1B2c3D4e");
    assert_eq!(ids[1].len(), 9);
    assert_eq!(
        parse_all_ways(ToolFormat::Mistral, v3),
        [
            call("get_weather", r#"{"city":"Paris"}"#),
            call("get_time", "{}")
        ]
    );
    let v11 = "Sure.[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{}";
    assert_eq!(
        parse_all_ways(ToolFormat::Mistral, v11),
        [
            text("Sure."),
            call("get_weather", r#"{"city":"Paris"}"#),
            call("get_time", "{}")
        ]
    );
    let cut = "[TOOL_CALLS]get_weather[ARGS]{\"city\": ";
    assert_eq!(parse_all_ways(ToolFormat::Mistral, cut), [text(cut)]);
}
