"""The real chat page (app.py) with the store wired in: a chat is saved, put in the URL, listed,
and reopened by a new session (reload, second tab)."""

from __future__ import annotations

from chat_core.store import Store, open_store
from chat_core.store_saver import writer_for
from chat_core.store_types import LOCAL_OWNER
from tests.app.conftest import messages, new_app, send


def test_a_chat_on_the_page_is_stored_and_reopened_from_its_url(database: str) -> None:
    at = send(new_app().run(), "What is streaming?")
    shown = messages(at)
    chat_id = str(at.query_params["chat"])
    assert writer_for(open_store(database)).flush()
    stored = Store(database).get_chat(LOCAL_OWNER, chat_id)
    assert stored is not None
    assert [t.content for t in stored.turns] == [text for _, text in shown]
    assert stored.turns[1].metrics is not None

    reload = new_app()
    reload.query_params["chat"] = chat_id
    reload.run()
    assert not reload.exception
    assert messages(reload) == shown
    listed = [b.label for b in reload.sidebar.button if (b.key or "").startswith("chat_list_open")]
    assert listed == ["What is streaming?"]


def test_the_pages_new_chat_starts_a_second_stored_chat(database: str) -> None:
    at = send(new_app().run(), "first")
    first = at.query_params["chat"]
    at.button(key="new_chat").click().run()
    at = send(at, "second")
    assert at.query_params["chat"] != first
    assert writer_for(open_store(database)).flush()
    assert sorted(c.title for c in Store(database).list_chats(LOCAL_OWNER)) == ["first", "second"]
