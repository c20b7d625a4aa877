"""The sidebar chat list follows the chat in a real browser: a new chat is listed as its first
answer starts, a Stop from the chat box leaves it in the URL, Enter renames it, and long titles
stay on one line (ui/chat_list.py, ui/chat_list_sidebar.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.conftest import (
    DEMO_SPEED,
    SIDEBAR,
    STOP_IN_INPUT,
    AppServer,
    ChatPage,
    markdown_words,
    playwright_expect,
    rendered_words,
)
from tests.servers import server_env, streamlit_server
from tests.wire_server import WireServer, long_markdown_text

pytestmark = pytest.mark.e2e
expect = playwright_expect()

CHAT_URL = re.compile(r"[?&]chat=[A-Za-z0-9_-]{22}")


def _unique(text: str) -> str:
    """Every test run shares one chat database, so titles carry a random word."""
    return f"{text} {secrets.token_hex(4)}"


def _list_entry(chat: ChatPage, title: str):  # noqa: ANN202 - a Playwright Locator
    """The chat list's button for ``title`` (the list's buttons are named by their titles)."""
    return chat.page.locator(SIDEBAR).get_by_role("button", name=title, exact=True)


@pytest.fixture
def dual_stack_app() -> Iterator[AppServer]:
    """The demo app bound the way `streamlit run app.py` binds by default, to ``::`` with IPv4
    too, but only at 127.0.0.1: a browser at http://127.0.0.1 arrives as ``::ffff:127.0.0.1``."""
    args = ("--server.address", "::ffff:127.0.0.1")
    with streamlit_server("app.py", env=server_env(**DEMO_SPEED), args=args) as server:
        yield AppServer(server)


def test_the_person_at_this_machine_sees_the_chat_list_when_the_app_binds_both_stacks(
    dual_stack_app: AppServer, make_chat: Callable[[AppServer], ChatPage]
) -> None:
    chat = make_chat(dual_stack_app).open_chat()
    sidebar = chat.page.locator(SIDEBAR)
    expect(sidebar.get_by_placeholder("Search chats")).to_be_visible()
    expect(sidebar.get_by_text("Chats are not listed here")).to_have_count(0)


def test_a_new_chat_is_listed_while_its_first_answer_streams(
    chat: ChatPage, wire: WireServer
) -> None:
    prompt = _unique("Listed at once") + " #wire:slow:600:50"  # 12 s of answer
    chat.send(prompt, wait=False)
    chat.wait_for_answer_chars(100)
    # No click anywhere: the list shows the new chat, under Today, while the answer streams,
    # and the chat box still offers its Stop.
    expect(_list_entry(chat, prompt)).to_be_visible()
    expect(chat.page.locator(SIDEBAR).get_by_text("Today", exact=True)).to_be_visible()
    assert not wire.requests[0].completed, "the list showed the chat only after the answer"
    expect(chat.page.locator(STOP_IN_INPUT)).to_be_visible()
    expect(chat.page).to_have_url(CHAT_URL)

    # Drawing the entry did not cut the answer: it streams on to its end, asked once.
    chat.wait_idle()
    assert rendered_words(chat.answer_text()) == markdown_words(long_markdown_text(600))
    assert "Stopped" not in chat.caption()
    (record,) = wire.requests
    assert record.completed and not record.disconnected
    expect(chat.users()).to_have_count(1)
    expect(_list_entry(chat, prompt)).to_be_visible()


def test_a_later_prompt_in_the_chat_is_not_listed_twice(chat: ChatPage, wire: WireServer) -> None:
    first = _unique("Listed once")
    chat.send(first)
    expect(_list_entry(chat, first)).to_be_visible()
    chat.send("A second question")
    expect(chat.users()).to_have_count(2)
    expect(chat.assistants()).to_have_count(2)
    expect(_list_entry(chat, first)).to_have_count(1)
    assert len(wire.requests) == 2
    # Pressing the entry shows the full list, with the chat listed once, as the open one.
    _list_entry(chat, first).click()
    chat.wait_idle()
    expect(_list_entry(chat, first)).to_have_count(1)
    expect(chat.users()).to_have_count(2)


def test_a_stop_from_the_chat_box_keeps_the_new_chat_in_the_url(
    chat: ChatPage, wire: WireServer
) -> None:
    prompt = _unique("Stopped in the box") + " #wire:slow:2000"
    chat.send(prompt, wait=False)
    chat.wait_for_answer_chars(150)
    chat.page.locator(STOP_IN_INPUT).click()
    assert wire.wait_for_disconnect(timeout=10) is not None
    chat.wait_idle()
    shown = chat.answer_text()
    expect(chat.page).to_have_url(CHAT_URL)
    expect(_list_entry(chat, prompt)).to_be_visible()

    chat.page.reload()
    chat.page.wait_for_selector('[data-testid="stApp"]')
    chat.wait_idle()
    expect(chat.users()).to_have_count(1)
    expect(chat.users().first).to_contain_text(prompt)
    expect(chat.assistants()).to_have_count(1)
    kept = chat.answer_text()
    assert len(kept) >= 150 and kept.startswith(shown[:100])
    expect(chat.assistants().first).to_contain_text("Stopped")
    expect(_list_entry(chat, prompt)).to_be_visible()


def test_enter_in_the_title_field_renames_the_chat(chat: ChatPage) -> None:
    prompt = _unique("Before the rename")
    chat.send(prompt)
    expect(_list_entry(chat, prompt)).to_be_visible()

    chat.page.locator(SIDEBAR).get_by_role("button", name=re.compile("This chat")).click()
    field = chat.page.get_by_role("textbox", name="Title")
    field.fill(_unique("Renamed with Enter"))
    new_title = field.input_value()
    field.press("Enter")
    expect(_list_entry(chat, new_title)).to_be_visible()
    expect(_list_entry(chat, prompt)).to_have_count(0)


def test_a_long_title_stays_on_one_line_cut_with_an_ellipsis(chat: ChatPage) -> None:
    short = _unique("Short")
    chat.send(short)
    long_prompt = _unique("A rather long first question about streaming answers in chat apps")
    chat.sidebar_button("New chat").click()
    chat.wait_idle()
    chat.send(long_prompt)
    title = long_prompt[:59].rsplit(" ", 1)[0]  # chat_core.store_types.title_from_prompt
    entry = chat.page.locator(SIDEBAR).get_by_role("button", name=re.compile(re.escape(title)))
    expect(entry).to_be_visible()
    short_entry = _list_entry(chat, short)
    expect(short_entry).to_be_visible()

    box, short_box = entry.bounding_box(), short_entry.bounding_box()
    assert box is not None and short_box is not None
    assert box["height"] <= short_box["height"] + 1, "the long title wraps onto more lines"
    label = entry.locator("p").first
    looks = label.evaluate(
        """(p) => {
             const s = getComputedStyle(p);
             const b = p.closest('button').getBoundingClientRect();
             return {overflow: s.textOverflow, cut: p.scrollWidth > p.clientWidth,
                     left: p.getBoundingClientRect().left - b.left};
           }"""
    )
    assert looks["overflow"] == "ellipsis" and looks["cut"], looks
    # Left-aligned like the rest of the sidebar, not centred in the button.
    assert looks["left"] < 24, looks
    entry.hover()  # the whole title is one hover away
    expect(chat.page.locator('[data-testid="stTooltipContent"]')).to_contain_text(title)
