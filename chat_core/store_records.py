"""What the store keeps around answers: feedback, attachment metadata, and the metrics page's
query. A base of ``Store`` (``chat_core.store``), kept apart so each module stays one idea."""

from __future__ import annotations

import json
import time
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection, and_, delete, select

from chat_core.store_rows import has_turn, owned_chat
from chat_core.store_schema import answer_metrics, attachments, feedback, turns
from chat_core.store_types import new_turn_id


class AnswerRecords:
    """Feedback, attachments and metrics of stored answers (owner-scoped like the rest)."""

    backend: str

    def _connect(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def add_feedback(
        self,
        owner: str,
        chat_id: str,
        turn_id: str,
        value: int,
        *,
        comment: str | None = None,
        now: float | None = None,
    ) -> bool:
        """Thumbs up (+1) or down (-1) on an answer, replacing earlier feedback on it."""
        if value not in (1, -1):
            raise ValueError("feedback is +1 or -1")
        at = time.time() if now is None else now
        with self._connect() as conn:
            if owned_chat(conn, owner, chat_id) is None or not has_turn(conn, chat_id, turn_id):
                return False
            key = and_(feedback.c.chat_id == chat_id, feedback.c.turn_id == turn_id)
            conn.execute(delete(feedback).where(key))
            conn.execute(
                feedback.insert().values(
                    chat_id=chat_id, turn_id=turn_id, value=value, comment=comment, created_at=at
                )
            )
        return True

    def add_attachment(
        self,
        owner: str,
        chat_id: str,
        turn_id: str,
        *,
        name: str,
        size_bytes: int,
        mime_type: str | None = None,
        sha256: str | None = None,
        now: float | None = None,
    ) -> str | None:
        """Record an attachment's metadata (never its bytes); its id, or None if not found."""
        at = time.time() if now is None else now
        attachment_id = new_turn_id()
        with self._connect() as conn:
            if owned_chat(conn, owner, chat_id) is None or not has_turn(conn, chat_id, turn_id):
                return None
            conn.execute(
                attachments.insert().values(
                    chat_id=chat_id,
                    turn_id=turn_id,
                    id=attachment_id,
                    name=name[:255],
                    mime_type=mime_type,
                    size_bytes=size_bytes,
                    sha256=sha256,
                    created_at=at,
                )
            )
        return attachment_id

    def answer_metrics(
        self, owner: str, *, since: float | None = None, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """The metrics page's query: the owner's answers, newest first, each
        ``StreamMetrics.to_dict(timeline=True)`` plus ``chat_id``, ``turn_id``, ``feedback``
        (+1, -1 or None) and ``cost`` (``Cost.to_dict()`` or None)."""
        conditions = [answer_metrics.c.owner == owner]
        if since is not None:
            conditions.append(answer_metrics.c.started_at >= since)
        with self._connect() as conn:
            rows = conn.execute(
                select(
                    answer_metrics.c.chat_id,
                    answer_metrics.c.turn_id,
                    answer_metrics.c.data,
                    feedback.c.value,
                    turns.c.extras,
                )
                .select_from(
                    answer_metrics.outerjoin(
                        feedback,
                        and_(
                            feedback.c.chat_id == answer_metrics.c.chat_id,
                            feedback.c.turn_id == answer_metrics.c.turn_id,
                        ),
                    ).outerjoin(
                        turns,
                        and_(
                            turns.c.chat_id == answer_metrics.c.chat_id,
                            turns.c.id == answer_metrics.c.turn_id,
                        ),
                    )
                )
                .where(and_(*conditions))
                .order_by(answer_metrics.c.started_at.desc())
                .limit(limit)
            ).all()
        return [
            {
                **json.loads(r.data),
                "chat_id": r.chat_id,
                "turn_id": r.turn_id,
                "feedback": r.value,
                "cost": json.loads(r.extras).get("cost") if r.extras else None,
            }
            for r in rows
        ]
