use super::*;

fn params() -> SamplingParams {
    SamplingParams::default()
}

fn row(values: &[f32]) -> Array {
    Array::from_slice(values, &[1, values.len() as i32])
}

fn values(array: &Array) -> Vec<f32> {
    let array = array.as_dtype(Dtype::Float32).unwrap();
    array.eval().unwrap();
    array.as_slice::<f32>().to_vec()
}

fn token(array: &Array) -> u32 {
    assert_eq!(array.shape(), &[1]);
    assert_eq!(array.dtype(), Dtype::Uint32);
    array.eval().unwrap();
    array.as_slice::<u32>()[0]
}

/// Standard-normal logits `[1, vocab]` times `scale`, fixed by `seed`.
fn random_logits(vocab: i32, scale: f32, seed: u64) -> Array {
    let key = random::key(seed).unwrap();
    let logits = random::normal::<f32>(&[1, vocab], None, None, &key)
        .unwrap()
        .multiply(Array::from_f32(scale))
        .unwrap();
    logits.eval().unwrap();
    logits
}

fn argmax(values: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best as u32
}

/// `steps` tokens, each appended to the history the next step sees.
fn run(sampler: &mut Sampler, logits: &Array, prompt: &[u32], steps: usize) -> Vec<u32> {
    let mut history = prompt.to_vec();
    for _ in 0..steps {
        let next = token(&sampler.sample(logits, &history).unwrap());
        history.push(next);
    }
    history[prompt.len()..].to_vec()
}

fn frequencies(params: SamplingParams, probs: &[f32], draws: usize) -> Vec<f64> {
    let logits = row(&probs.iter().map(|p| p.ln()).collect::<Vec<_>>());
    let mut sampler = Sampler::new(params).unwrap();
    let mut counts = vec![0usize; probs.len()];
    for _ in 0..draws {
        counts[token(&sampler.sample(&logits, &[]).unwrap()) as usize] += 1;
    }
    counts.iter().map(|&c| c as f64 / draws as f64).collect()
}

fn assert_invalid(params: SamplingParams, field: &str) {
    match params.validate() {
        Err(InferenceError::InvalidParameter { name, .. }) => {
            assert_eq!(name, field, "{params:?}")
        }
        other => panic!("{params:?}: expected an invalid {field}, got {other:?}"),
    }
    assert!(
        matches!(
            Sampler::new(params.clone()),
            Err(InferenceError::InvalidParameter { .. })
        ),
        "{params:?}"
    );
}

#[test]
fn default_params_are_greedy_with_everything_off() {
    let p = params();
    assert!(p.is_greedy());
    assert_eq!(
        (p.top_p, p.top_k, p.min_p, p.repetition_penalty),
        (1.0, 0, 0.0, 1.0)
    );
    assert_eq!(p.repetition_context, 20);
    assert_eq!(p.seed, None);
    p.validate().unwrap();
}

#[test]
fn greedy_equals_argmax() {
    let mut sampler = Sampler::new(params()).unwrap();
    for seed in 0..10 {
        let logits = random_logits(1000, 3.0, seed);
        let expected = argmax(&values(&logits));
        assert_eq!(
            token(&sampler.sample(&logits, &[1, 2, 3]).unwrap()),
            expected
        );
    }
}

#[test]
fn greedy_is_argmax_of_logprobs_in_mlx_lm_op_order() {
    let logits = random_logits(500, 4.0, 3);
    let reference = argmax_axis(
        logits.subtract(logits.logsumexp(true).unwrap()).unwrap(),
        -1,
        None,
    )
    .unwrap();
    let mut sampler = Sampler::new(params()).unwrap();
    assert_eq!(
        token(&sampler.sample(&logits, &[]).unwrap()),
        token(&reference)
    );
}

#[test]
fn greedy_ignores_the_filters() {
    let logits = random_logits(200, 2.0, 5);
    let expected = argmax(&values(&logits));
    let mut sampler = Sampler::new(SamplingParams {
        top_p: 0.5,
        top_k: 3,
        min_p: 0.2,
        ..params()
    })
    .unwrap();
    assert_eq!(token(&sampler.sample(&logits, &[]).unwrap()), expected);
}

