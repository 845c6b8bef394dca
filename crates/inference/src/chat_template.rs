//! Chat templates: the Jinja templates that Hugging Face tokenizers carry, rendered so that the
//! text equals Python transformers' `tokenizer.apply_chat_template(messages, tokenize=False)`.
//!
//! The environment copies transformers' `_compile_jinja_template`: `trim_blocks` and
//! `lstrip_blocks` on, no trailing newline kept, loop controls, the globals `raise_exception` and
//! `strftime_now`, and its own `tojson` filter (`json.dumps` with `ensure_ascii=False`, key order
//! kept). Python's string and dict methods (`.strip()`, `.startswith()`, `.items()`, `.get()`, …)
//! come from minijinja-contrib's pycompat, and values print as Python's `str()` does (`None`,
//! `True`, `['a']`). The template sees `messages`, `add_generation_prompt`, `tools` and
//! `documents` (none unless given, as in transformers), the tokenizer's special tokens
//! (`bos_token`, `eos_token`, …) and the caller's extra variables, which may override those.

mod python;
mod strftime;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::InferenceError;

/// The template used unless a more specific one applies.
const DEFAULT: &str = "default";
/// The template transformers prefers when tools are given (from a model's named templates).
const TOOL_USE: &str = "tool_use";
/// The special tokens every tokenizer may name (transformers' `SPECIAL_TOKENS_ATTRIBUTES`).
const NAMED_SPECIAL_TOKENS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];
/// Variables that `render` sets itself; extra variables may not replace them (in Python, passing
/// them twice is a TypeError).
const RESERVED: [&str; 4] = ["messages", "tools", "documents", "add_generation_prompt"];

/// One message of a conversation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// What a render passes to the template besides the messages.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// End with the header of an assistant turn, for the model to write it.
    pub add_generation_prompt: bool,
    /// A JSON list of tool schemas, seen by the template as `tools`.
    pub tools: Option<Json>,
    /// Extra template variables (e.g. `enable_thinking`); they may override special tokens.
    pub extra: Map<String, Json>,
}

/// A model's compiled chat template(s) with the tokenizer's special tokens.
pub struct ChatTemplate {
    env: Environment<'static>,
    has_tool_use: bool,
    supports_tools: bool,
    /// The special tokens the template sees: `bos_token`, `eos_token` and the others the
    /// tokenizer names.
    special_tokens: BTreeMap<String, String>,
}

impl fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("has_tool_use", &self.has_tool_use)
            .field("supports_tools", &self.supports_tools)
            .field("special_tokens", &self.special_tokens)
            .finish_non_exhaustive()
    }
}

impl ChatTemplate {
    /// From a model directory, as transformers loads it: a `chat_template.jinja` file (and named
    /// templates in `chat_templates/*.jinja`) if present, else `chat_template` in
    /// tokenizer_config.json (a string, or a list of `{name, template}` of which "default" is
    /// used, and "tool_use" when tools are given). Special tokens come from
    /// tokenizer_config.json (strings or AddedToken objects `{"content": ...}`), or from a
    /// legacy special_tokens_map.json. `Ok(None)` when the model has no template.
    pub fn load(model_dir: &Path) -> Result<Option<Self>, InferenceError> {
        let config_path = model_dir.join("tokenizer_config.json");
        let config = match read_optional(&config_path)? {
            Some(text) => match serde_json::from_str::<Json>(&text) {
                Ok(Json::Object(config)) => config,
                Ok(_) => return Err(InferenceError::file(&config_path, "not a JSON object")),
                Err(error) => return Err(InferenceError::file(&config_path, error)),
            },
            None => Map::new(),
        };

        let mut templates = separate_templates(model_dir)?;
        if templates.is_empty() {
            templates = config_templates(&config_path, config.get("chat_template"))?;
        }
        if templates.is_empty() {
            return Ok(None);
        }
        if !templates.contains_key(DEFAULT) {
            let names: Vec<&String> = templates.keys().collect();
            return Err(InferenceError::file(
                model_dir,
                format!(
                    "the model has several chat templates ({names:?}) but none named \"default\""
                ),
            ));
        }

        let special_tokens = special_tokens(model_dir, &config)?;
        Self::build(templates, special_tokens).map(Some)
    }

