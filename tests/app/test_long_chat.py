"""A long chat shows its most recent messages and the rest on request (ui/messages.py
HISTORY_PAGE): every message on the page slows every update of it (bench/history.py)."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from chat_core.conversation import Conversation
from chat_core.types import StreamStatus
from tests.app.conftest import messages, send
from tests.wire_server import WireServer
from ui.messages import HISTORY_PAGE, first_shown


def long_chat(turns: int) -> Conversation:
    conv = Conversation()
    for i in range(turns):
        if i % 2 == 0:
            conv.add_user(f"question {i}")
        else:
            turn = conv.add_assistant(provider="demo", model="demo-1")
            turn.content = f"answer {i}"
            turn.status = StreamStatus.COMPLETE
    return conv


def test_the_window_starts_at_a_page_boundary_and_keeps_positions_while_the_chat_grows() -> None:
    assert first_shown(0) == 0 and first_shown(HISTORY_PAGE * 2 - 1) == 0
    previous = 0
    for count in range(1, 200):
        start = first_shown(count)
        assert start % HISTORY_PAGE == 0 and start % 2 == 0  # a user message never lands
        assert HISTORY_PAGE <= count - start < 2 * HISTORY_PAGE or start == 0  # where an answer was
        assert start >= previous  # the window only moves forward, a page at a time
        previous = start
    assert first_shown(200, earlier_pages=3) == 200 - 4 * HISTORY_PAGE
    assert first_shown(200, earlier_pages=99) == 0


def test_a_long_chat_shows_its_recent_messages_and_more_on_request(
    app: Callable[..., AppTest],
) -> None:
    at = app(conversation=long_chat(45)).run()
    shown = messages(at)
    assert [text for _, text in shown] == [
        f"{'question' if i % 2 == 0 else 'answer'} {i}" for i in range(20, 45)
    ]
    button = at.button(key="show_earlier")
    assert button.label == "Show 20 earlier messages (20 not shown)"

    button.click().run()
    assert len(messages(at)) == 45
    assert messages(at)[0] == ("user", "question 0")
    assert "show_earlier" not in [b.key for b in at.button]

    # A new chat starts with the default window again.
    at.button(key="new_chat").click().run()
    at.session_state["conversation"].turns.extend(long_chat(45).turns)
    at.run()
    assert len(messages(at)) == 25 and at.button(key="show_earlier")


def test_the_hidden_messages_are_still_sent_as_context(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(conversation=long_chat(44), provider="openai").run()
    assert len(messages(at)) == 24
    send(at, "one more")
    sent = openai_wire.requests[-1].body["messages"]
    assert [m["content"] for m in sent if m["role"] != "system"][:2] == ["question 0", "answer 1"]
    assert sent[-1]["content"] == "one more"
    assert messages(at)[-2] == ("user", "one more")
