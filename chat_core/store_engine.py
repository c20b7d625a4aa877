"""Where the chat database is and how to connect to it; database errors in plain words.

The URL comes from, in order: ``[connections.streamchat] url`` in Streamlit's secrets (passed in
as a mapping: chat_core never imports Streamlit), ``STREAMCHAT_DATABASE_URL``, else a SQLite file
``.streamchat/chats.db`` under the working directory. The URL may hold a password: it is never
logged or shown (``display_url`` hides it) and never written anywhere by Streamchat.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from chat_core.store_types import StoreUnavailable

log = logging.getLogger(__name__)

URL_VAR = "STREAMCHAT_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path(".streamchat") / "chats.db"
SQLITE_BUSY_TIMEOUT_S = 5.0
"""How long a SQLite write waits for another process's write lock before "busy"."""
CONNECT_TIMEOUT_S = 5


def database_url(
    *,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """The configured database URL (secrets, then environment, then the SQLite default)."""
    if secrets is not None:
        connections = secrets.get("connections")
        section = connections.get("streamchat") if isinstance(connections, Mapping) else None
        url = section.get("url") if isinstance(section, Mapping) else None
        if isinstance(url, str) and url.strip():
            return url.strip()
    env = os.environ if environ is None else environ
    url = env.get(URL_VAR, "").strip()
    if url:
        return url
    path = (cwd or Path.cwd()) / DEFAULT_SQLITE_PATH
    return f"sqlite:///{path}"


def display_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable database URL)"


def make_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode, foreign keys and a busy timeout, PostgreSQL
    a connect timeout and a liveness check before each checkout (a restarted server is
    reconnected instead of failing the next write). Raises ``StoreUnavailable`` for a URL that
    names no supported database."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailable(
            "The chat database URL is not valid (expected e.g. "
            "postgresql+psycopg://user@host/db or sqlite:///path/chats.db).",
            retryable=False,
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database, busy_timeout_s)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            # A bare postgresql:// URL would ask for psycopg2; we ship psycopg 3.
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(
                parsed,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=10,
                # prepare_threshold=None: no server-side prepared statements, so every search
                # is planned for its own pattern (a generic plan cannot tell a rare word from a
                # common one and picked 600 ms plans for 5 ms searches).
                connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "prepare_threshold": None},
            )
        except (SQLAlchemyError, ImportError) as exc:
            raise StoreUnavailable(
                "The PostgreSQL driver is missing: install psycopg[binary].", retryable=False
            ) from exc
    raise StoreUnavailable(
        f"Streamchat stores chats in SQLite or PostgreSQL, not '{backend}'.", retryable=False
    )


def _sqlite_engine(url: str, database: str | None, busy_timeout_s: float) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                "The folder for the chat database cannot be created; chats are kept in memory only."
            ) from exc
    # One connection per use: SQLite connections are cheap, and a pooled connection would
    # keep a damaged or replaced file open after it was fixed.
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={"timeout": busy_timeout_s, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            try:
                # WAL lets readers (other tabs, the metrics page) go on while an answer is saved.
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error:
                pass  # a read-only file keeps the journal mode it has
        finally:
            cursor.close()

    return engine


def plain_message(exc: BaseException, backend: str) -> str:
    """What went wrong with the database, in words a person can act on."""
    text = str(exc).lower()
    if backend == "sqlite":
        if "readonly" in text or "read-only" in text:
            return (
                "The chat database file is read-only, so chats are not being saved. "
                "Check the file's permissions; the chat goes on in memory."
            )
        if "locked" in text or "busy" in text:
            return (
                "The chat database is busy (locked by another program); chats will be saved "
                "when it is free again."
            )
        if "not a database" in text or "malformed" in text or "disk image" in text:
            return (
                "The chat database file is damaged, so chats are not being saved. Move it "
                "aside to start a fresh one; the chat goes on in memory."
            )
        if "unable to open" in text or "disk i/o" in text or "full" in text:
            return (
                "The chat database file cannot be written (missing folder, disk full or no "
                "permission); the chat goes on in memory."
            )
        return "The chat database is not working right now; the chat goes on in memory."
    return (
        "The chat database server cannot be reached right now; the chat goes on in memory "
        "and will be saved when it is back."
    )


@contextmanager
def translated(backend: str) -> Iterator[None]:
    """Turn any database failure inside the block into one ``StoreUnavailable``. Logs the
    exception's type and first line only: no traceback, no URL, no chat text."""
    try:
        yield
    except StoreUnavailable:
        raise
    except (SQLAlchemyError, OSError) as exc:
        origin = getattr(exc, "orig", None) or exc
        first_line = str(origin).strip().splitlines()[0][:200] if str(origin).strip() else ""
        log.warning("chat store unavailable: %s: %s", type(origin).__name__, first_line)
        raise StoreUnavailable(plain_message(origin, backend)) from None
