"""Stored chats in a real browser: two ``streamlit run app.py`` processes sharing one
PostgreSQL (the replicas set-up) see each other's chats, through ``?chat=<id>`` and the list."""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from chat_core.store import Store
from chat_core.store_types import LOCAL_OWNER, PUBLIC_OWNER
from chat_core.types import StreamStatus
from tests import servers
from tests.e2e.conftest import (
    DEMO_SPEED,
    SIDEBAR,
    AppServer,
    ChatPage,
    _fail_or_skip,
    playwright_expect,
)
from tests.servers import server_env, streamlit_server
from tests.store.conftest import fresh_postgres

expect = playwright_expect()
pytestmark = pytest.mark.e2e


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def two_replicas(database: str) -> Iterator[tuple[AppServer, AppServer]]:
    env = server_env(STREAMCHAT_DATABASE_URL=database, **DEMO_SPEED)
    with (
        streamlit_server("app.py", env=env) as first,
        streamlit_server("app.py", env=env) as second,
    ):
        yield AppServer(first), AppServer(second)


def wait_stored(
    database: str, chat_id: str, turns: int, timeout_s: float = 30.0, *, owner: str = LOCAL_OWNER
) -> None:
    """Until the chat holds ``turns`` messages, the last one finished (writes are queued off
    the answer's path, so they land a moment after the page shows the answer)."""
    store = Store(database)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            chat = store.get_chat(owner, chat_id)
            if (
                chat
                and len(chat.turns) == turns
                and chat.turns[-1].status is not StreamStatus.STREAMING
            ):
                return
            time.sleep(0.1)
    finally:
        store.close()
    raise AssertionError(f"chat {chat_id} did not reach {turns} stored messages")


def test_a_chat_written_through_one_process_opens_through_the_other(
    make_chat: Callable[[AppServer], ChatPage],
    two_replicas: tuple[AppServer, AppServer],
    database: str,
) -> None:
    first, second = two_replicas
    one = make_chat(first).open_chat()
    one.send("Hello from replica one")
    expect(one.page).to_have_url(re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}"))
    chat_id = re.search(r"chat=([A-Za-z0-9_-]{22})", one.page.url)
    assert chat_id is not None
    answer = one.answer_text()
    wait_stored(database, chat_id.group(1), 2)

    two = make_chat(second)
    two.open(f"?chat={chat_id.group(1)}")
    expect(two.users()).to_have_count(1)
    expect(two.users().first).to_contain_text("Hello from replica one")
    # Code blocks fill in a moment after the message appears (syntax highlighting loads).
    deadline = time.monotonic() + 15
    while two.answer_text() != answer and time.monotonic() < deadline:
        time.sleep(0.2)
    assert two.answer_text() == answer
    expect(two.page.locator(SIDEBAR)).to_contain_text("Hello from replica one")

    two.send("And a follow-up from replica two")
    wait_stored(database, chat_id.group(1), 4)
    one.open(f"?chat={chat_id.group(1)}")  # a reload on the first process
    expect(one.users()).to_have_count(2)
    expect(one.users().nth(1)).to_contain_text("follow-up from replica two")


# -- through deploy/nginx.conf ----------------------------------------------------------------


@contextlib.contextmanager
def nginx_in_front(replicas: tuple[AppServer, ...]) -> Iterator[str]:
    """``deploy/nginx.conf`` in front of ``replicas`` (``tests.servers.nginx_in_front``)."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        _fail_or_skip("nginx is not installed (scripts/test.sh installs Debian's nginx-light)")
    with servers.nginx_in_front(nginx, [r.server.port for r in replicas]) as url:
        yield url


def wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout_s} s")


def test_two_replicas_behind_the_nginx_config_serve_the_same_chats(
    make_chat: Callable[[AppServer], ChatPage],
    two_replicas: tuple[AppServer, AppServer],
    database: str,
) -> None:
    with nginx_in_front(two_replicas) as proxy_url:
        proxied = AppServer(replace(two_replicas[0].server, base_url=proxy_url))
        one = make_chat(proxied).open_chat()
        one.send("Asked through the proxy")
        expect(one.page).to_have_url(re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}"))
        chat_url = one.page.url
        chat_id = re.search(r"chat=([A-Za-z0-9_-]{22})", chat_url)
        assert chat_id is not None
        # Through a proxy nobody is "at this machine" (chat_core/visitors.py): without sign-in
        # the chat is the visitors' and no chat list is shown, only its own URL reopens it.
        wait_stored(database, chat_id.group(1), 2, owner=PUBLIC_OWNER)
        expect(one.page.get_by_text("Chats are not listed here")).to_be_visible()
        one.page.reload()  # same browser: its cookie keeps it on its replica
        one.wait_idle()
        expect(one.users()).to_have_count(1)

        for _ in range(3):  # new browsers land on either replica; each opens the chat
            other = make_chat(proxied)
            other.page.goto(chat_url)
            other.wait_idle()
            expect(other.users().first).to_contain_text("Asked through the proxy")
