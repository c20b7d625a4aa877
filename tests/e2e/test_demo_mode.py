"""With no key anywhere the app answers from the offline demo provider and says so."""

from __future__ import annotations

import pytest

from chat_core import DEFAULT_SYSTEM_PROMPT
from chat_core.providers.demo import demo_answer
from tests.e2e.conftest import (
    ALERT,
    SIDEBAR,
    ChatPage,
    code_blocks,
    markdown_words,
    playwright_expect,
    rendered_words,
)

pytestmark = pytest.mark.e2e
expect = playwright_expect()


def test_demo_mode_answers_without_any_key_and_shows_the_banner(demo_chat: ChatPage) -> None:
    banner = demo_chat.page.locator(ALERT).filter(has_text="Demo mode")
    expect(banner).to_be_visible()
    assert "answers are simulated" in banner.inner_text()
    # No key configured: the sidebar offers the demo provider.
    provider = demo_chat.page.locator(SIDEBAR).get_by_role("combobox", name="Provider")
    expect(provider).to_have_value("Demo (offline)")

    prompt = "How do I stream a chat answer?"
    demo_chat.send(prompt)
    expected = demo_answer(prompt, turn=1, system=DEFAULT_SYSTEM_PROMPT)
    body = demo_chat.answer_body()
    expect(body.locator('[data-testid="stCode"] code')).to_have_count(len(code_blocks(expected)))
    assert rendered_words(demo_chat.answer_text()) == markdown_words(expected)
    assert body.locator('[data-testid="stCode"] code').all_inner_texts() == code_blocks(expected)
    assert "demo-1" in demo_chat.caption() and "TTFT" in demo_chat.caption()
    saved = demo_chat.download_chat_json()["messages"][-1]
    assert (saved["content"], saved["status"], saved["provider"]) == (expected, "complete", "demo")

    # A second turn works too, and an example button asks its question.
    demo_chat.send("And a second question")
    expect(demo_chat.assistants()).to_have_count(2)
    assert demo_chat.answer_text().startswith("About:")
    demo_chat.sidebar_button("New chat").click()
    demo_chat.wait_idle()
    demo_chat.page.get_by_role("button", name="Explain streaming").click()
    demo_chat.wait_idle()
    expect(demo_chat.assistants()).to_have_count(1)
    assert "why chat apps stream their answers" in demo_chat.answer_text()