    /// From a template's source and the tokenizer's BOS and EOS tokens.
    pub fn from_source(
        source: &str,
        bos_token: Option<String>,
        eos_token: Option<String>,
    ) -> Result<Self, InferenceError> {
        let templates = BTreeMap::from([(DEFAULT.to_owned(), source.to_owned())]);
        let special_tokens = [("bos_token", bos_token), ("eos_token", eos_token)]
            .into_iter()
            .filter_map(|(name, token)| Some((name.to_owned(), token?)))
            .collect();
        Self::build(templates, special_tokens)
    }

    /// The conversation as the template writes it. Errors when the conversation is empty, when
    /// `tools` is not a list of objects, when an extra variable would replace `messages`,
    /// `tools`, `documents` or `add_generation_prompt`, and when the template fails (its
    /// `raise_exception(message)` gives [`InferenceError::ChatTemplate`] with that message).
    pub fn render(
        &self,
        messages: &[ChatMessage],
        options: &RenderOptions,
    ) -> Result<String, InferenceError> {
        if messages.is_empty() {
            return Err(InferenceError::ChatTemplate(
                "cannot apply a chat template to an empty conversation".to_owned(),
            ));
        }
        let tools = match &options.tools {
            None | Some(Json::Null) => None,
            Some(Json::Array(tools)) => {
                if let Some(bad) = tools.iter().find(|tool| !tool.is_object()) {
                    return Err(InferenceError::ChatTemplate(format!(
                        "each tool must be a JSON schema object, got {bad}"
                    )));
                }
                Some(Value::from_serialize(tools))
            }
            Some(other) => {
                return Err(InferenceError::ChatTemplate(format!(
                    "tools must be a JSON list of tool schemas, got {other}"
                )));
            }
        };

        let mut context: BTreeMap<String, Value> = self
            .special_tokens
            .iter()
            .map(|(name, token)| (name.clone(), Value::from(token.as_str())))
            .collect();
        for (name, value) in &options.extra {
            if RESERVED.contains(&name.as_str()) {
                return Err(InferenceError::ChatTemplate(format!(
                    "the extra variable {name:?} would replace one that rendering sets"
                )));
            }
            context.insert(name.clone(), Value::from_serialize(value));
        }
        let name = if tools.is_some() && self.has_tool_use {
            TOOL_USE
        } else {
            DEFAULT
        };
        context.insert("messages".into(), Value::from_serialize(messages));
        context.insert("tools".into(), tools.unwrap_or_else(|| Value::from(())));
        context.insert("documents".into(), Value::from(()));
        context.insert(
            "add_generation_prompt".into(),
            Value::from(options.add_generation_prompt),
        );

        let template = self.env.get_template(name).map_err(render_error)?;
        template
            .render(Value::from_iter(context))
            .map_err(render_error)
    }

    /// Whether the template refers to tools (reads the `tools` variable), or the model has a
    /// separate "tool_use" template.
    pub fn supports_tools(&self) -> bool {
        self.supports_tools
    }

    /// The tokenizer's beginning-of-sequence token, if it names one.
    pub fn bos_token(&self) -> Option<&str> {
        self.special_tokens.get("bos_token").map(String::as_str)
    }

    /// The tokenizer's end-of-sequence token, if it names one.
    pub fn eos_token(&self) -> Option<&str> {
        self.special_tokens.get("eos_token").map(String::as_str)
    }

    fn build(
        templates: BTreeMap<String, String>,
        special_tokens: BTreeMap<String, String>,
    ) -> Result<Self, InferenceError> {
        let mut env = environment();
        let mut supports_tools = false;
        for (name, source) in &templates {
            env.add_template_owned(name.clone(), rewrite_generation_tags(source))
                .map_err(|error| {
                    InferenceError::ChatTemplate(format!("template {name:?} is invalid: {error}"))
                })?;
            let template = env.get_template(name).map_err(render_error)?;
            supports_tools |= template.undeclared_variables(false).contains("tools");
        }
        let has_tool_use = templates.contains_key(TOOL_USE);
        Ok(Self {
            env,
            has_tool_use,
            supports_tools: supports_tools || has_tool_use,
            special_tokens,
        })
    }
}

