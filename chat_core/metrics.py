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


MIN_RATE_WINDOW_S = 0.25
"""The shortest answer streaming (first answer token to the end) whose rate the app shows.
Below it a rate measures the network's chunking, not the model: 3 tokens arriving within 2 ms
read "1500 tokens/s", 19 within 10 ms "1900". A count of tokens is no guard (19 tokens in 10 ms
are as silly as 3), a quarter of a second is: a rate shown is then an average over at least a
few chunk gaps of any real model. Captions, the terminal and the compare page's podium leave
the rate out below it; the data (``to_dict``, the metrics page export) keeps it."""


@dataclass(frozen=True, slots=True)
class StreamMetrics:
    provider: str
    model: str
    status: StreamStatus
    started_at: float
    """Wall-clock start (``time.time()``), for display and ordering."""
    total_s: float
    ttft_s: float | None
    """Time to first token: the first thing the person could see, reasoning included; ``None``
    when nothing arrived."""
    streaming_s: float
    """From the first answer token to the end (0 when no answer text arrived)."""
    chunk_count: int
    """Answer chunks (reasoning not counted)."""
    char_count: int
    """Answer characters (reasoning not counted)."""
    input_tokens: int | None
    output_tokens: int | None
    """As the provider reported them: reasoning tokens included."""
    timeline: tuple[ChunkArrival, ...] = ()
    """Answer chunks only."""
    time_to_first_answer_token: float | None = None
    """Seconds to the first answer (not reasoning) text; ``None`` when no answer text came."""
    reasoning_tokens: int | None = None
    """The part of ``output_tokens`` spent reasoning, when the provider reports it (OpenAI
    ``completion_tokens_details.reasoning_tokens``); ``None`` when not reported."""
    reasoning_chars: int = 0

    @property
    def time_to_first_token(self) -> float | None:
        return self.ttft_s

    @property
    def rate_shown(self) -> bool:
        """Whether the answer streamed long enough (``MIN_RATE_WINDOW_S``) for its tokens/s or
        chars/s to mean something to a reader. The rates themselves are kept either way."""
        window = self.streaming_s
        if self.reasoning_tokens is None and self.reasoning_chars and self.ttft_s is not None:
            window = self.total_s - self.ttft_s  # the window ``tokens_per_s`` uses
        return window >= MIN_RATE_WINDOW_S

    @property
    def chars_per_s(self) -> float | None:
        return self.char_count / self.streaming_s if self.streaming_s > 0 else None

    @property
    def tokens_per_s(self) -> float | None:
        """Answer tokens per second of answer streaming, so that a model's thinking does not
        inflate its speed: reported reasoning tokens are subtracted. When the provider streams
        reasoning without saying how many tokens it took (Anthropic), all output tokens over
        the time from the first token of any kind."""
        if self.output_tokens is None:
            return None
        if self.reasoning_tokens is None and self.reasoning_chars and self.ttft_s is not None:
            window = self.total_s - self.ttft_s
            return self.output_tokens / window if window > 0 else None
        if self.streaming_s <= 0:
            return None
        return max(0, self.output_tokens - (self.reasoning_tokens or 0)) / self.streaming_s

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
            "time_to_first_answer_token": self.time_to_first_answer_token,
            "reasoning_tokens": self.reasoning_tokens,
            "reasoning_chars": self.reasoning_chars,
        }
        if timeline:
            data["timeline"] = [[a.offset_s, a.chars] for a in self.timeline]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> StreamMetrics:
        """Inverse of ``to_dict`` (used when a conversation is imported). Raises
        ``ValueError`` naming the field for anything ``to_dict`` could not have written:
        missing fields, non-numbers, ``NaN``/infinite or negative times and counts."""
        if not isinstance(data, dict):
            raise ValueError("metrics must be an object")
        timeline = data.get("timeline") or []
        if not isinstance(timeline, list) or not all(
            isinstance(item, list | tuple) and len(item) == 2 for item in timeline
        ):
            raise ValueError("'timeline' must be a list of [seconds, chars] pairs")
        ttft = data.get("time_to_first_token")
        return cls(
            provider=str(data["provider"]),
            model=str(data["model"]),
            status=StreamStatus(data["status"]),
            started_at=_seconds(data["started_at"], "started_at", MAX_EPOCH_S),
            total_s=_seconds(data["total_time"], "total_time"),
            ttft_s=None if ttft is None else _seconds(ttft, "time_to_first_token"),
            streaming_s=_seconds(data["streaming_time"], "streaming_time"),
            chunk_count=_count(data["chunk_count"], "chunk_count"),
            char_count=_count(data["char_count"], "char_count"),
            input_tokens=_opt_count(data.get("input_tokens"), "input_tokens"),
            output_tokens=_opt_count(data.get("output_tokens"), "output_tokens"),
            timeline=tuple(
                ChunkArrival(_seconds(o, "timeline"), _count(c, "timeline")) for o, c in timeline
            ),
            time_to_first_answer_token=None
            if data.get("time_to_first_answer_token") is None
            else _seconds(data["time_to_first_answer_token"], "time_to_first_answer_token"),
            reasoning_tokens=_opt_count(data.get("reasoning_tokens"), "reasoning_tokens"),
            reasoning_chars=_count(data.get("reasoning_chars", 0), "reasoning_chars"),
        )


MAX_EPOCH_S = 1e11
"""Wall-clock times beyond this (year ~5100) are refused: dates cannot show them."""
MAX_DURATION_S = 1e9
MAX_COUNT = 10**12


def _seconds(value: Any, name: str, limit: float = MAX_DURATION_S) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"'{name}' must be a number")
    if not 0 <= value <= limit:  # also false for NaN
        raise ValueError(f"'{name}' is out of range")
    return float(value)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"'{name}' must be a whole number from 0 to {MAX_COUNT}")
    return value


def _opt_count(value: Any, name: str) -> int | None:
    return None if value is None else _count(value, name)


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
        self._first_reasoning_s: float | None = None
        self._arrivals: list[tuple[float, int]] = []
        self._chars = 0
        self._reasoning_chars = 0
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.reasoning_tokens: int | None = None

    def chunk(self, at_s: float, chars: int) -> None:
        """An answer chunk."""
        if self._first_s is None:
            self._first_s = at_s
        self._chars += chars
        self._arrivals.append((at_s - self._start_s, chars))  # hot path: a plain tuple

    def reasoning(self, at_s: float, chars: int) -> None:
        """A reasoning chunk: counts for the time to first token, not for the answer."""
        if self._first_reasoning_s is None:
            self._first_reasoning_s = at_s
        self._reasoning_chars += chars

    def usage(
        self,
        input_tokens: int | None,
        output_tokens: int | None,
        reasoning_tokens: int | None = None,
    ) -> None:
        if input_tokens is not None:
            self.input_tokens = input_tokens
        if output_tokens is not None:
            self.output_tokens = output_tokens
        if reasoning_tokens is not None:
            self.reasoning_tokens = reasoning_tokens

    def finish(self, at_s: float, status: StreamStatus, *, timeline: bool = True) -> StreamMetrics:
        """The metrics at ``at_s``; ``timeline=False`` leaves the arrivals out (a cheap live
        snapshot: ``ChatStream.metrics_snapshot``)."""
        firsts = [t for t in (self._first_s, self._first_reasoning_s) if t is not None]
        ttft = min(firsts) - self._start_s if firsts else None
        answer_first = None if self._first_s is None else self._first_s - self._start_s
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
            time_to_first_answer_token=answer_first,
            reasoning_tokens=self.reasoning_tokens,
            reasoning_chars=self._reasoning_chars,
        )
