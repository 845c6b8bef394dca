"""Log-probabilities and the presence/frequency penalties through the official `openai` client
(chat whole and streamed, text completions), beside the reference: mlx-lm's `stream_generate`
on the same directory and prompt, whose `logprobs` are the full distribution each token was
drawn from. Prints JSON."""

import json
import os

import mlx.core as mx
from mlx_lm import load, stream_generate
from mlx_lm.sample_utils import make_logits_processors, make_sampler
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"] + "/v1", api_key=os.environ["API_KEY"], max_retries=0)
model_name = os.environ["MODEL"]
messages = [{"role": "user", "content": "Write a short poem about the sea."}]
MAX_TOKENS = 24
seen = {}


def reference(prompt, **penalties):
    out = []
    for response in stream_generate(
        model,
        tokenizer,
        prompt,
        max_tokens=MAX_TOKENS,
        sampler=make_sampler(temp=0.0),
        logits_processors=make_logits_processors(**penalties),
    ):
        if response.token in tokenizer.eos_token_ids:
            break
        logprobs = response.logprobs.astype(mx.float32)
        top = mx.argsort(-logprobs)[:3].tolist()
        out.append({
            "token": response.token,
            "logprob": logprobs[response.token].item(),
            "top": [[t, logprobs[t].item()] for t in top],
        })
    return out


model, tokenizer = load(os.environ["MODEL_DIR"])
chat_prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
seen["reference"] = reference(chat_prompt)
penalties = {"presence_penalty": 0.8, "frequency_penalty": 0.5}
seen["reference_penalized"] = reference(chat_prompt, **penalties)
seen["reference_penalized_text"] = tokenizer.decode([s["token"] for s in seen["reference_penalized"]])
text_prompt = "The capital of France is"
seen["reference_text"] = reference(tokenizer.encode(text_prompt))
seen["vocab"] = {str(t): tokenizer.decode([t]) for part in ("reference", "reference_text") for s in seen[part] for t, _ in s["top"]}

whole = client.chat.completions.create(
    model=model_name, messages=messages, max_tokens=MAX_TOKENS, temperature=0,
    logprobs=True, top_logprobs=3,
)
seen["whole"] = whole.model_dump()

streamed = []
chunks_with_scores = 0
for chunk in client.chat.completions.create(
    model=model_name, messages=messages, max_tokens=MAX_TOKENS, temperature=0,
    logprobs=True, top_logprobs=3, stream=True,
):
    if chunk.choices and chunk.choices[0].logprobs:
        chunks_with_scores += 1
        streamed.extend(entry.model_dump() for entry in chunk.choices[0].logprobs.content)
seen["streamed"] = streamed
seen["chunks_with_scores"] = chunks_with_scores

penalized = client.chat.completions.create(
    model=model_name, messages=messages, max_tokens=MAX_TOKENS, temperature=0, **penalties,
)
seen["penalized"] = penalized.choices[0].message.content
seen["without_scores"] = penalized.choices[0].logprobs

completion = client.completions.create(
    model=model_name, prompt=text_prompt, max_tokens=MAX_TOKENS, temperature=0, logprobs=3,
)
seen["completion"] = completion.model_dump()

errors = {}
for name, extra in {
    "top_logprobs_alone": {"top_logprobs": 2},
    "too_many": {"logprobs": True, "top_logprobs": 21},
    "penalty_range": {"presence_penalty": 2.5},
}.items():
    try:
        client.chat.completions.create(model=model_name, messages=messages, max_tokens=2, **extra)
    except Exception as error:
        errors[name] = [type(error).__name__, error.status_code, error.body.get("param")]
seen["errors"] = errors
print(json.dumps(seen))
