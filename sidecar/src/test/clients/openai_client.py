"""Drives the official OpenAI Python SDK for the client ITs: one chat completion, plain or streamed, as one JSON line.

usage: openai_client.py BASE_URL MODEL create|stream [PROMPT]
"""
import json
import sys

import openai


def main(base_url, model, action, prompt="Say hello."):
    client = openai.OpenAI(base_url=base_url, api_key="app-own-dummy-key")
    messages = [{"role": "user", "content": prompt}]
    if action == "create":
        r = client.chat.completions.create(model=model, messages=messages, max_tokens=64)
        return {"ok": True, "text": r.choices[0].message.content, "usage": r.usage.to_dict()}
    if action == "stream":
        text, usage = "", None
        for chunk in client.chat.completions.create(model=model, messages=messages, max_tokens=64, stream=True,
                                                    stream_options={"include_usage": True}):
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
            if chunk.usage:
                usage = chunk.usage.to_dict()
        return {"ok": True, "text": text, "usage": usage}
    raise SystemExit("unknown action " + action)


if __name__ == "__main__":
    try:
        out = main(*sys.argv[1:])
    except openai.APIStatusError as e:
        out = {"ok": False, "error": type(e).__name__, "status": e.status_code, "body": e.body}
    print(json.dumps(out))
