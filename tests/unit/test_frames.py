"""Consuming streams: ``Frame``s with reasoning and the end, live metrics, the async view and
a merge without threads of its own (chat_core/frames.py, chat_core/merge.py)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from chat_core.frames import IDLE, Frame
from chat_core.merge import merge_streams
from chat_core.stream import NO_RETRY, ChatStream
from chat_core.types import (
    ChatRequest,
    FinishReport,
    Message,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
)
from tests import aio

REQUEST = ChatRequest(messages=(Message("user", "hi"),), model="m")


class GatedUpstream:
    """Yields its events; waits for ``gate`` (if any) before the event at ``gate_at``."""

    def __init__(
        self, events: list[UpstreamEvent], gate: threading.Event | None = None, gate_at: int = 0
    ) -> None:
        self.events = events
        self.gate = gate
        self.gate_at = gate_at
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[UpstreamEvent]:
        for index, event in enumerate(self.events):
            if index == self.gate_at and self.gate is not None:
                # Not a timing threshold: it only breaks a deadlock the old code would hit.
                self.gate.wait(10)
            if self.closed.is_set():
                return
            yield event

    def close(self) -> None:
        self.closed.set()


class GatedProvider:
    name = "gated"
    label = "Gated"
    default_model = "m"

    def __init__(self, upstream: GatedUpstream) -> None:
        self.upstream = upstream

    def open(self, request: ChatRequest) -> GatedUpstream:
        return self.upstream


def stream_of(
    *events: UpstreamEvent, gate: threading.Event | None = None, gate_at: int = 0
) -> ChatStream:
    return ChatStream(
        GatedProvider(GatedUpstream(list(events), gate, gate_at)), REQUEST, retry=NO_RETRY
    )


def test_frames_carry_reasoning_then_answer_then_the_result() -> None:
    thinking_done = threading.Event()
    stream = stream_of(
        ReasoningDelta("Let me "),
        ReasoningDelta("think."),
        TextDelta("The answer"),
        TextDelta(" is 4."),
        FinishReport("stop", StreamStatus.COMPLETE),
        gate=thinking_done,
        gate_at=2,
    )
    updates = stream.updates(10.0, idle_s=None)
    first = next(updates)
    # Reasoning is visible before any answer text, at once (not held for the interval).
    assert first.reasoning.startswith("Let me") and first.text == ""
    assert stream.reasoning.startswith("Let me")
    thinking_done.set()
    rest = list(updates)
    frames = [first, *rest]
    assert "".join(f.reasoning for f in frames) == "Let me think."
    assert "".join(f.text for f in frames) == "The answer is 4."
    assert frames[-1].result is not None and frames[-1].done
    assert frames[-1].result.text == "The answer is 4."
    assert not any(f.done for f in frames[:-1])


def test_an_idle_round_is_an_empty_frame() -> None:
    gate = threading.Event()
    stream = stream_of(TextDelta("late"), gate=gate)
    updates = stream.updates(0.01, idle_s=0.01)
    assert next(updates) is IDLE
    assert Frame() == IDLE and not IDLE.done
    gate.set()
    assert "".join(f.text for f in updates) == "late"


def test_metrics_snapshot_reports_the_answer_so_far_then_the_final_metrics() -> None:
    gate = threading.Event()
    stream = stream_of(TextDelta("abc"), TextDelta("defg"), gate=gate, gate_at=1)
    assert stream.metrics_snapshot() is None  # not started
    frames = stream.updates(0.0, idle_s=None)
    assert next(frames).text == "abc"
    live = stream.metrics_snapshot()
    assert live is not None
    assert live.status is StreamStatus.STREAMING
    assert live.char_count == 3 and live.ttft_s is not None
    assert live.timeline == ()
    gate.set()
    list(frames)
    final = stream.metrics_snapshot()
    assert final is not None and final.char_count == 7
    assert final.status is StreamStatus.COMPLETE


def test_a_fast_async_stream_is_not_held_behind_six_waiting_ones() -> None:
    """Each waiting ``async for`` used to hold an executor thread: with six slow streams
    waiting, a fast one started after them got its first chunk only once a slow one moved."""
    release = threading.Event()
    slow = [stream_of(TextDelta(f"slow{i}"), gate=release) for i in range(6)]
    fast = stream_of(TextDelta("fast"))
    order: list[str] = []

    async def consume(stream: ChatStream, name: str) -> None:
        async for _chunk in stream:
            order.append(name)
            if name == "fast":
                release.set()
            return

    async def main() -> None:
        # Six threads: the default executor's size on the 2-core machine this was found on.
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(6))
        waiting = [asyncio.create_task(consume(s, f"slow{i}")) for i, s in enumerate(slow)]
        await asyncio.sleep(0)  # every slow consumer is now waiting for its first chunk
        await consume(fast, "fast")
        await asyncio.gather(*waiting)

    aio.run(main())
    assert order[0] == "fast"
    assert sorted(order[1:]) == [f"slow{i}" for i in range(6)]


def test_a_merge_runs_no_threads_of_its_own() -> None:
    gate = threading.Event()
    merged = merge_streams(
        {"a": stream_of(TextDelta("a1"), gate=gate), "b": stream_of(TextDelta("b1"), gate=gate)}
    )
    before = {t.name for t in threading.enumerate()}
    merged.start()
    started = {t.name for t in threading.enumerate()} - before
    gate.set()
    rounds = list(merged.updates(0.0, idle_s=None))
    assert all(name.startswith("chat-stream-") for name in started)
    assert {label: "".join(r[label].text for r in rounds if label in r) for label in "ab"} == {
        "a": "a1",
        "b": "b1",
    }
    assert all(any(label in r and r[label].done for r in rounds) for label in "ab")


def test_a_started_stream_cannot_join_a_merge() -> None:
    stream = stream_of(TextDelta("x")).start()
    try:
        merge_streams({"a": stream})
    except RuntimeError:
        pass
    else:
        raise AssertionError("a started stream joined a merge")
    stream.wait(5)
