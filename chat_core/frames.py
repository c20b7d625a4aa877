"""Consuming running ``ChatStream``s: coalesced ``Frame``s for UIs, chunks, ``async for``.

One loop, ``coalesce``, serves one stream (the chat page, the terminal, the SSE API) and N
streams sharing one condition (``chat_core.merge``, the compare page): it waits on the
condition the streams' workers signal, and hands out, per stream, what arrived since the last
frame (answer text, reasoning text, retry notices, the end). Frames are spaced by a minimum
interval (a number, or a function asked after each frame: ``chat_core.frame_cost``), except
that a stream's first visible text, a notice and a stream's end go out at once (docs/design.md
§1, §25, §28). While nothing arrives for ``idle_s`` the loop yields an empty round, so a UI that
only notices Stop when it draws (Streamlit, docs/design.md §3) gets a chance to.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat_core.stream import ChatStream, StreamResult

Interval = float | Callable[[], float]


@dataclass(frozen=True, slots=True)
class Frame:
    """What one stream delivered since its previous frame.

    ``text`` and ``reasoning`` are new answer / thinking text (the frames of a stream
    concatenate to exactly its text and reasoning); ``notices`` are new retry notices
    ("Rate limited by OpenAI — retrying in 2 s"); ``result`` is set on the stream's last frame,
    after all of its text."""

    text: str = ""
    reasoning: str = ""
    notices: tuple[str, ...] = ()
    result: StreamResult | None = None

    @property
    def done(self) -> bool:
        return self.result is not None

    @property
    def notice(self) -> str | None:
        """The latest new notice, if any."""
        return self.notices[-1] if self.notices else None


IDLE = Frame()
"""The frame of a round in which nothing arrived."""


@dataclass(slots=True)
class Cursor:
    """How much of one stream a consumer has taken. Mutable; one per stream and consumer."""

    text: int = 0
    reasoning: int = 0
    notices: int = 0
    ended: bool = False


def coalesce(
    streams: Sequence[ChatStream],
    cond: threading.Condition,
    min_interval_s: Interval,
    *,
    idle_s: float | None,
    clock: Callable[[], float],
    cancel_on_exit: bool = True,
) -> Iterator[list[Frame | None]]:
    """Rounds of frames, one entry per stream (``None``: nothing new for it), until every
    stream's end has been handed out. A round where nothing arrived for ``idle_s`` is all
    ``None`` (``idle_s=None``: wait without idle rounds). ``cond`` is the condition every
    stream signals (``ChatStream._cond``). Abandoning the iteration cancels every stream, unless
    ``cancel_on_exit`` is False (a reader of an answer that outlives it: chat_core/running.py)."""
    for stream in streams:
        stream.start()
    cursors = [Cursor() for _ in streams]
    last_yield_s: float | None = None
    try:
        while True:
            with cond:
                if last_yield_s is None:
                    deadline = None
                else:
                    gap = min_interval_s() if callable(min_interval_s) else min_interval_s
                    deadline = last_yield_s + gap
                while True:
                    urgent = pending = False
                    for stream, cursor in zip(streams, cursors, strict=True):
                        now, later = _news(stream, cursor)
                        urgent, pending = urgent or now, pending or later
                    if urgent:
                        break
                    if pending:
                        remaining = 0.0 if deadline is None else deadline - clock()
                        if remaining <= 0:
                            break
                        _wait(streams, cond, remaining, every_chunk=False)
                    elif not _wait(streams, cond, idle_s, every_chunk=True):
                        break  # idle: nothing arrived for idle_s
                frames = [_take(s, c) for s, c in zip(streams, cursors, strict=True)]
            if any(frame is not None for frame in frames):
                last_yield_s = clock()
            yield frames
            if all(cursor.ended for cursor in cursors):
                return
    finally:
        for stream in streams:
            if cancel_on_exit and not stream.done:
                stream.cancel()


# Helpers below read a stream's buffers: call them with the stream's ``_cond`` held.


def _news(stream: ChatStream, cursor: Cursor) -> tuple[bool, bool]:
    """(something to send at once, something to send at the next frame) past ``cursor``."""
    texts, thoughts = len(stream._chunks), len(stream._reasoning)
    urgent = (
        (cursor.text == 0 and texts > 0)
        or (cursor.reasoning == 0 and thoughts > 0)
        or len(stream._notices) > cursor.notices
        or (stream._result is not None and not cursor.ended)
    )
    return urgent, texts > cursor.text or thoughts > cursor.reasoning


def _take(stream: ChatStream, cursor: Cursor) -> Frame | None:
    """Everything past ``cursor`` as a frame (``None`` if nothing), moving the cursor."""
    result = None if cursor.ended else stream._result
    text = "".join(stream._chunks[cursor.text :])
    reasoning = "".join(stream._reasoning[cursor.reasoning :])
    notices = tuple(stream._notices[cursor.notices :])
    if not (text or reasoning or notices or result):
        return None
    if text:
        stream._first_taken.set()
    cursor.text, cursor.reasoning = len(stream._chunks), len(stream._reasoning)
    cursor.notices, cursor.ended = len(stream._notices), cursor.ended or result is not None
    return Frame(text, reasoning, notices, result)


def _wait(
    streams: Sequence[ChatStream],
    cond: threading.Condition,
    timeout_s: float | None,
    *,
    every_chunk: bool,
) -> bool:
    """With ``cond`` held: wait for news. The workers wake us for a stream's first text, a
    notice or its end; for every chunk only when ``every_chunk`` (nothing pending): a consumer
    coalescing until its deadline would otherwise be woken per chunk."""
    for stream in streams:
        stream._consumer_waiting = every_chunk
    try:
        return cond.wait(timeout_s)
    finally:
        for stream in streams:
            stream._consumer_waiting = False


def frames_of(
    stream: ChatStream,
    min_interval_s: Interval,
    *,
    idle_s: float | None,
    cancel_on_exit: bool = True,
) -> Iterator[Frame]:
    """One stream's frames; ``IDLE`` for a round in which nothing arrived."""
    for (frame,) in coalesce(
        [stream],
        stream._cond,
        min_interval_s,
        idle_s=idle_s,
        clock=stream._clock,
        cancel_on_exit=cancel_on_exit,
    ):
        yield IDLE if frame is None else frame


