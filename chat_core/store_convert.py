"""Between the store's values and ``chat_core.conversation`` (what pages and the terminal chat
hold in memory), plus "export all": one JSON file with every chat of an owner."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from chat_core.conversation import FORMAT_VERSION, Conversation, Turn
from chat_core.cost import Cost
from chat_core.metrics import StreamMetrics
from chat_core.store import Store
from chat_core.store_types import StoredChat, StoredTurn
from chat_core.types import Role

log = logging.getLogger(__name__)


def stored_turn(turn: Turn) -> StoredTurn:
    """The storable form of an in-memory turn (same id, so saving it again replaces it).
    ``reasoning`` and ``finish_reason`` are read where the turn has them."""
    return StoredTurn(
        id=turn.id,
        role=turn.role,
        content=turn.content,
        status=turn.status,
        created_at=turn.created_at,
        updated_at=time.time(),
        reasoning=getattr(turn, "reasoning", "") or "",
        finish_reason=getattr(turn, "finish_reason", None),
        model=turn.model,
        provider=turn.provider,
        error=turn.error,
        error_kind=turn.error_kind,
        metrics=None if turn.metrics is None else turn.metrics.to_dict(timeline=True),
        feedback=None if turn.feedback is None else (1 if turn.feedback == 1 else -1),
        attachments=turn.attachments,
        extras=_extras(turn),
    )


def _extras(turn: Turn) -> dict[str, Any] | None:
    """Cost, "answered" and the other answer versions (each whole, as in an export), or
    None when the turn has none of them."""
    extras: dict[str, Any] = {}
    if turn.cost is not None:
        extras["cost"] = turn.cost.to_dict()
    if turn.answered is not None:
        extras["answered"] = turn.answered
    if turn.versions:
        extras["version"] = turn.versions.index(turn)
        extras["versions"] = [None if v is turn else v.to_dict(nested=True) for v in turn.versions]
    return extras or None


def _restore_extras(turn: Turn, extras: dict[str, Any]) -> None:
    """The inverse of ``_extras`` on a turn read back; a part that no longer parses is
    dropped (logged by type), the message itself is kept."""
    try:
        turn.cost = None if extras.get("cost") is None else Cost.from_dict(extras["cost"])
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("stored cost of a turn not readable: %s", type(exc).__name__)
    answered = extras.get("answered")
    turn.answered = answered if isinstance(answered, str) else None
    versions, index = extras.get("versions"), extras.get("version")
    if not isinstance(versions, list) or not isinstance(index, int):
        return
    if not 0 <= index < len(versions):
        return
    try:
        others = [turn if i == index else Turn.from_dict(v) for i, v in enumerate(versions)]
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("stored answer versions not readable: %s", type(exc).__name__)
        return
    turn.versions = others
    for other in others:
        other.versions = others


def memory_turn(stored: StoredTurn) -> Turn:
    """The in-memory turn of a stored one. Metrics that no longer parse are dropped (logged
    by type), the message itself is kept."""
    metrics: StreamMetrics | None = None
    if stored.metrics is not None:
        try:
            metrics = StreamMetrics.from_dict(stored.metrics)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("stored metrics of a turn not readable: %s", type(exc).__name__)
    role: Role = "assistant" if stored.role == "assistant" else "user"
    turn = Turn(
        role,
        stored.content,
        status=stored.status,
        metrics=metrics,
        error=stored.error,
        error_kind=stored.error_kind,
        provider=stored.provider,
        model=stored.model,
        id=stored.id,
        created_at=stored.created_at,
    )
    # Fields the engine's branch adds to Turn; set only where this Turn has them.
    for name, value in (("reasoning", stored.reasoning), ("finish_reason", stored.finish_reason)):
        if hasattr(turn, name):
            setattr(turn, name, value)
    turn.feedback = None if stored.feedback is None else (1 if stored.feedback > 0 else 0)
    turn.attachments = stored.attachments
    if stored.extras:
        _restore_extras(turn, stored.extras)
    return turn


FOLLOWED_FIELDS = (
    "content",
    "reasoning",
    "status",
    "metrics",
    "error",
    "error_kind",
    "finish_reason",
    "provider",
    "model",
    "cost",
    "answered",
)
"""What an answer streaming elsewhere changes in the store while a page follows it."""


def refresh_turn(turn: Turn, stored: StoredTurn) -> None:
    """Bring the in-memory ``turn`` up to the stored answer it shows (text so far, then status,
    metrics and cost at its end); its other answer versions and feedback stay as they are."""
    fresh = memory_turn(stored)
    for name in FOLLOWED_FIELDS:
        setattr(turn, name, getattr(fresh, name))


def to_conversation(chat: StoredChat, *, default_system: str | None = None) -> Conversation:
    """A ``Conversation`` holding the stored chat's system prompt and turns."""
    system = chat.system if chat.system is not None else default_system
    conversation = Conversation() if system is None else Conversation(system=system)
    conversation.turns = [memory_turn(t) for t in chat.turns]
    return conversation


