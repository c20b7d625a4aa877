"""Whether a stored answer that reads "streaming" still has a writer, in this process or another
(docs/design.md §37).

Every process gets a boot id at import (``BOOT_ID``). An answer's saver (``AnswerSaver``) writes
its turn with that id in ``turns.writer`` and registers the turn in its store's ``LiveTurns``
until its final status is in the database. While the set holds turns, the store's writer thread
touches their ``turns.heartbeat_at`` every ``HEARTBEAT_S`` with the *database's* clock, so the
age of a heartbeat never depends on two machines' clocks agreeing (``db_now``).

A reader decides (``stream_status``) when it reads a turn still marked streaming:

- written by this process (same boot id) but no longer in its ``LiveTurns``: the writer is
  certainly gone (a restart brings a new boot id, so this is an answer whose saver ended
  without its final write landing, e.g. after a crash of its thread): interrupted at once;
- written by another boot: interrupted once its heartbeat is older than ``STALE_AFTER_S``
  (five heartbeats) or, on SQLite, at once when its boot lock is free (the process ended:
  chat_core/store_boots.py), else it is live and the page follows it from the store. A server
  restart is such a case: its new boot id cannot prove the old one was its own (several
  replicas may share a PostgreSQL database), so there the heartbeat decides, within
  ``STALE_AFTER_S``;
- written without a boot id (rows of code before schema 3): the old rule, no write for
  ``LEGACY_STALE_S`` of the reader's clock.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, Float, literal_column
from sqlalchemy.sql.elements import Cast
from sqlalchemy.sql.expression import cast

from chat_core.types import StreamStatus

BOOT_ID = uuid.uuid4().hex
"""This process's id; a new one at every start."""

HEARTBEAT_S = 2.0
"""How often a process touches the heartbeat of the answers it streams."""
STALE_AFTER_S = 10.0
"""A heartbeat older than this (five missed beats) means the writer is gone."""
LEGACY_STALE_S = 30.0
"""Rows without a boot id: stale when not written for this long (the old code's rule)."""

LiveKey = tuple[str, str]
"""(chat id, turn id)."""


class LiveTurns:
    """The answers a process is streaming into one database, by (chat id, turn id). Mutable
    and thread-safe; savers ``add`` at their start and ``discard`` once their final write
    landed (or failed for good)."""

    def __init__(self) -> None:
        self._keys: set[LiveKey] = set()
        self._lock = threading.Lock()

    def add(self, chat_id: str, turn_id: str) -> None:
        with self._lock:
            self._keys.add((chat_id, turn_id))

    def discard(self, chat_id: str, turn_id: str) -> None:
        with self._lock:
            self._keys.discard((chat_id, turn_id))

    def snapshot(self) -> frozenset[LiveKey]:
        with self._lock:
            return frozenset(self._keys)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._keys)


LIVE = LiveTurns()
"""This process's live answers (shared by every ``Store`` that does not bring its own)."""


def db_now(dialect: str) -> ColumnElement[float] | Cast[float]:
    """The database server's clock in seconds since the epoch, as a SQL expression (SQLite:
    julianday, millisecond precision; PostgreSQL: ``clock_timestamp()``, not the transaction's
    start)."""
    if dialect == "sqlite":
        return literal_column("((julianday('now') - 2440587.5) * 86400.0)", Float)
    return cast(literal_column("EXTRACT(EPOCH FROM clock_timestamp())"), Float)


def stream_status(
    *,
    key: LiveKey,
    writer: str | None,
    heartbeat_age_s: float | None,
    updated_age_s: float,
    boot_id: str,
    live: Iterable[frozenset[LiveKey]],
    gone: Callable[[str], bool] = lambda writer: False,
) -> StreamStatus:
    """What a turn stored as streaming is: ``STREAMING`` while its writer is there, else
    ``INTERRUPTED`` (see the module doc). ``live`` holds this process's live sets taken before
    and after the read: a turn in either is live (it may have ended, or started, meanwhile).
    ``gone(writer)`` is a proof that another process has ended (chat_core/store_boots.py)."""
    if writer is None:
        stale = updated_age_s > LEGACY_STALE_S
    elif writer == boot_id:
        stale = not any(key in keys for keys in live)
    else:
        stale = heartbeat_age_s is None or heartbeat_age_s > STALE_AFTER_S or gone(writer)
    return StreamStatus.INTERRUPTED if stale else StreamStatus.STREAMING
