//! The body of a tool call as each format writes it, parsed; `None` when it is not a
//! well-formed call (the text is then the model's answer as it wrote it).

use serde_json::{Map, Value};

use super::{ParsedCall, ToolFormat};

/// Mistral's marker; in its newer form it starts every call of a parallel group.
const MISTRAL_MARKER: &str = "[TOOL_CALLS]";
const MISTRAL_ARGS: &str = "[ARGS]";

pub(super) fn calls(format: ToolFormat, body: &str) -> Option<Vec<ParsedCall>> {
    let calls = match format {
        ToolFormat::HermesJson => vec![object_call(serde_json::from_str(body.trim()).ok()?)?],
        ToolFormat::Llama3Json => json_sequence(body, ';')?
            .into_iter()
            .map(object_call)
            .collect::<Option<Vec<_>>>()?,
        ToolFormat::Mistral => {
            let body = body.replace(MISTRAL_MARKER, "");
            match serde_json::from_str::<Value>(body.trim()) {
                Ok(Value::Array(calls)) => calls
                    .into_iter()
                    .map(object_call)
                    .collect::<Option<Vec<_>>>()?,
                Ok(_) => return None,
                Err(_) => header_calls(&body)?,
            }
        }
    };
    (!calls.is_empty()).then_some(calls)
}

/// `{"name": …, "arguments": {…}}` (or `"parameters"`, Llama's word); arguments may be a
/// string of JSON, as some templates write them, and may be left out (no arguments).
fn object_call(value: Value) -> Option<ParsedCall> {
    let Value::Object(mut call) = value else {
        return None;
    };
    let Some(Value::String(name)) = call.remove("name") else {
        return None;
    };
    let arguments = match call
        .remove("arguments")
        .or_else(|| call.remove("parameters"))
    {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments,
        Some(Value::String(text)) => match serde_json::from_str(&text).ok()? {
            Value::Object(arguments) => arguments,
            _ => return None,
        },
        Some(_) => return None,
    };
    let id = match call.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Some(id),
        _ => None,
    };
    (!name.is_empty()).then_some(ParsedCall {
        name,
        arguments,
        id,
    })
}

/// JSON values one after another, separated by whitespace and `separator`.
fn json_sequence(text: &str, separator: char) -> Option<Vec<Value>> {
    let mut values = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == separator);
        if rest.is_empty() {
            return Some(values);
        }
        let (value, used) = first_json(rest)?;
        values.push(value);
        rest = &rest[used..];
    }
}

/// The JSON value `text` starts with, and how many bytes it took.
fn first_json(text: &str) -> Option<(Value, usize)> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = values.next()?.ok()?;
    Some((value, values.byte_offset()))
}

/// Mistral's newer form: `name[ARGS]{…}`, repeated.
fn header_calls(body: &str) -> Option<Vec<ParsedCall>> {
    let mut calls = Vec::new();
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let at = rest.find(MISTRAL_ARGS)?;
        let name = rest[..at].trim();
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        if !valid_name {
            return None;
        }
        let after = rest[at + MISTRAL_ARGS.len()..].trim_start();
        let (Value::Object(arguments), used) = first_json(after)? else {
            return None;
        };
        calls.push(ParsedCall {
            name: name.to_string(),
            arguments,
            id: None,
        });
        rest = after[used..].trim_start();
    }
    Some(calls)
}
