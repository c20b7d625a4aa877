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

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from tests.wire_server import (
    HTML_ANSWER,
    Scenario,
    WireServer,
    find_trigger,
    long_markdown_text,
)

REPO = Path(__file__).resolve().parents[2]
WAIT = 1.0  # generous upper bound for "the server noticed" waits


@pytest.fixture
def oai(wire: WireServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=wire.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def ant(wire: WireServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=wire.anthropic_base_url, api_key="test", max_retries=0)


def user(content: Any) -> list[dict[str, Any]]:
    return [{"role": "user", "content": content}]


def openai_stream(
    client: openai.OpenAI, content: Any = "hello", *, include_usage: bool = True
) -> tuple[str, Any, str | None, int]:
    """(text, usage, finish_reason, number of content chunks) of a streamed completion."""
    kwargs: dict[str, Any] = {}
    if include_usage:
        kwargs["stream_options"] = {"include_usage": True}
    stream = client.chat.completions.create(
        model="gpt-test", messages=user(content), stream=True, **kwargs
    )
    parts: list[str] = []
    usage = finish = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        if choice.delta.content:
            parts.append(choice.delta.content)
        finish = choice.finish_reason or finish
    return "".join(parts), usage, finish, len(parts)


def anthropic_stream(client: anthropic.Anthropic, content: Any = "hello") -> tuple[str, Any]:
    with client.messages.stream(
        model="claude-test", max_tokens=1024, messages=user(content)
    ) as stream:
        text = "".join(stream.text_stream)
        return text, stream.get_final_message()


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


# --------------------------------------------------------------------------------------------
# Faults in the middle of a stream
# --------------------------------------------------------------------------------------------

TEN = Scenario.text("0123456789" * 4, chunk_size=4)  # 10 chunks


def test_mid_stream_error_event(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(TEN.replace(error_after=3), TEN.replace(error_after=3))
    got: list[str] = []
    stream = oai.chat.completions.create(model="m", messages=user("x"), stream=True)
    with pytest.raises(openai.APIError) as oe:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
    assert type(oe.value) is openai.APIError  # not APIStatusError
    assert got == ["0123", "4567", "8901"]
    assert oe.value.type == "server_error"

    with (
        pytest.raises(anthropic.APIStatusError) as ae,
        ant.messages.stream(model="m", max_tokens=10, messages=user("x")) as s,
    ):
        for _ in s.text_stream:
            pass
    assert type(ae.value) is anthropic.APIStatusError  # not OverloadedError
    assert ae.value.status_code == 200
    assert ae.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert wire.wait_until_idle(WAIT)
    assert [(r.events, r.chunks_sent) for r in wire.requests] == [(["error"], 3)] * 2


def test_malformed_data_line(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(TEN.replace(malformed_after=2), TEN.replace(malformed_after=2))
    with pytest.raises(json.JSONDecodeError):
        openai_stream(oai)
    with pytest.raises(json.JSONDecodeError):
        anthropic_stream(ant)
    assert [r.events for r in wire.requests] == [["malformed"]] * 2


def test_drop_after_closes_connection(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(TEN.replace(drop_after=4), TEN.replace(drop_after=4))
    got: list[str] = []
    stream = oai.chat.completions.create(model="m", messages=user("x"), stream=True)
    with pytest.raises(openai.APIConnectionError) as oe:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                got.append(chunk.choices[0].delta.content)
    assert type(oe.value) is openai.APIConnectionError
    assert isinstance(oe.value.__cause__, httpx2.RemoteProtocolError)
    assert "".join(got) == "0123456789012345"

    # anthropic 2.x does NOT wrap this one: the transport error escapes as-is.
    got = []
    with (
        pytest.raises(httpx2.RemoteProtocolError, match="incomplete chunked read"),
        ant.messages.stream(model="m", max_tokens=10, messages=user("x")) as s,
    ):
        got.extend(s.text_stream)
    assert "".join(got) == "0123456789012345"
    for rec in wire.requests:
        assert rec.dropped and rec.chunks_sent == 4 and not rec.completed
        assert not rec.disconnected  # the server closed, not the client


# --------------------------------------------------------------------------------------------
# Client disconnects and timeouts
# --------------------------------------------------------------------------------------------

SLOW = Scenario.long_markdown(200, rate=20)  # 10 s if nobody stops it


def test_openai_stream_close_is_recorded_as_disconnect(
    wire: WireServer, oai: openai.OpenAI
) -> None:
    wire.enqueue(SLOW)
    stream = oai.chat.completions.create(model="m", messages=user("x"), stream=True)
    it = iter(stream)
    contents = [next(it) for _ in range(4)]  # role chunk + 3 content chunks
    assert all(c.choices[0].delta.content for c in contents[1:])
    closed_at = time.monotonic()
    stream.close()
    rec = wire.wait_for_disconnect(WAIT)
    assert rec is not None and rec.disconnected_at is not None
    assert rec.disconnected_at - closed_at < WAIT
    assert 3 <= rec.chunks_sent < 200 and not rec.completed


def test_anthropic_leaving_with_block_is_recorded_as_disconnect(
    wire: WireServer, ant: anthropic.Anthropic
) -> None:
    wire.enqueue(SLOW)
    with ant.messages.stream(model="m", max_tokens=10, messages=user("x")) as s:
        texts = s.text_stream
        got = [next(texts) for _ in range(3)]
        closed_at = time.monotonic()
    assert len(got) == 3
    rec = wire.wait_for_disconnect(WAIT)
    assert rec is not None and rec.disconnected_at is not None
    assert rec.disconnected_at - closed_at < WAIT
    assert 3 <= rec.chunks_sent < 200 and not rec.completed


def test_no_headers_before_timeout(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    hang = Scenario.echo("x", header_delay=5)
    wire.enqueue(hang, hang)
    with pytest.raises(openai.APITimeoutError):
        openai_stream(oai.with_options(timeout=0.3))
    with pytest.raises(anthropic.APITimeoutError):
        anthropic_stream(ant.with_options(timeout=0.3))
    for i in range(2):
        rec = wire.wait_for_disconnect(WAIT, since=i)
        assert rec is not None and rec.index == i
        assert rec.status is None and rec.chunks_sent == 0


def test_no_first_byte_before_timeout(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    slow_start = Scenario.echo("x", first_byte_delay=5)
    wire.enqueue(slow_start, slow_start)
    with pytest.raises(openai.APITimeoutError):
        openai_stream(oai.with_options(timeout=0.3))
    with pytest.raises(httpx2.ReadTimeout):  # anthropic: the raw transport error
        anthropic_stream(ant.with_options(timeout=0.3))
    for i in range(2):
        rec = wire.wait_for_disconnect(WAIT, since=i)
        assert rec is not None and rec.index == i
        assert rec.status == 200 and rec.chunks_sent == 0


def test_wait_for_disconnect_returns_none_without_one(wire: WireServer) -> None:
    assert wire.wait_for_disconnect(0.05) is None


def test_reset_cuts_off_a_running_stream(wire: WireServer, oai: openai.OpenAI) -> None:
    wire.enqueue(SLOW)
    stream = oai.chat.completions.create(model="m", messages=user("x"), stream=True)
    it = iter(stream)
    next(it)
    wire.reset()
    with pytest.raises(openai.APIConnectionError):
        for _ in it:
            pass
    assert wire.wait_until_idle(WAIT)
    assert wire.requests == [] and wire.wait_for_disconnect(0.05) is None


# --------------------------------------------------------------------------------------------
# Triggers typed into the chat
# --------------------------------------------------------------------------------------------


def test_find_trigger_parsing() -> None:
    assert find_trigger("please #wire:drop:20.") == ("drop", ["20"])
    assert find_trigger("#wire:rate:100:250 go") == ("rate", ["100", "250"])
    assert find_trigger("#wire:429") == ("429", [])
    assert find_trigger("no trigger here") is None


def test_trigger_http_errors(
    wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic
) -> None:
    with pytest.raises(openai.RateLimitError) as exc:
        openai_stream(oai, "#wire:429")
    assert exc.value.response.headers["retry-after"] == "1"
    with pytest.raises(anthropic.OverloadedError):
        anthropic_stream(ant, "#wire:529")
    with pytest.raises(anthropic.NotFoundError):
        anthropic_stream(ant, [{"type": "text", "text": "try #wire:404 please"}])
    with pytest.raises(openai.BadRequestError) as bad:
        openai_stream(oai, "#wire:context")
    assert bad.value.code == "context_length_exceeded"
    assert [r.source for r in wire.requests] == ["trigger"] * 4


def test_trigger_faults(wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    with pytest.raises(openai.APIConnectionError):
        openai_stream(oai, "#wire:drop:5")
    with pytest.raises(anthropic.APIStatusError):
        anthropic_stream(ant, "#wire:error:2")
    with pytest.raises(json.JSONDecodeError):
        openai_stream(oai, "#wire:malformed:1")
    assert wire.wait_until_idle(WAIT)
    drop, error, _ = wire.requests
    assert drop.dropped and drop.chunks_sent == 5
    assert error.events == ["error"] and error.chunks_sent == 2


def test_trigger_answers(wire: WireServer, oai: openai.OpenAI, ant: anthropic.Anthropic) -> None:
    text, _, _, n = openai_stream(oai, "#wire:long:300")
    assert n == 300 and text == long_markdown_text(300)
    assert "```python" in text and "| Setting |" in text and "\n- " in text and "\n## " in text

    text, _ = anthropic_stream(ant, "#wire:html")
    assert text == HTML_ANSWER
    for payload in ("<script>alert(1)</script>", "onerror=alert(1)", "(javascript:alert(1))"):
        assert payload in text

    _, _, _, n = openai_stream(oai, "#wire:rate:20:400")
    assert n == 20 and wire.last_request is not None
    assert wire.last_request.scenario is not None and wire.last_request.scenario.rate == 400

    text, _, finish, _ = openai_stream(oai, "#wire:length")
    assert finish == "length"
    _, msg = anthropic_stream(ant, "#wire:length")
    assert msg.stop_reason == "max_tokens"

    text, usage, _, _ = openai_stream(oai, "#wire:nousage", include_usage=True)
    assert text.startswith("You said: #wire:nousage") and usage is None

    text, _, _, _ = openai_stream(oai, "#wire:bogus")
    assert "Unknown wire trigger" in text and "#wire:drop[:N]" in text


def test_trigger_slow_can_be_stopped(wire: WireServer, ant: anthropic.Anthropic) -> None:
    with ant.messages.stream(model="m", max_tokens=10, messages=user("#wire:slow:2000")) as s:
        texts = s.text_stream
        next(texts), next(texts)
    rec = wire.wait_for_disconnect(WAIT)
    assert rec is not None and rec.scenario is not None
    assert len(rec.scenario.chunks) == 2000 and rec.scenario.rate == 50
    assert rec.chunks_sent < 2000


def test_trigger_hang(wire: WireServer, oai: openai.OpenAI) -> None:
    with pytest.raises(openai.APITimeoutError):
        openai_stream(oai.with_options(timeout=0.3), "#wire:hang:5")
    assert wire.wait_for_disconnect(WAIT) is not None


def test_queue_beats_trigger(wire: WireServer, oai: openai.OpenAI) -> None:
    wire.enqueue(Scenario.text("queued"))
    assert openai_stream(oai, "#wire:500")[0] == "queued"
    with pytest.raises(openai.InternalServerError):
        openai_stream(oai, "#wire:500")


# --------------------------------------------------------------------------------------------
# Scenarios, speed, endpoints, CLI
# --------------------------------------------------------------------------------------------


def test_scenario_constructors() -> None:
    s = Scenario.text("abcdefghij", chunk_size=4)
    assert s.chunks == ("abcd", "efgh", "ij") and s.full_text == "abcdefghij"
    assert Scenario(chunks=["a", "b"]).chunks == ("a", "b")
    assert Scenario.http_error(429, retry_after=1.5).headers == (("retry-after", "1.5"),)
    assert Scenario.http_error(500, headers={"X-A": "b"}).headers == (("x-a", "b"),)
    assert s.replace(drop_after=1).drop_after == 1 and s.drop_after is None
    with pytest.raises(TypeError):
        Scenario(chunks="abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Scenario.http_error(200)
    for n in (0, 1, 7, 100, 8000):
        md = Scenario.long_markdown(n)
        assert len(md.chunks) == n and all(len(c) == 4 for c in md.chunks)
    big = long_markdown_text(8000)
    assert big.count("```") % 2 == 0 and big.count("\n## ") > 30


def test_5000_chunks_as_fast_as_possible(wire: WireServer, oai: openai.OpenAI) -> None:
    wire.enqueue(Scenario.long_markdown(5000))
    started = time.monotonic()
    text, usage, finish, n = openai_stream(oai)
    assert n == 5000 and text == long_markdown_text(5000)
    assert usage.completion_tokens == 5000 and finish == "stop"
    assert time.monotonic() - started < 15  # generous: ~0.5 s on a 2-core machine


def test_paced_stream_delivers_everything(wire: WireServer, ant: anthropic.Anthropic) -> None:
    wire.enqueue(Scenario.text("paced " * 5, chunk_size=3, rate=200))
    text, msg = anthropic_stream(ant)
    assert text == "paced " * 5 and msg.usage.output_tokens == 10


def test_health_and_unknown_path(wire: WireServer) -> None:
    with urllib.request.urlopen(f"{wire.base_url}/health", timeout=5) as resp:
        assert resp.read() == b"ok"
    req = urllib.request.Request(f"{wire.openai_base_url}/nope", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 404
    assert [(r.method, r.path, r.status) for r in wire.requests] == [
        ("GET", "/health", 200),
        ("POST", "/v1/nope", 404),
    ]


def test_cli_serves_until_terminated() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.wire_server", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", first)
        assert m, (first, proc.stderr.read() if proc.poll() is not None else "")
        lines = [proc.stdout.readline() for _ in range(2)]
        assert f"OPENAI_BASE_URL={m.group(1)}/v1" in lines[0]
        assert f"ANTHROPIC_BASE_URL={m.group(1)}" in lines[1]
        with urllib.request.urlopen(f"{m.group(1)}/health", timeout=5) as resp:
            assert resp.read() == b"ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
