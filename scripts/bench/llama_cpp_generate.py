"""One greedy chat completion with llama.cpp (llama-cpp-python) on a GGUF file, reported in the
format of `mlx-manager generate`'s statistics line, for `cargo xtask bench inference`.

usage: llama_cpp_generate.py MODEL.gguf PROMPT MAX_TOKENS THREADS
"""

import sys
import time

import llama_cpp
from llama_cpp import Llama


def main() -> None:
    model, prompt, max_tokens, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    llm = Llama(
        model_path=model,
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    messages = [{"role": "user", "content": prompt}]
    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
    started = time.perf_counter()
    first = None
    chunks = 0
    for chunk in llm.create_chat_completion(
        messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
    ):
        if chunk["choices"][0]["delta"].get("content"):
            chunks += 1
            if first is None:
                first = time.perf_counter()
    ttft = (first or time.perf_counter()) - started
    # llama.cpp's own counters: the prompt's evaluation, then one evaluation per new token.
    perf = llama_cpp.llama_perf_context(llm._ctx.ctx)
    prompt_tps = perf.n_p_eval / max(perf.t_p_eval_ms / 1000, 1e-9)
    decode_tps = perf.n_eval / max(perf.t_eval_ms / 1000, 1e-9)
    print(
        f"prompt: {perf.n_p_eval} tokens, {prompt_tps:.1f} tok/s | "
        f"generation: {chunks} tokens, {decode_tps:.1f} tok/s | first token: {ttft * 1000:.0f} ms",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