/// A Jinja environment configured as transformers' (see the module documentation).
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(false);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(|out, _state, value| {
        let written = match value.as_str() {
            Some(text) if value.kind() == minijinja::value::ValueKind::String => {
                out.write_str(text)
            }
            _ => out.write_str(&python::py_str(value)),
        };
        written.map_err(|_| Error::from(ErrorKind::WriteFailure))
    });
    env.add_filter("tojson", python::tojson);
    env.add_filter("string", |value: &Value| python::py_str(value));
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", |format: &str| {
        strftime::strftime_now(format)
            .map_err(|message| Error::new(ErrorKind::InvalidOperation, message))
    });
    env
}

/// What `raise_exception(message)` raised, kept as the error's source so that the message comes
/// back as it was.
#[derive(Debug)]
struct Raised(String);

impl fmt::Display for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

fn raise_exception(message: Value) -> Result<Value, Error> {
    let message = python::py_str(&message);
    Err(Error::new(ErrorKind::InvalidOperation, message.clone()).with_source(Raised(message)))
}

/// A template error as an [`InferenceError`]: the message of `raise_exception`, or minijinja's
/// description with the template line.
fn render_error(error: Error) -> InferenceError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = cause {
        if let Some(Raised(message)) = current.downcast_ref::<Raised>() {
            return InferenceError::ChatTemplate(message.clone());
        }
        cause = current.source();
    }
    InferenceError::ChatTemplate(format!("rendering failed: {error}"))
}

/// transformers' `{% generation %}…{% endgeneration %}` marks the assistant's text for
/// assistant masks and renders its body unchanged; minijinja does not know the tag, so it
/// becomes an always-true `if`, keeping its whitespace control.
fn rewrite_generation_tags(source: &str) -> String {
    if !source.contains("generation") {
        return source.to_owned();
    }
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        out.push_str("{%");
        let tag = &rest[start + 2..];
        let (modifier, body) = match tag.as_bytes().first() {
            Some(b'-' | b'+') => tag.split_at(1),
            _ => ("", tag),
        };
        let body = body.trim_start();
        let end = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let replacement = match &body[..end] {
            "generation" => Some("if true"),
            "endgeneration" => Some("endif"),
            _ => None,
        };
        match replacement {
            Some(replacement) => {
                out.push_str(modifier);
                out.push(' ');
                out.push_str(replacement);
                rest = &body[end..];
            }
            None => rest = tag,
        }
    }
    out.push_str(rest);
    out
}

/// A file's text, or `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<String>, InferenceError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(InferenceError::file(path, error)),
    }
}

/// Templates saved as files (transformers ≥ 4.50): `chat_template.jinja` is the default, and
/// `chat_templates/NAME.jinja` are named ones. They take priority over tokenizer_config.json.
fn separate_templates(model_dir: &Path) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut templates = BTreeMap::new();
    if let Some(source) = read_optional(&model_dir.join("chat_template.jinja"))? {
        templates.insert(DEFAULT.to_owned(), source);
    }
    let dir = model_dir.join("chat_templates");
    if dir.is_dir() {
        let entries = std::fs::read_dir(&dir).map_err(|error| InferenceError::file(&dir, error))?;
        for entry in entries {
            let path = entry
                .map_err(|error| InferenceError::file(&dir, error))?
                .path();
            let name = path.file_name().and_then(|name| name.to_str());
            if let Some(name) = name.and_then(|name| name.strip_suffix(".jinja")) {
                let source = std::fs::read_to_string(&path)
                    .map_err(|error| InferenceError::file(&path, error))?;
                templates.insert(name.to_owned(), source);
            }
        }
    }
    Ok(templates)
}

