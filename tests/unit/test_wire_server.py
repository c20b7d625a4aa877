"""The wire server against the REAL openai / anthropic SDKs (they use httpx2: respx can't mock).

What the SDKs do with each fault (openai 3.57, anthropic 2.14) -- pinned below by exact class:

* HTTP errors: openai 400/401/404/429 -> BadRequestError/AuthenticationError/NotFoundError/
  RateLimitError, every 5xx (500, 503, 529) -> InternalServerError. anthropic: same 4xx
  classes, 500 -> InternalServerError, 503 -> ServiceUnavailableError, 529 -> OverloadedError
  (both subclasses of anthropic.InternalServerError).
* Error event after HTTP 200: openai raises plain ``openai.APIError`` (NOT an APIStatusError);
  anthropic raises plain ``anthropic.APIStatusError`` with status_code 200 -- NOT
  OverloadedError, even though the event says ``overloaded_error``.
* Malformed ``data:`` line: both raise ``json.JSONDecodeError`` (a ValueError, no SDK class).
  Anthropic silently skips a ``data:`` line that has no ``event:`` line, so the server names it.
* Connection dropped mid-stream: openai ``APIConnectionError``; anthropic lets the transport's
  ``httpx2.RemoteProtocolError`` ("incomplete chunked read") through (no SDK class).
* No headers before the timeout: ``APITimeoutError`` from both. Headers but no body byte before
  the timeout: openai ``APITimeoutError``; anthropic the raw ``httpx2.ReadTimeout``.
"""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from tests.unit.wire_clients import WAIT, anthropic_stream, openai_stream, user
from tests.wire_server import (
    Scenario,
    WireServer,
)

# --------------------------------------------------------------------------------------------
# Happy paths
# --------------------------------------------------------------------------------------------


def test_openai_stream_text_and_usage(wire: WireServer, oai: openai.OpenAI) -> None:
    wire.enqueue(Scenario.text("Hello world, streaming!", chunk_size=4, prompt_tokens=11))
    text, usage, finish, n = openai_stream(oai)
    assert text == "Hello world, streaming!"
    assert n == 6
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 6, 17)
    assert finish == "stop"

    assert wire.wait_until_idle(WAIT)
    rec = wire.last_request
    assert rec is not None
    assert (rec.method, rec.path, rec.provider, rec.source) == (
        "POST",
        "/v1/chat/completions",
        "openai",
        "queue",
    )
    assert rec.headers["authorization"] == "Bearer sk-test"
    assert rec.body["model"] == "gpt-test"
    assert rec.body["stream_options"] == {"include_usage": True}
    assert rec.user_text == "hello"
    assert rec.completed and not rec.disconnected and not rec.dropped
    assert rec.chunks_sent == 6


def test_openai_usage_needs_include_usage_and_scenario(
    wire: WireServer, oai: openai.OpenAI
) -> None:
    text, usage, finish, _ = openai_stream(oai, "hi", include_usage=False)
    assert text.startswith("You said: hi")
    assert usage is None and finish == "stop"

    wire.enqueue(Scenario.text("abc", usage=False))
    text, usage, finish, _ = openai_stream(oai, include_usage=True)
    assert (text, usage, finish) == ("abc", None, "stop")


def test_openai_stream_helper_accumulates(wire: WireServer, oai: openai.OpenAI) -> None:
    wire.enqueue(Scenario.text("Accumulate me, please."))
    with oai.chat.completions.stream(
        model="gpt-test", messages=user("x"), stream_options={"include_usage": True}
    ) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "Accumulate me, please."
    assert final.choices[0].finish_reason == "stop"
    assert final.usage is not None and final.usage.completion_tokens == 6


def test_anthropic_stream_text_and_usage(wire: WireServer, ant: anthropic.Anthropic) -> None:
    wire.enqueue(Scenario.text("Hello from Claude's twin.", prompt_tokens=9))
    text, msg = anthropic_stream(ant)
    assert text == "Hello from Claude's twin."
    assert msg.content[0].text == text
    assert msg.stop_reason == "end_turn"
    assert (msg.usage.input_tokens, msg.usage.output_tokens) == (9, 7)
    assert msg.model == "claude-test"

    assert wire.wait_until_idle(WAIT)
    rec = wire.last_request
    assert rec is not None and rec.provider == "anthropic" and rec.path == "/v1/messages"
    # anthropic 2.14 sends the api_key as a bearer token, not as x-api-key
    assert rec.headers["authorization"] == "Bearer test" and "x-api-key" not in rec.headers
    assert "anthropic-version" in rec.headers
    assert rec.body["stream"] is True and rec.body["max_tokens"] == 1024
    assert rec.completed and rec.chunks_sent == 7


