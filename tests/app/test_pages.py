"""Smoke tests per page, demo mode, the welcome, bad prompts, Clear, Regenerate, page switches."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from tests.app.conftest import captions, messages, send


def test_chat_page_starts_in_demo_mode_with_a_welcome(app: Callable[..., AppTest]) -> None:
    at = app().run()
    assert not at.exception
    assert at.title[0].value == "Streamchat"
    assert "Demo mode" in at.info[0].value
    assert "secrets.toml" in at.info[0].value
    examples = [b for b in at.button if b.key and b.key.startswith("example-")]
    assert len(examples) == 3
    assert at.selectbox(key="w_provider").value == "demo"
    assert at.chat_input[0].proto.max_chars > 0


def test_metrics_page_smoke_shows_a_useful_empty_state(app: Callable[..., AppTest]) -> None:
    at = app().run()
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    assert at.title[0].value == "Metrics"
    assert "No answers yet" in at.info[0].value


def test_a_demo_turn_streams_an_answer_with_a_metrics_caption(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough to have a rate (chat_core.metrics.MIN_RATE_WINDOW_S).
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "300")
    at = send(app().run(), "How do chat apps stream?")
    (user_role, user_text), (role, answer) = messages(at)
    assert (user_role, user_text) == ("user", "How do chat apps stream?")
    assert role == "assistant"
    assert "simulated answer" in answer
    assert "How do chat apps stream?" in answer
    caption = captions(at)[-1]
    assert "TTFT " in caption
    assert "demo-1" in caption and "tokens/s" in caption
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.COMPLETE
    assert turn.content.startswith("### About")
    assert not at.info or "Demo mode" in at.info[0].value
    assert not [b for b in at.button if b.key and b.key.startswith("example-")]


def test_an_example_button_asks_its_prompt(app: Callable[..., AppTest]) -> None:
    at = app().run()
    at.button(key="example-1").click().run()
    assert not at.exception
    (role, text), (answer_role, _answer) = messages(at)
    assert role == "user" and "backoff" in text
    assert answer_role == "assistant"


def test_a_whitespace_prompt_is_ignored(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "   \n\t ")
    assert messages(at) == []
    assert at.session_state["conversation"].turns == []


def test_a_200_kb_prompt_is_refused_with_a_clear_message(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "x" * 200_000)
    assert "longer than 100,000 characters" in at.warning[0].value
    assert at.session_state["conversation"].turns == []
    at = send(at, "a short one")
    assert len(at.session_state["conversation"].turns) == 2


def test_history_grows_turn_by_turn(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "first")
    at = send(at, "second")
    roles = [role for role, _ in messages(at)]
    assert roles == ["user", "assistant", "user", "assistant"]
    assert "(turn 2)" in messages(at)[3][1]


def test_new_chat_clears_the_conversation(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "hello")
    at.button(key="new_chat").click().run()
    assert not at.exception
    assert messages(at) == []
    assert at.session_state["conversation"].turns == []
    assert [b for b in at.button if b.key and b.key.startswith("example-")]
    # the metrics page keeps the answer
    assert len(at.session_state["answers"]) == 1


def test_regenerate_replaces_the_last_answer(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "hello")
    first = at.session_state["conversation"].turns[-1]
    at.button(key="regenerate").click().run()
    assert not at.exception
    turns = at.session_state["conversation"].turns
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[-1] is not first
    assert turns[-1].status == StreamStatus.COMPLETE
    assert len(at.session_state["answers"]) == 2


def test_settings_survive_a_visit_to_the_metrics_page(app: Callable[..., AppTest]) -> None:
    at = app().run()
    at.text_area(key="w_system").input("Answer like a pirate.").run()
    at.select_slider(key="w_temperature_choice").set_value(0.3).run()
    at.switch_page("app_pages/metrics.py").run()
    at.switch_page("app_pages/chat.py").run()
    assert not at.exception
    assert at.text_area(key="w_system").value == "Answer like a pirate."
    assert at.select_slider(key="w_temperature_choice").value == 0.3
    at = send(at, "hello")
    assert "Answering as instructed" in messages(at)[-1][1]
