"""The official `openai` client, unchanged, against our /v1: models, chat (whole and streamed
with usage), and the exceptions it raises for our errors. Prints what it saw as JSON."""

import json
import os

import openai
from openai import OpenAI

base = os.environ["BASE_URL"] + "/v1"
profile = os.environ["PROFILE"]
repo = os.environ["REPO"]
client = OpenAI(base_url=base, api_key=os.environ["API_KEY"], max_retries=0)
messages = [{"role": "user", "content": "What is the capital of France?"}]
seen = {}

seen["models"] = [m.model_dump() for m in client.models.list()]
seen["retrieved"] = [client.models.retrieve(profile).id, client.models.retrieve(repo).id]

answer = client.chat.completions.create(
    model=profile, messages=messages, temperature=0, max_tokens=24
)
seen["answer"] = answer.model_dump()

stream = client.chat.completions.create(
    model=profile,
    messages=messages,
    temperature=0,
    max_tokens=24,
    stream=True,
    stream_options={"include_usage": True},
)
seen["chunks"] = [chunk.model_dump() for chunk in stream]

prompt = "The capital of France is"
seen["completion"] = client.completions.create(
    model=profile, prompt=prompt, max_tokens=8, temperature=0
).model_dump()
seen["completion_echo"] = (
    client.completions.create(model=profile, prompt=prompt, max_tokens=8, temperature=0, echo=True)
    .choices[0]
    .text
)
seen["completion_chunks"] = [
    chunk.model_dump()
    for chunk in client.completions.create(
        model=profile,
        prompt=[prompt],
        max_tokens=8,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
]
seen["completion_default_length"] = client.completions.create(
    model=repo, prompt="Once upon a time", temperature=0
).usage.completion_tokens


def refusal(call):
    try:
        call()
    except openai.APIStatusError as error:
        return {
            "class": type(error).__name__,
            "status": error.status_code,
            "type": error.type,
            "code": error.code,
            "param": error.param,
            "message": error.message,
        }
    return None


stranger = OpenAI(base_url=base, api_key="mlxm_not-a-key", max_retries=0)
seen["errors"] = {
    "bad_key": refusal(lambda: stranger.models.list()),
    "unknown_model": refusal(
        lambda: client.chat.completions.create(model="nobody/absent", messages=messages)
    ),
    "unknown_model_by_id": refusal(lambda: client.models.retrieve("nobody/absent")),
    "two_choices": refusal(
        lambda: client.chat.completions.create(model=profile, messages=messages, n=2)
    ),
    "image": refusal(
        lambda: client.chat.completions.create(
            model=profile,
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}
                    ],
                }
            ],
        )
    ),
    "fill_in_the_middle": refusal(
        lambda: client.completions.create(model=profile, prompt=prompt, suffix="!")
    ),
    "hot": refusal(
        lambda: client.chat.completions.create(model=profile, messages=messages, temperature=3)
    ),
}
print(json.dumps(seen))
