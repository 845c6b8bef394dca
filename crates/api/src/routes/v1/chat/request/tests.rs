use serde_json::json;

use super::*;

fn parse(body: Value) -> ChatCompletionRequest {
    serde_json::from_value(body).unwrap()
}

#[test]
fn every_invalid_field_is_named_at_once() {
    let request = parse(json!({
        "model": "m",
        "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
        "temperature": 2.5,
        "n": 3,
        "stop": ["a", ""],
        "response_format": {"type": "json_object"},
        "tools": [{"type": "retrieval", "function": {"name": "a b"}}],
        "tool_choice": "required",
        "presence_penalty": 2.5,
    }));
    let Err(ApiError::Validation(errors)) = request.into_client_request() else {
        panic!("refused")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "messages[0].content",
            "temperature",
            "presence_penalty",
            "stop",
            "n",
            "response_format",
            "tools[0].type",
            "tools[0].function.name",
        ]
    );
}

#[test]
fn text_parts_join_developer_is_system_and_the_newer_max_tokens_wins() {
    let request = parse(json!({
        "model": "m",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]},
        ],
        "max_tokens": 5,
        "max_completion_tokens": 9,
        "stop": "END",
        "frequency_penalty": 0,
        "response_format": {"type": "text"},
        "tools": [],
    }))
    .into_client_request()
    .unwrap();
    let ClientInput::Chat { messages, .. } = &request.input else {
        panic!("a chat")
    };
    assert_eq!(
        messages,
        &[
            ChatMessage::new("system", "Be brief."),
            ChatMessage::new("user", "Hello")
        ]
    );
    assert_eq!(request.max_tokens, Some(9));
    assert_eq!(request.stop, Some(vec!["END".to_string()]));
}

#[test]
fn a_tool_loop_reaches_the_template_with_parsed_arguments_and_call_ids() {
    let request = parse(json!({
        "model": "m",
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "reasoning": "Use the tool.",
             "tool_calls": [{"id": "call_1", "type": "function",
               "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather",
                   "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    }))
    .into_client_request()
    .unwrap();
    let ClientInput::Chat {
        messages,
        tools,
        tool_choice,
        ..
    } = &request.input
    else {
        panic!("a chat")
    };
    let calls = messages[1].tool_calls.as_ref().unwrap();
    assert_eq!(calls[0].id, "call_1");
    assert_eq!(calls[0].function.arguments, json!({"city": "Paris"}));
    assert_eq!(
        messages[1].reasoning_content.as_deref(),
        Some("Use the tool.")
    );
    assert_eq!(messages[2].tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(tools[0]["function"]["name"], "get_weather");
    assert!(tools[0]["function"].get("description").is_none());
    assert_eq!(
        *tool_choice,
        mlx_manager_serving::ToolChoice::Function("get_weather".into())
    );
}

#[test]
fn broken_tool_loops_are_refused_by_field() {
    let request = parse(json!({
        "model": "m",
        "messages": [
            {"role": "assistant", "tool_calls": [{"id": "c", "function":
                {"name": "f", "arguments": "not json"}}]},
            {"role": "tool", "content": "sunny"},
            {"role": "user", "tool_calls": []},
        ],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": {"type": "function", "function": {"name": "g"}},
    }));
    let Err(ApiError::Validation(errors)) = request.into_client_request() else {
        panic!("refused")
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "messages[0].tool_calls[0].function.arguments",
            "messages[1].tool_call_id",
            "messages[2].tool_calls",
            "tool_choice.function.name",
        ]
    );
}
