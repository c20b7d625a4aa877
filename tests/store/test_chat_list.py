"""The sidebar chat list and ``?chat=<id>`` (ui/chat_list.py) through AppTest, on a temporary
SQLite store given the way a deployment gives it: ``[connections.streamchat] url`` in secrets."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from chat_core.store import Store
from chat_core.store_types import LOCAL_OWNER

PAGE = "chat_list_app.py"


def _app(url: str, *, chat: str | None = None, user: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.secrets["connections"] = {"streamchat": {"url": url}}
    if chat is not None:
        at.query_params["chat"] = chat
    if user is not None:
        at.user = {"is_logged_in": True, "sub": user, "email": f"{user}@example.com"}
    return at.run()


def _ask(at: AppTest, prompt: str) -> AppTest:
    return at.chat_input[0].set_value(prompt).run()


def _messages(at: AppTest) -> list[str]:
    return [m.markdown[0].value for m in at.chat_message]


def _listed(at: AppTest) -> list[str]:
    return [b.label for b in at.sidebar.button if b.key and b.key.startswith("chat_list_open_")]


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'chats.db'}"


def test_first_prompt_creates_a_listed_chat_named_after_it_with_its_url(tmp_path: Path) -> None:
    at = _ask(_app(_url(tmp_path)), "How long do I proof bread dough?")
    assert not at.exception
    assert _listed(at) == ["How long do I proof bread dough?"]
    chat_id = at.query_params["chat"]
    assert isinstance(chat_id, str) and len(chat_id) == 22
    assert at.caption[0].value == "Today"


def test_reload_with_the_chat_url_shows_the_same_history(tmp_path: Path) -> None:
    first = _ask(_ask(_app(_url(tmp_path)), "one"), "two")
    chat_id = str(first.query_params["chat"])
    again = _app(_url(tmp_path), chat=chat_id)  # a new session, like a reload or a second tab
    assert not again.exception
    assert _messages(again) == ["one", "echo: one", "two", "echo: two"]
    assert again.query_params["chat"] == chat_id


def test_unknown_or_malformed_chat_id_says_not_found_and_starts_a_new_chat(
    tmp_path: Path,
) -> None:
    for bad in ("A" * 22, "<script>", "../../../etc/passwd"):
        at = _app(_url(tmp_path), chat=bad)
        assert not at.exception
        assert any("Chat not found" in w.value for w in at.sidebar.warning)
        assert _messages(at) == [] and "chat" not in at.query_params


def test_clicking_a_chat_in_the_list_opens_it(tmp_path: Path) -> None:
    at = _ask(_app(_url(tmp_path)), "first chat")
    first_id = at.query_params["chat"]
    at.button(key="chat_list_new").click().run()
    assert _messages(at) == [] and "chat" not in at.query_params
    at = _ask(at, "second chat")
    assert _listed(at) == ["second chat", "first chat"]
    at.button(key=f"chat_list_open_{first_id}").click().run()
    assert _messages(at) == ["first chat", "echo: first chat"]
    assert at.query_params["chat"] == first_id
    at = _ask(at, "more")
    assert _listed(at) == ["first chat", "second chat"]  # most recently active first


def test_rename_and_delete_with_undo(tmp_path: Path) -> None:
    at = _ask(_app(_url(tmp_path)), "original title")
    at.text_input(key="chat_list_title").set_value("Bread notes")
    at.button(key="chat_list_rename").click().run()
    assert _listed(at) == ["Bread notes"]
    at.button(key="chat_list_delete").click().run()
    assert not at.exception
    assert _listed(at) == [] and _messages(at) == []
    assert [t.value for t in at.toast] and "Bread notes" in at.toast[0].value
    at.button(key="chat_list_undo").click().run()
    assert _listed(at) == ["Bread notes"]
    assert _messages(at) == ["original title", "echo: original title"]


def test_search_finds_chats_by_message_text(tmp_path: Path) -> None:
    at = _ask(_app(_url(tmp_path)), "sourdough starter")
    at.button(key="chat_list_new").click().run()
    at = _ask(at, "rust borrow checker")
    at.text_input(key="chat_list_search").set_value("BORROW").run()
    hits = [b.label for b in at.sidebar.button if b.key and b.key.startswith("chat_list_hit_")]
    assert hits == ["rust borrow checker"]
    at.text_input(key="chat_list_search").set_value("nothing of the sort").run()
    assert any("No chat matches" in c.value for c in at.sidebar.caption)


def test_dont_save_this_chat_keeps_it_out_of_the_store(tmp_path: Path) -> None:
    url = _url(tmp_path)
    at = _app(url)
    at.toggle(key="chat_list_incognito").set_value(True).run()
    at = _ask(at, "private matter")
    assert _messages(at) == ["private matter", "echo: private matter"]
    assert "chat" not in at.query_params and _listed(at) == []
    assert Store(url).list_chats(LOCAL_OWNER) == []


def test_signed_in_people_see_only_their_own_chats(tmp_path: Path) -> None:
    url = _url(tmp_path)
    alice = _ask(_app(url, user="alice"), "alice's plans")
    alice_chat = str(alice.query_params["chat"])
    bob = _app(url, user="bob")
    assert _listed(bob) == []
    bob = _app(url, user="bob", chat=alice_chat)
    assert any("Chat not found" in w.value for w in bob.sidebar.warning)
    assert _messages(bob) == []
    assert _listed(_app(url, user="alice")) == ["alice's plans"]


def test_public_deployment_lists_no_chats_but_the_url_reopens_one(tmp_path: Path) -> None:
    url = _url(tmp_path)
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.secrets["connections"] = {"streamchat": {"url": url}}
    at.secrets["streamchat"] = {"public": True}
    at = _ask(at.run(), "visitor one")
    assert _listed(at) == []
    chat_id = str(at.query_params["chat"])
    other = AppTest.from_file(PAGE, default_timeout=30)
    other.secrets["connections"] = {"streamchat": {"url": url}}
    other.secrets["streamchat"] = {"public": True}
    other.run()
    assert _listed(other) == [] and _messages(other) == []
    other.query_params["chat"] = chat_id
    assert _messages(other.run()) == ["visitor one", "echo: visitor one"]


def test_without_sign_in_a_visitor_from_elsewhere_gets_no_list_and_no_local_chats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default for a deployment nobody configured: AppTest's connection is not a local
    # one (no loopback peer, no Host), like any visitor of a deployed app.
    url = _url(tmp_path)
    mine = _ask(_app(url), "the owner's private notes")  # the person at this machine
    my_chat = str(mine.query_params["chat"])
    monkeypatch.delenv("STREAMCHAT_LOCAL")
    visitor = _ask(_app(url), "visitor one")
    assert _listed(visitor) == []
    assert any("not listed" in c.value for c in visitor.sidebar.caption)
    their_chat = str(visitor.query_params["chat"])
    other = _app(url)
    assert _listed(other) == [] and _messages(other) == []
    assert _messages(_app(url, chat=their_chat)) == ["visitor one", "echo: visitor one"]
    stolen = _app(url, chat=my_chat)  # even with the local person's chat id
    assert _messages(stolen) == []
    assert any("Chat not found" in w.value for w in stolen.sidebar.warning)
    monkeypatch.setenv("STREAMCHAT_LOCAL", "1")
    assert _listed(_app(url)) == ["the owner's private notes"]


def test_damaged_database_warns_and_the_chat_goes_on_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    path.write_bytes(b"not a database" * 500)
    at = _ask(_app(f"sqlite:///{path}"), "still works?")
    assert not at.exception
    assert _messages(at) == ["still works?", "echo: still works?"]
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "damaged" in warnings


def test_export_all_downloads_every_chat_as_one_json_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def spy(self: MediaFileManager, data: Any, mimetype: Any, coordinates: Any, **kw: Any) -> str:
        found[str(kw.get("file_name"))] = data
        return original(self, data, mimetype, coordinates, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    at = _ask(_app(_url(tmp_path)), "first")
    at.button(key="chat_list_new").click().run()
    at = _ask(at, "second")
    assert "streamchat-all-chats.json" not in found  # only made when asked for
    at.button(key="chat_list_export").click().run()
    exported = json.loads(found["streamchat-all-chats.json"]())
    assert [c["title"] for c in exported["chats"]] == ["second", "first"]
    assert exported["chats"][0]["messages"][1]["content"] == "echo: second"