#[test]
fn top_k_one_equals_greedy_at_any_temperature() {
    for (i, temperature) in [0.1f32, 0.7, 1.0, 2.0, 50.0].into_iter().enumerate() {
        let mut sampler = Sampler::new(SamplingParams {
            temperature,
            top_k: 1,
            seed: Some(i as u64),
            ..params()
        })
        .unwrap();
        for seed in 0..5 {
            let logits = random_logits(300, 1.0, 100 + seed);
            let expected = argmax(&values(&logits));
            for _ in 0..4 {
                assert_eq!(
                    token(&sampler.sample(&logits, &[]).unwrap()),
                    expected,
                    "temperature {temperature}"
                );
            }
        }
    }
}

#[test]
fn min_p_or_top_p_leaving_only_the_best_token_equals_greedy() {
    // A clear winner: probability well above twice the runner-up's, and above 10 %.
    let mut logits = values(&random_logits(256, 1.0, 9));
    logits[77] = 8.0;
    let logits = row(&logits);
    for filters in [
        SamplingParams {
            min_p: 0.5,
            ..params()
        },
        SamplingParams {
            top_p: 0.1,
            ..params()
        },
    ] {
        let mut sampler = Sampler::new(SamplingParams {
            temperature: 1.5,
            seed: Some(4),
            ..filters.clone()
        })
        .unwrap();
        for _ in 0..30 {
            assert_eq!(
                token(&sampler.sample(&logits, &[]).unwrap()),
                77,
                "{filters:?}"
            );
        }
    }
    // A tiny top_p keeps only the best token of any distribution.
    let logits = random_logits(256, 0.5, 10);
    let expected = argmax(&values(&logits));
    let mut sampler = Sampler::new(SamplingParams {
        temperature: 1.0,
        top_p: 1e-6,
        seed: Some(5),
        ..params()
    })
    .unwrap();
    for _ in 0..30 {
        assert_eq!(token(&sampler.sample(&logits, &[]).unwrap()), expected);
    }
}

fn seeded(seed: u64) -> SamplingParams {
    SamplingParams {
        temperature: 1.0,
        top_p: 0.95,
        repetition_penalty: 1.1,
        seed: Some(seed),
        ..params()
    }
}

#[test]
fn the_same_seed_gives_the_same_sequence() {
    let logits = random_logits(64, 1.0, 11);
    let first = run(&mut Sampler::new(seeded(42)).unwrap(), &logits, &[1, 2], 50);
    let second = run(&mut Sampler::new(seeded(42)).unwrap(), &logits, &[1, 2], 50);
    assert_eq!(first, second);
    assert!(
        first.iter().collect::<std::collections::HashSet<_>>().len() > 5,
        "the sequence should be random: {first:?}"
    );
}

