#!/usr/bin/env python3
"""Reference output of Python transformers' chat templates for the chat template parity tests.

    apply_chat_template.py < cases.json

Reads a JSON list of cases, each {"model": DIR, "messages": [...], "add_generation_prompt": bool,
"tools": [...] or null, "extra": {...}}, renders each with
`AutoTokenizer.from_pretrained(DIR).apply_chat_template(messages, tokenize=False, ...)` and prints
a JSON list with, for each case, {"text": ...} or {"error": ...}. Run it with HF_HUB_OFFLINE=1.
"""

import json
import sys

from transformers import AutoTokenizer


def main() -> None:
    cases = json.loads(sys.stdin.buffer.read())
    tokenizers = {}
    results = []
    for case in cases:
        model = case["model"]
        if model not in tokenizers:
            tokenizers[model] = AutoTokenizer.from_pretrained(model, local_files_only=True)
        try:
            text = tokenizers[model].apply_chat_template(
                case["messages"],
                tokenize=False,
                add_generation_prompt=case.get("add_generation_prompt", False),
                tools=case.get("tools"),
                **case.get("extra", {}),
            )
            results.append({"text": text})
        except Exception as error:  # the tests compare errors too
            results.append({"error": f"{type(error).__name__}: {error}"})
    sys.stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
