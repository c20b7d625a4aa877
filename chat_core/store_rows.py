"""Rows of the chat store to and from values (shared by ``Store`` and its helpers)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, and_, delete, select, update

from chat_core.parts import Attachment
from chat_core.store_live import LiveKey, db_now, stream_status
from chat_core.store_schema import answer_metrics, attachments, chats, feedback, turns
from chat_core.store_types import StoredTurn, is_chat_id, new_turn_id
from chat_core.types import StreamStatus


def has_turn(conn: Connection, chat_id: str, turn_id: str) -> bool:
    key = and_(turns.c.chat_id == chat_id, turns.c.id == turn_id)
    return conn.execute(select(turns.c.id).where(key)).first() is not None


def turn_values(turn: StoredTurn) -> dict[str, Any]:
    return {
        "role": turn.role,
        "content": turn.content,
        "reasoning": turn.reasoning,
        "status": str(turn.status),
        "finish_reason": turn.finish_reason,
        "model": turn.model,
        "provider": turn.provider,
        "error": turn.error,
        "error_kind": turn.error_kind,
        "updated_at": turn.updated_at,
        "extras": None if not turn.extras else json.dumps(turn.extras),
        "writer": turn.writer if turn.status is StreamStatus.STREAMING else None,
    }


def write_values(turn: StoredTurn, dialect: str) -> dict[str, Any]:
    """``turn_values`` plus the heartbeat of a streaming answer that has a writer (now, by the
    database's clock; chat_core/store_live.py)."""
    values = turn_values(turn)
    streaming = turn.status is StreamStatus.STREAMING and turn.writer is not None
    values["heartbeat_at"] = db_now(dialect) if streaming else None
    return values


def turns_select(dialect: str) -> Select[Any]:
    """What ``turn_from_row`` reads (add a ``where``): each turn's columns, its heartbeat's age
    in seconds and its metrics (``data``, None for a turn without)."""
    age = (db_now(dialect) - turns.c.heartbeat_at).label("heartbeat_age")
    return select(*turns.c, age, answer_metrics.c.data).select_from(
        turns.outerjoin(
            answer_metrics,
            and_(
                answer_metrics.c.chat_id == turns.c.chat_id,
                answer_metrics.c.turn_id == turns.c.id,
            ),
        )
    )


class Judge:
    """Decides, for the rows of one read, whether a turn stored as streaming still has a
    writer (``chat_core.store_live.stream_status``). ``before`` is this process's live set
    taken before the read; ``after_of`` gives it after the read (called on first need).
    Mutable (it keeps that second snapshot); one per read."""

    def __init__(
        self,
        boot_id: str,
        before: frozenset[LiveKey],
        after_of: Callable[[], frozenset[LiveKey]],
        now: float,
        gone: Callable[[str], bool] = lambda writer: False,
    ) -> None:
        self.boot_id, self.now = boot_id, now
        self._before, self._after_of = before, after_of
        self._after: frozenset[LiveKey] | None = None
        self._gone, self._proofs = gone, dict[str, bool]()

    def gone(self, writer: str) -> bool:
        """``gone`` once per writer and read."""
        if writer not in self._proofs:
            self._proofs[writer] = self._gone(writer)
        return self._proofs[writer]

    def status(self, row: RowMapping, status: StreamStatus) -> StreamStatus:
        if status is not StreamStatus.STREAMING:
            return status
        if self._after is None:
            self._after = self._after_of()
        return stream_status(
            key=(row["chat_id"], row["id"]),
            writer=row["writer"],
            heartbeat_age_s=row["heartbeat_age"],
            updated_age_s=self.now - row["updated_at"],
            boot_id=self.boot_id,
            live=(self._before, self._after),
            gone=self.gone,
        )


def put_records(conn: Connection, chat_id: str, turn: StoredTurn) -> None:
    """The turn's feedback and attached files, replacing what was stored for it."""
    at = turn.updated_at
    key = and_(feedback.c.chat_id == chat_id, feedback.c.turn_id == turn.id)
    if turn.feedback is None:
        conn.execute(delete(feedback).where(key))
    elif conn.execute(update(feedback).where(key).values(value=turn.feedback)).rowcount == 0:
        conn.execute(
            feedback.insert().values(
                chat_id=chat_id, turn_id=turn.id, value=turn.feedback, created_at=at
            )
        )
    if turn.role != "user":
        return
    stored = and_(attachments.c.chat_id == chat_id, attachments.c.turn_id == turn.id)
    if [a.name for a in turn.attachments] == list(
        conn.execute(
            select(attachments.c.name).where(stored).order_by(attachments.c.position)
        ).scalars()
    ):
        return  # written before (a prompt's files do not change): no second copy of the bytes
    conn.execute(delete(attachments).where(stored))
    for position, item in enumerate(turn.attachments):
        conn.execute(
            attachments.insert().values(
                chat_id=chat_id,
                turn_id=turn.id,
                id=new_turn_id(),
                name=item.name[:255],
                mime_type=item.media_type,
                size_bytes=item.size,
                sha256=hashlib.sha256(item.data).hexdigest(),
                created_at=at,
                data=item.data,
                width=item.width,
                height=item.height,
                position=position,
            )
        )


def turn_records(
    conn: Connection, chat_id: str
) -> tuple[dict[str, int], dict[str, list[Attachment]]]:
    """Feedback by turn id, and each turn's attached files in order. A record without its
    bytes (``add_attachment`` keeps metadata only) is left out: it could not be sent again."""
    ratings = {
        row.turn_id: int(row.value)
        for row in conn.execute(
            select(feedback.c.turn_id, feedback.c.value).where(feedback.c.chat_id == chat_id)
        )
    }
    files: dict[str, list[Attachment]] = {}
    rows = conn.execute(
        select(attachments)
        .where(attachments.c.chat_id == chat_id)
        .order_by(attachments.c.position, attachments.c.created_at)
    )
    for row in rows:
        if row.data is None:
            continue
        files.setdefault(row.turn_id, []).append(
            Attachment(
                row.name,
                row.mime_type or "application/octet-stream",
                bytes(row.data),
                row.width,
                row.height,
            )
        )
    return ratings, files


def put_metrics(conn: Connection, owner: str, chat_id: str, turn: StoredTurn) -> None:
    data: Mapping[str, Any] = turn.metrics or {}
    key = and_(answer_metrics.c.chat_id == chat_id, answer_metrics.c.turn_id == turn.id)
    conn.execute(delete(answer_metrics).where(key))
    conn.execute(
        answer_metrics.insert().values(
            chat_id=chat_id,
            turn_id=turn.id,
            owner=owner,
            started_at=float(data.get("started_at") or turn.created_at),
            provider=turn.provider,
            model=turn.model,
            status=str(turn.status),
            data=json.dumps(dict(data)),
        )
    )


def turn_from_row(row: RowMapping, judge: Judge) -> StoredTurn:
    try:
        status = StreamStatus(row["status"])
    except ValueError:
        status = StreamStatus.OTHER
    status = judge.status(row, status)
    data = row["data"]
    return StoredTurn(
        id=row["id"],
        role=row["role"],
        content=row["content"],
        status=status,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        reasoning=row["reasoning"],
        finish_reason=row["finish_reason"],
        model=row["model"],
        provider=row["provider"],
        error=row["error"],
        error_kind=row["error_kind"],
        metrics=None if data is None else json.loads(data),
        extras=None if not row["extras"] else json.loads(row["extras"]),
        writer=row["writer"],
    )


def owned_chat(conn: Connection, owner: str, chat_id: str) -> RowMapping | None:
    """The chat row if ``chat_id`` is well formed and belongs to ``owner``, else None."""
    if not is_chat_id(chat_id):
        return None
    row = conn.execute(
        select(chats).where(and_(chats.c.id == chat_id, chats.c.owner == owner))
    ).first()
    return None if row is None else row._mapping
