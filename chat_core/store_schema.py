"""The chat database's tables and its ordered migrations.

The schema is versioned from the first release: the table ``streamchat_schema`` holds one row
with the version, and ``MIGRATIONS[i]`` brings a database from version ``i`` to ``i + 1``.
``migrate`` runs the missing steps in one transaction (upgrading never drops stored chats) and
refuses a database written by newer code (``StoreVersionError``) instead of touching it.

Times are seconds since the epoch (``time.time()``) as floats, so grouping and ordering read the
same on SQLite and PostgreSQL. Search indexes differ per backend (see ``chat_core.store_search``):
SQLite gets an FTS5 table with the trigram tokenizer kept in step by triggers, PostgreSQL gets
``pg_trgm`` GIN indexes, so both answer a case-insensitive substring query from an index.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from chat_core.store_types import StoreVersionError

metadata = MetaData()

schema_version = Table(
    "streamchat_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

chats = Table(
    "chats",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("title", String(200), nullable=False, default=""),
    Column("system", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("deleted_at", Float, nullable=True),
)
Index("ix_chats_owner_updated", chats.c.owner, chats.c.updated_at)

turns = Table(
    "turns",
    metadata,
    Column("chat_id", String(40), nullable=False),
    Column("id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False, default=""),
    Column("reasoning", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("finish_reason", String(64), nullable=True),
    Column("model", String(200), nullable=True),
    Column("provider", String(64), nullable=True),
    Column("error", Text, nullable=True),
    Column("error_kind", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("extras", Text, nullable=True),  # v2: JSON of cost, answer versions, "answered"
    # v3: the boot id of the process streaming the answer, and its last heartbeat by the
    # database's clock (chat_core/store_live.py).
    Column("writer", String(40), nullable=True),
    Column("heartbeat_at", Float, nullable=True),
    PrimaryKeyConstraint("chat_id", "id"),
    ForeignKeyConstraint(["chat_id"], ["chats.id"], ondelete="CASCADE"),
)
Index("ix_turns_chat_seq", turns.c.chat_id, turns.c.seq)

answer_metrics = Table(
    "answer_metrics",
    metadata,
    Column("chat_id", String(40), nullable=False),
    Column("turn_id", String(40), nullable=False),
    Column("owner", String(255), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("provider", String(64), nullable=True),
    Column("model", String(200), nullable=True),
    Column("status", String(16), nullable=False),
    Column("data", Text, nullable=False),  # JSON of StreamMetrics.to_dict(timeline=True)
    PrimaryKeyConstraint("chat_id", "turn_id"),
    ForeignKeyConstraint(["chat_id", "turn_id"], ["turns.chat_id", "turns.id"], ondelete="CASCADE"),
)
Index("ix_answer_metrics_owner_started", answer_metrics.c.owner, answer_metrics.c.started_at)

feedback = Table(
    "feedback",
    metadata,
    Column("chat_id", String(40), nullable=False),
    Column("turn_id", String(40), nullable=False),
    Column("value", Integer, nullable=False),  # +1 helpful, -1 not helpful
    Column("comment", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    PrimaryKeyConstraint("chat_id", "turn_id"),
    ForeignKeyConstraint(["chat_id", "turn_id"], ["turns.chat_id", "turns.id"], ondelete="CASCADE"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("chat_id", String(40), nullable=False),
    Column("turn_id", String(40), nullable=False),
    Column("id", String(40), nullable=False),
    Column("name", String(255), nullable=False),
    Column("mime_type", String(127), nullable=True),
    Column("size_bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=True),
    Column("created_at", Float, nullable=False),
    # v2: the file itself, its image size and its place among the turn's files.
    Column("data", LargeBinary, nullable=True),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("position", Integer, nullable=True),
    PrimaryKeyConstraint("chat_id", "id"),
    ForeignKeyConstraint(["chat_id", "turn_id"], ["turns.chat_id", "turns.id"], ondelete="CASCADE"),
)


Migration = Callable[[Connection], None]

_SQLITE_FTS = [
    # External-content FTS5 over turns: the text lives once, in turns; the trigram tokenizer
    # answers substring queries (>= 3 characters) from the index, case-insensitively.
    "CREATE VIRTUAL TABLE turns_fts USING fts5(content, content='turns', content_rowid='rowid', "
    "tokenize='trigram')",
    "CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN "
    "INSERT INTO turns_fts(rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN "
    "INSERT INTO turns_fts(turns_fts, rowid, content) VALUES ('delete', old.rowid, old.content); "
    "END",
    "CREATE TRIGGER turns_fts_au AFTER UPDATE OF content ON turns BEGIN "
    "INSERT INTO turns_fts(turns_fts, rowid, content) VALUES ('delete', old.rowid, old.content); "
    "INSERT INTO turns_fts(rowid, content) VALUES (new.rowid, new.content); END",
]

_POSTGRES_TRGM = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_turns_content_trgm ON turns USING gin (content gin_trgm_ops)",
    "CREATE INDEX ix_chats_title_trgm ON chats USING gin (title gin_trgm_ops)",
]


def _v1(conn: Connection) -> None:
    """Chats, turns, metrics, feedback, attachments metadata and the search index."""
    metadata.create_all(conn, tables=[chats, turns, answer_metrics, feedback, attachments])
    statements = _SQLITE_FTS if conn.dialect.name == "sqlite" else _POSTGRES_TRGM
    for statement in statements:
        conn.execute(text(statement))


ColumnKinds = dict[str, dict[str, str]]

_V2_COLUMNS: ColumnKinds = {
    "turns": {"extras": "TEXT"},
    "attachments": {
        "data": "{blob}",
        "width": "INTEGER",
        "height": "INTEGER",
        "position": "INTEGER",
    },
}


def _v2(conn: Connection) -> None:
    """What stored chats need beyond version 1: an answer's cost and earlier versions
    (``turns.extras``, JSON) and the attached files themselves (``attachments.data``, with
    image size and order; feedback already had its table). ``_v1`` builds its tables from ``metadata``, which already has
    these columns on a new database, so only the missing ones are added."""
    _add_columns(conn, _V2_COLUMNS)


def _add_columns(conn: Connection, wanted: ColumnKinds) -> None:
    """``ALTER TABLE … ADD COLUMN`` for each column of ``wanted`` a table lacks."""
    blob = "BLOB" if conn.dialect.name == "sqlite" else "BYTEA"
    inspector = inspect(conn)
    for table, columns in wanted.items():
        present = {c["name"] for c in inspector.get_columns(table)}
        for name, kind in columns.items():
            if name not in present:
                conn.execute(
                    text(f"ALTER TABLE {table} ADD COLUMN {name} {kind.format(blob=blob)}")
                )


def _v3(conn: Connection) -> None:
    """Which process streams an answer and its heartbeat, so a reader can tell a live answer
    from one whose writer is gone (``turns.writer``, ``turns.heartbeat_at``)."""
    _add_columns(conn, {"turns": {"writer": "VARCHAR(40)", "heartbeat_at": "FLOAT"}})


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3)
"""``MIGRATIONS[i]`` upgrades version ``i`` to ``i + 1``; append, never edit a released step."""

CURRENT_VERSION = len(MIGRATIONS)


def read_version(conn: Connection) -> int:
    """The stored schema version; 0 for an empty database."""
    if not conn.dialect.has_table(conn, schema_version.name):
        return 0
    value = conn.execute(select(schema_version.c.version)).scalar()
    return int(value) if value is not None else 0


def migrate(conn: Connection, *, target: int | None = None) -> int:
    """Bring the database to ``target`` (default: the newest version) inside the caller's transaction; returns the version
    found before. Raises ``StoreVersionError`` when the database is newer than ``target``."""
    if conn.dialect.name == "postgresql":
        # Two app processes starting together must not both run the same step.
        conn.execute(text("SELECT pg_advisory_xact_lock(72251612)"))
    target = len(MIGRATIONS) if target is None else target
    found = read_version(conn)
    if found > target:
        raise StoreVersionError(
            f"The chat database was written by a newer version of Streamchat (schema {found}; "
            f"this version understands up to {target}). Update Streamchat, or point it at "
            "another database; the stored chats were not touched."
        )
    if found == 0:
        metadata.create_all(conn, tables=[schema_version])
        conn.execute(schema_version.insert().values(version=0))
    for step in MIGRATIONS[found:target]:
        step(conn)
    if target != found:
        conn.execute(schema_version.update().values(version=target))
    return found
