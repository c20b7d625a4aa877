"""A reasoning model's thinking streams live in a collapsed "Thinking…" element above the
answer, and reads "Thought for … s" once the answer is done."""

from __future__ import annotations

import re

import pytest

import tests.wire_server as wire_server
from tests.e2e.conftest import ChatPage, playwright_expect

pytestmark = pytest.mark.e2e
expect = playwright_expect()

if "#wire:reasoning" not in (wire_server.__doc__ or ""):
    pytest.skip("this wire server has no reasoning scenario yet", allow_module_level=True)


def test_reasoning_is_visible_live_before_the_answer(chat: ChatPage) -> None:
    chat.send("#wire:reasoning:3", wait=False)
    message = chat.assistants().last
    thinking = message.locator('[data-testid="stExpander"]')
    # While the model thinks: the element is there, labelled, and the answer has no text yet.
    expect(thinking).to_have_count(1)
    expect(thinking.locator("summary")).to_contain_text("Thinking")
    assert chat.answer_text(message) == ""
    thinking.locator("summary").click()
    body = thinking.locator('[data-testid="stMarkdownContainer"]').first
    expect(body).not_to_be_empty()
    chat.wait_idle()
    expect(thinking.locator("summary")).to_contain_text(re.compile(r"Thought for \d+\.\d s"))
    assert chat.answer_text(message)
    assert "Complete" in chat.caption(message)
