"""A conversation: system prompt plus turns, export and import.

``Conversation`` and ``Turn`` are mutable on purpose: the UI appends the assistant turn
*before* streaming and updates it in place as text arrives, so a stopped run keeps the
partial answer (docs/design.md §4-5).
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from chat_core.cost import Cost
from chat_core.errors import ConversationFormatError
from chat_core.metrics import StreamMetrics
from chat_core.parts import Attachment
from chat_core.safe_json import UnsafeJson, load_json
from chat_core.types import Message, Role, StreamStatus

FORMAT_VERSION = 1


@dataclass(slots=True)
class Turn:
    """One message. Mutable: an assistant turn is filled in while it streams."""

    role: Role
    content: str
    status: StreamStatus = StreamStatus.COMPLETE
    metrics: StreamMetrics | None = None
    error: str | None = None
    """The plain-language error shown with the turn, if the answer failed."""
    error_kind: str | None = None
    request_id: str | None = None
    """The provider's request id of a failed answer, for its support (``ChatError.request_id``)."""
    finish_reason: str | None = None
    """The provider's raw finish reason, e.g. the name shown for status ``other``."""
    reasoning: str = ""
    """What the model showed of its thinking; exported, never sent back as answer text."""
    provider: str | None = None
    model: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: float = field(default_factory=time.time)
    attachments: tuple[Attachment, ...] = ()
    """Files attached to a user turn (chat_core/parts.py)."""
    feedback: int | None = None
    """The person's rating of an answer: 1 thumbs up, 0 thumbs down (``st.feedback``'s
    values), ``None`` not rated."""
    versions: list[Turn] = field(default_factory=list, repr=False)
    """Every answer to this prompt, oldest first, this one included; one list shared by
    all of them (empty while there is only one). See chat_core/versions.py."""
    answered: str | None = None
    cost: Cost | None = None
    """What the answer cost (chat_core/cost.py), priced when it finished; ``None`` unknown."""
    """The prompt this answer replied to, kept when the prompt was edited afterwards."""

    @property
    def in_context(self) -> bool:
        """Whether the turn is sent back to the model (failed turns without text are not)."""
        return bool(self.content.strip()) or bool(self.attachments)

    def to_dict(self, *, nested: bool = False) -> dict[str, Any]:
        """JSON-ready; ``nested`` leaves out the other versions (a version inside a turn's
        ``versions`` list)."""
        return {
            "id": self.id,
            "role": self.role,
            "content": self.content,
            "status": str(self.status),
            "error": self.error,
            "error_kind": self.error_kind,
            "request_id": self.request_id,
            "finish_reason": self.finish_reason,
            "reasoning": self.reasoning,
            "provider": self.provider,
            "model": self.model,
            "created_at": self.created_at,
            "metrics": None if self.metrics is None else self.metrics.to_dict(timeline=True),
            **self._extras(nested=nested),
        }

    def _extras(self, *, nested: bool = False) -> dict[str, Any]:
        """Attachments, feedback and answer versions, only where present (older exports and
        readers stay as they were)."""
        extras: dict[str, Any] = {}
        if self.attachments:
            extras["attachments"] = [a.to_dict() for a in self.attachments]
        if self.feedback is not None:
            extras["feedback"] = self.feedback
        if self.answered is not None:
            extras["answered"] = self.answered
        if self.cost is not None:
            extras["cost"] = self.cost.to_dict()
        if self.versions and not nested:
            extras["version"] = self.versions.index(self)
            extras["versions"] = [t.to_dict(nested=True) for t in self.versions]
        return extras

    @classmethod
    def from_dict(cls, data: Any) -> Turn:
        if not isinstance(data, dict):
            raise ValueError("a message must be an object")
        role = data.get("role")
        content = data.get("content")
        if role not in ("user", "assistant"):
            raise ValueError(f"unknown role {role!r}")
        if not isinstance(content, str):
            raise ValueError("message content must be text")
        metrics = data.get("metrics")
        feedback = data.get("feedback")
        if feedback not in (None, 0, 1) or isinstance(feedback, bool):
            raise ValueError("feedback must be 1 (thumbs up), 0 (thumbs down) or absent")
        attachments = data.get("attachments") or []
        if not isinstance(attachments, list):
            raise ValueError("attachments must be a list")
        turn = cls(
            role=role,
            content=content,
            status=StreamStatus(data.get("status", "complete")),
            metrics=None if metrics is None else StreamMetrics.from_dict(metrics),
            error=_opt_str(data.get("error")),
            error_kind=_opt_str(data.get("error_kind")),
            request_id=_opt_str(data.get("request_id")),
            finish_reason=_opt_str(data.get("finish_reason")),
            reasoning=str(data.get("reasoning") or ""),
            provider=_opt_str(data.get("provider")),
            model=_opt_str(data.get("model")),
            id=str(data.get("id") or uuid.uuid4().hex[:12]),
            created_at=_created_at(data.get("created_at")),
            attachments=tuple(Attachment.from_dict(a) for a in attachments),
            feedback=feedback,
            answered=_opt_str(data.get("answered")),
            cost=None if data.get("cost") is None else Cost.from_dict(data["cost"]),
        )
        versions = data.get("versions")
        if versions:
            if not isinstance(versions, list):
                raise ValueError("versions must be a list")
            index = data.get("version")
            if not isinstance(index, int) or not 0 <= index < len(versions):
                raise ValueError("version must point into versions")
            turn.versions = [
                turn if i == index else cls.from_dict(v) for i, v in enumerate(versions)
            ]
            for other in turn.versions:
                other.versions = turn.versions
        return turn


