"""Session behaviour: downloads, import, the API key never shown, and answers a new run finds
still streaming (Stop, a prompt sent while an answer streams)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus, start_chat
from chat_core.providers.demo import DemoProvider
from tests.app.conftest import all_protos, captions, messages, send
from tests.wire_server import WireServer
from ui.state import ActiveAnswer

SECRET_KEY = "sk-live-Zq8u3SECRETkey4711"


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], Any]]:
    """The data callables of the page's download buttons, by file extension, as a click in
    the browser would run them."""
    found: dict[str, Callable[[], Any]] = {}
    original = MediaFileManager.add_deferred

    def spy(
        self: MediaFileManager,
        data_callable: Any,
        mimetype: Any,
        coordinates: Any,
        file_name: str | None = None,
        **kwargs: Any,
    ) -> str:
        if file_name:
            found[file_name.rsplit(".", 1)[-1]] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    return found


def test_downloads_contain_the_chat(
    app: Callable[..., AppTest], downloads: dict[str, Callable[[], Any]]
) -> None:
    at = app().run()
    at = send(at, "What is streaming?")
    at = send(at, "And buffering?")
    conv = at.session_state["conversation"]

    markdown = downloads["md"]()
    assert markdown.startswith("# Streamchat conversation")
    assert "**System prompt:** You are a helpful assistant." in markdown
    assert "## You\n\nWhat is streaming?" in markdown
    assert "## You\n\nAnd buffering?" in markdown
    assert conv.turns[-1].content in markdown

    data = json.loads(downloads["json"]())
    assert data["format"] == "streamchat"
    assert [m["content"] for m in data["messages"]] == [t.content for t in conv.turns]
    assert data["messages"][-1]["metrics"]["time_to_first_token"] is not None


def test_an_exported_chat_can_be_imported(
    app: Callable[..., AppTest], downloads: dict[str, Callable[[], Any]]
) -> None:
    at = send(app().run(), "remember this")
    exported = downloads["json"]()
    at.button(key="new_chat").click().run()
    assert messages(at) == []

    at.file_uploader(key="import_chat_file").set_value(
        ("chat.json", exported.encode(), "application/json")
    ).run()
    assert not at.exception
    assert "Imported 2 messages" in at.success[0].value
    assert messages(at)[0] == ("user", "remember this")
    assert "TTFT " in captions(at)[-1]
    assert at.file_uploader[0].key != "import_chat_file"  # a fresh, empty field


def test_an_invalid_import_says_why_and_changes_nothing(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "keep me")
    before = [t.content for t in at.session_state["conversation"].turns]
    at.file_uploader(key="import_chat_file").set_value(
        ("chat.json", b"{not json", "application/json")
    ).run()
    assert not at.exception
    assert "not valid JSON" in at.error[0].value
    assert [t.content for t in at.session_state["conversation"].turns] == before

    at.file_uploader(key="import_chat_file").set_value(
        ("other.json", b'{"messages": [{"role": "robot", "content": 1}]}', "application/json")
    ).run()
    assert "not a Streamchat conversation" in at.error[0].value
    assert [t.content for t in at.session_state["conversation"].turns] == before


def test_a_typed_api_key_is_used_and_appears_in_no_element(
    app: Callable[..., AppTest], wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", wire.openai_base_url)
    at = app(provider="openai").run()
    field = at.text_input(key="w_api_key_openai")
    assert field.proto.type == 1  # PASSWORD
    field.input(SECRET_KEY).run()
    assert not at.exception
    assert "Using the key you entered" in " ".join(c.value for c in at.sidebar.caption)
    assert not [t for t in at.text_input if t.key == "w_api_key_openai"]  # field gone

    at = send(at, "hello with my key")
    request = wire.last_request
    assert request is not None
    assert request.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert messages(at)[-1][1].startswith("You said: hello with my key")

    at.switch_page("app_pages/metrics.py").run()
    at.switch_page("app_pages/chat.py").run()
    for proto in all_protos(at):
        assert SECRET_KEY.encode() not in proto.SerializeToString()
    for widget in (*at.text_input, *at.text_area):
        assert SECRET_KEY not in str(widget.value)

    at.button(key="forget_key_openai").click().run()
    assert at.text_input(key="w_api_key_openai").value == ""
    at = send(at, "and now?")
    assert "No OpenAI API key is configured" in at.error[0].value


def _streaming_answer(at: AppTest, prompt: str) -> tuple[Any, Any]:
    """Put the session in the state a run leaves behind when it is interrupted mid-answer:
    a live stream in ``active_answer`` and its turn, partly filled, still "streaming"."""
    conv = at.session_state["conversation"]
    conv.add_user(prompt)
    turn = conv.add_assistant(provider="demo", model="demo-1")
    at.session_state["answers"].append(turn)
    stream = start_chat(
        conv.messages(upto=len(conv.turns) - 1), provider=DemoProvider(ttft_s=0, chunks_per_s=40)
    ).start()
    deadline = time.monotonic() + 5
    while len(stream.text) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    # What the interrupted run had drawn (nothing writes the turn while it streams).
    at.session_state["active_answer"] = [ActiveAnswer(stream, turn, drawn=len(stream.text))]
    return stream, turn


def test_a_prompt_sent_while_an_answer_streams_stops_it_and_keeps_the_partial(
    app: Callable[..., AppTest],
) -> None:
    at = app().run()
    stream, turn = _streaming_answer(at, "a long story please")
    at = send(at, "never mind, another question")

    assert stream.cancelled and stream.done
    assert turn.status == StreamStatus.STOPPED
    assert 20 <= len(turn.content) <= len(stream.result.text)
    assert stream.result.text.startswith(turn.content)  # kept: the text that was on screen
    assert turn.metrics is not None and turn.metrics.status == StreamStatus.STOPPED
    roles = [role for role, _ in messages(at)]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert captions(at)[0].startswith(":orange-badge[:material/stop_circle: Stopped]")
    assert at.session_state["conversation"].turns[-1].status == StreamStatus.COMPLETE
    assert at.session_state["active_answer"] == []


def test_any_new_run_settles_an_interrupted_answer_as_stopped(
    app: Callable[..., AppTest],
) -> None:
    at = app().run()
    stream, turn = _streaming_answer(at, "tell me everything")
    at.switch_page("app_pages/metrics.py").run()  # e.g. the sidebar Stop or a page switch
    assert stream.cancelled
    assert turn.status == StreamStatus.STOPPED
    assert list(at.dataframe[0].value["status"]) == ["stopped"]
    at.switch_page("app_pages/chat.py").run()
    assert messages(at)[-1][1] == turn.content.strip()
    assert "Stopped" in captions(at)[-1]


def test_regenerate_after_an_interrupted_answer_replaces_it(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "warm up")
    stream, turn = _streaming_answer(at, "first try")
    at.button(key="regenerate").click().run()
    assert stream.cancelled
    turns = at.session_state["conversation"].turns
    assert [t.role for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[-1] is not turn and turns[-1].status == StreamStatus.COMPLETE
    assert turn.status == StreamStatus.STOPPED  # still a row on the metrics page
