"""Stop during a long answer, from the chat input's stop button and from the sidebar.

The partial answer stays (marked stopped) through the next turn and a visit to the metrics
page, and the wire server sees the app close the upstream connection within a second of the
click (docs/design.md §3-7).
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import STOP_IN_INPUT, ChatPage, playwright_expect
from tests.wire_server import WireServer, long_markdown_text

pytestmark = pytest.mark.e2e
expect = playwright_expect()

SLOW_PROMPT = "#wire:slow:2000"  # 2000 chunks at 50/s: 40 s, long enough to press Stop
FULL_TEXT = long_markdown_text(2000)
DISCONNECT_WITHIN_S = 5.0
"""Far below the 40 s the answer would take: tells "Stop closed the upstream" from "the answer
ran on" on a loaded shared machine, without being a speed threshold (bench/ measures speed)."""


def _stop_button(chat: ChatPage, where: str):  # noqa: ANN202 - a Playwright Locator
    if where == "chat input":
        return chat.page.locator(STOP_IN_INPUT)
    return chat.sidebar_button("Stop")


@pytest.mark.parametrize("where", ["chat input", "sidebar"])
def test_stop_keeps_the_partial_answer_and_closes_the_upstream(
    chat: ChatPage, wire: WireServer, where: str
) -> None:
    chat.send(SLOW_PROMPT, wait=False)
    chat.wait_for_answer_chars(150)
    button = _stop_button(chat, where)
    expect(button).to_be_enabled()

    clicked_at = time.monotonic()
    button.click()
    rec = wire.wait_for_disconnect(timeout=10)
    assert rec is not None, "the wire server never saw the client disconnect"
    assert rec.disconnected_at is not None
    latency = rec.disconnected_at - clicked_at
    print(f"{where} Stop: upstream closed {latency * 1000:.0f} ms after the click")
    assert latency <= DISCONNECT_WITHIN_S, f"upstream closed {latency:.2f} s after the click"
    assert not rec.completed and rec.chunks_sent < 2000

    chat.wait_idle()
    stopped = chat.assistants().last
    # Known limitation (chat input only): that Stop ends the run without a rerun, so the
    # partial shows no "Stopped" badge and no caption until the next run (a self-rerunning
    # watcher fragment fixed it but left the chat input disabled after answers, so it was
    # removed). Checked again below, after the next turn.
    marked_at_once = "Stopped" in chat.caption(stopped)
    if where == "sidebar":
        assert marked_at_once
    shown = chat.answer_text(stopped)
    assert len(shown) >= 150
    saved = chat.download_chat_json()["messages"][-1]
    assert saved["status"] == "stopped"
    assert len(saved["content"]) >= 150
    assert FULL_TEXT.startswith(saved["content"]) and saved["content"] != FULL_TEXT
    # What arrived is what the server sent before the disconnect, not less (4 chars a chunk).
    assert len(saved["content"]) <= 4 * rec.chunks_sent

    # The next turn works, and the stopped answer is still there, unchanged.
    chat.send("after the stop")
    expect(chat.assistants()).to_have_count(2)
    assert chat.answer_text().startswith("You said: after the stop")
    assert "Stopped" not in chat.caption()
    first = chat.assistants().first
    kept = chat.answer_text(first)
    # The run that was stopped may not have drawn the last frame that arrived before the
    # cancel; the next run shows everything that arrived (the saved partial).
    assert kept.startswith(shown)
    assert "Stopped" in chat.caption(first)

    # ... and after visiting the metrics page and coming back.
    chat.go_to_page("Metrics", ready='[data-testid="stDataFrame"]')
    expect(chat.page.get_by_text("2 answers in this browser session.")).to_be_visible()
    chat.go_to_page("Chat", ready='[data-testid="stChatInput"]')
    expect(chat.assistants()).to_have_count(2)
    first = chat.assistants().first
    assert chat.answer_text(first) == kept
    assert "Stopped" in chat.caption(first)
    assert chat.answer_text().startswith("You said: after the stop")
    data = chat.download_chat_json()
    assert [m["status"] for m in data["messages"]] == [
        "complete",
        "stopped",
        "complete",
        "complete",
    ]
    assert data["messages"][1]["content"] == saved["content"]

    if not marked_at_once:
        pytest.xfail(
            "known limitation: after the chat input's Stop the partial shows no 'Stopped' "
            "badge (no caption) until the next run; everything else above passed"
        )
