"""Timing and usage of one streamed answer.

``MetricsRecorder`` is a pure accumulator (no I/O, clock values passed in); ``StreamMetrics``
is the frozen result. ``to_dict()`` has exactly the documented ``measure_streaming`` keys first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chat_core.types import StreamStatus


@dataclass(frozen=True, slots=True)
class ChunkArrival:
    """One chunk: seconds since the request started, and its size in characters."""

    offset_s: float
    chars: int


@dataclass(frozen=True, slots=True)
class StreamMetrics:
    provider: str
    model: str
    status: StreamStatus
    started_at: float
    """Wall-clock start (``time.time()``), for display and ordering."""
    total_s: float
    ttft_s: float | None
    """Time to first token; ``None`` when no text arrived."""
    streaming_s: float
    """From the first token to the end (0 when no text arrived)."""
    chunk_count: int
    char_count: int
    input_tokens: int | None
    output_tokens: int | None
    timeline: tuple[ChunkArrival, ...] = ()

    @property
    def chars_per_s(self) -> float | None:
        return self.char_count / self.streaming_s if self.streaming_s > 0 else None

    @property
    def tokens_per_s(self) -> float | None:
        if self.output_tokens is None or self.streaming_s <= 0:
            return None
        return self.output_tokens / self.streaming_s

    def to_dict(self, *, timeline: bool = False) -> dict[str, Any]:
        """The documented keys (``total_time`` … ``chars_per_second``), then ours."""
        data: dict[str, Any] = {
            "total_time": self.total_s,
            "time_to_first_token": self.ttft_s,
            "streaming_time": self.streaming_s,
            "chunk_count": self.chunk_count,
            "char_count": self.char_count,
            "chars_per_second": self.chars_per_s,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "tokens_per_second": self.tokens_per_s,
            "provider": self.provider,
            "model": self.model,
            "status": str(self.status),
            "started_at": self.started_at,
        }
        if timeline:
            data["timeline"] = [[a.offset_s, a.chars] for a in self.timeline]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamMetrics:
        """Inverse of ``to_dict`` (used when a conversation is imported)."""
        return cls(
            provider=str(data["provider"]),
            model=str(data["model"]),
            status=StreamStatus(data["status"]),
            started_at=float(data["started_at"]),
            total_s=float(data["total_time"]),
            ttft_s=None
            if data.get("time_to_first_token") is None
            else float(data["time_to_first_token"]),
            streaming_s=float(data["streaming_time"]),
            chunk_count=int(data["chunk_count"]),
            char_count=int(data["char_count"]),
            input_tokens=_opt_int(data.get("input_tokens")),
            output_tokens=_opt_int(data.get("output_tokens")),
            timeline=tuple(ChunkArrival(float(o), int(c)) for o, c in data.get("timeline", [])),
        )


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


class MetricsRecorder:
    """Accumulates arrivals for one answer. Mutable; used by one thread at a time."""

    def __init__(
        self, provider: str, model: str, *, started_at_s: float, wall_start: float
    ) -> None:
        self._provider = provider
        self._model = model
        self._start_s = started_at_s
        self._wall_start = wall_start
        self._first_s: float | None = None
        self._arrivals: list[tuple[float, int]] = []
        self._chars = 0
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def chunk(self, at_s: float, chars: int) -> None:
        if self._first_s is None:
            self._first_s = at_s
        self._chars += chars
        self._arrivals.append((at_s - self._start_s, chars))  # hot path: a plain tuple

    def usage(self, input_tokens: int | None, output_tokens: int | None) -> None:
        if input_tokens is not None:
            self.input_tokens = input_tokens
        if output_tokens is not None:
            self.output_tokens = output_tokens

    def finish(self, at_s: float, status: StreamStatus, *, timeline: bool = True) -> StreamMetrics:
        """The metrics at ``at_s``; ``timeline=False`` leaves the arrivals out (a cheap live
        snapshot: ``ChatStream.metrics_snapshot``)."""
        ttft = None if self._first_s is None else self._first_s - self._start_s
        streaming = 0.0 if self._first_s is None else max(0.0, at_s - self._first_s)
        return StreamMetrics(
            provider=self._provider,
            model=self._model,
            status=status,
            started_at=self._wall_start,
            total_s=max(0.0, at_s - self._start_s),
            ttft_s=ttft,
            streaming_s=streaming,
            chunk_count=len(self._arrivals),
            char_count=self._chars,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            timeline=tuple(ChunkArrival(offset, chars) for offset, chars in self._arrivals)
            if timeline
            else (),
        )
