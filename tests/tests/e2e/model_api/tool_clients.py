"""The official `openai` and `anthropic` clients, unchanged, through their tool APIs against
our /v1, on a model that always answers "I will check." and calls get_weather(city="Paris").
Prints what they saw as JSON."""

import json
import os

import anthropic
from openai import OpenAI

base = os.environ["BASE_URL"]
key = os.environ["API_KEY"]
model = os.environ["MODEL"]
seen = {}

openai_client = OpenAI(base_url=base + "/v1", api_key=key, max_retries=0)
tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
question = [{"role": "user", "content": "What is the weather in Paris?"}]

whole = openai_client.chat.completions.create(model=model, messages=question, tools=tools)
seen["openai_whole"] = whole.model_dump()

# The client's own stream helper accumulates the deltas as its users' code does.
with openai_client.chat.completions.stream(
    model=model, messages=question, tools=tools, stream_options={"include_usage": True}
) as stream:
    seen["openai_events"] = [event.type for event in stream]
    seen["openai_streamed"] = stream.get_final_completion().model_dump()

call = whole.choices[0].message.tool_calls[0]
loop = question + [
    whole.choices[0].message.model_dump(exclude_none=True),
    {"role": "tool", "tool_call_id": call.id, "content": '{"sky": "sunny", "celsius": 21}'},
]
seen["openai_loop"] = openai_client.chat.completions.create(
    model=model, messages=loop, tools=tools
).model_dump()
seen["openai_no_tools"] = openai_client.chat.completions.create(
    model=model, messages=question, tools=tools, tool_choice="none"
).model_dump()

claude = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0)
anthropic_tools = [
    {
        "name": "get_weather",
        "description": "The weather in a city.",
        "input_schema": tools[0]["function"]["parameters"],
    }
]
message = claude.messages.create(
    model=model, max_tokens=64, messages=question, tools=anthropic_tools
)
seen["anthropic_whole"] = message.model_dump()

with claude.messages.stream(
    model=model, max_tokens=64, messages=question, tools=anthropic_tools
) as stream:
    seen["anthropic_events"] = [event.type for event in stream]
    seen["anthropic_streamed"] = stream.get_final_message().model_dump()

use = next(block for block in message.content if block.type == "tool_use")
anthropic_loop = question + [
    {"role": "assistant", "content": [block.model_dump() for block in message.content]},
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny, 21 °C"}],
    },
]
seen["anthropic_loop"] = claude.messages.create(
    model=model, max_tokens=64, messages=anthropic_loop, tools=anthropic_tools
).model_dump()
seen["anthropic_loop_tokens"] = claude.messages.count_tokens(
    model=model, messages=anthropic_loop, tools=anthropic_tools
).input_tokens

print(json.dumps(seen))
