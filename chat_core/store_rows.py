"""Rows of the chat store to and from values (shared by ``Store`` and its helpers)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, select

from chat_core.store_schema import answer_metrics, chats, turns
from chat_core.store_types import STALE_STREAMING_S, StoredTurn, is_chat_id
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
    }


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


def turn_from_row(row: RowMapping, now: float) -> StoredTurn:
    try:
        status = StreamStatus(row["status"])
    except ValueError:
        status = StreamStatus.OTHER
    if status is StreamStatus.STREAMING and now - row["updated_at"] > STALE_STREAMING_S:
        status = StreamStatus.INTERRUPTED
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
    )


def owned_chat(conn: Connection, owner: str, chat_id: str) -> RowMapping | None:
    """The chat row if ``chat_id`` is well formed and belongs to ``owner``, else None."""
    if not is_chat_id(chat_id):
        return None
    row = conn.execute(
        select(chats).where(and_(chats.c.id == chat_id, chats.c.owner == owner))
    ).first()
    return None if row is None else row._mapping
