"""The official `anthropic` client, unchanged, against our /v1/messages: whole and streamed
answers, count_tokens, both ways to authenticate, and the exceptions it raises for our errors.
Prints what it saw as JSON."""

import json
import os

import anthropic

base = os.environ["BASE_URL"]
key = os.environ["API_KEY"]
profile = os.environ["PROFILE"]
client = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
bearer = anthropic.Anthropic(base_url=base, auth_token=key, max_retries=0)
messages = [{"role": "user", "content": "What is the capital of France?"}]
# The 2.x client no longer has sampling parameters; older clients send `temperature`, and the
# server still takes it (greedy keeps the answers comparable).
greedy = {"temperature": 0}
seen = {}

seen["message"] = client.messages.create(
    model=profile, max_tokens=24, messages=messages, extra_body=greedy
).model_dump()
seen["bearer_message"] = bearer.messages.create(
    model=profile, max_tokens=24, messages=messages, extra_body=greedy
).model_dump()

with client.messages.stream(
    model=profile, max_tokens=24, messages=messages, extra_body=greedy
) as stream:
    seen["event_types"] = [event.type for event in stream]
    seen["streamed"] = stream.get_final_message().model_dump()

seen["stopped"] = client.messages.create(
    model=profile,
    max_tokens=24,
    messages=messages,
    stop_sequences=["Paris"],
    extra_body=greedy,
).model_dump()

seen["count"] = client.messages.count_tokens(model=profile, messages=messages).input_tokens
system = "You are a geography teacher who answers in one word."
seen["count_with_system"] = client.messages.count_tokens(
    model=profile, messages=messages, system=system
).input_tokens
usage = client.messages.create(
    model=profile, max_tokens=1, messages=messages, system=system
).usage
seen["generated_with_system"] = usage.input_tokens + (usage.cache_read_input_tokens or 0)


def refusal(call):
    try:
        call()
    except anthropic.APIStatusError as error:
        return {
            "class": type(error).__name__,
            "status": error.status_code,
            "body": error.body,
        }
    return None


stranger = anthropic.Anthropic(base_url=base, api_key="mlxm_not-a-key", max_retries=0)
seen["errors"] = {
    "bad_key": refusal(
        lambda: stranger.messages.create(model=profile, max_tokens=4, messages=messages)
    ),
    "unknown_model": refusal(
        lambda: client.messages.create(model="nobody/absent", max_tokens=4, messages=messages)
    ),
    "hot": refusal(
        lambda: client.messages.create(
            model=profile, max_tokens=4, messages=messages, extra_body={"temperature": 1.5}
        )
    ),
}
print(json.dumps(seen))
