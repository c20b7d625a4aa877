"""A long chat in the browser: an imported 44-message chat shows its last 24 messages and the
rest on request; a prompt reruns only the chat's live part, so the browser is not sent the
old answers again (nor, after a full run folds them in, the turns of earlier prompts), and
the answer lands after them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chat_core.conversation import Conversation
from chat_core.types import StreamStatus
from tests.e2e.conftest import ChatPage, playwright_expect
from tests.wire_server import WireServer

pytestmark = pytest.mark.e2e
expect = playwright_expect()

MESSAGES = 44


def saved_chat(tmp_path: Path) -> Path:
    conv = Conversation()
    for i in range(MESSAGES // 2):
        conv.add_user(f"Question number {i}?")
        turn = conv.add_assistant(provider="openai", model="gpt-4o-mini")
        turn.content = f"Old answer number {i}: zebra{i}quartz."
        turn.status = StreamStatus.COMPLETE
    path = tmp_path / "long-chat.json"
    path.write_text(conv.to_json(), encoding="utf-8")
    return path


def test_a_long_chat_shows_recent_messages_and_a_prompt_does_not_resend_the_old_ones(
    chat: ChatPage, wire: WireServer, tmp_path: Path
) -> None:
    chat.open_chat()
    chat.page.get_by_text("Import a chat (JSON)").click()
    chat.page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(
        str(saved_chat(tmp_path))
    )
    expect(chat.page.get_by_text("Imported 44 messages")).to_be_visible()
    chat.wait_idle()
    expect(chat.users()).to_have_count(12)
    expect(chat.assistants()).to_have_count(12)
    expect(chat.users().first).to_contain_text("Question number 10?")
    earlier = chat.page.get_by_role("button", name="Show 20 earlier messages (20 not shown)")
    expect(earlier).to_be_visible()

    chat.frames.clear()
    chat.send("And the next one?")
    assert chat.answer_text().startswith("You said: And the next one?")
    expect(chat.assistants()).to_have_count(13)
    received = b"".join(chat.frames)
    assert b"You said: And the next one?" in received
    assert not any(f"zebra{i}quartz".encode() in received for i in range(MESSAGES // 2)), (
        "the prompt's run re-sent old answers to the browser"
    )
    # The whole chat was still the model's context.
    sent = [m["content"] for m in wire.requests[-1].body["messages"] if m["role"] != "system"]
    assert sent[0] == "Question number 0?" and len(sent) == MESSAGES + 1

    # The turns a prompt adds are redrawn by the next prompt, until (after two exchanges) a
    # full run takes them into the history: the third prompt re-sends neither earlier one.
    chat.send("A second one?")
    chat.wait_idle()
    chat.frames.clear()
    chat.send("A third one?")
    received = b"".join(chat.frames)
    assert b"You said: A third one?" in received
    for earlier_answer in (b"You said: And the next one?", b"You said: A second one?"):
        assert earlier_answer not in received, "a prompt re-sent the turns of earlier prompts"
    # 50 turns: the window from turn 20 (a page boundary) on.
    expect(chat.users()).to_have_count(15)
    expect(chat.assistants()).to_have_count(15)

    chat.page.get_by_role("button", name=re.compile(r"Show 20 earlier messages")).click()
    chat.wait_idle()
    expect(chat.users()).to_have_count(MESSAGES // 2 + 3)
    expect(chat.users().first).to_contain_text("Question number 0?")
    expect(chat.page.get_by_role("button", name=re.compile("earlier messages"))).to_have_count(0)
    assert chat.answer_text().startswith("You said: A third one?")
    chat.assert_no_exception()
