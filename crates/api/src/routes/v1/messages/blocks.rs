//! Anthropic content in a request: the tools offered and `tool_choice`, and messages' content
//! blocks (text, thinking, `tool_use`, `tool_result`) turned into the messages chat templates
//! read — a user turn's tool results become `tool` messages, as OpenAI-style templates expect.

use mlx_manager_inference::text::chat_template::{ChatMessage, MessageToolCall};
use mlx_manager_serving::ToolChoice;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// A tool the model may call (a client tool; server tools such as web search are not run here).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnthropicTool {
    pub name: String,
    pub description: Option<String>,
    /// A JSON Schema of the input.
    #[schema(value_type = Option<Object>)]
    pub input_schema: Option<Value>,
    /// Left out or `custom`; server tools (`web_search_…`, `bash_…`) are refused.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `{"type": "auto" | "any" | "none"}` or `{"type": "tool", "name": …}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnthropicToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ContentBlockIn {
    /// `text`, `thinking`, `redacted_thinking` (skipped), `tool_use` (assistant) or
    /// `tool_result` (user); `image` and `document` are refused (no vision here).
    #[serde(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub thinking: Option<String>,
    /// `tool_use`: the call's id.
    pub id: Option<String>,
    /// `tool_use`: the tool's name.
    pub name: Option<String>,
    /// `tool_use`: the arguments, a JSON object.
    #[schema(value_type = Option<Object>)]
    pub input: Option<Value>,
    /// `tool_result`: the id of the call it answers.
    pub tool_use_id: Option<String>,
    /// `tool_result`: a string or text blocks.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Value>,
    /// `tool_result`: the tool failed.
    pub is_error: Option<bool>,
}

/// The tools in the shape templates read (OpenAI's), and the choice.
pub fn offered(
    tools: Option<Vec<AnthropicTool>>,
    choice: Option<AnthropicToolChoice>,
    refuse: &mut impl FnMut(String, String),
) -> (Vec<Value>, ToolChoice) {
    let tools = tools.unwrap_or_default();
    for (index, tool) in tools.iter().enumerate() {
        if tool.kind.as_deref().is_some_and(|kind| kind != "custom") {
            refuse(
                format!("tools[{index}].type"),
                "server tools are not run here; give a custom tool with an input_schema".into(),
            );
        }
        if tool.name.is_empty() {
            refuse(format!("tools[{index}].name"), "must not be empty".into());
        }
    }
    let choice = match choice {
        None => ToolChoice::Auto,
        Some(choice) => match (choice.kind.as_str(), choice.name) {
            ("auto", _) => ToolChoice::Auto,
            ("none", _) => ToolChoice::None,
            ("any", _) => ToolChoice::Required,
            ("tool", Some(name)) if tools.iter().any(|tool| tool.name == name) => {
                ToolChoice::Function(name)
            }
            ("tool", _) => {
                refuse("tool_choice.name".into(), "must name one of `tools`".into());
                ToolChoice::Auto
            }
            (other, _) => {
                refuse(
                    "tool_choice.type".into(),
                    format!("`{other}` is not auto, any, tool or none"),
                );
                ToolChoice::Auto
            }
        },
    };
    let schemas = tools
        .into_iter()
        .map(|tool| {
            let mut function = json!({"name": tool.name});
            if let Some(description) = tool.description {
                function["description"] = json!(description);
            }
            function["parameters"] = tool
                .input_schema
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            json!({"type": "function", "function": function})
        })
        .collect();
    (schemas, choice)
}

/// A message's blocks as template messages (a user turn with tool results gives several);
/// `field` names its content for the reasons given to `refuse`.
pub fn messages_of(
    role: &'static str,
    blocks: &[ContentBlockIn],
    field: &str,
    refuse: &mut impl FnMut(String, String),
) -> Vec<ChatMessage> {
    let mut out = Vec::new();
    let mut message = ChatMessage::new(role, "");
    for (index, block) in blocks.iter().enumerate() {
        let here = format!("{field}[{index}]");
        match (block.kind.as_str(), role) {
            ("text", _) => match &block.text {
                Some(text) => message.content.push_str(text),
                None => refuse(format!("{here}.text"), "a text block needs `text`".into()),
            },
            ("thinking", "assistant") => {
                let thinking = block.thinking.as_deref().unwrap_or_default();
                message
                    .reasoning_content
                    .get_or_insert_with(String::new)
                    .push_str(thinking);
            }
            ("redacted_thinking", "assistant") => {}
            ("tool_use", "assistant") => match tool_use(block) {
                Ok(call) => message.tool_calls.get_or_insert_with(Vec::new).push(call),
                Err(reason) => refuse(here, reason),
            },
            ("tool_result", "user") => match tool_result(block) {
                Ok(result) => out.push(result),
                Err(reason) => refuse(here, reason),
            },
            ("image" | "document", _) => refuse(
                here,
                "the model has no vision: image and document blocks are not supported".into(),
            ),
            ("thinking" | "redacted_thinking" | "tool_use", _) => {
                refuse(here, "only assistant messages hold this block".into());
            }
            ("tool_result", _) => refuse(here, "only user messages hold tool results".into()),
            (other, _) => refuse(here, format!("blocks of type `{other}` are not supported")),
        }
    }
    // A user turn that only returns tool results has no message of its own.
    if out.is_empty() || !message.content.is_empty() || role == "assistant" {
        out.push(message);
    }
    out
}

