//! `logprobs`/`top_logprobs` and the presence and frequency penalties through the official
//! `openai` client, equal to mlx-lm's `stream_generate` on the same model and prompt.

use mlx_manager_tests::fake_hub::fixture;
use serde_json::Value;

use super::{run_script, smol_server};

const SCRIPT: &str = include_str!("logprobs_client.py");
/// Ours and mlx-lm's run the same ops on the same build; allow float noise only.
const TOLERANCE: f64 = 1e-4;

fn close(a: &Value, b: &Value) -> bool {
    (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < TOLERANCE
}

/// Our chat entries against the reference: the same tokens (by text), the same scores, the
/// same three alternatives in the same order.
fn assert_entries_match(ours: &[Value], reference: &[Value], vocab: &Value, what: &str) {
    assert_eq!(
        ours.len(),
        reference.len(),
        "{what}: one entry per generated token"
    );
    for (index, (entry, theirs)) in ours.iter().zip(reference).enumerate() {
        assert!(
            close(&entry["logprob"], &theirs["logprob"]),
            "{what} token {index}: {} vs mlx-lm {}",
            entry["logprob"],
            theirs["logprob"]
        );
        let top = entry["top_logprobs"].as_array().unwrap();
        assert_eq!(top.len(), 3, "{what} token {index}");
        for (ours, theirs) in top.iter().zip(theirs["top"].as_array().unwrap()) {
            assert!(close(&ours["logprob"], &theirs[1]), "{what} token {index}");
            let text = &vocab[theirs[0].as_u64().unwrap().to_string()];
            assert_eq!(&ours["token"], text, "{what} token {index}");
        }
        // Greedy: the chosen token is the most likely one.
        assert_eq!(entry["token"], top[0]["token"], "{what} token {index}");
        let bytes: Vec<u8> = entry["bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_u64().unwrap() as u8)
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            entry["token"].as_str().unwrap()
        );
    }
}

#[tokio::test]
async fn logprobs_and_penalties_equal_mlx_lm_through_the_openai_client() {
    let (_home, app, _admin, key) = smol_server().await;
    let seen = run_script(
        SCRIPT,
        vec![
            ("BASE_URL", app.url("")),
            ("API_KEY", key),
            ("MODEL", "smol".into()),
            (
                "MODEL_DIR",
                fixture("smollm2-135m-f32").display().to_string(),
            ),
        ],
    )
    .await;
    let reference = seen["reference"].as_array().unwrap();
    let vocab = &seen["vocab"];

    let choice = &seen["whole"]["choices"][0];
    let content = choice["logprobs"]["content"].as_array().unwrap();
    assert_entries_match(content, reference, vocab, "whole");
    let joined: String = content
        .iter()
        .map(|e| e["token"].as_str().unwrap())
        .collect();
    assert_eq!(joined, choice["message"]["content"].as_str().unwrap());

    let streamed = seen["streamed"].as_array().unwrap();
    assert_entries_match(streamed, reference, vocab, "streamed");
    assert!(
        seen["chunks_with_scores"].as_u64().unwrap() > 1,
        "scores go out as tokens do"
    );

    assert_eq!(seen["penalized"], seen["reference_penalized_text"]);
    assert_ne!(
        seen["reference_penalized"], seen["reference"],
        "the penalties change this answer, so the comparison means something"
    );
    assert_eq!(seen["without_scores"], Value::Null);

    let lists = &seen["completion"]["choices"][0]["logprobs"];
    let text_reference = seen["reference_text"].as_array().unwrap();
    let scores = lists["token_logprobs"].as_array().unwrap();
    assert_eq!(scores.len(), text_reference.len());
    for (ours, theirs) in scores.iter().zip(text_reference) {
        assert!(close(ours, &theirs["logprob"]));
    }
    let tokens: String = lists["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        tokens,
        seen["completion"]["choices"][0]["text"].as_str().unwrap()
    );
    let offsets: Vec<u64> = lists["text_offset"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_u64().unwrap())
        .collect();
    assert_eq!(offsets[0], 0);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(lists["top_logprobs"][0].as_object().unwrap().len(), 3);

    let errors = &seen["errors"];
    assert_eq!(
        errors["top_logprobs_alone"],
        serde_json::json!(["BadRequestError", 400, "top_logprobs"])
    );
    assert_eq!(
        errors["too_many"],
        serde_json::json!(["BadRequestError", 400, "top_logprobs"])
    );
    assert_eq!(
        errors["penalty_range"],
        serde_json::json!(["BadRequestError", 400, "presence_penalty"])
    );
}
