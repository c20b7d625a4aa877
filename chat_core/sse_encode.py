"""Server-sent events in the format the README documents, for the HTTP API and any other SSE face.

Per frame ``data: {"content": "…"}``; at the end ``data: {"done": true, "metrics": {…}}`` with
the documented metrics keys first; a failure as ``data: {"error": {"message": …, "retryable": …}}``
after whatever text had arrived. While a retry waits, ``data: {"notice": "…"}``. A reasoning
model's thinking comes as ``data: {"reasoning": "…"}`` events (before and apart from the
answer's ``content``). The ``done`` event also carries ``status`` (complete, stopped, length,
filtered, interrupted, other) and the provider's raw ``finish_reason``. Every event is one
``data:`` line (JSON escapes newlines).

The encoders are pure; ``sse_events`` (blocking) and ``aiter_sse`` (asyncio, for ASGI
servers) turn a ``ChatStream`` into bytes and cancel it when the consumer goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from chat_core.errors import ChatError
from chat_core.stream import ChatStream, StreamResult
from chat_core.types import StreamStatus

MEDIA_TYPE = "text/event-stream"
HEADERS: dict[str, str] = {
    "Cache-Control": "no-cache, no-transform",
    # nginx and similar proxies buffer responses unless told not to.
    "X-Accel-Buffering": "no",
}
"""Response headers that keep proxies from buffering or transforming the stream."""

HEARTBEAT = b": keep-alive\n\n"
"""An SSE comment: ignored by clients, keeps idle proxies open and reveals a gone client."""


def encode_event(data: Mapping[str, Any]) -> bytes:
    """One SSE event: ``data: <json>`` and a blank line."""
    return b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n"


def content_event(text: str) -> bytes:
    return encode_event({"content": text})


def reasoning_event(text: str) -> bytes:
    """Part of a reasoning model's thinking; clients that only know the basic events ignore
    it."""
    return encode_event({"reasoning": text})


def notice_event(text: str) -> bytes:
    """A retry notice while the answer waits ("Rate limited by OpenAI — retrying in 2 s");
    clients that only know the three basic events ignore it."""
    return encode_event({"notice": text})


def error_event(
    message: str,
    *,
    retryable: bool = False,
    kind: str | None = None,
    request_id: str | None = None,
) -> bytes:
    error: dict[str, Any] = {"message": message, "retryable": retryable}
    if kind is not None:
        error["kind"] = kind
    if request_id is not None:
        error["request_id"] = request_id
    return encode_event({"error": error})


def chat_error_event(error: ChatError) -> bytes:
    """The error event for a ``ChatError``: its ``user_message`` (and the provider's request
    id, to quote to its support), never internals."""
    return error_event(
        error.user_message,
        retryable=error.retryable,
        kind=error.kind,
        request_id=getattr(error, "request_id", None),
    )


def end_event(result: StreamResult) -> bytes:
    """``done`` with the status and finish reason (every ending but an error), or ``error``."""
    if result.status is StreamStatus.ERROR:
        if result.error is not None:
            return chat_error_event(result.error)
        return error_event("The answer failed.")
    return encode_event(
        {
            "done": True,
            "status": str(result.status),
            "finish_reason": result.finish_reason,
            "metrics": result.metrics.to_dict(),
        }
    )


def sse_events(stream: ChatStream, *, min_interval_s: float = 0.05) -> Iterator[bytes]:
    """The whole answer as SSE bytes: notices, reasoning and coalesced content frames as they
    arrive, then ``done`` (with status and finish reason) or ``error``.

    Closing the generator early (the client went away) cancels the stream.
    """
    for frame in stream.updates(min_interval_s, idle_s=None):
        for notice in frame.notices:
            yield notice_event(notice)
        if frame.reasoning:
            yield reasoning_event(frame.reasoning)
        if frame.text:
            yield content_event(frame.text)
        if frame.result is not None:
            yield end_event(frame.result)


MAX_QUEUED_EVENTS = 4
"""Events the pump thread may have waiting for the client. A slow reader makes the pump wait
(the engine keeps coalescing text meanwhile), so a slow client never makes the server hold
more than the answer itself plus these few events."""


async def aiter_sse(
    stream: ChatStream,
    *,
    min_interval_s: float = 0.05,
    heartbeat_s: float = 15.0,
) -> AsyncIterator[bytes]:
    """``sse_events`` for asyncio servers without blocking the event loop or its executor.

    A pump thread reads ``sse_events`` and hands events to the loop, at most
    ``MAX_QUEUED_EVENTS`` ahead of the client. While nothing arrives, an SSE comment is sent
    every ``heartbeat_s`` so a client that has gone away is noticed even during a long wait.
    Cancelling or closing the iterator (the server noticed the disconnect) cancels the stream,
    which closes the upstream response, and releases the pump.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    room = threading.Semaphore(MAX_QUEUED_EVENTS)
    gone = threading.Event()

    def put(item: bytes | None) -> None:
        while item is not None and not room.acquire(timeout=0.5):
            if gone.is_set():
                return
        # The loop may be gone already when the server shuts down; the stream is over then.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(queue.put_nowait, item)

    def pump() -> None:
        try:
            for event in sse_events(stream, min_interval_s=min_interval_s):
                if gone.is_set():
                    break
                put(event)
        finally:
            put(None)

    threading.Thread(target=pump, name="sse-pump", daemon=True).start()
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), heartbeat_s)
            except TimeoutError:
                yield HEARTBEAT
                continue
            if event is None:
                break
            room.release()
            yield event
    finally:
        gone.set()
        if not stream.done:
            stream.cancel()
