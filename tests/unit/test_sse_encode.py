"""SSE encoding in the documented format, and ChatStream -> SSE bytes (sync and asyncio)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from chat_core.config import ProviderSettings
from chat_core.errors import RateLimited
from chat_core.metrics import StreamMetrics
from chat_core.providers import make_provider
from chat_core.providers.base import Provider
from chat_core.providers.demo import DemoProvider
from chat_core.sse_encode import (
    HEARTBEAT,
    aiter_sse,
    chat_error_event,
    content_event,
    encode_event,
    end_event,
    error_event,
    sse_events,
)
from chat_core.stream import NO_RETRY, ChatStream, RetryPolicy, StreamResult
from chat_core.types import ChatRequest, Message, StreamStatus
from tests import aio
from tests.sse import parse_events
from tests.wire_server import Scenario, WireServer

DOCUMENTED_METRIC_KEYS = [
    "total_time",
    "time_to_first_token",
    "streaming_time",
    "chunk_count",
    "char_count",
    "chars_per_second",
]


def ask(provider: Provider, prompt: str = "hello", *, retry: RetryPolicy = NO_RETRY) -> ChatStream:
    model = "demo-1" if provider.name == "demo" else "test-model"
    request = ChatRequest(messages=(Message("user", prompt),), model=model, timeout_s=10)
    return ChatStream(provider, request, retry=retry)


def openai_at(wire: WireServer) -> Provider:
    return make_provider(ProviderSettings("openai", "sk-test", wire.openai_base_url))


def decode(body: bytes) -> list[dict[str, Any]]:
    return list(parse_events(body.decode().split("\n")))


def test_content_event_is_one_data_line_in_the_documented_format() -> None:
    assert content_event("Hello") == b'data: {"content": "Hello"}\n\n'
    event = content_event('two\nlines "quoted" \u2013 \u00e9')
    assert event.count(b"\n") == 2  # the newline inside the text is escaped by JSON
    assert decode(event) == [{"content": 'two\nlines "quoted" \u2013 \u00e9'}]


def test_the_end_event_carries_the_documented_metrics_first() -> None:
    metrics = StreamMetrics(
        provider="demo",
        model="demo-1",
        status=StreamStatus.COMPLETE,
        started_at=1.0,
        total_s=2.0,
        ttft_s=0.5,
        streaming_s=1.5,
        chunk_count=3,
        char_count=30,
        input_tokens=None,
        output_tokens=9,
    )
    event = end_event(StreamResult("abc", StreamStatus.COMPLETE, None, metrics))
    assert event.startswith(b'data: {"done": true, "status": "complete", ')
    (data,) = decode(event)
    assert list(data["metrics"])[:6] == DOCUMENTED_METRIC_KEYS
    assert data["metrics"]["input_tokens"] is None
    assert data["metrics"]["output_tokens"] == 9
    assert data["metrics"]["status"] == "complete"


def test_error_event_has_message_and_retryable() -> None:
    assert error_event("Nope") == b'data: {"error": {"message": "Nope", "retryable": false}}\n\n'
    (data,) = decode(chat_error_event(RateLimited("Rate limited by OpenAI", retryable=True)))
    assert data == {
        "error": {"message": "Rate limited by OpenAI", "retryable": True, "kind": "rate_limited"}
    }


def test_parse_events_skips_comments_and_joins_multiline_data() -> None:
    body = ': keep-alive\n\ndata: {"a":\ndata: 1}\n\nevent: x\ndata:{"b": 2}\n\n'
    assert list(parse_events(body.split("\n"))) == [{"a": 1}, {"b": 2}]
    assert encode_event({"x": [1, None]}) == b'data: {"x": [1, null]}\n\n'


def test_a_whole_answer_becomes_content_frames_then_done() -> None:
    stream = ask(DemoProvider(ttft_s=0, chunks_per_s=0), "tell me about SSE")

    events = decode(b"".join(sse_events(stream, min_interval_s=0.05)))

    *contents, done = events
    result = stream.wait()
    assert all(set(e) == {"content"} for e in contents)
    assert "".join(e["content"] for e in contents) == result.text
    assert len(contents) < result.metrics.chunk_count  # coalesced
    assert done["done"] is True
    assert done["metrics"]["chunk_count"] == result.metrics.chunk_count
    assert done["metrics"]["status"] == "complete"


def test_a_failure_after_text_keeps_the_text_then_sends_the_error(wire: WireServer) -> None:
    stream = ask(openai_at(wire), "#wire:error:5")

    events = decode(b"".join(sse_events(stream, min_interval_s=0)))

    *contents, last = events
    assert contents and all("content" in e for e in contents)
    assert "".join(e["content"] for e in contents) == stream.wait().text
    assert set(last) == {"error"}
    assert last["error"]["message"] == stream.wait().error.user_message  # type: ignore[union-attr]
    assert isinstance(last["error"]["retryable"], bool)


def test_a_refused_request_is_a_single_error_event(wire: WireServer) -> None:
    events = decode(b"".join(sse_events(ask(openai_at(wire), "#wire:401"))))
    assert len(events) == 1
    assert events[0]["error"]["retryable"] is False
    assert "API key" in events[0]["error"]["message"]

    events = decode(b"".join(sse_events(ask(openai_at(wire), "#wire:500"))))
    assert events[0]["error"]["retryable"] is True


def test_a_retry_is_announced_as_a_notice(wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(429, retry_after=0.1), Scenario.text("finally"))
    stream = ask(openai_at(wire), retry=RetryPolicy(max_retries=1, max_wait_s=5))

    events = decode(b"".join(sse_events(stream)))

    assert "notice" in events[0] and "Rate limited" in events[0]["notice"]
    assert "".join(e.get("content", "") for e in events) == "finally"
    assert events[-1]["done"] is True


def test_closing_the_sse_generator_cancels_upstream(wire: WireServer) -> None:
    stream = ask(openai_at(wire), "#wire:slow:2000:50")
    events = sse_events(stream, min_interval_s=0)
    first = next(events)
    assert b'"content"' in first

    events.close()  # the HTTP client went away

    assert wire.wait_for_disconnect(2) is not None
    assert stream.wait(2).status is StreamStatus.STOPPED


def test_async_events_match_the_sync_format() -> None:
    async def collect() -> bytes:
        stream = ask(DemoProvider(ttft_s=0, chunks_per_s=0), "async please")
        return b"".join([event async for event in aiter_sse(stream)])

    events = decode(aio.run(collect()))
    assert events[-1]["done"] is True
    assert "async please" in "".join(e.get("content", "") for e in events[:-1])


def test_async_sends_heartbeats_while_waiting_for_the_first_token() -> None:
    async def collect() -> list[bytes]:
        stream = ask(DemoProvider(ttft_s=0.3, chunks_per_s=0))
        return [event async for event in aiter_sse(stream, heartbeat_s=0.05)]

    events = aio.run(collect())
    assert events[0] == HEARTBEAT
    assert json.loads(events[-1][6:])["done"] is True


def test_cancelling_the_async_consumer_cancels_upstream(wire: WireServer) -> None:
    stream = ask(openai_at(wire), "#wire:slow:2000:50")

    async def consume_then_leave() -> None:
        started = asyncio.Event()

        async def consume() -> None:
            async for event in aiter_sse(stream, min_interval_s=0):
                if b'"content"' in event:
                    started.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()  # what Starlette does when the client disconnects
        await asyncio.gather(task, return_exceptions=True)

    aio.run(consume_then_leave())

    assert wire.wait_for_disconnect(2) is not None
    assert stream.wait(2).status is StreamStatus.STOPPED


def test_decode_events_follows_the_sse_format() -> None:
    from chat_core.sse_decode import SSEEvent, decode_events

    body = [
        ": a comment, ignored",
        "event: message_start",
        'data: {"a": 1}',
        "",
        "data:no space",
        "data:  two spaces keep one",
        "",
        "",  # a blank line with nothing pending dispatches nothing
        "id: 7",
        "retry: 100",
        "event:ping",
        "data: {}",
        "",
        "data: [DONE]",  # no blank line at the end: dropped, as the SDKs and the spec do
    ]
    assert list(decode_events(body)) == [
        SSEEvent("message_start", '{"a": 1}'),
        SSEEvent(None, "no space\n two spaces keep one"),
        SSEEvent("ping", "{}"),
    ]


def test_reasoning_streams_as_its_own_events_before_the_answer(wire: WireServer) -> None:
    async def collect() -> list[dict[str, Any]]:
        body = b""
        async for chunk in aiter_sse(ask(openai_at(wire), "#wire:reasoning:1"), heartbeat_s=30):
            body += chunk
        return decode(body)

    events = aio.run(collect())
    reasoning = [e["reasoning"] for e in events if "reasoning" in e]
    content = [e["content"] for e in events if "content" in e]
    assert "".join(reasoning).startswith("The person wants a short answer.")
    assert "".join(content).startswith("You said: #wire:reasoning")
    first_content = next(i for i, e in enumerate(events) if "content" in e)
    assert any("reasoning" in e for e in events[:first_content])
    assert len(reasoning) > 1, "reasoning was not sent as it arrived"
    assert events[-1]["done"] is True and events[-1]["status"] == "complete"


def test_the_final_event_names_filtered_and_interrupted_endings(wire: WireServer) -> None:
    filtered = decode(b"".join(sse_events(ask(openai_at(wire), "#wire:filter"))))
    assert (filtered[-1]["status"], filtered[-1]["finish_reason"]) == (
        "filtered",
        "content_filter",
    )
    cut = decode(b"".join(sse_events(ask(openai_at(wire), "#wire:truncated"))))
    assert cut[-1]["status"] == "interrupted"
