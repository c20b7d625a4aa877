"""The ways to consume a ``ChatStream`` (coalesced frames, ``async for``, ``poll``, the context
manager) against a scripted in-process provider (no network, fake clock)."""

from __future__ import annotations

import threading

from chat_core.errors import RateLimited
from chat_core.stream import RetryPolicy
from chat_core.types import (
    StreamStatus,
    TextDelta,
)
from tests import aio
from tests.unit.scripted import (
    ScriptedProvider,
    Step,
    make,
    text_steps,
)


def test_frames_concatenate_to_the_exact_text_and_are_bounded() -> None:
    pieces = [f"w{i} " for i in range(500)]
    provider = ScriptedProvider([Step(TextDelta(p), advance_s=0.001) for p in pieces])
    stream = make(provider)
    frames = list(stream.frames(0.05))
    assert "".join(frames) == "".join(pieces)
    # 500 chunks over 0.5 fake seconds at one frame per 50 ms: about 10 frames, plus the first.
    assert len(frames) <= 500 * 0.001 / 0.05 + 2


def test_frames_ask_an_interval_function_after_each_frame() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("first"), Step(TextDelta(" second"), gate=gate)])
    asked: list[float] = []

    def interval() -> float:  # e.g. FrameCost.interval, as the live block grows
        asked.append(0.01)
        return 0.01

    frames = make(provider).frames(interval)
    assert next(frames) == "first"
    assert not asked  # the first frame is never held back
    gate.set()
    assert list(frames) == [" second"]
    assert asked


def test_first_frame_is_not_held_back() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("first"), Step(TextDelta(" second"), gate=gate)])
    frames = make(provider).frames(10.0)
    assert next(frames) == "first"
    gate.set()
    assert list(frames) == [" second"]


def test_frames_pass_retry_notices_to_the_consumer_thread() -> None:
    limited = RateLimited("x", provider="Fake", retryable=True, retry_after_s=0.0)
    provider = ScriptedProvider(limited, text_steps("ok"))
    seen: list[tuple[str, str]] = []
    stream = make(provider)
    frames = list(
        stream.frames(0.01, on_notice=lambda n: seen.append((threading.current_thread().name, n)))
    )
    assert frames == ["ok"]
    assert seen == [(threading.current_thread().name, "Rate limited by Fake — retrying in 0.0 s")]


def test_async_iteration_and_cancel() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("x", "y"), Step(TextDelta("z"), gate=gate)])
    stream = make(provider)

    async def consume() -> list[str]:
        got: list[str] = []
        async for chunk in stream:
            got.append(chunk)
            if chunk == "y":
                stream.cancel()
                gate.set()
        return got

    got = aio.run(consume())
    assert got[:2] == ["x", "y"]
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert provider.opened[0].closed.is_set()


def test_context_manager_closes_a_running_stream() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("a"), Step(TextDelta("b"), gate=gate)])
    with make(provider) as stream:
        assert next(iter(stream)) == "a"
        gate.set()
    assert stream.done


def test_timeouts_and_refused_connections_are_not_retried_automatically() -> None:
    from chat_core.errors import ConnectionFailed, TimedOut

    for error in (
        TimedOut("slow", provider="Fake", retryable=True),
        ConnectionFailed("refused", provider="Fake", retryable=True),
    ):
        provider = ScriptedProvider(error, text_steps("never"))
        result = make(provider, retry=RetryPolicy(max_retries=2, backoff_s=0)).wait(5)
        assert result.error is error
        assert result.error.retryable, "still offered to the person as retryable"
        assert len(provider.attempts) == 1


def test_poll_returns_new_chunks_without_waiting() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("a", "b"), Step(TextDelta("c"), gate=gate)])
    stream = make(provider)
    got: list[str] = []
    while len(got) < 2:
        chunks, ended = stream.poll(len(got))
        got += chunks
        assert not ended
    assert got == ["a", "b"]
    gate.set()
    stream.wait(5)
    assert stream.poll(2) == (["c"], True)
