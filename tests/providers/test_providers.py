"""chat_core's providers driving the real openai / anthropic SDKs against the wire server.

Nothing inside the SDKs is patched: every byte goes over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import socket
import time

import pytest

from chat_core import errors
from chat_core.providers.base import Provider
from chat_core.stream import ChatStream, RetryPolicy
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.wire_server import Scenario, WireServer

PROVIDERS = ["openai", "anthropic", "openai-compatible"]
FAST_RETRY = RetryPolicy(max_retries=2, backoff_s=0.05, max_wait_s=5)


def provider_for(name: str, wire: WireServer, *, base_url: str | None = None) -> Provider:
    from chat_core.config import ProviderSettings
    from chat_core.providers import make_provider

    if name == "anthropic":
        return make_provider(
            ProviderSettings("anthropic", "test-key", base_url or wire.anthropic_base_url)
        )
    if name == "openai":
        return make_provider(
            ProviderSettings("openai", "sk-test", base_url or wire.openai_base_url)
        )
    return make_provider(
        ProviderSettings("openai-compatible", None, base_url or wire.openai_base_url)
    )


def run(
    provider: Provider,
    prompt: str = "hello",
    *,
    retry: RetryPolicy = FAST_RETRY,
    timeout_s: float = 10,
    **req: object,
) -> ChatStream:
    request = ChatRequest(
        messages=(Message("user", prompt),), model="test-model", timeout_s=timeout_s, **req
    )  # type: ignore[arg-type]
    return ChatStream(provider, request, retry=retry)


@pytest.fixture(params=PROVIDERS)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_text_and_usage_accumulate(name: str, wire: WireServer) -> None:
    wire.enqueue(
        Scenario.text(
            "The quick brown fox jumps.", chunk_size=3, prompt_tokens=7, completion_tokens=6
        )
    )
    stream = run(provider_for(name, wire))
    chunks = list(stream)
    result = stream.wait()
    assert "".join(chunks) == result.text == "The quick brown fox jumps."
    assert result.status is StreamStatus.COMPLETE
    assert result.metrics.chunk_count == len(chunks) >= 9
    assert result.metrics.output_tokens == 6
    assert result.metrics.input_tokens == 7


def test_answers_reuse_the_connection_and_a_cancel_does_not_poison_the_pool(
    name: str, wire: WireServer
) -> None:
    # A TLS handshake per answer would add ~100 ms to every time to first token for real.
    provider = provider_for(name, wire)
    assert run(provider, "one").wait().status is StreamStatus.COMPLETE
    assert run(provider, "two").wait().status is StreamStatus.COMPLETE
    first, second = wire.requests[-2:]
    assert first.client_port == second.client_port, "the second answer opened a new connection"

    wire.enqueue(Scenario.long_markdown(2000, rate=100))
    stopped = run(provider)
    for index, _chunk in enumerate(stopped):
        if index == 3:
            break  # the consumer walks away: this connection is shut down
    assert wire.wait_for_disconnect(timeout=2) is not None
    assert stopped.wait(5).status is StreamStatus.STOPPED
    assert run(provider, "three").wait().status is StreamStatus.COMPLETE
    assert wire.requests[-1].completed


def test_request_carries_history_system_and_settings(name: str, wire: WireServer) -> None:
    provider = provider_for(name, wire)
    request = ChatRequest(
        messages=(
            Message("user", "first"),
            Message("assistant", "answer"),
            Message("user", "second"),
        ),
        model="my-model",
        system="Speak like a pirate.",
        temperature=0.3,
        max_tokens=77,
    )
    ChatStream(provider, request).wait(10)
    body = wire.last_request.body  # type: ignore[union-attr]
    assert body["model"] == "my-model"
    assert body["temperature"] == 0.3
    assert body["stream"] is True
    if name == "anthropic":
        assert body["system"] == "Speak like a pirate."
        assert body["max_tokens"] == 77
        assert [m["content"] for m in body["messages"]] == ["first", "answer", "second"]
    else:
        assert body["messages"][0] == {"role": "system", "content": "Speak like a pirate."}
        assert [m["content"] for m in body["messages"][1:]] == ["first", "answer", "second"]
        assert body["stream_options"] == {"include_usage": True}
        assert body.get("max_completion_tokens", body.get("max_tokens")) == 77


def test_usage_missing_is_none(wire: WireServer) -> None:
    wire.enqueue(Scenario.text("no usage here", usage=False))
    result = run(provider_for("openai", wire)).wait(10)
    assert result.text == "no usage here"
    assert result.metrics.output_tokens is None and result.metrics.input_tokens is None


def test_cut_off_by_max_tokens(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.text("truncated answ", finish_reason="length"))
    result = run(provider_for(name, wire)).wait(10)
    assert result.status is StreamStatus.LENGTH
    assert result.text == "truncated answ"


def test_cancel_mid_stream_disconnects_and_keeps_partial(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.long_markdown(2000, rate=100))
    stream = run(provider_for(name, wire))
    received = []
    for chunk in stream:
        received.append(chunk)
        if len(received) == 5:
            break  # the consumer walks away: the engine must close the HTTP response
    record = wire.wait_for_disconnect(timeout=2)
    assert record is not None, "the server never saw the client go away"
    assert record.chunks_sent < 2000
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert result.text.startswith("".join(received))


def test_cancel_from_another_thread(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.long_markdown(2000, rate=100))
    stream = run(provider_for(name, wire)).start()
    frames = stream.frames(0.01)
    first = next(frames)
    stream.cancel()
    assert wire.wait_for_disconnect(timeout=2) is not None
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert result.text.startswith(first) and len(result.text) < len(
        Scenario.long_markdown(2000).full_text
    )


@pytest.mark.parametrize(
    ("scenario", "kind", "needle"),
    [
        (Scenario.http_error(401), errors.AuthenticationFailed, "rejected the API key"),
        (Scenario.http_error(403), errors.PermissionDenied, "not allowed"),
        (Scenario.model_not_found(), errors.ModelNotFound, "Model 'test-model'"),
        (Scenario.context_length_exceeded(), errors.ContextTooLong, "too long"),
        (Scenario.http_error(500), errors.ProviderUnavailable, "server error (500)"),
        (Scenario.http_error(503), errors.ProviderUnavailable, "503"),
    ],
    ids=["401", "403", "404-model", "400-context", "500", "503"],
)
def test_http_errors_become_plain_chat_errors(
    name: str, wire: WireServer, scenario: Scenario, kind: type[errors.ChatError], needle: str
) -> None:
    # Server errors are retried twice before giving up: queue enough copies.
    wire.enqueue(scenario, scenario, scenario)
    result = run(provider_for(name, wire)).wait(10)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, kind)
    assert needle in result.error.user_message
    assert result.error.status == scenario.status
    expected_requests = 3 if result.error.retryable else 1
    assert len(wire.requests) == expected_requests


def test_rate_limit_with_retry_after_then_success(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(429, retry_after=0.2), Scenario.text("finally"))
    notices: list[str] = []
    stream = run(provider_for(name, wire))
    frames = list(stream.frames(0.01, on_notice=notices.append))
    assert "".join(frames) == "finally"
    assert stream.wait().status is StreamStatus.COMPLETE
    assert (
        len(notices) == 1
        and notices[0].startswith("Rate limited by")
        and "retrying in 0.2 s" in notices[0]
    )
    assert len(wire.requests) == 2


def test_rate_limit_with_long_wait_tells_how_long(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(429, retry_after=45))
    result = run(provider_for(name, wire)).wait(10)
    assert isinstance(result.error, errors.RateLimited)
    assert "try again in 45 s" in result.error.user_message
    assert len(wire.requests) == 1


def test_anthropic_529_overloaded(wire: WireServer) -> None:
    wire.enqueue(
        Scenario.overloaded(retry_after=0),
        Scenario.overloaded(retry_after=0),
        Scenario.overloaded(retry_after=0),
    )
    result = run(provider_for("anthropic", wire)).wait(10)
    assert isinstance(result.error, errors.ProviderUnavailable)
    assert "Anthropic is overloaded" in result.error.user_message
    assert result.error.status == 529


def test_error_event_mid_stream_keeps_partial(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.long_markdown(40).replace(error_after=10))
    result = run(provider_for(name, wire)).wait(10)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, errors.ProviderUnavailable)
    assert len(result.text) > 0
    assert result.text == "".join(Scenario.long_markdown(40).chunks[:10])
    assert len(wire.requests) == 1, "never retried after text arrived"


def test_connection_dropped_mid_stream_keeps_partial(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.long_markdown(40).replace(drop_after=12))
    result = run(provider_for(name, wire)).wait(10)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, errors.StreamInterrupted)
    assert "dropped mid-answer" in result.error.user_message
    assert result.text == "".join(Scenario.long_markdown(40).chunks[:12])


def test_malformed_sse_line(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.long_markdown(40).replace(malformed_after=8))
    result = run(provider_for(name, wire)).wait(10)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, errors.ProtocolError)
    assert "garbled" in result.error.user_message
    assert result.text == "".join(Scenario.long_markdown(40).chunks[:8])


def test_connection_refused(name: str, wire: WireServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}" + ("" if name == "anthropic" else "/v1")
    result = run(provider_for(name, wire, base_url=base), retry=RetryPolicy(max_retries=0)).wait(10)
    assert isinstance(result.error, errors.ConnectionFailed)
    assert f"127.0.0.1:{port}" in result.error.user_message


def test_no_first_byte_before_the_timeout(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.text("too late", header_delay=5))
    started = time.monotonic()
    result = run(provider_for(name, wire), retry=RetryPolicy(max_retries=0), timeout_s=0.5).wait(10)
    assert isinstance(result.error, errors.TimedOut)
    assert "did not answer in time" in result.error.user_message
    assert time.monotonic() - started < 4.5, "the timeout was not applied"


def test_cancel_while_waiting_for_the_first_byte_disconnects_at_once(
    name: str, wire: WireServer
) -> None:
    wire.enqueue(Scenario.text("late", first_byte_delay=5))
    stream = run(provider_for(name, wire)).start()
    assert wire.wait_for_requests(1, timeout=5)
    time.sleep(0.3)  # the request is out; the server holds back the body
    stream.cancel()
    record = wire.wait_for_disconnect(timeout=2)
    assert record is not None, "the provider would keep generating"
    result = stream.wait(2)
    assert result.status is StreamStatus.STOPPED and result.text == ""


def test_cancel_before_the_headers_ends_the_stream_at_once(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.text("late", header_delay=5))
    stream = run(provider_for(name, wire)).start()
    assert wire.wait_for_requests(1, timeout=5)
    stream.cancel()
    result = stream.wait(1)
    assert result.status is StreamStatus.STOPPED and result.error is None
