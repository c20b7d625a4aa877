"""Store fixtures: every store test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL comes from ``STREAMCHAT_TEST_DATABASE_URL`` (scripts/test.sh starts a throwaway server
and exports it); each test gets its own fresh database, dropped afterwards. Without the URL the
PostgreSQL cases skip locally, but fail under CI=true: CI must run them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from chat_core.store import Store

PG_URL_VAR = "STREAMCHAT_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def local_person(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app tests here play the person at this machine, who sees every stored chat
    (AppTest's connection does not look local, chat_core/visitors.py); tests of visitors
    from elsewhere delete the variable."""
    monkeypatch.setenv("STREAMCHAT_LOCAL", "1")


def postgres_admin_url() -> str | None:
    url = os.environ.get(PG_URL_VAR, "").strip()
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{PG_URL_VAR} is not set: under CI the PostgreSQL store tests must run")
    return None


class FreshPostgres:
    """A database created for one test on the test server; ``drop()`` removes it."""

    def __init__(self, admin_url: str) -> None:
        self.name = "streamchat_t_" + secrets.token_hex(6)
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(admin_url).set(database=self.name).render_as_string(False)

    def drop(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self._admin.dispose()


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """The URL of a new empty database on the test server, dropped afterwards; skips (fails
    under CI) without a server."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"{PG_URL_VAR} not set (scripts/test.sh starts a PostgreSQL server)")
    database = FreshPostgres(admin)
    try:
        yield database.url
    finally:
        database.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'streamchat' / 'chats.db'}"
        return
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    store = Store(store_url)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (for the multi-process tests)."""
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite file the app under ``AppTest`` (and the SSE API) stores its chats in, with the
    demo model answering at once."""
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    monkeypatch.setenv("STREAMCHAT_DATABASE_URL", url)
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    return url
