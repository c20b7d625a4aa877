"""The wire server's endings of issue #10 (reasoning, refusal, content filter, truncated body,
end marker then a body held open, a JSON reply, raw recorded bodies) as the real SDKs see them."""

from __future__ import annotations

import json
import socket
import urllib.request

import anthropic
import openai

from tests.unit.wire_clients import anthropic_stream, openai_stream, user
from tests.wire_server import Scenario, WireServer


def test_trigger_endings_as_the_openai_sdk_sees_them(wire: WireServer, oai: openai.OpenAI) -> None:
    assert openai_stream(oai, "#wire:filter")[::2] == ("Here is how to", "content_filter")
    assert openai_stream(oai, "#wire:refusal")[::2] == ("", "content_filter")
    text, usage, finish, _ = openai_stream(oai, "#wire:truncated")
    assert (text, usage, finish) == ("One, two, three", None, None)


def test_trigger_endings_as_the_anthropic_sdk_sees_them(
    wire: WireServer, ant: anthropic.Anthropic
) -> None:
    text, message = anthropic_stream(ant, "#wire:filter")
    assert (text, message.stop_reason) == ("Here is how to", "refusal")
    text, message = anthropic_stream(ant, "#wire:reasoning:0.1")
    assert message.content[0].type == "thinking"
    assert message.content[0].thinking.startswith("The person wants a short answer.")
    assert message.content[0].signature
    assert text.startswith("You said: #wire:reasoning")


def test_trigger_reasoning_streams_reasoning_content(wire: WireServer, oai: openai.OpenAI) -> None:
    stream = oai.chat.completions.create(
        model="gpt-test", messages=user("#wire:reasoning:0.1"), stream=True
    )
    reasoning = "".join(
        (chunk.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for chunk in stream
        if chunk.choices
    )
    assert reasoning.startswith("The person wants a short answer.")


def test_trigger_held_keeps_the_body_open_after_done(wire: WireServer) -> None:
    body = json.dumps({"model": "m", "stream": True, "messages": user("#wire:held:3")}).encode()
    with socket.create_connection((wire.host, wire.port)) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body
        )
        sock.settimeout(10)
        received = b""
        while b": keep-alive" not in received:
            received += sock.recv(65536)
    assert b"data: [DONE]" in received
    assert received.index(b"data: [DONE]") < received.index(b": keep-alive")
    assert wire.requests[-1].events == ["held"]


def test_trigger_json_answers_a_streaming_request_with_one_object(wire: WireServer) -> None:
    body = json.dumps({"model": "m", "stream": True, "messages": user("#wire:json")}).encode()
    request = urllib.request.Request(
        wire.openai_base_url + "/chat/completions",
        data=body,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["content-type"] == "application/json"
        reply = json.loads(response.read())
    assert reply["object"] == "chat.completion"
    assert reply["choices"][0]["message"]["content"].startswith("You said: #wire:json")


def test_raw_bodies_are_sent_byte_for_byte(wire: WireServer) -> None:
    raw = b'data: {"a":"\xe2\x80\xa8"}\r\n\r\n: comment\n\ndata: [DONE]\n\n'
    wire.enqueue(Scenario(raw=raw, raw_chunk=3))
    request = urllib.request.Request(
        wire.openai_base_url + "/chat/completions",
        data=json.dumps({"model": "m", "stream": True, "messages": user("x")}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == raw
