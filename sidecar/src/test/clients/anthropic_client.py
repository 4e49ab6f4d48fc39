"""Drives the official Anthropic Python SDK for the client ITs and prints what it got, one JSON line per action.

usage: anthropic_client.py BASE_URL MODEL ACTION[,ACTION...] [PROMPT]
ACTION: create | stream | tools | count | odd-query (a create with a query parameter the official clients never send)
The app's own key is a dummy: the sidecar must replace it with the gateway's.
"""
import json
import sys

import anthropic

WEATHER = {"name": "get_weather", "description": "The current weather in a city.",
           "input_schema": {"type": "object",
                            "properties": {"location": {"type": "string"},
                                           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                            "required": ["location"]}}


def usage(u):
    return {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens,
            "cache_creation_input_tokens": u.cache_creation_input_tokens or 0,
            "cache_read_input_tokens": u.cache_read_input_tokens or 0}


def message(m):
    return {"ok": True, "id": m.id, "stop_reason": m.stop_reason, "usage": usage(m.usage),
            "content": [b.to_dict() for b in m.content]}


def run(client, model, action, prompt):
    system = [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}]
    user = [{"role": "user", "content": prompt}]
    if action == "create":
        return message(client.messages.create(model=model, max_tokens=256, system=system, messages=user,
                                              metadata={"user_id": "client-it"}))
    if action == "stream":
        with client.messages.stream(model=model, max_tokens=256, system=system, messages=user) as stream:
            text = "".join(stream.text_stream)
            result = message(stream.get_final_message())
        result["streamed_text"] = text
        return result
    if action == "tools":
        first = client.messages.create(model=model, max_tokens=512, messages=user, tools=[WEATHER],
                                       tool_choice={"type": "auto"})
        call = next(b for b in first.content if b.type == "tool_use")
        history = user + [{"role": "assistant", "content": [b.to_dict() for b in first.content]},
                          {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                                        "content": [{"type": "text", "text": "18 degrees, sunny"}]}]}]
        second = client.messages.create(model=model, max_tokens=512, messages=history, tools=[WEATHER])
        return {"ok": True, "first": message(first), "second": message(second)}
    if action == "odd-query":
        return message(client.messages.create(model=model, max_tokens=256, messages=user,
                                              extra_query={"beta": "true", "model": "claude-opus-4-1"}))
    if action == "count":
        return {"ok": True, "input_tokens": client.messages.count_tokens(model=model, messages=user).input_tokens}
    raise SystemExit("unknown action " + action)


def main(base_url, model, actions, prompt="Say hello."):
    client = anthropic.Anthropic(base_url=base_url, api_key="app-own-dummy-key")
    for action in actions.split(","):
        try:
            out = run(client, model, action, prompt)
        except anthropic.APIStatusError as e:
            body = e.body if isinstance(e.body, dict) else {}
            error = body.get("error") if isinstance(body.get("error"), dict) else {}
            out = {"ok": False, "error": type(e).__name__, "status": e.status_code, "request_id": e.request_id,
                   "type": error.get("type"), "message": error.get("message"), "body": body}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
