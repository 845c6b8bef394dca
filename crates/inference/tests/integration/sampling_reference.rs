//! The sampler against Python mlx-lm's `sample_utils` (the project venv, same MLX build) on the
//! same logits: the log-probabilities and the top-p / min-p / top-k filters must agree bit for
//! bit, and seeded sampling (with `mx.random.seed(seed)` on the Python side) must draw the same
//! tokens, the repetition, presence and frequency penalties included.

use std::io::Write;
use std::process::{Command, Stdio};

use mlx_manager_inference::generation::sampling::{
    Sampler, SamplingParams, apply_min_p, apply_top_k, apply_top_p, log_probs,
};
use mlx_rs::{Array, Dtype, random};
use serde_json::{Value, json};

use crate::support::workspace;

const VOCAB: i32 = 1000;
const TOP_P: &[f32] = &[0.05, 0.3, 0.5, 0.9, 0.95, 0.99];
const MIN_P: &[f32] = &[0.01, 0.05, 0.1, 0.3, 0.5, 0.9];
const TOP_K: &[usize] = &[1, 2, 5, 40, 500, 999];

/// The mlx-lm side: reads the request on stdin, answers JSON on stdout. Arrays travel as the
/// bit patterns of their float32 values, so nothing is lost in decimal.
const REFERENCE: &str = r#"
import json, sys
import mlx.core as mx
from mlx_lm.sample_utils import (
    apply_min_p, apply_top_k, apply_top_p, make_logits_processors, make_sampler,
)

request = json.load(sys.stdin)

def load(bits, dtype):
    array = mx.array(bits, dtype=mx.uint32).view(mx.float32).reshape(1, -1)
    return array.astype(getattr(mx, dtype))

def bits(array):
    return array.astype(mx.float32).view(mx.uint32).reshape(-1).tolist()

filters = []
for case in request["filters"]:
    logits = load(case["logits"], case["dtype"])
    logprobs = logits - mx.logsumexp(logits, keepdims=True)
    filters.append({
        "logprobs": bits(logprobs),
        "top_p": [bits(apply_top_p(logprobs, p)) for p in case["top_p"]],
        "min_p": [bits(apply_min_p(logprobs, p)) for p in case["min_p"]],
        "top_k": [bits(apply_top_k(logprobs, k)) for k in case["top_k"]],
    })

sequences = []
for case in request["sequences"]:
    mx.random.seed(case["seed"])
    sampler = make_sampler(
        temp=case["temperature"], top_p=case["top_p"], min_p=case["min_p"], top_k=case["top_k"]
    )
    penalty = case["repetition_penalty"]
    processors = make_logits_processors(
        repetition_penalty=None if penalty == 1.0 else penalty,
        repetition_context_size=case["repetition_context"],
        presence_penalty=case["presence_penalty"],
        presence_context_size=case["penalty_context"],
        frequency_penalty=case["frequency_penalty"],
        frequency_context_size=case["penalty_context"],
    )
    tokens = mx.array(case["prompt"], dtype=mx.uint32)
    generated = []
    for _ in range(case["steps"]):
        # As generate_step: fresh logits each step, processors, logprobs, sampler.
        logits = load(case["logits"], case["dtype"])
        for processor in processors:
            logits = processor(tokens, logits)
        logprobs = logits - mx.logsumexp(logits, keepdims=True)
        y = sampler(logprobs)
        tokens = mx.concat([tokens, y])
        generated.append(y.item())
    sequences.append(generated)

json.dump({"filters": filters, "sequences": sequences}, sys.stdout)
"#;

