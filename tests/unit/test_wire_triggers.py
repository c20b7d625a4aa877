"""The wire server's triggers typed into the chat, its scenarios, speed, endpoints and command
line, through the REAL openai / anthropic SDKs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import openai
import pytest

from tests.unit.wire_clients import WAIT, anthropic_stream, openai_stream, user
from tests.wire_server import (
    HTML_ANSWER,
    Scenario,
    WireServer,
    find_trigger,
    long_markdown_text,
)

REPO = Path(__file__).resolve().parents[2]

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
