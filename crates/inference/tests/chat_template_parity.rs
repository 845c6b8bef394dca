//! Chat templates rendered here against Python transformers' `apply_chat_template(...,
//! tokenize=False)` on the same model directories: the fixtures' templates and well-known
//! real-world ones (ChatML/Qwen2.5 with tools, Qwen3 with thinking, Llama 3, Mistral), plus one
//! that exercises the Python-flavoured corners of Jinja. The text must be equal, and where
//! transformers raises, so must we (with the same message for `raise_exception`).

mod support;

use support::{fixture, workspace};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mlx_manager_inference::InferenceError;
use mlx_manager_inference::chat_template::{ChatMessage, ChatTemplate, RenderOptions};
use serde_json::{Map, Value, json};
use tempfile::TempDir;

const FIXTURES: &[&str] = &[
    "tiny-llama",
    "tiny-llama-4bit",
    "tiny-qwen2",
    "tiny-qwen2-4bit",
    "tiny-qwen3",
    "tiny-qwen3-4bit",
    "smollm2-135m-4bit",
    "smollm2-135m-f32",
];

fn msg(role: &str, content: &str) -> ChatMessage {
    ChatMessage {
        role: role.into(),
        content: content.into(),
    }
}

/// Conversations every template should handle.
fn conversations() -> Vec<Vec<ChatMessage>> {
    vec![
        vec![
            msg("system", "You are a helpful assistant."),
            msg("user", "Hello!"),
        ],
        vec![msg("user", "héllo 🌍, ça va? 日本語")],
        vec![
            msg("user", "What is 2+2?"),
            msg("assistant", "4."),
            msg("user", "And 3+3?"),
        ],
        vec![
            msg("system", "  Answer in \"quotes\" \\ with\nnewlines.  "),
            msg("user", " Spaced out \t"),
            msg("assistant", "Sure: 'ok' {braces} <tags>"),
            msg("user", "🌍🚀 émoji"),
        ],
    ]
}

struct Case {
    model: PathBuf,
    messages: Vec<ChatMessage>,
    options: RenderOptions,
}

impl Case {
    fn new(model: &Path, messages: Vec<ChatMessage>, options: RenderOptions) -> Self {
        Self {
            model: model.to_owned(),
            messages,
            options,
        }
    }
}

/// Every conversation, with and without the generation prompt.
fn standard_cases(model: &Path, extra: &Map<String, Value>) -> Vec<Case> {
    let mut cases = Vec::new();
    for messages in conversations() {
        for add_generation_prompt in [false, true] {
            let options = RenderOptions {
                add_generation_prompt,
                extra: extra.clone(),
                ..Default::default()
            };
            cases.push(Case::new(model, messages.clone(), options));
        }
    }
    cases
}

fn options(add_generation_prompt: bool, tools: Option<Value>, extra: Value) -> RenderOptions {
    RenderOptions {
        add_generation_prompt,
        tools,
        extra: extra.as_object().cloned().unwrap_or_default(),
    }
}

/// What transformers renders for each case: the text, or its error as "Type: message".
fn reference(cases: &[Case]) -> Vec<Result<String, String>> {
    let python = workspace().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./setup",
        python.display()
    );
    let input: Vec<Value> = cases
        .iter()
        .map(|case| {
            json!({
                "model": case.model,
                "messages": case.messages,
                "add_generation_prompt": case.options.add_generation_prompt,
                "tools": case.options.tools,
                "extra": case.options.extra,
            })
        })
        .collect();
    let mut child = Command::new(python)
        .arg(workspace().join("scripts/reference/apply_chat_template.py"))
        .env("HF_HUB_OFFLINE", "1")
        .env("TRANSFORMERS_VERBOSITY", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the transformers reference");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "transformers failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).expect("reference JSON");
    assert_eq!(results.len(), cases.len());
    results
        .into_iter()
        .map(|result| match result.get("text") {
            Some(text) => Ok(text.as_str().unwrap().to_owned()),
            None => Err(result["error"].as_str().unwrap().to_owned()),
        })
        .collect()
}

fn ours(case: &Case) -> Result<String, InferenceError> {
    let template = ChatTemplate::load(&case.model)
        .expect("load the chat template")
        .expect("the model has a chat template");
    template.render(&case.messages, &case.options)
}

