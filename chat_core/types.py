"""Values that cross the provider seam: the request, the upstream events and statuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Role = Literal["user", "assistant"]


class StreamStatus(StrEnum):
    """Why a stream ended (or that it has not yet)."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"
    LENGTH = "length"
    """Cut off by the max-tokens bound."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a provider needs for one answer. ``system`` is sent the provider's way."""

    messages: tuple[Message, ...]
    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Token usage as the provider reported it; ``None`` means "not reported", never 0."""

    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class FinishReport:
    """The provider said the answer ended: ``cut_off`` when max tokens was reached."""

    cut_off: bool = False


UpstreamEvent = TextDelta | UsageReport | FinishReport