/// `chat_template` of tokenizer_config.json: a string, or a list of `{name, template}`.
fn config_templates(
    config_path: &Path,
    value: Option<&Json>,
) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut templates = BTreeMap::new();
    match value {
        None | Some(Json::Null) => {}
        Some(Json::String(source)) => {
            templates.insert(DEFAULT.to_owned(), source.clone());
        }
        Some(Json::Array(list)) => {
            for entry in list {
                let name = entry.get("name").and_then(Json::as_str);
                let source = entry.get("template").and_then(Json::as_str);
                let (Some(name), Some(source)) = (name, source) else {
                    return Err(InferenceError::file(
                        config_path,
                        "chat_template: each entry of the list needs a \"name\" and a \"template\"",
                    ));
                };
                templates.insert(name.to_owned(), source.to_owned());
            }
        }
        Some(_) => {
            return Err(InferenceError::file(
                config_path,
                "chat_template must be a string or a list of {name, template}",
            ));
        }
    }
    Ok(templates)
}

/// A special token's text: a string, or an AddedToken object `{"content": ...}`.
fn token_text(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Object(token) => token.get("content")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The special tokens transformers passes to templates: the named ones and the model-specific
/// `*_token` entries of tokenizer_config.json (and its `extra_special_tokens` map). Without an
/// `added_tokens_decoder` there, a legacy special_tokens_map.json overrides the named ones.
fn special_tokens(
    model_dir: &Path,
    config: &Map<String, Json>,
) -> Result<BTreeMap<String, String>, InferenceError> {
    let mut tokens: BTreeMap<String, String> = config
        .iter()
        .filter(|(name, _)| name.ends_with("_token"))
        .filter_map(|(name, value)| Some((name.clone(), token_text(value)?)))
        .collect();
    if let Some(Json::Object(extra)) = config.get("extra_special_tokens") {
        for (name, value) in extra {
            if let Some(text) = token_text(value) {
                tokens.insert(name.clone(), text);
            }
        }
    }
    if !config.contains_key("added_tokens_decoder") {
        let path = model_dir.join("special_tokens_map.json");
        if let Some(text) = read_optional(&path)? {
            let map: Map<String, Json> =
                serde_json::from_str(&text).map_err(|error| InferenceError::file(&path, error))?;
            for name in NAMED_SPECIAL_TOKENS {
                if let Some(text) = map.get(name).and_then(token_text) {
                    tokens.insert(name.to_owned(), text);
                }
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat() -> Vec<ChatMessage> {
        vec![
            ChatMessage::new("system", "Be brief."),
            ChatMessage::new("user", "héllo 🌍"),
        ]
    }

    fn template(source: &str) -> ChatTemplate {
        ChatTemplate::from_source(source, Some("<s>".into()), Some("</s>".into())).unwrap()
    }

    fn render(source: &str, options: &RenderOptions) -> Result<String, InferenceError> {
        template(source).render(&chat(), options)
    }

    fn extra(value: Json) -> Map<String, Json> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn add_generation_prompt_is_passed() {
        let source = "{% for m in messages %}{{ m.role }}:{{ m.content }}\n{% endfor %}\
                      {% if add_generation_prompt %}assistant:{% endif %}";
        let without = render(source, &RenderOptions::default()).unwrap();
        assert_eq!(without, "system:Be brief.\nuser:héllo 🌍\n");
        let with = RenderOptions {
            add_generation_prompt: true,
            ..Default::default()
        };
        assert_eq!(
            render(source, &with).unwrap(),
            format!("{without}assistant:")
        );
    }

    #[test]
    fn tools_are_none_unless_given() {
        let source = "{{ tools is defined }} {{ tools is none }} {{ documents is none }}";
        assert_eq!(
            render(source, &RenderOptions::default()).unwrap(),
            "True True True"
        );
        let options = RenderOptions {
            tools: Some(json!([{"type": "function", "function": {"name": "f"}}])),
            ..Default::default()
        };
        let source = "{{ tools | length }} {{ tools[0].function.name }} {{ tools[0] | tojson }}";
        assert_eq!(
            render(source, &options).unwrap(),
            r#"1 f {"function": {"name": "f"}, "type": "function"}"#
        );
        let null = RenderOptions {
            tools: Some(Json::Null),
            ..Default::default()
        };
        assert_eq!(render("{{ tools is none }}", &null).unwrap(), "True");
    }

    #[test]
    fn tools_must_be_a_list_of_objects() {
        for tools in [json!({"name": "f"}), json!(["f"]), json!("f")] {
            let options = RenderOptions {
                tools: Some(tools),
                ..Default::default()
            };
            let error = render("{{ tools }}", &options).unwrap_err();
            assert!(matches!(error, InferenceError::ChatTemplate(_)), "{error}");
        }
    }

    #[test]
    fn extra_variables_are_passed_and_override_special_tokens() {
        let options = RenderOptions {
            extra: extra(json!({"enable_thinking": false, "bos_token": "<BOS>", "n": 2})),
            ..Default::default()
        };
        let source = "{{ bos_token }}{{ eos_token }} {{ enable_thinking is false }} {{ n + 1 }}";
        assert_eq!(render(source, &options).unwrap(), "<BOS></s> True 3");
    }

    #[test]
    fn extra_variables_cannot_replace_what_rendering_sets() {
        for name in RESERVED {
            let options = RenderOptions {
                extra: extra(json!({ name: [] })),
                ..Default::default()
            };
            let error = render("x", &options).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }

    #[test]
    fn missing_special_tokens_are_undefined() {
        let template =
            ChatTemplate::from_source("[{{ bos_token }}]{{ eos_token is defined }}", None, None)
                .unwrap();
        let text = template.render(&chat(), &RenderOptions::default()).unwrap();
        assert_eq!(text, "[]False");
        assert_eq!(template.bos_token(), None);
    }

    #[test]
    fn empty_conversations_are_refused() {
        let error = template("x")
            .render(&[], &RenderOptions::default())
            .unwrap_err();
        assert!(error.to_string().contains("empty conversation"), "{error}");
    }

    #[test]
    fn raise_exception_gives_its_message() {
        let error = render(
            "{{ raise_exception('Roles must alternate') }}",
            &RenderOptions::default(),
        )
        .unwrap_err();
        match error {
            InferenceError::ChatTemplate(message) => assert_eq!(message, "Roles must alternate"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whitespace_control_matches_transformers() {
        let source = "{% for m in messages %}\n    {% if m.role == 'user' %}\n{{ m.content }}\n    {% endif %}\n{% endfor %}\n";
        assert_eq!(
            render(source, &RenderOptions::default()).unwrap(),
            "héllo 🌍\n"
        );
    }

    #[test]
    fn python_methods_and_printing() {
        let options = RenderOptions {
            extra: extra(json!({"cfg": {"b": [1, 2.5, null], "a": true}})),
            ..Default::default()
        };
        let source = "{{ messages[1].content.upper() }}|{{ ' x '.strip() }}|{{ 'a,b'.split(',') }}|\
                      {{ cfg }}|{{ cfg.get('a') }}|{% for k, v in cfg.items() %}{{ k }}{% endfor %}|\
                      {{ none }}|{{ 1.0 }}|{{ true | string }}";
        assert_eq!(
            render(source, &options).unwrap(),
            "HÉLLO 🌍|x|['a', 'b']|{'a': True, 'b': [1, 2.5, None]}|True|ab|None|1.0|True"
        );
    }

    #[test]
    fn tojson_follows_json_dumps() {
        let options = RenderOptions {
            extra: extra(json!({"v": {"b": "é", "a": [1, {}], "c": []}})),
            ..Default::default()
        };
        let cases = [
            ("{{ v | tojson }}", r#"{"a": [1, {}], "b": "é", "c": []}"#),
            (
                "{{ v | tojson(indent=2) }}",
                "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"é\",\n  \"c\": []\n}",
            ),
            (
                "{{ v | tojson(separators=(',', ':')) }}",
                r#"{"a":[1,{}],"b":"é","c":[]}"#,
            ),
            ("{{ v.b | tojson(ensure_ascii=true) }}", r#""\u00e9""#),
            ("{{ v.b | tojson(true) }}", r#""\u00e9""#),
            ("{{ {'z': 1, 'a': 2} | tojson }}", r#"{"z": 1, "a": 2}"#),
            (
                "{{ {'z': 1, 'a': 2} | tojson(sort_keys=true) }}",
                r#"{"a": 2, "z": 1}"#,
            ),
            ("{{ '<&>' | tojson }}", r#""<&>""#),
            ("{{ 1.0 | tojson }}", "1.0"),
        ];
        for (source, expected) in cases {
            assert_eq!(render(source, &options).unwrap(), expected, "{source}");
        }
        assert!(render("{{ nothing | tojson }}", &options).is_err());
    }

    #[test]
    fn generation_tags_render_their_body() {
        let source = "{% for m in messages %}{%- generation -%} [{{ m.role }}] {%- endgeneration %}\n{% endfor %}";
        assert_eq!(
            render(source, &RenderOptions::default()).unwrap(),
            "[system][user]"
        );
        assert_eq!(
            rewrite_generation_tags("{%+ generation %}"),
            "{%+ if true %}"
        );
        assert_eq!(
            rewrite_generation_tags("{% generations %}"),
            "{% generations %}"
        );
    }

    #[test]
    fn loop_controls_and_macros_work() {
        let source = "{% macro tag(m) %}<{{ m.role }}>{% endmacro %}\
                      {% for m in messages %}{% if loop.last %}{% break %}{% endif %}{{ tag(m) }}{% endfor %}";
        assert_eq!(
            render(source, &RenderOptions::default()).unwrap(),
            "<system>"
        );
    }

    #[test]
    fn supports_tools_sees_the_tools_variable() {
        assert!(template("{% if tools %}{{ tools | tojson }}{% endif %}").supports_tools());
        assert!(!template("{{ messages[0].content }}").supports_tools());
    }

    #[test]
    fn malformed_templates_are_errors() {
        let error = ChatTemplate::from_source("{% for m in messages %}", None, None).unwrap_err();
        assert!(matches!(error, InferenceError::ChatTemplate(_)), "{error}");
    }

    #[test]
    fn loads_named_templates_and_added_tokens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            json!({
                "bos_token": {"__type": "AddedToken", "content": "<s>"},
                "eos_token": "</s>",
                "unk_token": null,
                "image_token": "<img>",
                "added_tokens_decoder": {},
                "chat_template": [
                    {"name": "default", "template": "D{{ bos_token }}{{ image_token }}"},
                    {"name": "tool_use", "template": "T{{ tools | length }}"},
                ],
            })
            .to_string(),
        )
        .unwrap();
        let template = ChatTemplate::load(dir.path()).unwrap().unwrap();
        assert!(template.supports_tools());
        assert_eq!(template.bos_token(), Some("<s>"));
        assert_eq!(template.eos_token(), Some("</s>"));
        let plain = template.render(&chat(), &RenderOptions::default()).unwrap();
        assert_eq!(plain, "D<s><img>");
        let options = RenderOptions {
            tools: Some(json!([{}])),
            ..Default::default()
        };
        assert_eq!(template.render(&chat(), &options).unwrap(), "T1");
    }

    #[test]
    fn jinja_file_takes_priority_and_legacy_map_fills_tokens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            json!({"chat_template": "config", "eos_token": "</s>"}).to_string(),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("chat_template.jinja"),
            "file {{ eos_token }}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("special_tokens_map.json"),
            json!({"eos_token": {"content": "<|end|>"}, "pad_token": "<pad>"}).to_string(),
        )
        .unwrap();
        let template = ChatTemplate::load(dir.path()).unwrap().unwrap();
        assert_eq!(
            template.render(&chat(), &RenderOptions::default()).unwrap(),
            "file <|end|>"
        );
    }

    #[test]
    fn no_template_is_none_and_bad_config_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ChatTemplate::load(dir.path()).unwrap().is_none());
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            "{\"eos_token\": \"x\"}",
        )
        .unwrap();
        assert!(ChatTemplate::load(dir.path()).unwrap().is_none());
        std::fs::write(dir.path().join("tokenizer_config.json"), "{not json").unwrap();
        let error = ChatTemplate::load(dir.path()).unwrap_err();
        assert!(matches!(error, InferenceError::ModelFile { .. }), "{error}");
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            json!({"chat_template": [{"name": "rag", "template": "x"}]}).to_string(),
        )
        .unwrap();
        let error = ChatTemplate::load(dir.path()).unwrap_err();
        assert!(error.to_string().contains("default"), "{error}");
    }

    #[test]
    fn chat_templates_are_shareable_between_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ChatTemplate>();
    }
}