fn mlx_lm(request: &Value) -> Value {
    let python = workspace().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./setup",
        python.display()
    );
    let mut child = Command::new(python)
        .args(["-c", REFERENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the mlx-lm reference");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().expect("run the mlx-lm reference");
    assert!(
        output.status.success(),
        "mlx-lm failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("reference JSON")
}

/// Normal logits `[1, VOCAB]` times `scale`, fixed by `seed`; `quantum` rounds them to its
/// multiples so that many tie.
fn logits(seed: u64, scale: f32, quantum: Option<f32>) -> Vec<f32> {
    let key = random::key(seed).unwrap();
    let array = random::normal::<f32>(&[1, VOCAB], None, None, &key).unwrap();
    array.eval().unwrap();
    array
        .as_slice::<f32>()
        .iter()
        .map(|v| match quantum {
            Some(q) => (v * scale / q).round() * q,
            None => v * scale,
        })
        .collect()
}

fn array(values: &[f32], dtype: &str) -> Array {
    let array = Array::from_slice(values, &[1, values.len() as i32]);
    match dtype {
        "float32" => array,
        "bfloat16" => array.as_dtype(Dtype::Bfloat16).unwrap(),
        "float16" => array.as_dtype(Dtype::Float16).unwrap(),
        other => panic!("dtype {other}"),
    }
}

fn bits_of(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

fn bits(array: &Array) -> Vec<u32> {
    let array = array.as_dtype(Dtype::Float32).unwrap();
    array.eval().unwrap();
    bits_of(array.as_slice::<f32>())
}

fn reference_bits(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect()
}

/// Exact equality, with a readable summary (how many entries differ, and whether the
/// `-inf` masks agree) when it fails.
fn assert_same(ours: &[u32], theirs: &[u32], what: &str) {
    if ours == theirs {
        return;
    }
    let masked = |b: &u32| f32::from_bits(*b) == f32::NEG_INFINITY;
    let differing = ours.iter().zip(theirs).filter(|(a, b)| a != b).count();
    let mask_differing = ours
        .iter()
        .zip(theirs)
        .filter(|(a, b)| masked(a) != masked(b))
        .count();
    panic!(
        "{what}: {differing} of {} entries differ from mlx-lm ({mask_differing} in the -inf mask)",
        ours.len()
    );
}

fn as_param(value: f32) -> f64 {
    // The exact value of the f32, so that Python's double arithmetic sees what we see.
    f64::from(value)
}

#[test]
fn log_probs_and_filters_match_mlx_lm_bit_for_bit() {
    let rows: Vec<(String, Vec<f32>, &str)> = vec![
        ("flat".into(), logits(1, 1.0, None), "float32"),
        ("peaked".into(), logits(2, 4.0, None), "float32"),
        ("ties".into(), logits(3, 2.0, Some(0.5)), "float32"),
        ("bfloat16".into(), logits(4, 3.0, None), "bfloat16"),
        ("float16".into(), logits(5, 2.0, None), "float16"),
    ];
    let request = json!({
        "filters": rows.iter().map(|(_, values, dtype)| json!({
            "logits": bits_of(values),
            "dtype": dtype,
            "top_p": TOP_P.iter().map(|&p| as_param(p)).collect::<Vec<_>>(),
            "min_p": MIN_P.iter().map(|&p| as_param(p)).collect::<Vec<_>>(),
            "top_k": TOP_K,
        })).collect::<Vec<_>>(),
        "sequences": [],
    });
    let reference = mlx_lm(&request);
    assert_eq!(reference["filters"].as_array().unwrap().len(), rows.len());
    for ((name, values, dtype), theirs) in rows.iter().zip(reference["filters"].as_array().unwrap())
    {
        for (filter, count) in [
            ("top_p", TOP_P.len()),
            ("min_p", MIN_P.len()),
            ("top_k", TOP_K.len()),
        ] {
            assert_eq!(theirs[filter].as_array().unwrap().len(), count);
        }
        let logprobs = log_probs(&array(values, dtype)).unwrap();
        assert_eq!(logprobs.dtype(), array(values, dtype).dtype());
        assert_same(
            &bits(&logprobs),
            &reference_bits(&theirs["logprobs"]),
            &format!("{name}: logprobs"),
        );
        for (&p, expected) in TOP_P.iter().zip(theirs["top_p"].as_array().unwrap()) {
            let ours = apply_top_p(&logprobs, p).unwrap();
            assert_same(
                &bits(&ours),
                &reference_bits(expected),
                &format!("{name}: top_p {p}"),
            );
        }
        for (&p, expected) in MIN_P.iter().zip(theirs["min_p"].as_array().unwrap()) {
            let ours = apply_min_p(&logprobs, p).unwrap();
            assert_same(
                &bits(&ours),
                &reference_bits(expected),
                &format!("{name}: min_p {p}"),
            );
        }
        for (&k, expected) in TOP_K.iter().zip(theirs["top_k"].as_array().unwrap()) {
            let ours = apply_top_k(&logprobs, k).unwrap();
            assert_same(
                &bits(&ours),
                &reference_bits(expected),
                &format!("{name}: top_k {k}"),
            );
        }
    }
}

struct Case {
    params: SamplingParams,
    dtype: &'static str,
    logits: Vec<f32>,
}

fn case(params: SamplingParams, dtype: &'static str, logits_seed: u64, scale: f32) -> Case {
    Case {
        params,
        dtype,
        logits: logits(logits_seed, scale, None),
    }
}

#[test]
fn seeded_sampling_draws_the_same_tokens_as_mlx_lm() {
    const STEPS: usize = 40;
    const PROMPT: &[u32] = &[3, 17, 3, 999, 42];
    let base = SamplingParams {
        temperature: 1.0,
        seed: Some(0),
        ..SamplingParams::default()
    };
    let cases = vec![
        case(base.clone(), "float32", 10, 1.0),
        case(
            SamplingParams {
                temperature: 0.7,
                seed: Some(1),
                ..base.clone()
            },
            "float32",
            11,
            2.0,
        ),
        case(
            SamplingParams {
                top_p: 0.9,
                seed: Some(2),
                ..base.clone()
            },
            "float32",
            12,
            2.0,
        ),
        case(
            SamplingParams {
                min_p: 0.05,
                seed: Some(3),
                ..base.clone()
            },
            "float32",
            13,
            2.0,
        ),
        case(
            SamplingParams {
                top_k: 20,
                temperature: 1.3,
                seed: Some(4),
                ..base.clone()
            },
            "float32",
            14,
            1.5,
        ),
        case(
            SamplingParams {
                temperature: 0.8,
                top_p: 0.95,
                min_p: 0.02,
                top_k: 50,
                repetition_penalty: 1.3,
                repetition_context: 8,
                seed: Some(5),
                ..base.clone()
            },
            "float32",
            15,
            2.0,
        ),
        case(
            SamplingParams {
                repetition_penalty: 0.8,
                seed: Some(6),
                ..base.clone()
            },
            "float32",
            16,
            1.0,
        ),
        case(
            SamplingParams {
                temperature: 0.9,
                top_p: 0.9,
                repetition_penalty: 1.2,
                seed: Some(7),
                ..base.clone()
            },
            "bfloat16",
            17,
            2.0,
        ),
        case(
            SamplingParams {
                top_k: 40,
                seed: Some(u64::MAX),
                ..base.clone()
            },
            "float16",
            18,
            2.0,
        ),
        // Greedy with a penalty: deterministic, but the penalty moves the argmax.
        case(
            SamplingParams {
                temperature: 0.0,
                repetition_penalty: 1.5,
                repetition_context: 4,
                ..SamplingParams::default()
            },
            "float32",
            19,
            1.0,
        ),
        // Greedy with a small frequency penalty: the top few tokens come back, so how often each
        // was seen (not only whether) decides the argmax.
        case(
            SamplingParams {
                temperature: 0.0,
                frequency_penalty: 0.3,
                ..SamplingParams::default()
            },
            "float32",
            20,
            1.0,
        ),
        case(
            SamplingParams {
                temperature: 0.0,
                presence_penalty: 0.3,
                ..SamplingParams::default()
            },
            "float32",
            20,
            1.0,
        ),
        case(
            SamplingParams {
                presence_penalty: 1.5,
                penalty_context: 6,
                seed: Some(8),
                ..base.clone()
            },
            "float32",
            21,
            2.0,
        ),
        case(
            // A negative penalty rewards repeats; small and short, so the draws stay varied.
            SamplingParams {
                top_p: 0.9,
                frequency_penalty: -0.1,
                penalty_context: 3,
                seed: Some(9),
                ..base.clone()
            },
            "bfloat16",
            22,
            1.0,
        ),
        case(
            SamplingParams {
                temperature: 0.9,
                repetition_penalty: 1.1,
                presence_penalty: 0.4,
                frequency_penalty: 0.6,
                penalty_context: 12,
                seed: Some(10),
                ..base.clone()
            },
            "float16",
            23,
            2.0,
        ),
    ];

    let request = json!({
        "filters": [],
        "sequences": cases.iter().map(|c| {
            let p = &c.params;
            json!({
                "logits": bits_of(&c.logits),
                "dtype": c.dtype,
                "seed": p.seed.unwrap_or(0),
                "temperature": as_param(p.temperature),
                "top_p": as_param(p.top_p),
                "min_p": as_param(p.min_p),
                "top_k": p.top_k,
                "repetition_penalty": as_param(p.repetition_penalty),
                "repetition_context": p.repetition_context,
                "presence_penalty": as_param(p.presence_penalty),
                "frequency_penalty": as_param(p.frequency_penalty),
                "penalty_context": p.penalty_context,
                "prompt": PROMPT,
                "steps": STEPS,
            })
        }).collect::<Vec<_>>(),
    });
    let reference = mlx_lm(&request);
    let sequences = reference["sequences"].as_array().unwrap();
    assert_eq!(sequences.len(), cases.len());
    // The greedy frequency case tests that repeats accumulate only if it differs from the
    // presence case on the same logits.
    assert_ne!(sequences[cases.len() - 5], sequences[cases.len() - 4]);

    for (c, theirs) in cases.iter().zip(reference["sequences"].as_array().unwrap()) {
        let theirs: Vec<u32> = theirs
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        let mut sampler = Sampler::new(c.params.clone()).unwrap();
        let logits = array(&c.logits, c.dtype);
        let mut history = PROMPT.to_vec();
        for _ in 0..STEPS {
            let next = sampler.sample(&logits, &history).unwrap();
            next.eval().unwrap();
            history.push(next.as_slice::<u32>()[0]);
        }
        let ours = &history[PROMPT.len()..];
        assert_eq!(ours, theirs, "{:?} ({})", c.params, c.dtype);
        if !c.params.is_greedy() {
            let distinct = ours.iter().collect::<std::collections::HashSet<_>>().len();
            assert!(distinct > 3, "not random enough to compare: {ours:?}");
        }
    }
}
