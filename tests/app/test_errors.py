"""Every kind of failure shows a plain message in the chat, keeps what arrived, offers Retry,
and never an exception on the page."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from chat_core.config import MODELS
from tests.app.conftest import captions, errors, messages, send
from tests.wire_server import Scenario, WireServer


def last_turn(at: AppTest):  # type: ignore[no-untyped-def]
    return at.session_state["conversation"].turns[-1]


def assert_failed_with(at: AppTest, *fragments: str) -> None:
    assert not at.exception
    shown = errors(at)
    assert len(shown) == 1, shown
    for fragment in fragments:
        assert fragment in shown[0], shown[0]
    turn = last_turn(at)
    assert turn.status == StreamStatus.ERROR
    assert at.button(key=f"retry-{turn.id}").label == "Retry"
    assert captions(at)[-1].startswith(":red-badge[")


@pytest.mark.parametrize(
    ("prompt", "fragments"),
    [
        ("#wire:401", ("OpenAI rejected the API key",)),
        ("#wire:model", (f"Model '{MODELS['openai'][0]}'", "Pick another model")),
        ("#wire:429:30", ("Rate limited by OpenAI", "try again in 30 s")),
        ("#wire:context", ("too long",)),
        ("#wire:403", ("not allowed",)),
    ],
)
def test_http_errors_show_their_message(
    app: Callable[..., AppTest], openai_wire: WireServer, prompt: str, fragments: tuple[str, ...]
) -> None:
    at = send(app().run(), prompt)
    assert_failed_with(at, *fragments)
    assert last_turn(at).content == ""


def test_a_server_error_is_retried_then_explained(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    openai_wire.enqueue(*[Scenario.http_error(500, retry_after=0)] * 3)
    at = send(app().run(), "hello")
    assert_failed_with(at, "server error (500)")
    assert len(openai_wire.requests) == 3  # the first try and two retries


def test_a_rate_limit_with_a_short_wait_is_retried_and_the_answer_arrives(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    openai_wire.enqueue(Scenario.http_error(429, retry_after=0.1), Scenario.text("Worth the wait."))
    at = send(app().run(), "hello")
    assert not errors(at)
    assert messages(at)[-1] == ("assistant", "Worth the wait.")
    assert last_turn(at).status == StreamStatus.COMPLETE


def test_anthropic_overload_is_explained(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    anthropic_wire.enqueue(*[Scenario.overloaded(retry_after=0)] * 3)
    at = send(app().run(), "hello")
    assert_failed_with(at, "Anthropic is overloaded")


def test_a_connection_dropped_mid_answer_keeps_the_partial(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:drop:20")
    assert_failed_with(at, "dropped mid-answer", "text received so far is kept")
    turn = last_turn(at)
    assert len(turn.content) == 80  # 20 chunks of 4 characters
    assert messages(at)[-1][1] == turn.content.strip()


def test_anthropic_dropped_mid_answer_keeps_the_partial(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:drop:10")
    assert_failed_with(at, "dropped mid-answer")
    assert len(last_turn(at).content) == 40


def test_an_error_event_mid_stream_keeps_the_partial(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:error:5")
    assert_failed_with(at, "OpenAI")
    assert len(last_turn(at).content) == 20


def test_a_malformed_stream_is_explained(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:malformed:3")
    assert_failed_with(at, "garbled")


def test_a_bad_base_url_is_explained(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", "not a url")
    at = app().run()
    assert not at.exception
    at = send(at, "hello")
    assert_failed_with(at, "OPENAI_BASE_URL setting is not a valid URL")


def test_an_unreachable_server_is_explained(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    at = send(app().run(), "hello")
    assert_failed_with(at, "Could not reach OpenAI", f"127.0.0.1:{port}")


def test_a_missing_key_is_explained_and_the_key_field_is_offered(
    app: Callable[..., AppTest],
) -> None:
    at = app(provider="openai").run()
    assert at.text_input(key="w_api_key_openai").proto.type == 1  # PASSWORD
    at = send(at, "hello")
    assert_failed_with(at, "No OpenAI API key is configured")


def test_a_blank_typed_key_changes_nothing(app: Callable[..., AppTest]) -> None:
    at = app(provider="anthropic").run()
    at.text_input(key="w_api_key_anthropic").input("   ").run()
    assert "api_key_anthropic" not in at.session_state
    at = send(at, "hello")
    assert_failed_with(at, "No Anthropic API key is configured")


def test_a_temperature_out_of_range_is_explained_and_nothing_is_sent(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app(model_anthropic="claude-haiku-4-5").run()
    at.select_slider(key="w_temperature_choice").set_value(1.5).run()
    assert "out of range for claude-haiku-4-5" in at.sidebar.warning[0].value
    at = send(at, "hello")
    assert_failed_with(at, "Temperature 1.5 is out of range for claude-haiku-4-5 (0 to 1)")
    assert anthropic_wire.requests == []
    assert at.session_state["conversation"].turns[0].content == "hello"  # nothing lost


def test_retry_answers_again_after_a_failure(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    openai_wire.enqueue(Scenario.http_error(401))
    at = send(app().run(), "hello")
    failed = last_turn(at)
    at.button(key=f"retry-{failed.id}").click().run()
    assert not at.exception
    assert not errors(at)
    turns = at.session_state["conversation"].turns
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[-1].content.startswith("You said: hello")
    assert len(at.session_state["answers"]) == 2  # both attempts stay on the metrics page


def test_an_unexpected_exception_shows_a_short_message_and_logs_no_prompt(
    app: Callable[..., AppTest],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import ui.answer

    prompt = "the secret prompt text"

    def broken(self: object, raw: str) -> None:
        raise RuntimeError(f"while showing {prompt}")

    monkeypatch.setattr(ui.answer.LiveAnswer, "show_text", broken)
    caplog.set_level(logging.ERROR)
    at = send(app().run(), prompt)
    assert not at.exception
    assert "Something went wrong on our side" in errors(at)[0]
    assert "RuntimeError" in caplog.text
    assert "secret prompt" not in caplog.text
    assert last_turn(at).status == StreamStatus.ERROR
