"""``ChatPage``: a Playwright page on the app under test (``AppServer``), what the e2e tests do
on it and what they check on every page; the selectors and timeouts they share
(docs/design.md §18). The fixtures that make them are in tests/e2e/conftest.py."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers import RunningServer

LOAD_TIMEOUT_MS = 30_000
ANSWER_TIMEOUT_MS = 60_000
IDLE_SETTLE_MS = 300
"""How long the run must stay idle before a turn counts as finished: a script that calls
``st.rerun()`` after streaming is briefly "not running" between the two runs."""

# Selectors (docs/design.md §18).
CHAT_INPUT = '[data-testid="stChatInput"] textarea'
STOP_IN_INPUT = '[data-testid="stChatInputStopButton"]'
MESSAGE = '[data-testid="stChatMessage"]'
MESSAGE_BODY = '[class*="st-key-msg-"]'
"""The inner container holding a turn's markdown (ui/messages.py ``message_key``); Streamlit
leaves it out of the DOM while it is empty (e.g. an answer that failed before any text)."""
ASSISTANT = (
    '[data-testid="stChatMessage"]:has([aria-label="Chat message from assistant"])'
    ':not(:has([class*="st-key-example-"]))'
)
"""Assistant answers; the welcome message (an assistant message with the example buttons,
keys ``example-N``) is not one."""
USER = '[data-testid="stChatMessage"]:has([aria-label="Chat message from user"])'
SIDEBAR = '[data-testid="stSidebar"]'
EXCEPTION = '[data-testid="stException"]'
ALERT = '[data-testid="stAlert"]'
CAPTION = '[data-testid="stCaptionContainer"]'


@dataclass
class AppServer:
    """``streamlit run app.py`` (a ``tests.servers`` subprocess) and the key it was given."""

    server: RunningServer
    api_key: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.base_url

    def log(self) -> str:
        return self.server.log()


_IDLE_JS = """([settleMs, stopSel]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = !!app
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && !document.querySelector(stopSel)
    && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]');
  const now = performance.now();
  if (!idle) { window.__e2eBusyAt = now; return false; }
  if (window.__e2eBusyAt === undefined) window.__e2eBusyAt = now;
  return now - window.__e2eBusyAt >= settleMs;
}"""


_STATE_JS = """([stopSel, userSel, assistantSel, inputSel]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const box = document.querySelector(inputSel);
  const msgs = document.querySelectorAll(assistantSel);
  const last = msgs[msgs.length - 1];
  return {
    script: app && app.getAttribute('data-test-script-state'),
    connection: app && app.getAttribute('data-test-connection-state'),
    stop_button: !!document.querySelector(stopSel),
    running_icon: !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'),
    users: document.querySelectorAll(userSel).length,
    answers: msgs.length,
    input: box ? {value: box.value, disabled: box.disabled} : null,
    last_answer_tail: last ? last.innerText.slice(-200) : null,
    exceptions: document.querySelectorAll('[data-testid="stException"]').length,
    url: location.href,
  };
}"""


class ChatPage:
    """A Playwright page on the app plus what the tests check on every page."""

    def __init__(self, page: Any, app: AppServer) -> None:
        self.page = page
        self.app = app
        self.frames: list[bytes] = []
        self.dialogs: list[str] = []
        self.visited_html: list[tuple[str, str]] = []
        page.set_default_timeout(LOAD_TIMEOUT_MS)
        page.on("websocket", self._on_websocket)
        page.on("dialog", self._on_dialog)

    # -- recording ---------------------------------------------------------------------------
    def _on_websocket(self, ws: Any) -> None:
        ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload: Any) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else str(payload).encode())

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            dialog.dismiss()

    def snapshot_html(self) -> str:
        """``page.content()``, remembered for the key-leak check at teardown."""
        html: str = self.page.content()
        self.visited_html.append((self.page.url, html))
        return html

    # -- navigation --------------------------------------------------------------------------
    def open(self, path: str = "") -> ChatPage:
        self.page.goto(f"{self.app.url}/{path.lstrip('/')}")
        self.page.wait_for_selector('[data-testid="stApp"]')
        self.wait_idle()
        self.snapshot_html()
        return self

    def open_chat(self) -> ChatPage:
        self.open()
        self.page.locator(CHAT_INPUT).wait_for(state="visible")
        return self

    def state(self) -> dict[str, Any]:
        """What the page looks like right now (for failure messages)."""
        found: dict[str, Any] = self.page.evaluate(
            _STATE_JS, [STOP_IN_INPUT, USER, ASSISTANT, CHAT_INPUT]
        )
        return found

    def _wait_for(self, what: str, js: str, arg: Any, timeout_ms: float, polling: int) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        try:
            self.page.wait_for_function(js, arg=arg, timeout=timeout_ms, polling=polling)
        except PlaywrightTimeoutError:
            state = {}
            with contextlib.suppress(Exception):
                state = self.state()
            hint = ""
            if state.get("script") == "notRunning" and state.get("stop_button"):
                hint = (
                    " -- no script is running, yet the chat input still shows its stop button "
                    "and is disabled: the person cannot type the next prompt"
                )
            raise AssertionError(
                f"timed out after {timeout_ms / 1000:.0f} s waiting for {what}{hint}; page: {state}"
            ) from None

    def wait_idle(self, timeout_ms: float = ANSWER_TIMEOUT_MS) -> None:
        """Until the script has not been running for ``IDLE_SETTLE_MS`` and no stop button shows."""
        self.page.evaluate("() => { window.__e2eBusyAt = undefined; }")
        self._wait_for(
            "the app to be idle", _IDLE_JS, [IDLE_SETTLE_MS, STOP_IN_INPUT], timeout_ms, 50
        )

    def sidebar_link(self, text: str) -> Any:
        return self.page.locator(f'{SIDEBAR} [data-testid="stSidebarNav"] a').filter(has_text=text)

    def sidebar_button(self, name: str | re.Pattern[str]) -> Any:
        """The sidebar button named exactly ``name``, or ``name`` and its keyboard shortcut
        (the Stop button reads "Stop Shortcut Esc"), or matching the pattern. Not a prefix
        match: a help icon's "Help for Stop answers…" is a button too."""
        if isinstance(name, str):
            name = re.compile(rf"^{re.escape(name)}(?: Shortcut \S+)?$")
        return self.page.locator(SIDEBAR).get_by_role("button", name=name)

    def go_to_page(self, link_text: str, ready: str | None = None) -> None:
        """Click a page in the sidebar navigation (keeps the Streamlit session)."""
        self.sidebar_link(link_text).first.click()
        if ready:
            self.page.locator(ready).first.wait_for(state="visible")
        self.wait_idle()
        self.snapshot_html()

    # -- chatting ----------------------------------------------------------------------------
    def type_prompt(self, text: str) -> None:
        box = self.page.locator(CHAT_INPUT)
        box.wait_for(state="visible")
        box.fill(text)
        box.press("Enter")

    def send(self, text: str, *, wait: bool = True, timeout_ms: float = ANSWER_TIMEOUT_MS) -> Any:
        """Send ``text``; with ``wait``, return the assistant message once the run is idle."""
        n_users = self.page.locator(USER).count()
        self.type_prompt(text)
        # The prompt shows as a user message only once the run that handles it has started.
        self._wait_for(
            f"the prompt {text[:40]!r} to show",
            "([sel, n]) => document.querySelectorAll(sel).length > n",
            [USER, n_users],
            timeout_ms,
            20,
        )
        if not wait:
            return self.assistants().last
        self.wait_idle(timeout_ms)
        return self.assistants().last

    def assistants(self) -> Any:
        return self.page.locator(ASSISTANT)

    def users(self) -> Any:
        return self.page.locator(USER)

    def answer_body(self, message: Any | None = None) -> Any:
        """The markdown part of an assistant message (no avatar, caption, error box)."""
        msg = self.assistants().last if message is None else message
        return msg.locator(MESSAGE_BODY).first

    def answer_text(self, message: Any | None = None) -> str:
        """The rendered markdown of an answer ("" when it has no text)."""
        body = self.answer_body(message)
        return str(body.inner_text()) if body.count() else ""

    def caption(self, message: Any | None = None) -> str:
        msg = self.assistants().last if message is None else message
        caps = msg.locator(CAPTION)
        return str(caps.last.inner_text()) if caps.count() else ""

    def wait_for_answer_chars(self, n: int, timeout_ms: float = ANSWER_TIMEOUT_MS) -> None:
        """Until the last assistant message shows at least ``n`` characters."""
        self._wait_for(
            f"{n} characters of answer",
            """([sel, body, n]) => {
                 const msgs = document.querySelectorAll(sel);
                 const m = msgs[msgs.length - 1];
                 if (!m) return false;
                 const b = m.querySelector(body);
                 return !!b && b.innerText.length >= n;
               }""",
            [ASSISTANT, MESSAGE_BODY, n],
            timeout_ms,
            20,
        )

    def download(self, button_text: str, *, in_sidebar: bool = True) -> str:
        """Click a download button (in the sidebar or the main area); the file's text."""
        scope = self.page.locator(SIDEBAR if in_sidebar else '[data-testid="stMain"]')
        with self.page.expect_download() as info:
            scope.get_by_role("button", name=button_text).click()
        path = info.value.path()
        return Path(path).read_text(encoding="utf-8")

    def download_chat_json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.download("JSON"))
        return data

    # -- checks ------------------------------------------------------------------------------
    def assert_no_exception(self) -> None:
        n = self.page.locator(EXCEPTION).count()
        assert n == 0, (
            f"stException on the page:\n{self.page.locator(EXCEPTION).first.inner_text()}"
        )

    def assert_secret_not_leaked(self, secret: str) -> None:
        raw = secret.encode()
        leaked = [i for i, f in enumerate(self.frames) if raw in f]
        assert not leaked, f"API key in {len(leaked)} websocket frame(s) received by the browser"
        for url, html in self.visited_html:
            assert secret not in html, f"API key in the HTML of {url}"
