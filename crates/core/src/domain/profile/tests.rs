use serde_json::json;

use super::*;

fn draft() -> ProfileDraft {
    ProfileDraft {
        name: "qwen:fast".into(),
        model: "mlx-community/Qwen3-0.6B-4bit".into(),
        ..ProfileDraft::default()
    }
}

fn fields_of(error: CoreError) -> Vec<&'static str> {
    match error {
        CoreError::InvalidFields(fields) => fields.into_iter().map(|f| f.field).collect(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn names_are_1_to_64_of_letters_digits_dot_underscore_dash_colon() {
    for good in ["a", "Qwen3-0.6B:q4_k", &"x".repeat(64), "..", "A.b_c-d:e"] {
        assert_eq!(ProfileName::parse(good).unwrap().as_str(), good);
    }
    for bad in ["", "org/name", "a b", "é", &"x".repeat(65), "a\n", "a?"] {
        assert_eq!(
            ProfileName::parse(bad).unwrap_err().field,
            "name",
            "{bad:?}"
        );
    }
    assert_eq!(ProfileName::parse("Qwen").unwrap().key(), "qwen");
}

#[test]
fn a_minimal_draft_is_a_profile_with_nothing_else_set() {
    let spec = ProfileSpec::parse(draft()).unwrap();
    assert_eq!(spec.name.as_str(), "qwen:fast");
    assert_eq!(spec.model.as_str(), "mlx-community/Qwen3-0.6B-4bit");
    assert_eq!(spec.generation, GenerationDefaults::default());
    assert_eq!(spec.keep_alive, None);
    assert!(!spec.auto_start);
}

#[test]
fn every_bound_is_checked_and_every_invalid_field_is_named_at_once() {
    let bad = ProfileDraft {
        name: "a/b".into(),
        description: Some("d".repeat(501)),
        model: "noslash".into(),
        revision: Some("a..b".into()),
        system_prompt: Some("s".repeat(100_001)),
        temperature: Some(2.01),
        top_p: Some(0.0),
        top_k: Some(0),
        min_p: Some(1.5),
        repetition_penalty: Some(0.0),
        max_tokens: Some(0),
        seed: Some(-1),
        stop: vec!["".into()],
        context_length: Some(0),
        template_options: serde_json::Map::new(),
        keep_alive_secs: Some(-2),
        auto_start: false,
        embedding_pooling: Some("cls".into()),
    };
    assert_eq!(
        fields_of(ProfileSpec::parse(bad).unwrap_err()),
        [
            "name",
            "description",
            "model",
            "revision",
            "system_prompt",
            "temperature",
            "top_p",
            "top_k",
            "min_p",
            "repetition_penalty",
            "max_tokens",
            "seed",
            "stop",
            "context_length",
            "keep_alive_secs",
            "embedding_pooling"
        ]
    );
}

#[test]
fn the_edges_of_each_range_are_accepted() {
    let edges = ProfileDraft {
        description: Some("d".repeat(500)),
        temperature: Some(2.0),
        top_p: Some(1.0),
        top_k: Some(i64::from(MAX_TOKEN_COUNT)),
        min_p: Some(0.0),
        repetition_penalty: Some(1e-9),
        max_tokens: Some(1),
        seed: Some(MAX_SEED as i64),
        stop: vec!["x".into(); 16],
        context_length: Some(1),
        keep_alive_secs: Some(MAX_KEEP_ALIVE_SECS),
        ..draft()
    };
    let spec = ProfileSpec::parse(edges).unwrap();
    assert_eq!(spec.generation.seed.unwrap().get(), MAX_SEED);
    for (field, over) in [
        (
            "seed",
            ProfileDraft {
                seed: Some(MAX_SEED as i64 + 1),
                ..draft()
            },
        ),
        (
            "top_k",
            ProfileDraft {
                top_k: Some(i64::from(MAX_TOKEN_COUNT) + 1),
                ..draft()
            },
        ),
        (
            "stop",
            ProfileDraft {
                stop: vec!["x".into(); 17],
                ..draft()
            },
        ),
        (
            "keep_alive_secs",
            ProfileDraft {
                keep_alive_secs: Some(MAX_KEEP_ALIVE_SECS + 1),
                ..draft()
            },
        ),
    ] {
        assert_eq!(fields_of(ProfileSpec::parse(over).unwrap_err()), [field]);
    }
}

#[test]
fn keep_alive_follows_ollama() {
    assert_eq!(KeepAlive::from_secs(-1).unwrap(), KeepAlive::Forever);
    assert_eq!(KeepAlive::from_secs(0).unwrap(), KeepAlive::UnloadAtOnce);
    assert_eq!(KeepAlive::from_secs(300).unwrap().as_secs(), 300);
    assert!(KeepAlive::from_secs(-5).is_err());
}

#[test]
fn template_options_are_an_object_within_limits() {
    let options = TemplateOptions::from_json(r#"{"enable_thinking":false}"#).unwrap();
    assert_eq!(options.as_map()["enable_thinking"], json!(false));
    assert_eq!(
        TemplateOptions::from_json(&options.to_json()),
        Some(options)
    );
    assert_eq!(TemplateOptions::from_json("[1]"), None);
    let big: serde_json::Map<_, _> = [("k".to_string(), json!("v".repeat(17 * 1024)))]
        .into_iter()
        .collect();
    assert!(TemplateOptions::parse(big).is_err());
}

#[test]
fn a_patch_changes_only_what_it_names_and_null_clears() {
    let spec = ProfileSpec::parse(ProfileDraft {
        temperature: Some(0.7),
        description: Some("kept".into()),
        ..draft()
    })
    .unwrap();
    let patch = ProfilePatch::parse(ProfilePatchDraft {
        temperature: Some(None),
        top_p: Some(Some(0.9)),
        ..ProfilePatchDraft::default()
    })
    .unwrap();
    assert!(!patch.touches_model_or_context());
    let patched = spec.clone().patched(patch);
    assert_eq!(patched.generation.temperature, None);
    assert_eq!(patched.generation.top_p.unwrap().get(), 0.9);
    assert_eq!(patched.description, spec.description);
    assert_eq!(patched.name, spec.name);

    let invalid = ProfilePatch::parse(ProfilePatchDraft {
        name: Some("a b".into()),
        context_length: Some(Some(0)),
        ..ProfilePatchDraft::default()
    })
    .unwrap_err();
    assert_eq!(fields_of(invalid), ["name", "context_length"]);
    let context = ProfilePatch::parse(ProfilePatchDraft {
        context_length: Some(None),
        ..ProfilePatchDraft::default()
    })
    .unwrap();
    assert!(context.touches_model_or_context());
}