#[test]
fn different_seeds_give_different_sequences() {
    let logits = random_logits(64, 1.0, 11);
    let sequences: Vec<Vec<u32>> = (0..4)
        .map(|seed| {
            run(
                &mut Sampler::new(seeded(seed)).unwrap(),
                &logits,
                &[1, 2],
                50,
            )
        })
        .collect();
    for (i, a) in sequences.iter().enumerate() {
        for b in &sequences[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn unseeded_samplers_differ() {
    let logits = random_logits(64, 1.0, 12);
    let unseeded = SamplingParams {
        seed: None,
        ..seeded(0)
    };
    let a = run(
        &mut Sampler::new(unseeded.clone()).unwrap(),
        &logits,
        &[],
        50,
    );
    let b = run(&mut Sampler::new(unseeded).unwrap(), &logits, &[], 50);
    assert_ne!(a, b);
}

const PROBS: [f32; 3] = [0.5, 0.3, 0.2];

fn temperature_one(seed: u64) -> SamplingParams {
    SamplingParams {
        temperature: 1.0,
        seed: Some(seed),
        ..params()
    }
}

fn assert_close(observed: &[f64], expected: &[f64]) {
    for (o, e) in observed.iter().zip(expected) {
        assert!((o - e).abs() <= 0.04, "{observed:?} vs {expected:?}");
    }
}

#[test]
fn temperature_one_draws_follow_the_distribution() {
    let observed = frequencies(temperature_one(1234), &PROBS, 3000);
    assert_close(&observed, &[0.5, 0.3, 0.2]);
}

#[test]
fn top_k_two_never_yields_the_third_token() {
    let observed = frequencies(
        SamplingParams {
            top_k: 2,
            ..temperature_one(1)
        },
        &PROBS,
        3000,
    );
    assert_eq!(observed[2], 0.0);
    assert_close(&observed, &[0.625, 0.375, 0.0]);
}

#[test]
fn top_p_point_six_only_yields_the_first_two() {
    let observed = frequencies(
        SamplingParams {
            top_p: 0.6,
            ..temperature_one(2)
        },
        &PROBS,
        3000,
    );
    assert_eq!(observed[2], 0.0);
    assert_close(&observed, &[0.625, 0.375, 0.0]);
}

#[test]
fn min_p_half_excludes_the_token_below_a_quarter() {
    let observed = frequencies(
        SamplingParams {
            min_p: 0.5,
            ..temperature_one(3)
        },
        &PROBS,
        3000,
    );
    assert_eq!(observed[2], 0.0);
    assert_close(&observed, &[0.625, 0.375, 0.0]);
}

#[test]
fn a_low_temperature_sharpens_and_a_high_one_flattens() {
    let cold = frequencies(
        SamplingParams {
            temperature: 0.25,
            ..temperature_one(4)
        },
        &PROBS,
        2000,
    );
    let hot = frequencies(
        SamplingParams {
            temperature: 10.0,
            ..temperature_one(5)
        },
        &PROBS,
        2000,
    );
    assert!(cold[0] > 0.8, "{cold:?}");
    assert!(hot[0] < 0.4 && hot[2] > 0.27, "{hot:?}");
}

#[test]
fn the_filters_mask_what_mlx_lm_masks() {
    let logprobs = log_probs(&row(&PROBS.map(f32::ln))).unwrap();
    let masked = |array: Array| -> Vec<bool> {
        values(&array)
            .iter()
            .map(|v| *v == f32::NEG_INFINITY)
            .collect()
    };
    assert_eq!(
        masked(apply_top_k(&logprobs, 2).unwrap()),
        [false, false, true]
    );
    assert_eq!(
        masked(apply_top_k(&logprobs, 1).unwrap()),
        [false, true, true]
    );
    assert_eq!(masked(apply_top_k(&logprobs, 3).unwrap()), [false; 3]);
    assert_eq!(
        masked(apply_top_p(&logprobs, 0.6).unwrap()),
        [false, false, true]
    );
    assert_eq!(
        masked(apply_top_p(&logprobs, 0.5).unwrap()),
        [false, true, true]
    );
    assert_eq!(masked(apply_top_p(&logprobs, 0.81).unwrap()), [false; 3]);
    assert_eq!(
        masked(apply_min_p(&logprobs, 0.5).unwrap()),
        [false, false, true]
    );
    assert_eq!(masked(apply_min_p(&logprobs, 0.39).unwrap()), [false; 3]);
    assert_eq!(
        masked(apply_min_p(&logprobs, 0.61).unwrap()),
        [false, true, true]
    );
    // The kept entries are untouched.
    let kept = values(&apply_top_p(&logprobs, 0.6).unwrap());
    assert_eq!(kept[..2], values(&logprobs)[..2]);
}

#[test]
fn the_repetition_penalty_lowers_repeated_tokens() {
    let logits = row(&[2.0, -2.0, 1.0, 0.5, -1.0]);
    let penalized = apply_repetition_penalty(&logits, &[0, 1, 0], 2.0, 20).unwrap();
    // Positive logits are divided, negative ones multiplied; others are unchanged.
    assert_eq!(values(&penalized), [1.0, -4.0, 1.0, 0.5, -1.0]);
    let rewarded = apply_repetition_penalty(&logits, &[0, 1], 0.5, 20).unwrap();
    assert_eq!(values(&rewarded), [4.0, -1.0, 1.0, 0.5, -1.0]);
}

#[test]
fn the_repetition_penalty_only_looks_at_the_recent_context() {
    let logits = row(&[2.0, -2.0, 1.0, 0.5]);
    let penalized = apply_repetition_penalty(&logits, &[0, 1, 2], 2.0, 1).unwrap();
    assert_eq!(values(&penalized), [2.0, -2.0, 0.5, 0.5]);
    let penalized = apply_repetition_penalty(&logits, &[0, 1, 2], 2.0, 2).unwrap();
    assert_eq!(values(&penalized), [2.0, -4.0, 0.5, 0.5]);
    // Empty history and tokens outside the vocabulary change nothing.
    let same = apply_repetition_penalty(&logits, &[], 2.0, 20).unwrap();
    assert_eq!(values(&same), values(&logits));
    let same = apply_repetition_penalty(&logits, &[4, u32::MAX], 2.0, 20).unwrap();
    assert_eq!(values(&same), values(&logits));
}

#[test]
fn the_repetition_penalty_keeps_the_dtype() {
    for dtype in [Dtype::Bfloat16, Dtype::Float16] {
        let logits = row(&[2.0, -2.0, 1.0]).as_dtype(dtype).unwrap();
        let penalized = apply_repetition_penalty(&logits, &[0, 1], 2.0, 20).unwrap();
        assert_eq!(penalized.dtype(), dtype);
        assert_eq!(values(&penalized), [1.0, -4.0, 1.0]);
    }
}

#[test]
fn the_repetition_penalty_steers_greedy_decoding() {
    let logits = row(&[3.0, 2.9, 1.0]);
    let mut sampler = Sampler::new(SamplingParams {
        repetition_penalty: 1.5,
        ..params()
    })
    .unwrap();
    assert_eq!(token(&sampler.sample(&logits, &[]).unwrap()), 0);
    assert_eq!(token(&sampler.sample(&logits, &[0]).unwrap()), 1);
    assert_eq!(token(&sampler.sample(&logits, &[0, 1]).unwrap()), 0);
}

#[test]
fn invalid_parameters_are_rejected() {
    let p = params;
    assert_invalid(
        SamplingParams {
            temperature: f32::NAN,
            ..p()
        },
        "temperature",
    );
    for temperature in [-0.1, f32::INFINITY, 1e-45] {
        assert_invalid(SamplingParams { temperature, ..p() }, "temperature");
    }
    for top_p in [0.0, 1.5, -0.5, f32::NAN] {
        assert_invalid(SamplingParams { top_p, ..p() }, "top_p");
    }
    for min_p in [1.0, -0.1, f32::NAN] {
        assert_invalid(SamplingParams { min_p, ..p() }, "min_p");
    }
    for repetition_penalty in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert_invalid(
            SamplingParams {
                repetition_penalty,
                ..p()
            },
            "repetition_penalty",
        );
    }
    assert_invalid(
        SamplingParams {
            repetition_penalty: 1.2,
            repetition_context: 0,
            ..p()
        },
        "repetition_context",
    );
    // The edges that are allowed.
    for ok in [
        SamplingParams {
            temperature: 1e-30,
            top_p: 1.0,
            min_p: 0.999,
            repetition_penalty: 1e-3,
            ..p()
        },
        SamplingParams {
            repetition_context: 0,
            ..p()
        },
    ] {
        ok.validate().unwrap();
    }
}

#[test]
fn bad_logits_are_errors_not_panics() {
    let mut sampler = Sampler::new(temperature_one(0)).unwrap();
    let bad = [
        Array::zeros::<f32>(&[2, 5]).unwrap(),
        Array::zeros::<f32>(&[1, 0]).unwrap(),
        Array::zeros::<f32>(&[1, 1, 5]).unwrap(),
        Array::from_f32(1.0),
        Array::zeros::<i32>(&[1, 5]).unwrap(),
    ];
    for logits in bad {
        assert!(
            matches!(
                sampler.sample(&logits, &[]),
                Err(InferenceError::InvalidParameter { name: "logits", .. })
            ),
            "{:?}",
            logits.shape()
        );
    }
}

#[test]
fn odd_inputs_do_not_panic() {
    let everything = SamplingParams {
        temperature: 0.8,
        top_p: 0.9,
        top_k: 1_000_000,
        min_p: 0.05,
        repetition_penalty: 1.3,
        seed: Some(1),
        ..params()
    };
    let mut sampler = Sampler::new(everything).unwrap();
    let vector = Array::from_slice(&[0.5f32, 0.1, 2.0], &[3]);
    assert!(token(&sampler.sample(&vector, &[7, u32::MAX, 2]).unwrap()) < 3);
    let single = row(&[1.0]);
    assert_eq!(token(&sampler.sample(&single, &[0, 0]).unwrap()), 0);
    for weird in [
        row(&[f32::NAN, 1.0, 2.0]),
        row(&[f32::NEG_INFINITY; 3]),
        row(&[f32::INFINITY, 1.0, 2.0]),
    ] {
        let _ = token(&sampler.sample(&weird, &[0, 1, 2]).unwrap());
    }
    let long_history: Vec<u32> = (0..10_000).collect();
    let _ = token(
        &sampler
            .sample(&random_logits(50, 1.0, 1), &long_history)
            .unwrap(),
    );
}

#[test]
fn half_precision_logits_are_sampled() {
    for dtype in [Dtype::Bfloat16, Dtype::Float16, Dtype::Float32] {
        let logits = random_logits(100, 2.0, 21).as_dtype(dtype).unwrap();
        let expected = argmax(&values(&logits));
        let mut greedy = Sampler::new(params()).unwrap();
        assert_eq!(token(&greedy.sample(&logits, &[]).unwrap()), expected);
        let mut sampler = Sampler::new(SamplingParams {
            top_p: 0.9,
            min_p: 0.01,
            top_k: 20,
            ..seeded(3)
        })
        .unwrap();
        assert!(token(&sampler.sample(&logits, &[1, 2]).unwrap()) < 100);
    }
}

#[test]
fn a_sampler_can_move_to_the_generation_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Sampler>();
    assert_send::<SamplingParams>();
}

#[test]
fn sample_returns_a_lazy_uint32_token_of_shape_one() {
    let logits = random_logits(10, 1.0, 2);
    for p in [params(), seeded(1)] {
        let next = Sampler::new(p).unwrap().sample(&logits, &[]).unwrap();
        assert_eq!(next.shape(), &[1]);
        assert_eq!(next.dtype(), Dtype::Uint32);
    }
}

#[test]
fn the_presence_penalty_subtracts_once_per_seen_token() {
    let logits = row(&[2.0, -2.0, 1.0, 0.5]);
    let penalized = apply_presence_penalty(&logits, &[0, 1, 0, 0, 9], 0.5).unwrap();
    assert_eq!(values(&penalized), [1.5, -2.5, 1.0, 0.5]);
    let rewarded = apply_presence_penalty(&logits, &[2], -1.0).unwrap();
    assert_eq!(values(&rewarded), [2.0, -2.0, 2.0, 0.5]);
}

#[test]
fn the_frequency_penalty_subtracts_once_per_occurrence() {
    let logits = row(&[2.0, -2.0, 1.0, 0.5]);
    let penalized = apply_frequency_penalty(&logits, &[0, 1, 0, 0, u32::MAX], 0.5).unwrap();
    assert_eq!(values(&penalized), [0.5, -2.5, 1.0, 0.5]);
    for dtype in [Dtype::Bfloat16, Dtype::Float16] {
        let logits = logits.as_dtype(dtype).unwrap();
        let penalized = apply_frequency_penalty(&logits, &[3, 3], 0.25).unwrap();
        assert_eq!(penalized.dtype(), dtype);
        assert_eq!(values(&penalized), [2.0, -2.0, 1.0, 0.0]);
    }
}

#[test]
fn the_additive_penalties_only_look_at_the_recent_context() {
    let mut sampler = Sampler::new(SamplingParams {
        frequency_penalty: 2.0,
        penalty_context: 1,
        ..params()
    })
    .unwrap();
    let logits = row(&[3.0, 2.0, 0.0]);
    // Token 0 is outside the one-token context: it stays the argmax.
    assert_eq!(token(&sampler.sample(&logits, &[0, 1]).unwrap()), 0);
    assert_eq!(token(&sampler.sample(&logits, &[1, 0]).unwrap()), 1);
}

#[test]
fn additive_penalties_must_be_finite_and_need_a_context() {
    let error = Sampler::new(SamplingParams {
        presence_penalty: f32::NAN,
        ..params()
    })
    .unwrap_err();
    assert!(error.to_string().contains("presence_penalty"), "{error}");
    let error = Sampler::new(SamplingParams {
        frequency_penalty: 0.5,
        penalty_context: 0,
        ..params()
    })
    .unwrap_err();
    assert!(error.to_string().contains("penalty_context"), "{error}");
    assert!(
        SamplingParams {
            presence_penalty: 0.1,
            ..params()
        }
        .reads_history()
    );
    assert!(!params().reads_history());
}
