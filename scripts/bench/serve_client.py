"""The client of `cargo xtask bench serve`: the official `openai` package streaming chat answers
from one server (ours or mlx_lm.server), timed the same way for both. Prints JSON.

Time to first token: from sending the request to the first content delta. Decode speed: the
answer's tokens after the first (from the usage chunk) over the time from the first content
delta to the last. Then a 4-turn chat resending its history, timed with and without a reusable
prefix. Then, for each count in CONCURRENCY (e.g. "1,4,8"), ROUNDS rounds of that many clients
at once: each request's time to first token and decode speed, and all their tokens over the
round's wall time (aggregate)."""

import json
import os
import threading
import time

from openai import OpenAI

client = OpenAI(
    base_url=os.environ["BASE_URL"] + "/v1", api_key=os.environ["API_KEY"], max_retries=0, timeout=600
)
MODEL = os.environ["MODEL"]
PROMPT = os.environ["PROMPT"]
MAX_TOKENS = int(os.environ["MAX_TOKENS"])
RUNS = int(os.environ["RUNS"])
CONCURRENCY = [int(n) for n in os.environ["CONCURRENCY"].split(",")]
ROUNDS = int(os.environ.get("ROUNDS", "2"))


def one(index):
    started = time.perf_counter()
    first = last = None
    usage = None
    # A different opening per request: mlx_lm.server reuses cached prompt prefixes, which would
    # turn its time to first token into a cache hit.
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": f"Request {index}. {PROMPT}"}],
        max_tokens=MAX_TOKENS,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            first = first or now
            last = now
    tokens = usage.completion_tokens if usage else 0
    decode = (tokens - 1) / (last - first) if first and last and last > first and tokens > 1 else 0.0
    return {
        "ttft_ms": ((first or time.perf_counter()) - started) * 1000,
        "decode_tps": decode,
        "tokens": tokens,
    }


def first_token_ms(messages):
    """Streams one chat answer; returns the time to its first content delta and its text."""
    started = time.perf_counter()
    first = None
    text = ""
    stream = client.chat.completions.create(
        model=MODEL, messages=messages, max_tokens=CHAT_ANSWER_TOKENS, temperature=0, stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            first = first or time.perf_counter()
            text += chunk.choices[0].delta.content
    return ((first or time.perf_counter()) - started) * 1000, text


CHAT_ANSWER_TOKENS = 32
SYSTEM = (
    "You are a patient geography tutor for a class of twelve-year-olds. "
    + "Answer every question in two short sentences, name one fact worth remembering, "
    + "and never invent facts: when unsure, say so and suggest where to look it up. " * 6
)
QUESTIONS = [
    "What is the capital of France?",
    "Which river flows through it?",
    "How long is that river?",
    "Name another city on its banks.",
]


def chat():
    """A 4-turn chat that resends its history each turn. Before each turn, the same messages
    with a system prompt made unique by a tag in front: nothing of it can be cached, so it
    times the turn without the cache on the same server."""
    history = [{"role": "system", "content": SYSTEM}]
    cached, uncached = [], []
    for turn, question in enumerate(QUESTIONS):
        history.append({"role": "user", "content": question})
        tagged = [{"role": "system", "content": f"[{time.time_ns()}-{turn}] {SYSTEM}"}]
        uncached.append(first_token_ms(tagged + history[1:])[0])
        ms, answer = first_token_ms(history)
        cached.append(ms)
        history.append({"role": "assistant", "content": answer})
    return {"cached_ms": cached, "uncached_ms": uncached}


one(-1)  # warm-up: loads the model, fills caches
sequential = [one(i) for i in range(RUNS)]
chat_turns = chat()


def at_once(clients, round_index):
    """`clients` requests at once; returns each one's figures and the aggregate speed."""
    results = [None] * clients

    def worker(slot):
        results[slot] = one(10_000 * (clients + 1) + 100 * round_index + slot)

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return results, sum(r["tokens"] for r in results) / wall


concurrent = {}
for clients in CONCURRENCY:
    requests, aggregates = [], []
    for round_index in range(ROUNDS):
        results, aggregate = at_once(clients, round_index)
        requests += results
        aggregates.append(aggregate)
    concurrent[str(clients)] = {"requests": requests, "aggregate_tps": aggregates}
print(json.dumps({"sequential": sequential, "concurrent": concurrent, "chat": chat_turns}))
