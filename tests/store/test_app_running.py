"""The chat page and running answers: a page opened on a chat whose answer is still streaming
in this process (a reload mid-answer, a second tab) draws that same answer live to its end,
without asking the model again; the answer is stored once, by its registry entry."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from chat_core.conversation import Conversation
from chat_core.running import registry
from chat_core.store import Store, open_store
from chat_core.store_convert import stored_turn
from chat_core.store_saver import writer_for
from chat_core.store_types import LOCAL_OWNER as ME
from chat_core.stream import NO_RETRY, ChatStream
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.app.conftest import messages, new_app
from tests.store.test_running import GatedProvider


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    monkeypatch.setenv("STREAMCHAT_DATABASE_URL", url)
    return url


def test_a_reopened_chat_follows_its_running_answer_live_to_the_end(database: str) -> None:
    store = open_store(database)
    writer = writer_for(store)
    chat = store.create_chat(ME, title="hi")
    assert chat is not None
    conv = Conversation()
    store.save_turn(ME, chat.id, stored_turn(conv.add_user("hi")))
    turn = conv.add_assistant(provider="demo", model="demo-1")
    provider = GatedProvider()
    request = ChatRequest(messages=(Message("user", "hi"),), model="demo-1")
    stream = ChatStream(provider, request, retry=NO_RETRY).start()
    registry().start(chat.id, turn, stream, writer=writer, owner=ME)
    assert writer.flush(5)

    reload = new_app()
    reload.query_params["chat"] = chat.id
    threading.Timer(1.0, provider.gate.set).start()  # the model goes on while the page follows
    reload.run()

    assert not reload.exception
    assert messages(reload)[-1] == ("assistant", "Hello world")
    assert provider.requests == 1
    assert writer.flush(5)
    stored = Store(database).get_chat(ME, chat.id)
    assert stored is not None
    assert (stored.turns[-1].content, stored.turns[-1].status) == (
        "Hello world",
        StreamStatus.COMPLETE,
    )


def test_an_answer_cut_off_by_a_server_restart_shows_interrupted_with_retry(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    store = open_store(database)
    chat = store.create_chat(ME, title="hi")
    assert chat is not None
    conv = Conversation()
    store.save_turn(ME, chat.id, stored_turn(conv.add_user("What is streaming?")))
    partial = conv.add_assistant(provider="demo", model="demo-1")
    partial.content = "Streaming is"
    partial.status = StreamStatus.STREAMING
    # Last written a minute ago by a process that is gone (a restart).
    dead = dataclasses.replace(stored_turn(partial), updated_at=time.time() - 60)
    store.save_turn(ME, chat.id, dead)

    at = new_app()
    at.query_params["chat"] = chat.id
    at.run()
    assert not at.exception
    assert messages(at)[-1] == ("assistant", "Streaming is")
    assert any("Interrupted" in c.value for c in at.chat_message[-1].caption)
    at.button(key=f"retry-{partial.id}").click().run()

    assert not at.exception
    answer = at.session_state["conversation"].turns[-1]
    assert answer.status == StreamStatus.COMPLETE
    assert "What is streaming" in answer.content


def test_the_metrics_page_shows_every_stored_answer_on_request(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    earlier = new_app().run()
    earlier.chat_input[0].set_value("asked in another tab").run()
    assert not earlier.exception

    at = new_app().run()  # a new session: none of its own answers
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    assert not at.dataframe  # this session's answers by default: none
    at.segmented_control(key="metrics_scope").set_value("All stored answers").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1
    assert any("stored (yours)" in c.value for c in at.caption)


def test_the_metrics_page_opened_first_offers_every_stored_answer(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bookmark of /metrics, or the first page after a restart: the stored answers are there
    without visiting the chat page first."""
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    earlier = new_app().run()
    earlier.chat_input[0].set_value("asked before the restart").run()
    assert not earlier.exception

    at = new_app()
    at.switch_page("app_pages/metrics.py").run()  # the session's first run is the metrics page
    assert not at.exception
    at.segmented_control(key="metrics_scope").set_value("All stored answers").run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 1


def test_a_visitor_from_elsewhere_never_sees_other_visitors_answers_on_the_metrics_page(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STREAMCHAT_LOCAL")  # AppTest's connection is not a local one
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    first = new_app().run()
    first.chat_input[0].set_value("a first visitor's question").run()
    assert not first.exception

    at = new_app().run()  # another visitor
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    assert not at.segmented_control  # no "All stored answers" to choose
    assert not at.dataframe
