"""Values that cross the provider seam: the request, the upstream events and statuses."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from chat_core.parts import Attachment

Role = Literal["user", "assistant"]


class StreamStatus(StrEnum):
    """Why a stream ended (or that it has not yet)."""

    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"
    LENGTH = "length"
    """Cut off: the max-tokens bound or the model's context window was reached."""
    FILTERED = "filtered"
    """Withheld by the provider: a content filter (OpenAI/Azure ``content_filter``) or a refusal
    (Anthropic ``refusal``)."""
    INTERRUPTED = "interrupted"
    """The body ended, or the connection closed, without the provider's end marker."""
    OTHER = "other"
    """The provider ended the answer with a finish reason we do not know; the result keeps its
    name (``StreamResult.finish_reason``). Never shown as complete."""
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    attachments: tuple[Attachment, ...] = ()
    """Files attached to a user message (chat_core/parts.py); sent the provider's way by
    chat_core/provider_content.py."""


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a provider needs for one answer. ``system`` is sent the provider's way."""

    messages: tuple[Message, ...]
    model: str
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    timeout_s: float = 60.0
    reasoning_effort: str | None = None
    """OpenAI-style ``reasoning_effort`` ("low", "medium", ...); None: the model's default."""
    thinking_budget_tokens: int | None = None
    """Anthropic extended thinking budget (>= 1024, < ``max_tokens``); None: no thinking."""


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Thinking text streamed apart from the answer (``delta.reasoning_content`` /
    ``delta.reasoning`` on OpenAI-compatible servers, Anthropic ``thinking_delta``)."""

    text: str


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Token usage as the provider reported it; ``None`` means "not reported", never 0.
    ``reasoning_tokens`` is part of ``output_tokens`` when the provider reports it
    (OpenAI ``completion_tokens_details.reasoning_tokens``)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class FinishReport:
    """The provider said why the answer ended: ``reason`` is its raw finish/stop reason
    (``"stop"``, ``"length"``, ``"content_filter"``, ``"end_turn"``, ``"refusal"``, …, or
    ``None`` when it only sent its end marker), ``status`` what that means for the person
    (each provider maps its reasons in a table next to it; an unknown reason is ``OTHER``)."""

    reason: str | None = None
    status: StreamStatus = StreamStatus.COMPLETE

    @property
    def cut_off(self) -> bool:
        return self.status == StreamStatus.LENGTH


UpstreamEvent = TextDelta | ReasoningDelta | UsageReport | FinishReport