/// Renders every case here and in transformers and asserts that they agree. Ours is rendered
/// before and after the reference, so that a template reading the clock (`strftime_now`) may
/// match either when the reference ran across a change of minute or day. Returns how many
/// cases were errors on both sides.
fn assert_parity(cases: &[Case]) -> usize {
    let before: Vec<_> = cases.iter().map(ours).collect();
    let theirs = reference(cases);
    let after: Vec<_> = cases.iter().map(ours).collect();
    let mut failures = Vec::new();
    let mut errors = 0;
    for (index, case) in cases.iter().enumerate() {
        let agrees = |ours: &Result<String, InferenceError>| match (ours, &theirs[index]) {
            (Ok(ours), Ok(theirs)) => ours == theirs,
            // raise_exception: the same message; other failures: both fail.
            (Err(InferenceError::ChatTemplate(ours)), Err(theirs)) => {
                match theirs.strip_prefix("TemplateError: ") {
                    Some(message) => ours == message,
                    None => true,
                }
            }
            _ => false,
        };
        if agrees(&before[index]) || agrees(&after[index]) {
            errors += usize::from(theirs[index].is_err());
        } else {
            failures.push(format!(
                "{} {:?} {:?}\n  ours:   {:?}\n  theirs: {:?}",
                case.model.display(),
                case.messages,
                case.options,
                after[index],
                theirs[index]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from transformers:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    errors
}

/// A model directory holding `template` in tokenizer_config.json, with a fixture's tokenizer so
/// that transformers loads it too.
fn model_with_template(template: &str, bos: Option<&str>, eos: Option<&str>) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("tiny-llama").join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    let config = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": bos,
        "eos_token": eos,
        "chat_template": template,
    });
    std::fs::write(
        dir.path().join("tokenizer_config.json"),
        serde_json::to_string_pretty(&config).unwrap(),
    )
    .unwrap();
    dir
}

/// Tool schemas as OpenAI-style clients send them.
fn tools() -> Value {
    json!([
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the weather in a city, in °C.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city, e.g. \"Zürich\""},
                        "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
                    },
                    "required": ["city"],
                },
            },
        },
        {
            "type": "function",
            "function": {"name": "now", "description": "The time.", "parameters": {"type": "object", "properties": {}}},
        },
    ])
}

// The Qwen2.5 instruct template: ChatML with a default system prompt, tools as JSON lines.
const QWEN25_TEMPLATE: &str = r##"{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"##;

// The Qwen3 template: thinking blocks split out of assistant turns, `enable_thinking`.
const QWEN3_TEMPLATE: &str = r##"{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0].role == 'system' %}
        {{- messages[0].content + '\n\n' }}
    {%- endif %}
    {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0].role == 'system' %}
        {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- if message.content is string %}
        {%- set content = message.content %}
    {%- else %}
        {%- set content = '' %}
    {%- endif %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- else %}
            {%- if '</think>' in content %}
                {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
                {%- set content = content.split('</think>')[-1].lstrip('\n') %}
            {%- endif %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index %}
            {%- if loop.last or (not loop.last and reasoning_content) %}
                {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
            {%- else %}
                {{- '<|im_start|>' + message.role + '\n' + content }}
            {%- endif %}
        {%- else %}
            {{- '<|im_start|>' + message.role + '\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\n\n</think>\n\n' }}
    {%- endif %}
{%- endif %}"##;

// The Llama 3.2 template (BOS, today's date from strftime_now, tools in the first user
// message), with a check of roles that raises on unknown ones.
const LLAMA3_TEMPLATE: &str = r##"{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if message.role not in ['user', 'assistant', 'ipython', 'tool'] %}
        {{- raise_exception("Unknown role: " + message.role) }}
    {%- endif %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"##;

// The Mistral instruct (v0.3) template: roles must alternate after an optional system message.
const MISTRAL_TEMPLATE: &str = r##"{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
"##;

// The classic Mistral v0.1 template, all on one line.
const MISTRAL_V1_TEMPLATE: &str = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

// Python-flavoured Jinja: methods on strings and dicts, printing of non-strings, tojson's
// options, namespaces, loop controls, macros, comments and whitespace control.
const PYTHONIC_TEMPLATE: &str = r##"{#- A comment that trims -#}
{% macro show(m) -%}
    <{{ m.role | upper }}>
{%- endmacro %}
{% set ns = namespace(count=0) %}
{% for message in messages %}
    {# an indented comment #}
    {% set ns.count = ns.count + 1 %}
    {% if message.role == 'skip' %}{% continue %}{% endif %}
    [{{ loop.index }}/{{ loop.length }}] {{ show(message) }} {{ message.content | trim }}
    {%- if message.content.startswith('Hi') %} (greeting){% endif %}
    {%- if message.content.endswith(('?', '!')) %} (punct){% endif %}
 {{ message.content.split() | length }} words: {{ message.content.lower().replace('o', '0') }}
{{ message.content.lstrip().rstrip('!?') }}|{{ message.content.strip(' ') }}|{{ message['content'][:3] }}|{{ message.content.split(' ', 1) }}
{% endfor %}
count={{ ns.count }}
{% for key, value in settings.items() %}
  {{ key }}={{ value }} {{ value | tojson }} {{ value is string }} {{ value is mapping }}
{% endfor %}
{{ settings.get('missing', 'fallback') }} {{ settings.get('flag') }} {{ settings.get('nothing') }}
{{ settings | tojson(indent=2) }}
{{ settings | tojson(separators=(',', ':'), sort_keys=true) }}
{{ settings.nested | tojson(indent='\t', ensure_ascii=true) }}
{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(' / ') }}
{{ messages | length }} {{ (messages | last).role }} {{ messages[-1]['content'] | tojson(ensure_ascii=true) }}
{% if tools is none %}no tools{% endif %} {{ tools }} {{ documents }}
{{ 3 / 2 }} {{ 7 // 2 }} {{ 2 ** 10 }} {{ 0.1 + 0.2 }} {{ 1e20 }} {{ [1, 'a', none, true, 2.50] }}
{{ 'x' * 3 }} {{ true }} {{ none }} {{ 1 | string }} {{ 10 | string + '!' }} {{ [1] | string }}
{%- generation %} generated {% endgeneration %}

{% for i in range(3) %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}
{{ bos_token }}{{ eos_token }}
"##;

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
