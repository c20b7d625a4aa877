"""An answer outlives its page: a reload mid-answer shows it continuing live (one request
upstream), and a tab closed mid-answer lets it finish on the server and be stored
(chat_core/running.py, docs/design.md §32)."""

from __future__ import annotations

import re
import time

import pytest

from chat_core.store import Store
from chat_core.store_types import LOCAL_OWNER
from chat_core.types import StreamStatus
from tests.e2e.conftest import ChatPage, markdown_words, playwright_expect, rendered_words
from tests.servers import _TEST_DATABASE
from tests.wire_server import WireServer, long_markdown_text

pytestmark = pytest.mark.e2e
expect = playwright_expect()

CHUNKS = 400
SLOW_PROMPT = f"#wire:slow:{CHUNKS}:50"  # 400 chunks at 50/s: 8 s
FULL_TEXT = long_markdown_text(CHUNKS)


def _chat_id(chat: ChatPage) -> str:
    expect(chat.page).to_have_url(re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}"))
    found = re.search(r"chat=([A-Za-z0-9_-]{22})", chat.page.url)
    assert found is not None
    return found.group(1)


def _stored_answer(chat_id: str, timeout_s: float = 30.0) -> tuple[str, StreamStatus]:
    store = Store(f"sqlite:///{_TEST_DATABASE}")
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            chat = store.get_chat(LOCAL_OWNER, chat_id)
            if chat and len(chat.turns) == 2 and chat.turns[1].status is not StreamStatus.STREAMING:
                return chat.turns[1].content, chat.turns[1].status
            time.sleep(0.1)
    finally:
        store.close()
    raise AssertionError(f"the answer of chat {chat_id} was not stored finished")


def test_a_reload_mid_answer_keeps_streaming_it_live(chat: ChatPage, wire: WireServer) -> None:
    chat.send(SLOW_PROMPT, wait=False)
    chat.wait_for_answer_chars(150)
    chat_id = _chat_id(chat)

    chat.page.reload()
    chat.page.wait_for_selector('[data-testid="stApp"]')
    expect(chat.users()).to_have_count(1)
    chat.wait_for_answer_chars(150)  # what had arrived, at once
    seen = len(chat.answer_text())
    chat.wait_for_answer_chars(seen + 200)  # ... and more arriving live
    assert wire.requests[0].completed is False, "the answer ended before the reload showed"

    chat.wait_idle()
    assert rendered_words(chat.answer_text()) == markdown_words(FULL_TEXT)
    assert "Stopped" not in chat.caption()
    records = wire.requests
    assert len(records) == 1, "the answer was asked for twice upstream"
    assert records[0].completed and not records[0].disconnected
    assert _stored_answer(chat_id) == (FULL_TEXT, StreamStatus.COMPLETE)


def test_a_tab_closed_mid_answer_lets_it_finish_and_be_stored(
    chat: ChatPage, wire: WireServer
) -> None:
    chat.send(SLOW_PROMPT, wait=False)
    chat.wait_for_answer_chars(150)
    chat_id = _chat_id(chat)
    chat.page.close()

    assert _stored_answer(chat_id) == (FULL_TEXT, StreamStatus.COMPLETE)
    (record,) = wire.requests
    assert record.completed and not record.disconnected