def _created_at(value: Any) -> float:
    if value is None or value == 0:
        return time.time()
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e11:
        raise ValueError("'created_at' must be a time in seconds")
    return float(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class Conversation:
    """System prompt and turns. Mutable; owned by one session."""

    system: str = "You are a helpful assistant."
    turns: list[Turn] = field(default_factory=list)
    set_aside: tuple[str, Turn] | None = field(default=None, repr=False)
    """(prompt id, answer) taken off the chat by Regenerate/Edit until its new answer starts
    (chat_core/versions.py); not exported."""

    def add_user(self, content: str, attachments: tuple[Attachment, ...] = ()) -> Turn:
        turn = Turn("user", content, attachments=attachments)
        self.turns.append(turn)
        return turn

    def add_assistant(self, *, provider: str | None = None, model: str | None = None) -> Turn:
        """An empty assistant turn in status "streaming", to be filled in place."""
        turn = Turn("assistant", "", status=StreamStatus.STREAMING, provider=provider, model=model)
        self.turns.append(turn)
        return turn

    def clear(self) -> None:
        self.turns.clear()
        self.set_aside = None

    def last_user_index(self) -> int | None:
        for index in range(len(self.turns) - 1, -1, -1):
            if self.turns[index].role == "user":
                return index
        return None

    def messages(self, *, upto: int | None = None) -> tuple[Message, ...]:
        """What is sent to the model: turns before ``upto`` (all by default) that carry text;
        consecutive same-role turns are merged so providers that insist on alternation accept
        the history. Reasoning is never sent back."""
        window = self.turns[:upto]
        # A prompt whose answer failed without any text is not sent again: the person sees
        # the error and retries or asks anew, and a retry re-sends the prompt itself.
        turns = [
            t
            for i, t in enumerate(window)
            if t.in_context
            and not (
                t.role == "user"
                and i + 1 < len(window)
                and window[i + 1].role == "assistant"
                and not window[i + 1].in_context
                and window[i + 1].status is not StreamStatus.STREAMING
            )
        ]
        merged: list[Message] = []
        for turn in turns:
            if merged and merged[-1].role == turn.role:
                merged[-1] = Message(
                    turn.role,
                    merged[-1].content + "\n\n" + turn.content,
                    merged[-1].attachments + turn.attachments,
                )
            else:
                merged.append(Message(turn.role, turn.content, turn.attachments))
        while merged and merged[0].role == "assistant":
            merged.pop(0)
        return tuple(merged)

    def to_markdown(self) -> str:
        lines = ["# Streamchat conversation", ""]
        if self.system:
            lines += [f"**System prompt:** {self.system}", ""]
        for turn in self.turns:
            who = "You" if turn.role == "user" else "Assistant"
            lines += [f"## {who}", "", turn.content or "*(no text)*", ""]
            if turn.attachments:
                names = ", ".join(a.describe() for a in turn.attachments)
                lines += [f"*(attached: {names})*", ""]
            if turn.role == "assistant":
                notes = []
                if turn.status not in (StreamStatus.COMPLETE, StreamStatus.STREAMING):
                    notes.append(f"status: {turn.status}")
                if turn.error:
                    notes.append(f"error: {turn.error}")
                if turn.model:
                    notes.append(f"model: {turn.model}")
                if notes:
                    lines += [f"*({'; '.join(notes)})*", ""]
        return "\n".join(lines).rstrip() + "\n"

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": "streamchat",
                "version": FORMAT_VERSION,
                "system": self.system,
                "messages": [t.to_dict() for t in self.turns],
            },
            ensure_ascii=False,
            indent=2,
        )

    def load_json(self, text: str | bytes) -> None:
        """Replace this conversation with an exported one. On any problem raise
        ``ConversationFormatError`` and change nothing."""
        try:
            data = load_json(text)
        except UnsafeJson as exc:
            raise ConversationFormatError(f"{exc} So nothing was imported.") from None
        try:
            if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
                raise ValueError("expected an object with a 'messages' list")
            system = data.get("system", self.system)
            if not isinstance(system, str):
                raise ValueError("system prompt must be text")
            turns = [Turn.from_dict(item) for item in data["messages"]]
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ConversationFormatError(
                f"That file is not a Streamchat conversation ({exc}), so nothing was imported."
            ) from exc
        for turn in turns:
            if turn.status == StreamStatus.STREAMING:
                turn.status = StreamStatus.STOPPED
        self.system = system
        self.turns = turns