def test_non_stream_responses(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(Scenario.text("plain answer"), Scenario.text("plain claude"))
    completion = oai.chat.completions.create(model="gpt-test", messages=user("x"))
    assert completion.choices[0].message.content == "plain answer"
    assert completion.usage is not None and completion.usage.completion_tokens == 3
    message = ant.messages.create(model="claude-test", max_tokens=10, messages=user("x"))
    assert message.content[0].text == "plain claude"
    assert message.stop_reason == "end_turn"


def test_finish_reason_length(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(
        Scenario.text("cut short", finish_reason="length"),
        Scenario.text("cut short", finish_reason="length"),
    )
    text, _, finish, _ = openai_stream(oai)
    assert (text, finish) == ("cut short", "length")
    text, msg = anthropic_stream(ant)
    assert (text, msg.stop_reason) == ("cut short", "max_tokens")


def test_default_echo_takes_last_user_message(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    text, usage, _, n = openai_stream(oai, "what is 2+2?")
    assert text == "You said: what is 2+2?\n\nThis answer comes from the local wire test server."
    assert n == len(text) // 4 + 1 and usage.completion_tokens == n

    blocks = [{"type": "text", "text": "first block"}, {"type": "text", "text": "second"}]
    text, _ = anthropic_stream(ant, blocks)
    assert text.startswith("You said: first block\nsecond\n\n")

    msgs = [
        {"role": "user", "content": "#wire:500"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "plain"},
    ]
    stream = oai.chat.completions.create(model="m", messages=msgs, stream=True)  # type: ignore[arg-type]
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.startswith("You said: plain")
    assert [r.source for r in wire.requests] == ["default"] * 3


def test_queue_is_fifo_across_providers_then_default(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(Scenario.text("first"), Scenario.text("second"))
    assert wire.pending == 2
    assert openai_stream(oai)[0] == "first"
    assert anthropic_stream(ant)[0] == "second"
    assert wire.pending == 0
    assert openai_stream(oai, "third")[0].startswith("You said: third")
    assert [r.source for r in wire.requests] == ["queue", "queue", "default"]


# --------------------------------------------------------------------------------------------
# HTTP errors
# --------------------------------------------------------------------------------------------

ERROR_CASES = [
    (Scenario.context_length_exceeded(), openai.BadRequestError, anthropic.BadRequestError),
    (Scenario.http_error(401), openai.AuthenticationError, anthropic.AuthenticationError),
    (Scenario.model_not_found(), openai.NotFoundError, anthropic.NotFoundError),
    (Scenario.http_error(429, retry_after=1), openai.RateLimitError, anthropic.RateLimitError),
    (Scenario.http_error(500), openai.InternalServerError, anthropic.InternalServerError),
    (Scenario.http_error(503), openai.InternalServerError, anthropic.ServiceUnavailableError),
    (Scenario.overloaded(), openai.InternalServerError, anthropic.OverloadedError),
]


@pytest.mark.parametrize(
    ("scenario", "openai_exc", "anthropic_exc"), ERROR_CASES, ids=lambda v: getattr(v, "name", "")
)
def test_http_errors_map_to_sdk_exceptions(
    wire: WireServer,
    oai: openai.OpenAI,
    ant: anthropic.Anthropic,
    scenario: Scenario,
    openai_exc: type[Exception],
    anthropic_exc: type[Exception],
) -> None:
    wire.enqueue(scenario, scenario)
    with pytest.raises(openai_exc) as oe:
        openai_stream(oai)
    assert type(oe.value) is openai_exc
    with pytest.raises(anthropic_exc) as ae:
        anthropic_stream(ant)
    assert type(ae.value) is anthropic_exc

    o_err: Any = oe.value
    a_err: Any = ae.value
    assert o_err.status_code == a_err.status_code == scenario.status
    assert set(o_err.body) >= {"message", "type", "param", "code"}  # SDK unwraps "error"
    assert a_err.body["type"] == "error" and set(a_err.body["error"]) == {"type", "message"}
    assert o_err.response.headers["x-request-id"].startswith("req_wire")
    assert a_err.response.headers["request-id"].startswith("req_wire")
    if scenario.status == 400:
        assert o_err.code == "context_length_exceeded"
        assert "prompt is too long" in a_err.body["error"]["message"]
    if scenario.status == 404:
        assert o_err.code == "model_not_found"
        assert a_err.body["error"]["type"] == "not_found_error"
    if scenario.status in (429, 529):
        assert o_err.response.headers["retry-after"] == "1"
        assert a_err.response.headers["retry-after"] == "1"
    if scenario.status == 529:
        assert a_err.body["error"]["type"] == "overloaded_error"
    assert [r.status for r in wire.requests] == [scenario.status] * 2


def test_custom_error_body_and_headers(wire: WireServer, oai: openai.OpenAI) -> None:
    body = {
        "error": {"message": "custom", "type": "x", "param": None, "code": "insufficient_quota"}
    }
    wire.enqueue(Scenario.http_error(429, body=body, headers={"X-Extra": "1"}))
    with pytest.raises(openai.RateLimitError) as exc:
        openai_stream(oai)
    assert exc.value.code == "insufficient_quota" and exc.value.message.endswith("custom")
    assert exc.value.response.headers["x-extra"] == "1"
