//! Tools in a chat completion request: the functions offered, which of them the model may call
//! (`tool_choice`), and the calls an assistant message made earlier — checked, and turned into
//! what chat templates read.

use mlx_manager_inference::text::chat_template::MessageToolCall;
use mlx_manager_serving::ToolChoice;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A tool the model may call.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ToolIn {
    /// Only `function`.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionSpec,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct FunctionSpec {
    /// 1–64 letters, digits, `_` or `-`.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON Schema of the arguments.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub parameters: Option<Value>,
    /// Accepted; arguments are not constrained to the schema (no constrained decoding yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `"auto"`, `"none"`, `"required"`, or `{"type": "function", "function": {"name": …}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ToolChoiceIn {
    Mode(String),
    Named { function: NamedFunction },
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NamedFunction {
    pub name: String,
}

/// A call an assistant message made, as the API returned it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ToolCallIn {
    pub id: String,
    /// `function` (may be left out).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub function: FunctionCallIn,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FunctionCallIn {
    pub name: String,
    /// A JSON object's text.
    pub arguments: String,
}

/// The offered tools in the shape templates read, and the choice; reasons go to `refuse`.
pub fn offered(
    tools: Option<Vec<ToolIn>>,
    choice: Option<ToolChoiceIn>,
    refuse: &mut impl FnMut(&str, &str),
) -> (Vec<Value>, ToolChoice) {
    let tools = tools.unwrap_or_default();
    for (index, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            refuse(
                &format!("tools[{index}].type"),
                "only `function` tools exist",
            );
        }
        if !valid_name(&tool.function.name) {
            refuse(
                &format!("tools[{index}].function.name"),
                "must be 1–64 letters, digits, `_` or `-`",
            );
        }
    }
    let offers = |name: &str| tools.iter().any(|tool| tool.function.name == name);
    let choice = match choice {
        None => ToolChoice::Auto,
        Some(ToolChoiceIn::Mode(mode)) => match mode.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" if !tools.is_empty() => ToolChoice::Required,
            "required" => {
                refuse("tool_choice", "`required` needs `tools`");
                ToolChoice::Auto
            }
            other => {
                let message = format!("`{other}` is not auto, none, required or a function");
                refuse("tool_choice", &message);
                ToolChoice::Auto
            }
        },
        Some(ToolChoiceIn::Named { function }) if offers(&function.name) => {
            ToolChoice::Function(function.name)
        }
        Some(ToolChoiceIn::Named { function }) => {
            let message = format!("names `{}`, which is not in `tools`", function.name);
            refuse("tool_choice.function.name", &message);
            ToolChoice::Auto
        }
    };
    let schemas = tools
        .iter()
        .map(|tool| serde_json::to_value(tool).unwrap_or(Value::Null))
        .collect();
    (schemas, choice)
}

/// An earlier assistant message's calls, their arguments parsed (templates print them as
/// JSON objects); `field` names the message's `tool_calls`.
pub fn earlier_calls(
    calls: Vec<ToolCallIn>,
    field: &str,
    refuse: &mut impl FnMut(&str, &str),
) -> Vec<MessageToolCall> {
    let mut parsed = Vec::with_capacity(calls.len());
    for (index, call) in calls.into_iter().enumerate() {
        let field = format!("{field}[{index}]");
        if call.kind.as_deref().is_some_and(|kind| kind != "function") {
            refuse(&format!("{field}.type"), "only `function` calls exist");
        }
        if call.id.is_empty() {
            refuse(&format!("{field}.id"), "must not be empty");
        }
        let arguments = match call.function.arguments.trim() {
            "" => Ok(Value::Object(Default::default())),
            text => serde_json::from_str::<Value>(text),
        };
        match arguments {
            Ok(arguments @ Value::Object(_)) => {
                parsed.push(MessageToolCall::function(
                    call.id,
                    call.function.name,
                    arguments,
                ));
            }
            _ => refuse(
                &format!("{field}.function.arguments"),
                "must be the text of a JSON object",
            ),
        }
    }
    parsed
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
