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
