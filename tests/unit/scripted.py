"""A scripted in-process provider for stream engine tests: each attempt is a list of ``Step``s
played on a fake clock (no network)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from chat_core.errors import StreamInterrupted
from chat_core.stream import ChatStream
from chat_core.types import (
    ChatRequest,
    Message,
    TextDelta,
    UpstreamEvent,
)

REQUEST = ChatRequest(messages=(Message("user", "hi"),), model="m")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Step:
    """One scripted upstream event; ``advance_s`` moves the fake clock before it."""

    event: UpstreamEvent | Exception | None
    advance_s: float = 0.0
    gate: threading.Event | None = None


@dataclass
class ScriptedUpstream:
    steps: list[Step]
    clock: FakeClock
    closed: threading.Event = field(default_factory=threading.Event)
    close_calls: int = 0

    def __iter__(self) -> Iterator[UpstreamEvent]:
        for step in self.steps:
            if step.gate is not None:
                step.gate.wait(5)
            if self.closed.is_set():
                raise StreamInterrupted("dropped", provider="Fake", retryable=True)
            self.clock.now += step.advance_s
            if isinstance(step.event, Exception):
                raise step.event
            if step.event is not None:
                yield step.event

    def close(self) -> None:
        self.close_calls += 1
        self.closed.set()


class ScriptedProvider:
    name = "fake"
    label = "Fake"
    default_model = "m"

    def __init__(self, *attempts: list[Step] | Exception, clock: FakeClock | None = None) -> None:
        self.attempts = list(attempts)
        self.clock = clock or FakeClock()
        self.opened: list[ScriptedUpstream] = []

    def open(self, request: ChatRequest) -> ScriptedUpstream:
        attempt = self.attempts.pop(0)
        if isinstance(attempt, Exception):
            raise attempt
        upstream = ScriptedUpstream(attempt, self.clock)
        self.opened.append(upstream)
        return upstream


def text_steps(*pieces: str, every_s: float = 0.1) -> list[Step]:
    return [Step(TextDelta(p), advance_s=every_s) for p in pieces]


def make(provider: ScriptedProvider, **kwargs: object) -> ChatStream:
    return ChatStream(provider, REQUEST, clock=provider.clock, wall_clock=lambda: 1.7e9, **kwargs)  # type: ignore[arg-type]
