"""Python mlx-lm's greedy answer to a chat, rendered with the model's own chat template."""

import json
import os

from mlx_lm import generate, load
from mlx_lm.sample_utils import make_sampler

model, tokenizer = load(os.environ["MODEL_DIR"])
messages = json.loads(os.environ["MESSAGES"])
prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True)
text = generate(
    model,
    tokenizer,
    prompt,
    max_tokens=int(os.environ["MAX_TOKENS"]),
    sampler=make_sampler(temp=0.0),
)
print(json.dumps({"text": text, "prompt_tokens": len(prompt)}))
