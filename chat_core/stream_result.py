"""What a ``ChatStream`` reports when it ends (``StreamResult``), and its callback types."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chat_core.errors import ChatError
from chat_core.metrics import StreamMetrics
from chat_core.types import StreamStatus

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class StreamResult:
    text: str
    """The answer: every character received, whatever the status."""
    status: StreamStatus
    error: ChatError | None
    metrics: StreamMetrics
    reasoning: str = ""
    """The model's thinking, streamed apart from the answer (never part of ``text``, never
    sent back to the model as answer text)."""
    finish_reason: str | None = None
    """The provider's raw finish/stop reason (``"stop"``, ``"end_turn"``, ``"refusal"``, …);
    ``None`` when it named none (stopped, interrupted, error, or an end marker alone)."""

    @property
    def ok(self) -> bool:
        return self.status in (StreamStatus.COMPLETE, StreamStatus.LENGTH)


TokenCallback = Callable[[str], None]
ResultCallback = Callable[[StreamResult], None]
ErrorCallback = Callable[[ChatError, StreamResult], None]
NoticeCallback = Callable[[str], None]
IdleCallback = Callable[[], None]
