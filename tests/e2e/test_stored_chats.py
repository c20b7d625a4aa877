"""Stored chats in a real browser: two ``streamlit run app.py`` processes sharing one
PostgreSQL (the replicas set-up) see each other's chats, through ``?chat=<id>`` and the list."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import DEMO_SPEED, SIDEBAR, AppServer, ChatPage, playwright_expect
from tests.servers import server_env, streamlit_server
from tests.store.conftest import fresh_postgres

expect = playwright_expect()
pytestmark = pytest.mark.e2e


@pytest.fixture
def two_replicas() -> Iterator[tuple[AppServer, AppServer]]:
    with fresh_postgres() as url:
        env = server_env(STREAMCHAT_DATABASE_URL=url, **DEMO_SPEED)
        with (
            streamlit_server("app.py", env=env) as first,
            streamlit_server("app.py", env=env) as second,
        ):
            yield AppServer(first), AppServer(second)


def test_a_chat_written_through_one_process_opens_through_the_other(
    make_chat: Callable[[AppServer], ChatPage], two_replicas: tuple[AppServer, AppServer]
) -> None:
    first, second = two_replicas
    one = make_chat(first).open_chat()
    one.send("Hello from replica one")
    expect(one.page).to_have_url(re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}"))
    chat_id = re.search(r"chat=([A-Za-z0-9_-]{22})", one.page.url)
    assert chat_id is not None
    answer = one.answer_text()

    two = make_chat(second)
    two.open(f"?chat={chat_id.group(1)}")
    expect(two.users()).to_have_count(1)
    expect(two.users().first).to_contain_text("Hello from replica one")
    assert two.answer_text() == answer
    expect(two.page.locator(SIDEBAR)).to_contain_text("Hello from replica one")

    two.send("And a follow-up from replica two")
    one.open(f"?chat={chat_id.group(1)}")  # a reload on the first process
    expect(one.users()).to_have_count(2)
    expect(one.users().nth(1)).to_contain_text("follow-up from replica two")
