"""Schema versions and a database that is down, locked, read-only, damaged or too new: one
``StoreUnavailable`` with plain words, nothing stored is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text

from chat_core import store_schema
from chat_core.errors import ChatError
from chat_core.store import Store, open_store
from chat_core.store_engine import database_url, display_url, make_engine
from chat_core.store_types import StoreUnavailable, StoreVersionError
from tests.servers import free_port

ME = "alice"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_new_database_gets_the_current_schema_version(store: Store) -> None:
    store.ensure_schema()
    with store._engine.connect() as conn:
        assert store_schema.read_version(conn) == store_schema.CURRENT_VERSION


def test_upgrade_runs_new_steps_and_keeps_every_chat(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Store(store_url)
    chat = old.create_chat(ME, title="from v1")
    assert chat is not None
    old.append_turn(ME, chat.id, "user", "kept across the upgrade")
    old.close()

    def v2(conn: Connection) -> None:
        conn.execute(text("ALTER TABLE chats ADD COLUMN pinned INTEGER"))

    newest = len(store_schema.MIGRATIONS) + 1
    monkeypatch.setattr(store_schema, "MIGRATIONS", (*store_schema.MIGRATIONS, v2))
    new = Store(store_url)
    try:
        opened = new.get_chat(ME, chat.id)
        assert opened is not None and opened.turns[0].content == "kept across the upgrade"
        with new._engine.connect() as conn:
            assert store_schema.read_version(conn) == newest
            conn.execute(text("SELECT pinned FROM chats"))
    finally:
        new.close()


def test_database_from_newer_code_is_refused_and_left_untouched(
    store: Store, store_url: str
) -> None:
    chat = store.create_chat(ME, title="written by the future")
    assert chat is not None
    with store._engine.begin() as conn:
        conn.execute(text("UPDATE streamchat_schema SET version = 99"))
    newer = Store(store_url)
    with pytest.raises(StoreVersionError) as caught:
        newer.list_chats(ME)
    assert isinstance(caught.value, StoreUnavailable) and isinstance(caught.value, ChatError)
    assert "newer version of Streamchat" in caught.value.user_message
    with store._engine.connect() as conn:
        assert store_schema.read_version(conn) == 99
        assert conn.execute(text("SELECT title FROM chats")).scalar() == "written by the future"


def test_read_only_database_still_opens_chats_but_writes_say_read_only(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    writable = Store(_sqlite_url(path))
    chat = writable.create_chat(ME, title="saved before")
    assert chat is not None
    writable.close()
    # mode=ro: root (CI) ignores file permissions, the SQLite URI flag does not.
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert [c.title for c in read_only.list_chats(ME)] == ["saved before"]
    with pytest.raises(StoreUnavailable) as caught:
        read_only.create_chat(ME, title="new")
    assert "read-only" in caught.value.user_message
    with pytest.raises(StoreUnavailable):
        read_only.append_turn(ME, chat.id, "user", "lost?")


def test_damaged_database_file_is_reported_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    path.write_bytes(b"this is not a database at all" * 100)
    store = Store(_sqlite_url(path))
    with pytest.raises(StoreUnavailable) as caught:
        store.list_chats(ME)
    assert "damaged" in caught.value.user_message
    assert "Traceback" not in caught.value.user_message


def test_locked_database_is_busy_then_usable_again(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    url = _sqlite_url(path)
    Store(url).ensure_schema()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    store = Store(url, engine=make_engine(url, busy_timeout_s=0.2))
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.create_chat(ME, title="waits")
        assert "busy" in caught.value.user_message
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert store.create_chat(ME, title="after") is not None


def test_postgresql_that_is_not_running_is_unavailable_not_a_crash() -> None:
    store = Store(f"postgresql+psycopg://nobody:secret-pw@127.0.0.1:{free_port()}/none")
    with pytest.raises(StoreUnavailable) as caught:
        store.list_chats(ME)
    assert "cannot be reached" in caught.value.user_message
    assert "secret-pw" not in repr(store) and "secret-pw" not in caught.value.user_message


def test_unreachable_postgresql_is_not_retried_on_every_call() -> None:
    store = Store(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    attempts: list[int] = []
    event.listen(store._engine, "do_connect", lambda *args: attempts.append(1))
    for _ in range(5):  # a page run lists chats, opens one, saves...: one wait, not five
        with pytest.raises(StoreUnavailable):
            store.list_chats(ME)
    assert len(attempts) == 1


def test_postgresql_connections_dropped_by_the_server_are_reopened(pg_url: str) -> None:
    store = Store(pg_url)
    chat = store.create_chat(ME, title="before the drop")
    assert chat is not None
    with make_engine(pg_url).connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert store.append_turn(ME, chat.id, "user", "after the drop") is not None
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and opened.turns[0].content == "after the drop"


def test_url_comes_from_secrets_then_environment_then_a_local_file(tmp_path: Path) -> None:
    secrets = {"connections": {"streamchat": {"url": "postgresql+psycopg://a@h/db"}}}
    env = {"STREAMCHAT_DATABASE_URL": "sqlite:////tmp/x.db"}
    assert database_url(secrets=secrets, environ=env) == "postgresql+psycopg://a@h/db"
    assert database_url(secrets={}, environ=env) == "sqlite:////tmp/x.db"
    assert database_url(environ={}, cwd=tmp_path) == f"sqlite:///{tmp_path}/.streamchat/chats.db"


def test_password_in_the_url_is_never_displayed() -> None:
    shown = display_url("postgresql+psycopg://me:hunter2@db.example/chats")
    assert "hunter2" not in shown and "db.example" in shown


def test_unsupported_or_garbled_url_is_a_clear_error() -> None:
    with pytest.raises(StoreUnavailable, match="SQLite or PostgreSQL"):
        Store("mysql://x@y/z")
    with pytest.raises(StoreUnavailable, match="not valid"):
        Store("not a url")


def test_default_sqlite_file_is_created_in_wal_mode(tmp_path: Path) -> None:
    store = open_store(database_url(environ={}, cwd=tmp_path))
    assert store.create_chat(ME) is not None
    path = tmp_path / ".streamchat" / "chats.db"
    assert path.exists()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
