"""A whole turn in a real browser: it streams, the final text is exact, Clear and Regenerate,
and two browser sessions never share a history."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import (
    CAPTION,
    CHAT_INPUT,
    STOP_IN_INPUT,
    ChatPage,
    code_blocks,
    markdown_words,
    playwright_expect,
    rendered_words,
)
from tests.wire_server import Scenario, WireServer, long_markdown_text

pytestmark = pytest.mark.e2e
expect = playwright_expect()

PLAIN = (
    "Streaming works: this sentence arrives four characters at a time, "
    "and the page shows it while it is still being written."
)


def test_answer_streams_into_the_page_and_ends_with_the_exact_text(
    chat: ChatPage, wire: WireServer
) -> None:
    wire.enqueue(Scenario.text(PLAIN, rate=8))  # 30 chunks, ~4 s: long enough to see it grow
    chat.send("Tell me something", wait=False)

    chat.wait_for_answer_chars(12)
    partial = chat.answer_text().strip()
    assert PLAIN.startswith(partial) and len(partial) < len(PLAIN), (
        f"the page should show part of the answer while it streams, got {partial!r}"
    )

    chat.wait_idle()
    assert chat.answer_text() == PLAIN
    assert "TTFT" in chat.caption()
    data = chat.download_chat_json()
    assert [(m["role"], m["content"], m["status"]) for m in data["messages"]] == [
        ("user", "Tell me something", "complete"),
        ("assistant", PLAIN, "complete"),
    ]
    # The request carried the prompt (and the default system prompt) to the server.
    body = wire.requests[0].body
    assert body["messages"][-1] == {"role": "user", "content": "Tell me something"}
    assert body["stream"] is True


def test_long_markdown_answer_renders_the_same_text_with_code_lists_and_tables(
    chat: ChatPage, wire: WireServer
) -> None:
    n_chunks = 900
    expected = long_markdown_text(n_chunks)
    codes = code_blocks(expected)
    assert len(codes) >= 3 and expected.count("| Setting |") >= 3

    chat.send(f"#wire:long:{n_chunks}")
    body = chat.answer_body()
    # Rendered as frozen blocks (one markdown element each) rather than one growing element.
    assert body.locator('[data-testid="stMarkdown"]').count() > 1
    # Code blocks are lazy-loaded components: wait for all of them before reading the text.
    expect(body.locator('[data-testid="stCode"] code')).to_have_count(len(codes))
    expect(body.locator("table")).to_have_count(expected.count("| Setting |"))

    assert rendered_words(chat.answer_text()) == markdown_words(expected)
    assert body.locator('[data-testid="stCode"] code').all_inner_texts() == codes
    assert body.locator("h2").count() == expected.count("\n## ")
    assert body.locator("ul > li").count() == expected.count("\n- ")
    assert body.locator("ol > li").count() == 2 * len(codes)
    first_row = body.locator("table").first.locator("tbody tr").first.locator("td")
    assert first_row.all_inner_texts() == ["interval", "51 ms", "frame pacing"]

    data = chat.download_chat_json()
    assert data["messages"][-1]["content"] == expected
    assert data["messages"][-1]["status"] == "complete"


def test_new_chat_clears_the_conversation(chat: ChatPage, wire: WireServer) -> None:
    chat.send("first question")
    chat.send("second question")
    expect(chat.assistants()).to_have_count(2)

    chat.sidebar_button("New chat").click()
    chat.wait_idle()
    expect(chat.assistants()).to_have_count(0)
    expect(chat.users()).to_have_count(0)
    expect(chat.page.get_by_role("button", name="Explain streaming")).to_be_visible()  # welcome

    # A prompt after Clear starts a fresh history: the server sees only the new message.
    chat.send("after clear")
    assert chat.answer_text().startswith("You said: after clear")
    sent = wire.requests[-1].raw_body.decode()
    assert "after clear" in sent
    assert "first question" not in sent and "second question" not in sent


def test_regenerate_replaces_the_last_answer(chat: ChatPage, wire: WireServer) -> None:
    wire.enqueue(Scenario.text("The first answer, alpha."), Scenario.text("A second answer, beta."))
    chat.send("answer me twice")
    assert chat.answer_text() == "The first answer, alpha."

    chat.sidebar_button("Regenerate last answer").click()
    chat.wait_idle()
    expect(chat.assistants()).to_have_count(1)
    assert chat.answer_text() == "A second answer, beta."
    expect(chat.page.get_by_text("The first answer, alpha.")).to_have_count(0)
    assert len(wire.requests) == 2
    assert wire.requests[1].body["messages"] == wire.requests[0].body["messages"]


def test_two_browser_sessions_never_see_each_others_history(
    make_chat, wire_app, wire: WireServer
) -> None:
    alice: ChatPage = make_chat(wire_app).open_chat()
    bob: ChatPage = make_chat(wire_app).open_chat()

    alice.send("alpha-only-for-alice")
    bob.send("bravo-only-for-bob")
    alice.send("alpha-second-message")

    for me, mine, theirs in (
        (alice, "alpha-only-for-alice", "bravo-only-for-bob"),
        (bob, "bravo-only-for-bob", "alpha"),
    ):
        me.wait_idle()
        me.snapshot_html()
        # store (issue #12): without sign-in one local person owns every stored chat, so the
        # sidebar lists both chats' titles by design; the conversations stay apart.
        html = me.page.locator('[data-testid="stMain"]').inner_html()
        assert mine in html
        assert theirs not in html
    expect(alice.assistants()).to_have_count(2)
    expect(bob.assistants()).to_have_count(1)
    # Each request carried only its own session's history.
    bob_request = next(r for r in wire.requests if "bravo" in r.user_text)
    assert "alpha" not in bob_request.raw_body.decode()
    alice_last = wire.requests[-1]
    assert "bravo" not in alice_last.raw_body.decode()
    assert "alpha-only-for-alice" in alice_last.raw_body.decode()


def test_chat_input_is_ready_for_the_next_prompt_after_every_answer(demo_chat: ChatPage) -> None:
    """After each answer the box accepts typing again: no stop button left behind."""
    box = demo_chat.page.locator(CHAT_INPUT)
    for i in range(4):
        demo_chat.send(f"question number {i}", wait=False)
        expect(demo_chat.assistants()).to_have_count(i + 1)
        expect(demo_chat.assistants().last.locator(CAPTION)).to_contain_text("TTFT", timeout=60_000)
        expect(demo_chat.page.locator(STOP_IN_INPUT)).to_have_count(0, timeout=10_000)
        expect(box).to_be_enabled()
        demo_chat.wait_idle()