fn tool_use(block: &ContentBlockIn) -> Result<MessageToolCall, String> {
    let (Some(id), Some(name)) = (&block.id, &block.name) else {
        return Err("a tool_use block needs `id` and `name`".into());
    };
    match &block.input {
        Some(input @ Value::Object(_)) => Ok(MessageToolCall::function(id, name, input.clone())),
        None => Ok(MessageToolCall::function(id, name, json!({}))),
        Some(_) => Err("`input` must be a JSON object".into()),
    }
}

fn tool_result(block: &ContentBlockIn) -> Result<ChatMessage, String> {
    let Some(id) = &block.tool_use_id else {
        return Err("a tool_result block needs `tool_use_id`".into());
    };
    let mut text = match &block.content {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => {
            let mut text = String::new();
            for part in parts {
                match (part["type"].as_str(), part["text"].as_str()) {
                    (Some("text"), Some(part)) => text.push_str(part),
                    _ => return Err("tool results may hold only text".into()),
                }
            }
            text
        }
        Some(_) => return Err("`content` must be a string or text blocks".into()),
    };
    if block.is_error == Some(true) {
        text = format!("Error: {text}");
    }
    let mut message = ChatMessage::new("tool", text);
    message.tool_call_id = Some(id.clone());
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(value: Value) -> Vec<ContentBlockIn> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_tool_loop_becomes_assistant_calls_and_tool_messages() {
        let mut reasons = Vec::new();
        let mut refuse = |field: String, message: String| reasons.push((field, message));
        let assistant = messages_of(
            "assistant",
            &blocks(json!([
                {"type": "thinking", "thinking": "Check it.", "signature": ""},
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
            ])),
            "messages[1].content",
            &mut refuse,
        );
        let user = messages_of(
            "user",
            &blocks(json!([
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no such city", "is_error": true},
            ])),
            "messages[2].content",
            &mut refuse,
        );
        assert!(reasons.is_empty(), "{reasons:?}");
        assert_eq!(assistant.len(), 1);
        assert_eq!(assistant[0].content, "Let me look.");
        assert_eq!(assistant[0].reasoning_content.as_deref(), Some("Check it."));
        let calls = assistant[0].tool_calls.as_ref().unwrap();
        assert_eq!(
            calls[0],
            MessageToolCall::function("toolu_1", "get_weather", json!({"city": "Paris"}))
        );
        let roles: Vec<(&str, &str, Option<&str>)> = user
            .iter()
            .map(|m| {
                (
                    m.role.as_str(),
                    m.content.as_str(),
                    m.tool_call_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            roles,
            [
                ("tool", "sunny", Some("toolu_1")),
                ("tool", "Error: no such city", Some("toolu_2"))
            ],
            "a turn of tool results only adds no empty user message"
        );
    }

    #[test]
    fn misplaced_blocks_server_tools_and_unknown_choices_are_refused_by_field() {
        let mut reasons = Vec::new();
        let mut refuse = |field: String, _message: String| reasons.push(field);
        messages_of(
            "user",
            &blocks(json!([{"type": "tool_use", "id": "a", "name": "f"}, {"type": "image"}])),
            "messages[0].content",
            &mut refuse,
        );
        let tools: Vec<AnthropicTool> = serde_json::from_value(json!([
            {"type": "web_search_20250305", "name": "web_search"},
            {"name": "get_weather", "input_schema": {"type": "object"}},
        ]))
        .unwrap();
        let choice = AnthropicToolChoice {
            kind: "tool".into(),
            name: Some("nope".into()),
        };
        let (schemas, _) = offered(Some(tools), Some(choice), &mut refuse);
        assert_eq!(
            reasons,
            [
                "messages[0].content[0]",
                "messages[0].content[1]",
                "tools[0].type",
                "tool_choice.name"
            ]
        );
        assert_eq!(
            schemas[1],
            json!({"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}})
        );
    }
}
