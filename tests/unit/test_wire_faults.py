"""The wire server's faults (mid-stream errors, dropped connections, client disconnects,
timeouts) as the REAL openai / anthropic SDKs see them; the exception classes each SDK raises
are listed in test_wire_server.py's docstring."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import openai
import pytest

from tests.unit.wire_clients import WAIT, anthropic_stream, openai_stream, user
from tests.wire_server import (
    Scenario,
    WireServer,
)

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
