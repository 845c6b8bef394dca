"""The official `openai` client's embeddings against our /v1 — floats, base64 (which the client
decodes itself), token inputs, fewer dimensions — beside the reference: mlx-lm's model on the
same directory, its final hidden state of the last token (or, with POOLING=mean, the mean over
the tokens), L2-normalised. Prints JSON."""

import base64
import json
import os

import mlx.core as mx
import mlx_lm
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"] + "/v1", api_key=os.environ["API_KEY"], max_retries=0)
model = os.environ["MODEL"]
texts = ["The quick brown fox.", "Hello, world! How are you today?"]
seen = {}

# Left to itself the client asks for base64 and decodes it (with numpy when present).
decoded = client.embeddings.create(model=model, input=texts)
seen["floats"] = client.embeddings.create(model=model, input=texts, encoding_format="float").model_dump()
seen["client_decoded"] = [d.embedding for d in decoded.data]
raw = client.embeddings.create(model=model, input=texts, encoding_format="base64").data
seen["base64"] = [
    [float(x) for x in memoryview(base64.b64decode(d.embedding)).cast("f")] for d in raw
]
seen["one"] = client.embeddings.create(model=model, input=texts[0], encoding_format="float").data[0].embedding
seen["short"] = client.embeddings.create(model=model, input=texts[0], dimensions=16).data[0].embedding

reference_model, tokenizer = mlx_lm.load(os.environ["MODEL_DIR"])
ids = [tokenizer.encode(text) for text in texts]
seen["tokens"] = client.embeddings.create(model=model, input=ids, encoding_format="float").model_dump()
reference = []
for sequence in ids:
    states = reference_model.model(mx.array([sequence]))[0].astype(mx.float32)
    hidden = states.mean(axis=0) if os.environ.get("POOLING") == "mean" else states[-1]
    reference.append((hidden / mx.linalg.norm(hidden)).tolist())
seen["reference"] = reference
seen["reference_tokens"] = sum(len(sequence) for sequence in ids)
try:
    client.embeddings.create(model=model, input=[])
except Exception as error:
    seen["empty"] = [type(error).__name__, error.status_code]
print(json.dumps(seen))
