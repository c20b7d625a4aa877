"""The store's side of answers that are still streaming: reading one answer as it grows (a page
following an answer written by another process) and the heartbeat of this process's answers.
A base of ``Store`` (``chat_core.store``); the rules are in ``chat_core.store_live``."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager

from sqlalchemy import Connection, and_, update

from chat_core.store_boots import BootLocks
from chat_core.store_live import LiveTurns, db_now
from chat_core.store_rows import Judge, owned_chat, turn_from_row, turns_select
from chat_core.store_schema import turns
from chat_core.store_types import StoredTurn
from chat_core.types import StreamStatus


class StreamingTurns:
    """``get_turn`` and ``heartbeat`` (owner-scoped like the rest of the store)."""

    backend: str
    boot_id: str
    live: LiveTurns
    boot_locks: BootLocks | None
    """SQLite only: proof that another process ended (chat_core/store_boots.py)."""

    def _connect(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def judge(self, now: float | None = None) -> Judge:
        """A judge for the rows of one read; call it *before* the read (see ``Judge``)."""
        return Judge(
            self.boot_id,
            self.live.snapshot(),
            self.live.snapshot,
            time.time() if now is None else now,
            gone=(lambda writer: False) if self.boot_locks is None else self.boot_locks.gone,
        )

    def streams(self, chat_id: str, turn_id: str) -> None:
        """This process streams answer ``turn_id`` of ``chat_id`` from now until its final
        write landed (``AnswerSaver``): it counts as live, gets heartbeats, and on SQLite this
        process holds its boot lock."""
        if self.boot_locks is not None:
            self.boot_locks.hold(self.boot_id)
        self.live.add(chat_id, turn_id)

    def get_turn(
        self, owner: str, chat_id: str, turn_id: str, *, now: float | None = None
    ) -> StoredTurn | None:
        """One turn with its metrics (no attachments or feedback), read the way ``get_chat``
        reads it: a streaming answer whose writer is gone is ``interrupted``. ``None`` if the
        chat is not the owner's (or deleted) or has no such turn."""
        judge = self.judge(now)
        with self._connect() as conn:
            chat = owned_chat(conn, owner, chat_id)
            if chat is None or chat["deleted_at"] is not None:
                return None
            row = conn.execute(
                turns_select(self.backend).where(
                    and_(turns.c.chat_id == chat_id, turns.c.id == turn_id)
                )
            ).first()
        return None if row is None else turn_from_row(row._mapping, judge)

    def heartbeat(self) -> int:
        """Touch the heartbeat of every answer this process streams into this database (one
        UPDATE per answer, one transaction); returns how many rows were touched. Raises
        ``StoreUnavailable``."""
        keys = self.live.snapshot()
        if not keys:
            return 0
        touched = 0
        with self._connect() as conn:
            for chat_id, turn_id in keys:
                result = conn.execute(
                    update(turns)
                    .where(
                        and_(
                            turns.c.chat_id == chat_id,
                            turns.c.id == turn_id,
                            turns.c.writer == self.boot_id,
                            turns.c.status == str(StreamStatus.STREAMING),
                        )
                    )
                    .values(heartbeat_at=db_now(self.backend))
                )
                touched += int(result.rowcount or 0)
        return touched