def text_frames(
    frames: Iterator[Frame],
    on_notice: Callable[[str], None] | None,
    on_idle: Callable[[], None] | None,
) -> Iterator[str]:
    """The answer text of ``frames``, with notices and idle rounds passed to the callbacks."""
    for frame in frames:
        if on_notice is not None:
            for notice in frame.notices:
                on_notice(notice)
        if frame.text:
            yield frame.text
        elif frame is IDLE and on_idle is not None:
            on_idle()


def chunks_of(stream: ChatStream) -> Iterator[str]:
    """Each answer chunk as the provider sent it, as soon as it arrives."""
    stream.start()
    index = 0
    try:
        while True:
            with stream._cond:
                while index >= len(stream._chunks) and stream._result is None:
                    _wait([stream], stream._cond, None, every_chunk=True)
                pending, ended = chunks_after(stream, index)
            index += len(pending)
            yield from pending
            if ended:
                return
    finally:
        if not stream.done:
            stream.cancel()


async def achunks_of(stream: ChatStream) -> AsyncIterator[str]:
    """``chunks_of`` for asyncio: while nothing is there the coroutine awaits a future that the
    worker resolves through ``loop.call_soon_threadsafe``, so a waiting stream holds no
    executor thread (seven waiting streams once queued behind the executor's six threads)."""
    stream.start()
    loop = asyncio.get_running_loop()
    index = 0
    try:
        while True:
            with stream._cond:
                pending, ended = chunks_after(stream, index)
                if not pending and not ended:
                    woken: asyncio.Future[None] = loop.create_future()
                    stream._wakers.append(partial(loop.call_soon_threadsafe, _resolve, woken))
            index += len(pending)
            for chunk in pending:
                yield chunk
            if ended:
                return
            if not pending:
                await woken
    finally:
        if not stream.done:
            stream.cancel()


def chunks_after(stream: ChatStream, index: int) -> tuple[list[str], bool]:
    """With ``_cond`` held: the chunks past ``index``, and whether they are the last."""
    pending = stream._chunks[index:]
    if pending:
        stream._first_taken.set()
    return pending, stream._result is not None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
