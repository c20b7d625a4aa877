"""Search over chat titles and message text, answered by an index on both backends.

Both backends give the same meaning: a case-insensitive substring of a title or of a message.
SQLite uses the FTS5 trigram table ``turns_fts`` (a quoted phrase matches any substring of three
or more characters); PostgreSQL uses ``ILIKE`` served by the ``pg_trgm`` GIN indexes. Queries of
one or two characters cannot use a trigram index and fall back to ``LIKE`` over the owner's
turns, which is still done by the database, never in Python.
"""

from __future__ import annotations

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
    """Chat ids of turns whose text contains ``query``: at most ``MATCH_CAP`` turns, the most
    recently written first on SQLite, so a word found in every message costs a bounded amount
    (bench/store.py "search (common)")."""
    if conn.dialect.name == "sqlite" and len(query) >= TRIGRAM:
        in_index = text(
            "turns.rowid IN (SELECT rowid FROM turns_fts WHERE turns_fts MATCH :phrase "
            "ORDER BY rowid DESC LIMIT :cap)"
        ).bindparams(phrase=_fts_phrase(query), cap=MATCH_CAP)
        return select(turns.c.chat_id).where(in_index)
    pattern = like_pattern(query)
    return (
        select(turns.c.chat_id).where(turns.c.content.ilike(pattern, escape="\\")).limit(MATCH_CAP)
    )


def _title_matches(query: str) -> ColumnElement[bool]:
    return chats.c.title.ilike(like_pattern(query), escape="\\")


def search_chats(conn: Connection, owner: str, query: str, *, limit: int = 30) -> list[SearchHit]:
    """The owner's chats (not deleted) whose title or any message contains ``query``, newest
    first, at most ``limit``; each with an excerpt of the first matching message (or the
    title). A blank query finds nothing."""
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not query:
        return []
    in_turns = _matching_turns(conn, query)
    rows = conn.execute(
        select(chats.c.id, chats.c.title, chats.c.created_at, chats.c.updated_at)
        .where(
            and_(
                chats.c.owner == owner,
                chats.c.deleted_at.is_(None),
                or_(_title_matches(query), chats.c.id.in_(in_turns.scalar_subquery())),
            )
        )
        .order_by(chats.c.updated_at.desc())
        .limit(limit)
    ).all()
    summaries = [ChatSummary(r.id, r.title, r.created_at, r.updated_at) for r in rows]
    excerpts = _excerpts(conn, [s.id for s in summaries], query)
    return [SearchHit(s, excerpts.get(s.id) or excerpt_around(s.label, query)) for s in summaries]


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
