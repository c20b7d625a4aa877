"""Search over chat titles and message text, answered by an index on both backends.

Both backends give the same meaning: a case-insensitive substring of a title or of a message.
SQLite uses the FTS5 trigram table ``turns_fts`` (a quoted phrase matches any substring of three
or more characters); PostgreSQL uses ``ILIKE`` served by the ``pg_trgm`` GIN indexes. A query of
one or two characters, which no trigram index can serve, searches titles only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select, text

from chat_core.store_schema import chats, turns
from chat_core.store_types import ChatSummary, SearchHit, excerpt_around

MAX_QUERY_CHARS = 200
TRIGRAM = 3
MATCH_CAP = 2000
"""Matching messages looked at per search; a query found in more (a very common word) lists
the chats of the most recent matches."""


def like_pattern(query: str) -> str:
    """``%query%`` with LIKE's wildcards escaped (escape character ``\\``)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


def _matching_turns(conn: Connection, query: str) -> Select[tuple[str]]:
    """Chat ids of turns whose text contains ``query``; on SQLite at most ``MATCH_CAP`` turns,
    the most recently written, so a word found in every message costs a bounded amount
    (bench/store.py "search (common)": 321 -> 25 ms on 100k turns)."""
    if conn.dialect.name == "sqlite":
        in_index = text(
            "turns.rowid IN (SELECT rowid FROM turns_fts WHERE turns_fts MATCH :phrase "
            "ORDER BY rowid DESC LIMIT :cap)"
        ).bindparams(phrase=_fts_phrase(query), cap=MATCH_CAP)
        return select(turns.c.chat_id).where(in_index)
    # No LIMIT here: with one, PostgreSQL's planner expects matches early and scans the whole
    # table instead of the trigram index (864 ms instead of 10 ms for a rare word, 100k turns).
    return select(turns.c.chat_id).where(turns.c.content.ilike(like_pattern(query), escape="\\"))


def _title_matches(query: str) -> ColumnElement[bool]:
    return chats.c.title.ilike(like_pattern(query), escape="\\")


def search_chats(conn: Connection, owner: str, query: str, *, limit: int = 30) -> list[SearchHit]:
    """The owner's chats (not deleted) whose title or any message contains ``query``, newest
    first, at most ``limit``; each with an excerpt of the first matching message (or the
    title). A blank query finds nothing."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    base = and_(chats.c.owner == owner, chats.c.deleted_at.is_(None))
    if len(query) < TRIGRAM:
        # No trigram index can serve one or two characters: titles only, never a scan of
        # every message (1.3 s for "ab" over 100k messages).
        rows = _chat_rows(conn, and_(base, _title_matches(query)), limit)
    elif conn.dialect.name == "postgresql":
        # Two queries instead of "title OR message": without the OR, PostgreSQL plans the
        # message match as a semi-join and picks per pattern (custom plans, no prepared
        # statements): newest chats first probing their turns for a common word, the trigram
        # index for a rare one. With the OR it fetched every match of a common word first.
        in_chat = and_(
            turns.c.chat_id == chats.c.id,
            turns.c.content.ilike(like_pattern(query), escape="\\"),
        )
        by_text = _chat_rows(conn, and_(base, select(turns.c.id).where(in_chat).exists()), limit)
        by_title = _chat_rows(conn, and_(base, _title_matches(query)), limit)
        merged = {row.id: row for row in (*by_text, *by_title)}
        rows = sorted(merged.values(), key=lambda row: row.updated_at, reverse=True)[:limit]
    else:
        in_turns = _matching_turns(conn, query).scalar_subquery()
        rows = _chat_rows(
            conn, and_(base, or_(_title_matches(query), chats.c.id.in_(in_turns))), limit
        )
    summaries = [ChatSummary(r.id, r.title, r.created_at, r.updated_at) for r in rows]
    excerpts = _excerpts(conn, [s.id for s in summaries], query)
    return [SearchHit(s, excerpts.get(s.id) or excerpt_around(s.label, query)) for s in summaries]


def _chat_rows(conn: Connection, condition: ColumnElement[bool], limit: int) -> list[Any]:
    return list(
        conn.execute(
            select(chats.c.id, chats.c.title, chats.c.created_at, chats.c.updated_at)
            .where(condition)
            .order_by(chats.c.updated_at.desc())
            .limit(limit)
        ).all()
    )


def _excerpts(conn: Connection, chat_ids: list[str], query: str) -> dict[str, str]:
    if not chat_ids:
        return {}
    rows = conn.execute(
        select(turns.c.chat_id, turns.c.content)
        .where(turns.c.chat_id.in_(chat_ids))
        .where(turns.c.content.ilike(like_pattern(query), escape="\\"))
        .order_by(turns.c.chat_id, turns.c.seq)
    ).all()
    found: dict[str, str] = {}
    for row in rows:
        if row.chat_id not in found:
            found[row.chat_id] = excerpt_around(row.content, query)
    return found
