//! One decoding step for several sequences at once: each row's logits are its solo step's up to
//! the rounding of a many-row product, and greedy continuations agree token for token — on dense
//! and quantized weights, with sequences of different lengths.

use mlx_manager_inference::{KvCache, Model};
use mlx_rs::Array;
use mlx_rs::ops::indexing::argmax_axis;

use crate::support::fixture;

/// Prompts of different lengths (token ids below every fixture's vocabulary size).
fn prompts() -> Vec<Vec<u32>> {
    vec![
        (1..=5).collect(),
        (100..137).collect(),
        (7..9).collect(),
        (300..400).step_by(3).collect(),
    ]
}

fn rows_argmax(logits: &Array) -> Vec<u32> {
    let best = argmax_axis(logits, -1, false).unwrap();
    best.as_slice::<u32>().to_vec()
}

fn rows_f32(logits: &Array) -> Vec<f32> {
    let logits = logits.as_dtype(mlx_rs::Dtype::Float32).unwrap();
    logits.as_slice::<f32>().to_vec()
}

/// Decodes `steps` greedy tokens for every prompt, batched and alone, and checks they agree.
fn batched_steps_agree_with_solo_steps(name: &str, steps: usize, tolerance: f32) {
    let model = Model::load(&fixture(name)).unwrap();
    let mut solo: Vec<KvCache> = Vec::new();
    let mut next: Vec<u32> = Vec::new();
    for prompt in prompts() {
        let mut cache = model.new_cache();
        let logits = model.forward_last(&prompt, &mut cache).unwrap();
        next.push(rows_argmax(&logits)[0]);
        solo.push(cache);
    }
    // The same prefilled state: caches share buffers until written (then each copies).
    let mut batched: Vec<KvCache> = solo.clone();
    for step in 0..steps {
        let tokens = Array::from_slice(&next, &[next.len() as i32]);
        let mut refs: Vec<&mut KvCache> = batched.iter_mut().collect();
        let together = model.forward_tokens(&tokens, &mut refs).unwrap();
        assert_eq!(
            together.shape(),
            [next.len() as i32, model.config.vocab_size]
        );
        let together_values = rows_f32(&together);
        let vocab = model.config.vocab_size as usize;
        let mut following = Vec::new();
        for (row, cache) in solo.iter_mut().enumerate() {
            let alone = model
                .forward_token(&Array::from_slice(&[next[row]], &[1]), cache)
                .unwrap();
            let alone_values = rows_f32(&alone);
            let scale = alone_values.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            let worst = together_values[row * vocab..(row + 1) * vocab]
                .iter()
                .zip(&alone_values)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst <= tolerance * scale,
                "{name}, step {step}, sequence {row}: logits differ by {worst} (scale {scale})"
            );
            let token = rows_argmax(&alone)[0];
            assert_eq!(
                rows_argmax(&together)[row],
                token,
                "{name}, step {step}, sequence {row}"
            );
            following.push(token);
        }
        next = following;
    }
    for (together, alone) in batched.iter().zip(&solo) {
        assert_eq!(together.offset(), alone.offset());
    }
}

#[test]
fn a_batched_step_of_smollm2_gives_each_sequence_its_solo_logits_and_tokens() {
    batched_steps_agree_with_solo_steps("smollm2-135m-f32", 8, 1e-4);
}

#[test]
fn a_batched_step_of_quantized_weights_gives_each_sequence_its_solo_tokens() {
    batched_steps_agree_with_solo_steps("tiny-qwen3-4bit", 16, 1e-4);
    batched_steps_agree_with_solo_steps("tiny-llama-4bit-g128", 16, 1e-4);
}

#[test]
fn a_batched_step_in_half_precision_gives_each_sequence_its_solo_tokens() {
    // bf16 keeps 8 bits of mantissa: a many-row product may round a last place differently.
    batched_steps_agree_with_solo_steps("tiny-qwen3-bf16", 16, 2e-2);
}

#[test]
fn a_batch_needs_one_token_per_sequence() {
    let model = Model::load(&fixture("tiny-qwen3")).unwrap();
    let mut caches = [model.new_cache(), model.new_cache()];
    let mut refs: Vec<&mut KvCache> = caches.iter_mut().collect();
    let three = Array::from_slice(&[1u32, 2, 3], &[3]);
    assert!(model.forward_tokens(&three, &mut refs).is_err());
}

/// Largest difference between two logits rows, relative to the reference row's largest value.
fn relative_difference(ours: &[f32], reference: &[f32]) -> f32 {
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    worst / scale
}

/// A joining request's prompt, in chunks, beside two decoding sequences: every pass gives each
/// decoding sequence its solo step's logits, and after its last chunk the joiner's logits are
/// those of its whole prompt fed alone; the caches end as the solo ones.
fn chunks_join_decoding_sequences(name: &str, tolerance: f32) {
    let model = Model::load(&fixture(name)).unwrap();
    let vocab = model.config.vocab_size as usize;
    let decoding: Vec<Vec<u32>> = vec![(1..=5).collect(), (100..137).collect()];
    let joiner: Vec<u32> = (300..341).collect();
    let mut solo = Vec::new();
    let mut next = Vec::new();
    for prompt in &decoding {
        let mut cache = model.new_cache();
        next.push(rows_argmax(&model.forward_last(prompt, &mut cache).unwrap())[0]);
        solo.push(cache);
    }
    let mut batched = solo.clone();
    let mut joining = model.new_cache();
    let mut joiner_alone = model.new_cache();
    let joiner_logits = rows_f32(&model.forward_last(&joiner, &mut joiner_alone).unwrap());
    for chunk in joiner.chunks(16) {
        let mut tokens = next.clone();
        tokens.extend_from_slice(chunk);
        let tokens = Array::from_slice(&tokens, &[tokens.len() as i32]);
        let lens = [1, 1, chunk.len() as i32];
        let mut refs: Vec<&mut KvCache> = batched.iter_mut().collect();
        refs.push(&mut joining);
        let logits = model.forward_chunks(&tokens, &mut refs, &lens).unwrap();
        assert_eq!(logits.shape(), [3, model.config.vocab_size]);
        let values = rows_f32(&logits);
        for (row, cache) in solo.iter_mut().enumerate() {
            let alone = model
                .forward_token(&Array::from_slice(&[next[row]], &[1]), cache)
                .unwrap();
            let together = &values[row * vocab..(row + 1) * vocab];
            let difference = relative_difference(together, &rows_f32(&alone));
            assert!(
                difference <= tolerance,
                "{name}: sequence {row} differs by {difference}"
            );
            next[row] = rows_argmax(&alone)[0];
        }
        if chunk.as_ptr_range().end == joiner.as_ptr_range().end {
            let difference = relative_difference(&values[2 * vocab..], &joiner_logits);
            assert!(
                difference <= tolerance,
                "{name}: the joiner differs by {difference}"
            );
        }
    }
    assert_eq!(joining.offset(), joiner_alone.offset());
    for (together, alone) in batched.iter().zip(&solo) {
        assert_eq!(together.offset(), alone.offset());
    }
}

#[test]
fn a_prompt_fed_in_chunks_beside_decoding_sequences_predicts_as_alone() {
    chunks_join_decoding_sequences("smollm2-135m-f32", 1e-4);
    chunks_join_decoding_sequences("tiny-qwen3-4bit", 1e-4);
}
