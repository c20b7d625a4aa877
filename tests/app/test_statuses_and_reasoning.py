"""What the page draws for every way an answer can end, and for a model's reasoning.

The statuses are drawn from turns as the engine settles them (the providers map finish
reasons to statuses); the reasoning test streams from a scripted provider through the real
engine and page."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

import ui.settings
from chat_core.conversation import Conversation, Turn
from chat_core.types import (
    ChatRequest,
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
)
from tests.app.conftest import captions, send


def chat_with(turn: Turn) -> Conversation:
    conv = Conversation()
    conv.add_user("a question")
    conv.turns.append(turn)
    return conv


def page_with(app: Callable[..., AppTest], turn: Turn) -> AppTest:
    at = app(conversation=chat_with(turn)).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(
    ("status", "badge"),
    [
        (StreamStatus.COMPLETE, "Complete"),
        (StreamStatus.STOPPED, "Stopped"),
        (StreamStatus.LENGTH, "Cut off at max tokens"),
        (StreamStatus.FILTERED, "Filtered by the provider"),
        (StreamStatus.INTERRUPTED, "Interrupted"),
        (StreamStatus.ERROR, "Failed"),
    ],
)
def test_the_badge_names_every_status(
    app: Callable[..., AppTest], status: StreamStatus, badge: str
) -> None:
    at = page_with(app, Turn("assistant", "Some text.", status=status, model="m"))
    assert badge in captions(at)[-1]


def test_an_unknown_finish_reason_is_shown_by_its_name(app: Callable[..., AppTest]) -> None:
    turn = Turn("assistant", "Partial.", status=StreamStatus.OTHER, finish_reason="pause_turn")
    at = page_with(app, turn)
    assert "pause_turn" in captions(at)[-1]
    assert "Complete" not in captions(at)[-1]


def test_a_refusal_without_text_says_so_instead_of_an_empty_bubble(
    app: Callable[..., AppTest],
) -> None:
    at = page_with(
        app, Turn("assistant", "", status=StreamStatus.FILTERED, finish_reason="refusal")
    )
    assert any("The model declined to answer" in c for c in captions(at))
    # ... and the person can still rate it or ask again, from under the answer.
    keys = [b.key or "" for b in at.button]
    assert any(k.startswith("regenerate-") for k in keys), keys
    assert at.feedback


def test_an_answer_cut_off_while_thinking_says_to_raise_max_tokens(
    app: Callable[..., AppTest],
) -> None:
    turn = Turn("assistant", "", status=StreamStatus.LENGTH, reasoning="Let me think about")
    at = page_with(app, turn)
    assert any("Cut off while thinking — raise max tokens" in c for c in captions(at))
    assert at.expander[0].label.startswith("Thought")


def test_an_error_shows_the_providers_request_id(app: Callable[..., AppTest]) -> None:
    turn = Turn(
        "assistant",
        "",
        status=StreamStatus.ERROR,
        error="OpenAI is overloaded.",
        request_id="req_abc123",
    )
    at = page_with(app, turn)
    assert at.chat_message[-1].error[0].value == "OpenAI is overloaded."
    assert any("req_abc123" in c for c in captions(at))


# -- reasoning, streamed through the engine -------------------------------------------------------


class ThinkingUpstream:
    def __init__(self, events: list[UpstreamEvent]) -> None:
        self.events = events

    def __iter__(self) -> Iterator[UpstreamEvent]:
        yield from self.events

    def close(self) -> None:
        pass


class ThinkingProvider:
    name = "demo"
    label = "Thinking demo"
    default_model = "demo-reasoning"

    def open(self, request: ChatRequest) -> ThinkingUpstream:
        return ThinkingUpstream(
            [
                ReasoningDelta("The user asks 2+2. "),
                ReasoningDelta("That is 4."),
                TextDelta("The answer is **4**."),
                FinishReport("stop", StreamStatus.COMPLETE),
            ]
        )


def test_reasoning_is_shown_apart_above_the_answer_and_kept_with_the_turn(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.settings, "make_provider", lambda settings, **_: ThinkingProvider())
    at = send(app().run(), "what is 2+2?")
    turn = at.session_state["conversation"].turns[-1]
    assert turn.content == "The answer is **4**."
    assert turn.reasoning == "The user asks 2+2. That is 4."
    (expander,) = at.chat_message[-1].expander
    assert expander.label.startswith("Thought")
    assert "That is 4." in expander.markdown[0].value
    answer = [m.value for m in at.chat_message[-1].markdown if "answer is" in m.value]
    assert answer == ["The answer is **4**."]  # the reasoning is not part of the answer
    assert turn.to_dict()["reasoning"] == turn.reasoning  # exported with the turn
    # Never sent back to the model as answer text.
    conv: Conversation = at.session_state["conversation"]
    assert all("That is 4." not in m.content for m in conv.messages())
