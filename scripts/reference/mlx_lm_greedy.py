#!/usr/bin/env python3
"""Reference output of Python mlx-lm for the engine's parity tests.

    mlx_lm_greedy.py MODEL_DIR --max-tokens N PROMPT...

Prints JSON: for each prompt, the prompt's token ids (as mlx-lm tokenizes it), the logits of the
first step, and N greedily decoded tokens (mlx-lm's generate_step with a temperature-0 sampler,
not stopping at end-of-sequence).
"""

import argparse
import json

import mlx.core as mx
from mlx_lm import load
from mlx_lm.generate import generate_step
from mlx_lm.sample_utils import make_sampler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("prompts", nargs="+")
    args = parser.parse_args()

    model, tokenizer = load(args.model)
    results = []
    for prompt in args.prompts:
        ids = tokenizer.encode(prompt)
        logits = model(mx.array(ids)[None])[0, -1, :]
        steps = generate_step(mx.array(ids), model, max_tokens=args.max_tokens, sampler=make_sampler(0.0))
        tokens = [int(token) for token, _ in steps]
        results.append({"prompt": prompt, "prompt_ids": ids, "first_logits": logits.tolist(), "tokens": tokens})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
