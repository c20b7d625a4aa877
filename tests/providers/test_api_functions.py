"""The convenience functions (measure_streaming, stream_with_callbacks, async iteration) with
real providers, configured the way a user would: environment variables."""

from __future__ import annotations

import pytest

from chat_core import (
    ChatError,
    StreamResult,
    StreamStatus,
    measure_streaming,
    start_chat,
    stream_with_callbacks,
)
from tests import aio
from tests.wire_server import Scenario, WireServer

DOCUMENTED_KEYS = [
    "total_time",
    "time_to_first_token",
    "streaming_time",
    "chunk_count",
    "char_count",
    "chars_per_second",
]


@pytest.fixture
def env(wire: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-key")
    monkeypatch.setenv("OPENAI_BASE_URL", wire.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "ant-env-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", wire.anthropic_base_url)
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", wire.openai_base_url)
    return wire


@pytest.mark.parametrize("provider", ["openai", "anthropic", "openai-compatible", "demo"])
def test_measure_streaming_works_with_every_provider(
    provider: str, env: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    metrics = measure_streaming("Say hello", provider=provider)
    assert list(metrics)[:6] == DOCUMENTED_KEYS
    assert metrics["status"] == "complete"
    assert metrics["chunk_count"] > 3
    assert metrics["char_count"] > 10
    assert metrics["time_to_first_token"] is not None
    assert metrics["provider"] == provider
    assert metrics["output_tokens"] is not None and metrics["output_tokens"] > 0


def test_env_key_reaches_the_server_as_the_bearer_token(env: WireServer) -> None:
    start_chat("hi", provider="openai").wait(10)
    assert env.last_request.headers["authorization"] == "Bearer sk-env-key"  # type: ignore[union-attr]


def test_stream_with_callbacks_reports_completion_once(env: WireServer) -> None:
    env.enqueue(Scenario.text("callback text"))
    tokens: list[str] = []
    done: list[StreamResult] = []
    failed: list[ChatError] = []
    result = stream_with_callbacks(
        "x", tokens.append, done.append, lambda e, r: failed.append(e), provider="anthropic"
    )
    assert "".join(tokens) == "callback text" == result.text
    assert done == [result] and failed == []


def test_stream_with_callbacks_reports_error_once_with_partial(env: WireServer) -> None:
    env.enqueue(Scenario.long_markdown(30).replace(drop_after=5))
    done: list[StreamResult] = []
    failed: list[tuple[ChatError, StreamResult]] = []
    result = stream_with_callbacks(
        "x", lambda t: None, done.append, lambda e, r: failed.append((e, r)), provider="openai"
    )
    assert done == []
    assert len(failed) == 1
    assert failed[0][1].text == result.text != ""
    assert result.status is StreamStatus.ERROR


def test_async_iteration_cancel_closes_the_http_response(env: WireServer) -> None:
    env.enqueue(Scenario.long_markdown(2000, rate=100))
    stream = start_chat("x", provider="openai")

    async def consume() -> str:
        got = ""
        async for chunk in stream:
            got += chunk
            if len(got) > 20:
                stream.cancel()
                break
        return got

    got = aio.run(consume())
    assert env.wait_for_disconnect(timeout=2) is not None
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert result.text.startswith(got)
