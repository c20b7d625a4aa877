"""The chat store: every chat, turn, answer metrics, feedback and attachment record, in SQLite
or PostgreSQL, behind one ``Store`` API shared by the web app, the terminal chat, the SSE API
and the metrics page.

Owner scoping: every method takes the owner. An unknown chat id, another owner's chat or a
malformed id reads as "not found" (``None`` / ``False``), never as an exception. Any database
failure (down, locked, read-only, damaged, newer schema) raises one ``StoreUnavailable`` with a
plain-language ``user_message``; callers go on in memory (``chat_core.store_saver``).

``Store`` is thread-safe (one SQLAlchemy engine, a connection per call) and meant to be shared by
every session of a process (``open_store``). It never stores API keys: nothing here takes one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, select, update

from chat_core.store_boots import BootLocks
from chat_core.store_engine import display_url, make_engine, translated
from chat_core.store_live import BOOT_ID, LIVE, LiveTurns
from chat_core.store_records import AnswerRecords
from chat_core.store_rows import (
    owned_chat,
    put_metrics,
    put_records,
    turn_from_row,
    turn_records,
    turns_select,
    write_values,
)
from chat_core.store_schema import (
    answer_metrics,
    attachments,
    chats,
    feedback,
    migrate,
    turns,
)
from chat_core.store_search import search_chats
from chat_core.store_streaming import StreamingTurns
from chat_core.store_types import (
    ChatSummary,
    SearchHit,
    StoredChat,
    StoredTurn,
    StoreUnavailable,
    clean_title,
    is_chat_id,
    new_chat_id,
    new_turn_id,
    title_from_prompt,
)
from chat_core.types import StreamStatus

RETRY_AFTER_S = 15.0
UNDO_WINDOW_S = 24 * 3600.0
"""A deleted chat stays restorable (``undo_delete``) this long before ``purge_deleted``."""


class Store(AnswerRecords, StreamingTurns):
    """One chat database. Create with ``Store(url)``; the schema is created or upgraded on the
    first call (and retried on the next call if the database was down). ``boot_id`` and
    ``live`` say which process this is and which answers it streams (chat_core/store_live.py;
    tests pass their own to play another process)."""

    def __init__(
        self,
        url: str,
        *,
        engine: Engine | None = None,
        boot_id: str = BOOT_ID,
        live: LiveTurns = LIVE,
    ) -> None:
        self.boot_id = boot_id
        self.live = live
        self._engine = engine or make_engine(url)
        self.backend = self._engine.dialect.name
        file = self._engine.url.database if self.backend == "sqlite" else None
        self.boot_locks = BootLocks(Path(file)) if file and file != ":memory:" else None
        self.display_url = display_url(url)
        self._ready = False
        self._ready_lock = threading.Lock()
        self._down_error: StoreUnavailable | None = None
        self._down_until = 0.0

    def __repr__(self) -> str:
        return f"Store({self.display_url!r})"

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection in a transaction, on a current schema; any failure becomes one
        ``StoreUnavailable``. A PostgreSQL server that could not be used is not tried again for
        ``RETRY_AFTER_S``: every page run would otherwise wait the connect timeout."""
        if self._down_error is not None and time.monotonic() < self._down_until:
            raise self._down_error
        try:
            self.ensure_schema()
            with translated(self.backend), self._engine.begin() as conn:
                yield conn
        except StoreUnavailable as exc:
            if self.backend != "sqlite" and exc.retryable:
                self._down_error, self._down_until = exc, time.monotonic() + RETRY_AFTER_S
            raise
        self._down_error = None

    def ensure_schema(self) -> None:
        """Create or upgrade the schema once; raises ``StoreUnavailable`` (or its subclass
        ``StoreVersionError`` for a database written by newer code)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            with translated(self.backend), self._engine.begin() as conn:
                migrate(conn)
            self._ready = True

    def check(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers a query right now."""
        with self._connect() as conn:
            conn.execute(select(func.count()).select_from(chats).where(chats.c.id == ""))

    def close(self) -> None:
        """Release the connections; idempotent."""
        self._engine.dispose()

    # -- chats -------------------------------------------------------------------------------

    def create_chat(
        self,
        owner: str,
        *,
        chat_id: str | None = None,
        title: str = "",
        system: str | None = None,
        now: float | None = None,
    ) -> ChatSummary | None:
        """A new chat (or the existing one with ``chat_id``, so a retried write is harmless);
        ``None`` when ``chat_id`` is malformed or belongs to another owner."""
        chat_id = chat_id or new_chat_id()
        if not is_chat_id(chat_id):
            return None
        at = time.time() if now is None else now
        with self._connect() as conn:
            existing = conn.execute(select(chats).where(chats.c.id == chat_id)).first()
            if existing is not None:
                if existing.owner != owner:
                    return None
                return ChatSummary(
                    existing.id, existing.title, existing.created_at, existing.updated_at
                )
            conn.execute(
                chats.insert().values(
                    id=chat_id,
                    owner=owner,
                    title=clean_title(title),
                    system=system,
                    created_at=at,
                    updated_at=at,
                )
            )
        return ChatSummary(chat_id, clean_title(title), at, at)

    def list_chats(self, owner: str, *, limit: int = 200, offset: int = 0) -> list[ChatSummary]:
        """The owner's chats, most recently active first (deleted ones left out)."""
        with self._connect() as conn:
            rows = conn.execute(
                select(chats.c.id, chats.c.title, chats.c.created_at, chats.c.updated_at)
                .where(and_(chats.c.owner == owner, chats.c.deleted_at.is_(None)))
                .order_by(chats.c.updated_at.desc())
                .limit(limit)
                .offset(offset)
            ).all()
        return [ChatSummary(r.id, r.title, r.created_at, r.updated_at) for r in rows]

    def count_chats(self, owner: str) -> int:
        with self._connect() as conn:
            value = conn.execute(
                select(func.count())
                .select_from(chats)
                .where(and_(chats.c.owner == owner, chats.c.deleted_at.is_(None)))
            ).scalar()
        return int(value or 0)

    def get_chat(self, owner: str, chat_id: str, *, now: float | None = None) -> StoredChat | None:
        """The chat with every turn in order (and each answer's metrics), or ``None`` for an
        unknown, malformed, deleted or other owner's id. A turn still "streaming" whose writer
        is gone reads as ``interrupted`` (chat_core/store_live.py)."""
        judge = self.judge(now)
        with self._connect() as conn:
            chat = owned_chat(conn, owner, chat_id)
            if chat is None or chat["deleted_at"] is not None:
                return None
            rows = conn.execute(
                turns_select(self.backend)
                .where(turns.c.chat_id == chat_id)
                .order_by(turns.c.seq, turns.c.created_at)
            ).all()
            ratings, files = turn_records(conn, chat_id)
        summary = ChatSummary(chat["id"], chat["title"], chat["created_at"], chat["updated_at"])
        stored = (turn_from_row(r._mapping, judge) for r in rows)
        return StoredChat(
            summary,
            chat["system"],
            tuple(
                replace(t, feedback=ratings.get(t.id), attachments=tuple(files.get(t.id, ())))
                for t in stored
            ),
        )

    def rename_chat(self, owner: str, chat_id: str, title: str) -> bool:
        """Give the chat a title typed by the person; ``False`` if not found or blank."""
        title = clean_title(title)
        if not title:
            return False
        return self._update_chat(owner, chat_id, title=title)

    def set_system(self, owner: str, chat_id: str, system: str | None) -> bool:
        return self._update_chat(owner, chat_id, system=system)

    def delete_chat(self, owner: str, chat_id: str, *, now: float | None = None) -> bool:
        """Hide the chat from the list and from ``get_chat``; ``undo_delete`` brings it back
        until ``purge_deleted`` removes it for good."""
        at = time.time() if now is None else now
        return self._update_chat(owner, chat_id, deleted_at=at)

    def undo_delete(self, owner: str, chat_id: str) -> bool:
        return self._update_chat(owner, chat_id, deleted_at=None)

    def _update_chat(self, owner: str, chat_id: str, **values: Any) -> bool:
        if not is_chat_id(chat_id):
            return False
        with self._connect() as conn:
            result = conn.execute(
                update(chats)
                .where(and_(chats.c.id == chat_id, chats.c.owner == owner))
                .values(**values)
            )
        return bool(result.rowcount)

    def purge_deleted(
        self, *, older_than_s: float = UNDO_WINDOW_S, now: float | None = None
    ) -> int:
        """Remove chats deleted more than ``older_than_s`` ago, with everything in them;
        returns how many chats went."""
        cutoff = (time.time() if now is None else now) - older_than_s
        with self._connect() as conn:
            ids = select(chats.c.id).where(
                and_(chats.c.deleted_at.is_not(None), chats.c.deleted_at <= cutoff)
            )
            # Children first: a SQLite file opened by an older tool may have foreign keys off.
            for table in (attachments, feedback, answer_metrics, turns):
                conn.execute(delete(table).where(table.c.chat_id.in_(ids)))
            result = conn.execute(delete(chats).where(chats.c.id.in_(ids)))
        return int(result.rowcount or 0)

    def search(self, owner: str, query: str, *, limit: int = 30) -> list[SearchHit]:
        """The owner's chats whose title or message text contains ``query`` (any case)."""
        with self._connect() as conn:
            return search_chats(conn, owner, query, limit=limit)

    # -- turns -------------------------------------------------------------------------------

    def append_turn(
        self,
        owner: str,
        chat_id: str,
        role: str,
        content: str,
        *,
        turn_id: str | None = None,
        status: StreamStatus = StreamStatus.COMPLETE,
        model: str | None = None,
        provider: str | None = None,
        now: float | None = None,
    ) -> StoredTurn | None:
        """Add a message at the end of the chat; ``None`` if the chat is not the owner's."""
        at = time.time() if now is None else now
        turn = StoredTurn(
            id=turn_id or new_turn_id(),
            role=role,
            content=content,
            status=status,
            created_at=at,
            updated_at=at,
            model=model,
            provider=provider,
        )
        return turn if self.save_turn(owner, chat_id, turn) else None

    def save_turn(self, owner: str, chat_id: str, turn: StoredTurn) -> bool:
        """Insert the turn, or replace the stored one with the same id (so a write retried
        after an outage is harmless). The chat's title is set from its first prompt while it has
        none, and the chat moves to the top of the list. ``False`` if the chat is not found."""
        with self._connect() as conn:
            chat = owned_chat(conn, owner, chat_id)
            if chat is None:
                return False
            values = write_values(turn, self.backend)
            key = and_(turns.c.chat_id == chat_id, turns.c.id == turn.id)
            found = conn.execute(update(turns).where(key).values(**values))
            if not found.rowcount:
                seq = conn.execute(
                    select(func.coalesce(func.max(turns.c.seq), 0)).where(
                        turns.c.chat_id == chat_id
                    )
                ).scalar()
                conn.execute(
                    turns.insert().values(
                        chat_id=chat_id,
                        id=turn.id,
                        seq=int(seq or 0) + 1,
                        created_at=turn.created_at,
                        **values,
                    )
                )
            if turn.metrics is not None:
                put_metrics(conn, owner, chat_id, turn)
            put_records(conn, chat_id, turn)
            chat_values: dict[str, Any] = {"updated_at": max(turn.updated_at, chat["updated_at"])}
            if not chat["title"] and turn.role == "user" and turn.content.strip():
                chat_values["title"] = title_from_prompt(turn.content)
            conn.execute(update(chats).where(chats.c.id == chat_id).values(**chat_values))
        return True

    def delete_turns(self, owner: str, chat_id: str, turn_ids: list[str]) -> int:
        """Remove turns (e.g. an answer that Regenerate replaced); returns how many went."""
        if not turn_ids:
            return 0
        with self._connect() as conn:
            if owned_chat(conn, owner, chat_id) is None:
                return 0
            for table, column in (
                (feedback, feedback.c.turn_id),
                (attachments, attachments.c.turn_id),
                (answer_metrics, answer_metrics.c.turn_id),
                (turns, turns.c.id),
            ):
                key = and_(table.c.chat_id == chat_id, column.in_(turn_ids))
                result = conn.execute(delete(table).where(key))
        return int(result.rowcount or 0)

    def finish_turn(self, owner: str, chat_id: str, turn: StoredTurn) -> bool:
        """Write the answer's final text, status, finish reason, error and metrics."""
        return self.save_turn(owner, chat_id, turn)


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str) -> Store:
    """The process-wide ``Store`` for ``url`` (one engine and pool shared by every session).
    Raises ``StoreUnavailable`` only for a URL naming no supported database; a database that
    is down is reported by the first call that needs it."""
    with _STORES_LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = Store(url)
        return store


__all__ = ["Store", "StoreUnavailable", "open_store"]
