"""An answer streaming on one replica, opened on the other (a reload that the proxy sends to
the other process): the page follows it live from the shared PostgreSQL, shows its end, and
shows it interrupted, with Retry, when the replica writing it dies (chat_core/store_live.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import AppServer, ChatPage, playwright_expect
from tests.servers import server_env, streamlit_server
from tests.store.conftest import fresh_postgres
from ui.background import ELSEWHERE_NOTE

expect = playwright_expect()
pytestmark = pytest.mark.e2e

# The demo answer is ~180 chunks: about 30 s at this pace, long enough to open it elsewhere
# on a loaded machine.
SLOW_DEMO = {"STREAMCHAT_DEMO_TTFT_S": "0.05", "STREAMCHAT_DEMO_CHUNKS_PER_S": "6"}
PROMPT = "Tell me how streaming works"
LONG_MS = 90_000


@pytest.fixture
def slow_replicas() -> Iterator[tuple[AppServer, AppServer]]:
    with fresh_postgres() as database:
        env = server_env(STREAMCHAT_DATABASE_URL=database, **SLOW_DEMO)
        with (
            streamlit_server("app.py", env=env) as first,
            streamlit_server("app.py", env=env) as second,
        ):
            yield AppServer(first), AppServer(second)


def _asked_on(one: ChatPage) -> str:
    """Send the prompt on ``one`` and return the chat id once some answer is on screen."""
    one.open_chat().send(PROMPT, wait=False)
    one.wait_for_answer_chars(40)
    expect(one.page).to_have_url(re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}"))
    found = re.search(r"chat=([A-Za-z0-9_-]{22})", one.page.url)
    assert found is not None
    return found.group(1)


def _following(two: ChatPage, chat_id: str) -> None:
    two.page.goto(f"{two.app.url}/?chat={chat_id}")
    expect(two.users()).to_have_count(1, timeout=LONG_MS)
    expect(two.assistants().last).to_contain_text(ELSEWHERE_NOTE, timeout=LONG_MS)


def test_an_answer_streaming_on_one_replica_grows_live_on_the_other(
    make_chat: Callable[[AppServer], ChatPage],
    slow_replicas: tuple[AppServer, AppServer],
) -> None:
    first, second = slow_replicas
    one = make_chat(first)
    chat_id = _asked_on(one)
    two = make_chat(second)
    _following(two, chat_id)
    seen = len(two.answer_text())
    two.wait_for_answer_chars(seen + 100, timeout_ms=LONG_MS)  # more text, re-read live

    expect(two.assistants().last).to_contain_text("Complete", timeout=LONG_MS)
    expect(two.assistants().last).not_to_contain_text(ELSEWHERE_NOTE)
    one.wait_idle(LONG_MS)
    assert two.answer_text() == one.answer_text()


def test_an_answer_whose_replica_died_becomes_interrupted_with_retry_on_the_other(
    make_chat: Callable[[AppServer], ChatPage],
    slow_replicas: tuple[AppServer, AppServer],
) -> None:
    first, second = slow_replicas
    chat_id = _asked_on(make_chat(first))
    two = make_chat(second)
    _following(two, chat_id)

    first.server.process.kill()  # a crash: no final save, no more heartbeats
    expect(two.assistants().last).to_contain_text("Interrupted", timeout=LONG_MS)
    two.page.get_by_role("button", name="Retry").click()
    expect(two.assistants().last).to_contain_text("Complete", timeout=LONG_MS)
