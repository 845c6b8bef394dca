"""The official `openai` client against a model whose queue is full: it retries our 429 as
often as it is told to, waiting `Retry-After`, then raises RateLimitError."""

import json
import os
import time

import openai
from openai import OpenAI

attempts = []
# The client's own HTTP client, with a hook that notes each attempt.
http = openai.DefaultHttpx2Client(
    event_hooks={"request": [lambda request: attempts.append(time.monotonic())]}
)
client = OpenAI(
    base_url=os.environ["BASE_URL"] + "/v1",
    api_key=os.environ["API_KEY"],
    max_retries=2,
    http_client=http,
)
started = time.monotonic()
try:
    client.chat.completions.create(
        model=os.environ["MODEL"], messages=[{"role": "user", "content": "Hi"}], max_tokens=4
    )
    outcome = {"class": None}
except openai.APIStatusError as error:
    outcome = {
        "class": type(error).__name__,
        "status": error.status_code,
        "retry_after": error.response.headers.get("retry-after"),
        "type": error.type,
    }
outcome["attempts"] = len(attempts)
outcome["gaps"] = [b - a for a, b in zip(attempts, attempts[1:])]
outcome["elapsed"] = time.monotonic() - started
print(json.dumps(outcome))
