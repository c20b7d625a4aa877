"""Provider failures typed into the chat (wire triggers): a plain message in the conversation,
the partial answer kept, never an ``stException``, and the next prompt works."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ALERT, ChatPage, playwright_expect
from tests.wire_server import Scenario, WireServer, long_markdown_text

pytestmark = pytest.mark.e2e
expect = playwright_expect()

NEXT_ANSWER = "Yes, the next prompt gets a normal answer."


@pytest.mark.parametrize(
    ("trigger", "message", "requests", "partial_chars"),
    [
        # 429 and 5xx are retried twice before the first token (chat_core RetryPolicy).
        ("#wire:429", r"Rate limited by OpenAI — .*(wait|try again|\d+ ?s)", 3, 0),
        ("#wire:500", r"OpenAI had a server error \(500\)", 3, 0),
        # The connection drops after 20 chunks of 4 characters: those 80 stay.
        ("#wire:drop:20", r"The connection to OpenAI dropped mid-answer", 1, 80),
    ],
    ids=["429", "500", "drop"],
)
def test_provider_error_shows_its_message_and_the_next_prompt_works(
    chat: ChatPage, wire: WireServer, trigger: str, message: str, requests: int, partial_chars: int
) -> None:
    answer = chat.send(f"please fail {trigger}")

    alert = answer.locator(ALERT)
    expect(alert).to_have_count(1)
    assert re.search(message, alert.inner_text()), alert.inner_text()
    expect(answer.get_by_role("button", name="Retry")).to_be_visible()
    assert "Failed" in chat.caption(answer)
    chat.assert_no_exception()
    assert len(wire.requests) == requests

    saved = chat.download_chat_json()["messages"][-1]
    assert saved["status"] == "error"
    assert re.search(message, saved["error"])
    if partial_chars:
        expected = long_markdown_text(60)[:partial_chars]
        assert saved["content"] == expected
        shown = chat.answer_text(answer)
        assert shown.startswith("A long answer") and "Here is a detailed" in shown
    else:
        assert saved["content"] == ""

    # A failed answer without text is left out of the history, so the unanswered prompt is
    # merged into the next user message (chat_core Conversation.messages), trigger included:
    # queue the next answer instead of relying on the default echo.
    wire.enqueue(Scenario.text(NEXT_ANSWER))
    chat.send("does it work again?")
    expect(chat.assistants()).to_have_count(2)
    assert chat.answer_text() == NEXT_ANSWER
    assert wire.requests[-1].user_text.endswith("does it work again?")
    expect(chat.assistants().last.locator(ALERT)).to_have_count(0)
    # The failed answer stays in the conversation, with its message.
    first = chat.assistants().first
    assert re.search(message, first.locator(ALERT).inner_text())
    chat.assert_no_exception()


def test_retry_after_a_failure_replaces_the_error_with_the_answer(
    chat: ChatPage, wire: WireServer
) -> None:
    chat.send("#wire:500 then recover")
    answer = chat.assistants().last
    retry = answer.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()

    wire.enqueue(Scenario.text("Recovered on the second try."))
    retry.click()
    chat.wait_idle()
    expect(chat.assistants()).to_have_count(1)
    assert chat.answer_text() == "Recovered on the second try."
    expect(chat.page.locator(ALERT).filter(has_text="server error")).to_have_count(0)
    assert wire.requests[-1].user_text == "#wire:500 then recover"