def chat_export(chat: StoredChat) -> dict[str, Any]:
    """One chat in the conversation export format (``Conversation.to_json``) plus its id,
    title and times, so "export all" files can be read back chat by chat."""
    conversation = to_conversation(chat)
    return {
        "format": "streamchat",
        "version": FORMAT_VERSION,
        "id": chat.id,
        "title": chat.summary.label,
        "created_at": chat.summary.created_at,
        "updated_at": chat.summary.updated_at,
        "system": conversation.system,
        "messages": [t.to_dict() for t in conversation.turns],
    }


def export_all(store: Store, owner: str) -> str:
    """Every chat of ``owner`` (newest first) as one JSON document:
    ``{"format": "streamchat-all", "version": 1, "chats": [chat_export, ...]}``.
    Raises ``StoreUnavailable``."""
    chats: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = store.list_chats(owner, limit=200, offset=offset)
        for summary in page:
            chat = store.get_chat(owner, summary.id)
            if chat is not None:
                chats.append(chat_export(chat))
        if len(page) < 200:
            break
        offset += 200
    return json.dumps(
        {"format": "streamchat-all", "version": 1, "chats": chats}, ensure_ascii=False, indent=2
    )


def save_conversation(
    store: Store, owner: str, conversation: Conversation, *, chat_id: str | None = None
) -> str | None:
    """Store a whole in-memory conversation (an import, or a chat that was kept in memory
    while the store was down) as a chat; returns its id, or None if ``chat_id`` is not the
    owner's. Raises ``StoreUnavailable``."""
    summary = store.create_chat(owner, chat_id=chat_id, system=conversation.system)
    if summary is None:
        return None
    for turn in conversation.turns:
        store.save_turn(owner, summary.id, stored_turn(turn))
    return summary.id


def stored_answers(
    store: Store, owner: str, *, since: float | None = None, limit: int = 1000
) -> list[Turn]:
    """The metrics page's rows from the store: the owner's measured answers (newest ``limit``,
    returned oldest first, like ``ui.state.answers()``) as assistant turns whose ``metrics`` are
    set; the text is not loaded. Raises ``StoreUnavailable``."""
    turns: list[Turn] = []
    for row in reversed(store.answer_metrics(owner, since=since, limit=limit)):
        try:
            metrics = StreamMetrics.from_dict(row)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("stored metrics of an answer not readable: %s", type(exc).__name__)
            continue
        turn = Turn(
            "assistant",
            "",
            status=metrics.status,
            metrics=metrics,
            provider=metrics.provider,
            model=metrics.model,
            id=str(row["turn_id"]),
            created_at=metrics.started_at,
        )
        rating = row.get("feedback")
        turn.feedback = None if rating is None else (1 if rating > 0 else 0)
        _restore_extras(turn, {"cost": row.get("cost")})
        turns.append(turn)
    return turns
