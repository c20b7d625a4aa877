"""Values the chat store hands out, its errors, and the small pure helpers around them
(chat ids, titles from prompts, date groups for the chat list). No I/O here."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chat_core.errors import ChatError
from chat_core.parts import Attachment
from chat_core.types import StreamStatus

LOCAL_OWNER = "local"
"""The owner of chats made without sign-in by the person at this machine (every chat listed),
by the terminal chat and by the API."""
PUBLIC_OWNER = "public"
"""The owner of chats made by visitors neither signed in nor at this machine: never listed,
each reachable only by its own URL (chat_core/visitors.py)."""

UNTITLED = "New chat"
"""What the list shows for a chat whose title is still empty (no prompt yet)."""

TITLE_MAX_CHARS = 60

_CHAT_ID = re.compile(r"[A-Za-z0-9_-]{22}")


class StoreUnavailable(ChatError):
    """The chat database cannot be used right now (down, locked, read-only, damaged, or newer
    than this code). ``user_message`` says so plainly; the chat can go on in memory and the
    writes can be retried later (``chat_core.store_saver.WriteBehind``)."""

    kind = "store_unavailable"

    def __init__(self, user_message: str, *, retryable: bool = True) -> None:
        super().__init__(user_message, retryable=retryable)


class StoreVersionError(StoreUnavailable):
    """The database was written by a newer Streamchat; this code refuses to touch it."""

    kind = "store_version"

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message, retryable=False)


def new_chat_id() -> str:
    """An unguessable chat id: 22 URL-safe characters (128 random bits, ``secrets``)."""
    return secrets.token_urlsafe(16)


def is_chat_id(value: object) -> bool:
    """Whether ``value`` has the shape of a chat id (anything else is "Chat not found")."""
    return isinstance(value, str) and _CHAT_ID.fullmatch(value) is not None


def new_turn_id() -> str:
    return secrets.token_hex(8)


def title_from_prompt(prompt: str, *, max_chars: int = TITLE_MAX_CHARS) -> str:
    """The first prompt, whitespace collapsed, cut at a word boundary to ``max_chars`` with an
    ellipsis; ``""`` for a blank prompt."""
    words = " ".join(prompt.split())
    if len(words) <= max_chars:
        return words
    cut = words[: max_chars - 1]
    space = cut.rfind(" ")
    if space >= max_chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def clean_title(title: str) -> str:
    """A title typed by the person: one line, trimmed, at most 200 characters."""
    return " ".join(title.split())[:200]


@dataclass(frozen=True, slots=True)
class ChatSummary:
    """One row of the chat list."""

    id: str
    title: str
    created_at: float
    updated_at: float

    @property
    def label(self) -> str:
        return self.title or UNTITLED


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """One stored message; ``metrics`` is ``StreamMetrics.to_dict(timeline=True)`` or None.
    ``feedback`` is +1 (helpful), -1 (not helpful) or None; ``attachments`` the files of a
    prompt, bytes included; ``extras`` JSON-ready values without a column of their own (an
    answer's ``cost``, its other ``versions`` and ``version``, ``answered``), or None.
    ``writer`` is the boot id of the process streaming the answer (set by its ``AnswerSaver``;
    None otherwise): see chat_core/store_live.py."""

    id: str
    role: str
    content: str
    status: StreamStatus
    created_at: float
    updated_at: float
    reasoning: str = ""
    finish_reason: str | None = None
    model: str | None = None
    provider: str | None = None
    error: str | None = None
    error_kind: str | None = None
    metrics: dict[str, Any] | None = None
    feedback: int | None = None
    attachments: tuple[Attachment, ...] = ()
    extras: dict[str, Any] | None = None
    writer: str | None = None


@dataclass(frozen=True, slots=True)
class StoredChat:
    summary: ChatSummary
    system: str | None
    turns: tuple[StoredTurn, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.summary.id


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A chat that matches a search, with a short excerpt of the matching text (or the title)."""

    chat: ChatSummary
    excerpt: str


GROUPS: tuple[str, ...] = ("Today", "Yesterday", "Previous 7 days", "Older")


def group_label(at: float, today: dt.date, tz: dt.tzinfo | None = None) -> str:
    """The chat list group of an instant (``time.time()`` seconds) seen from ``today``."""
    day = dt.datetime.fromtimestamp(at, tz).date()
    age = (today - day).days
    if age <= 0:
        return "Today"
    if age == 1:
        return "Yesterday"
    if age <= 7:
        return "Previous 7 days"
    return "Older"


def group_chats(
    chats: Iterable[ChatSummary], today: dt.date, tz: dt.tzinfo | None = None
) -> list[tuple[str, list[ChatSummary]]]:
    """Chats (already newest first) in the groups Today, Yesterday, Previous 7 days, Older,
    by last activity; empty groups are left out, order inside a group is kept."""
    buckets: dict[str, list[ChatSummary]] = {name: [] for name in GROUPS}
    for chat in chats:
        buckets[group_label(chat.updated_at, today, tz)].append(chat)
    return [(name, buckets[name]) for name in GROUPS if buckets[name]]


def excerpt_around(text: str, query: str, *, width: int = 80) -> str:
    """About ``width`` characters of ``text`` around the first case-insensitive ``query``."""
    flat = " ".join(text.split())
    where = flat.lower().find(query.lower())
    if where < 0:
        return flat[:width] + ("…" if len(flat) > width else "")
    start = max(0, where - width // 3)
    end = min(len(flat), start + width)
    return ("…" if start else "") + flat[start:end] + ("…" if end < len(flat) else "")
