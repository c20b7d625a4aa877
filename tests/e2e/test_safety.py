"""What must never happen in the browser: markup from an answer running, or the API key
reaching the page."""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.conftest import ALERT, SIDEBAR, ChatPage, playwright_expect
from tests.wire_server import HTML_ANSWER, Scenario, WireServer

pytestmark = pytest.mark.e2e
expect = playwright_expect()

PWNED_ANSWER = (
    "Markup that must stay inert:\n\n"
    "<script>window.__pwned = 'script'</script>\n\n"
    '<img src="x" onerror="window.__pwned = \'img\'">\n\n'
    "<svg onload=\"window.__pwned = 'svg'\"></svg>\n\n"
    "<a href=\"javascript:window.__pwned='raw-link'\">raw link</a>\n\n"
    "[markdown link](javascript:window.__pwned='md-link')\n\n"
    "<iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>\n\n"
    "Done."
)

_DANGEROUS_DOM_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const scripts = [...main.querySelectorAll('script')].map(s => s.outerHTML);
  const handlers = [...main.querySelectorAll('*')]
    .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on')))
    .map(e => e.outerHTML.slice(0, 120));
  const jsLinks = [...document.querySelectorAll('a[href], [src], iframe')]
    .filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src') || '')
                 || e.tagName === 'IFRAME')
    .map(e => e.outerHTML.slice(0, 120));
  return {scripts, handlers, jsLinks, pwned: window.__pwned === undefined ? null : window.__pwned};
}"""


def _assert_inert(chat: ChatPage) -> None:
    found = chat.page.evaluate(_DANGEROUS_DOM_JS)
    assert found["pwned"] is None, f"answer markup ran: window.__pwned = {found['pwned']!r}"
    assert found["scripts"] == [], found["scripts"]
    assert found["handlers"] == [], found["handlers"]
    assert found["jsLinks"] == [], found["jsLinks"]
    assert chat.page.locator("img[onerror]").count() == 0
    assert chat.page.locator('a[href^="javascript" i]').count() == 0
    assert chat.dialogs == []


def test_html_in_an_answer_is_shown_inert_and_runs_nothing(
    chat: ChatPage, wire: WireServer
) -> None:
    wire.enqueue(Scenario.text(PWNED_ANSWER))
    chat.send("show me some markup")
    shown = chat.answer_text()
    assert shown.startswith("Markup that must stay inert") and shown.rstrip().endswith("Done.")
    assert "window.__pwned" in shown  # displayed as text, not executed
    _assert_inert(chat)
    # Clicking whatever link text there is runs nothing either.
    for name in ("raw link", "markdown link"):
        links = chat.answer_body().get_by_role("link", name=name)
        if links.count():
            links.first.click()
    _assert_inert(chat)

    # The wire server's own payload (alert(1) in script, img onerror and a javascript: link).
    chat.send("#wire:html")
    shown = chat.answer_text()
    assert "End of the answer." in shown and "alert(1)" in shown
    assert chat.download_chat_json()["messages"][-1]["content"] == HTML_ANSWER
    _assert_inert(chat)


def test_the_api_key_never_reaches_the_browser(chat: ChatPage, wire: WireServer) -> None:
    key = chat.app.api_key
    assert key and key.startswith("sk-test-")
    # The key is configured in the environment: no key field to echo it, just a note.
    expect(chat.page.locator(SIDEBAR).get_by_text("key found in the environment")).to_be_visible()
    expect(chat.page.locator(f'{SIDEBAR} input[type="password"]')).to_have_count(0)

    chat.send("hello, which key do you use?")
    assert wire.requests[-1].headers.get("authorization") == f"Bearer {key}"  # it is used...
    chat.send("#wire:401")  # ...and an auth error does not quote it
    expect(chat.assistants().last.get_by_text("rejected the API key")).to_be_visible()

    # Every page of the app (chat, metrics, anything added to the navigation), then back.
    links = chat.page.locator(f'{SIDEBAR} [data-testid="stSidebarNav"] a')
    names = [n.strip() for n in links.all_inner_texts()]
    assert "Chat" in " ".join(names) and "Metrics" in " ".join(names)
    for name in names:
        chat.go_to_page(name.split("\n")[-1])
    chat.go_to_page("Chat", ready='[data-testid="stChatInput"]')
    expect(chat.assistants()).to_have_count(2)

    assert len(chat.visited_html) >= 2 + len(names)
    assert len(chat.frames) > 10
    chat.assert_secret_not_leaked(key)
    # The chat download holds the conversation, never the key.
    assert key not in chat.download("Markdown")
    assert key not in chat.download("JSON")


def test_a_key_typed_in_the_sidebar_is_used_but_never_sent_back(
    make_chat, demo_app, wire: WireServer
) -> None:
    typed_key = f"sk-typed-{secrets.token_hex(12)}"
    chat: ChatPage = make_chat(demo_app).open_chat()
    sidebar = chat.page.locator(SIDEBAR)

    sidebar.get_by_role("combobox", name="Provider").click()
    chat.page.get_by_role("option", name="OpenAI-compatible").click()
    chat.wait_idle()
    base_url = sidebar.get_by_role("textbox", name="Base URL")
    base_url.fill(wire.openai_base_url)
    base_url.press("Enter")
    chat.wait_idle()
    key_field = sidebar.locator('input[type="password"]')
    expect(key_field).to_have_count(1)
    key_field.fill(typed_key)
    key_field.press("Enter")
    chat.wait_idle()
    expect(sidebar.get_by_text("Using the key you entered")).to_be_visible()
    expect(sidebar.locator('input[type="password"]')).to_have_count(0)

    chat.send("hello with my own key")
    assert chat.answer_text().startswith("You said: hello with my own key")
    assert wire.requests[-1].headers.get("authorization") == f"Bearer {typed_key}"
    chat.go_to_page("Metrics")
    chat.go_to_page("Chat", ready='[data-testid="stChatInput"]')
    chat.assert_secret_not_leaked(typed_key)
    assert typed_key not in chat.download("JSON")

    # Session only: another browser session on the same server is still in demo mode.
    other: ChatPage = make_chat(demo_app).open_chat()
    expect(other.page.locator(ALERT).filter(has_text="Demo mode")).to_be_visible()
    other.send("am I in demo mode?")
    assert "simulated answer" in other.answer_text()
    assert len(wire.requests) == 1
