"""Real-browser fixtures: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

* ``browser`` (session): headless Chromium at ``/usr/bin/chromium`` (docs/design.md §17).
  Missing Playwright or Chromium skips the e2e tests locally and FAILS them when ``CI=true``.
* ``wire_app`` (session): the app with ``OPENAI_API_KEY`` (random ``sk-test-…``) and
  ``OPENAI_BASE_URL`` pointing at the wire server of ``tests/wire_server.py``.
* ``demo_app`` (session): the app with no key at all (demo provider, fast demo speed).
* ``chat`` / ``demo_chat``: a :class:`ChatPage` in a fresh browser context (own Streamlit
  session, so each test starts with an empty chat). At teardown it checks that no
  ``stException`` is on the page, that no JavaScript dialog opened, and that the API key was
  in no websocket frame the browser received.

Waiting is on conditions (the ``data-test-script-state`` attribute Streamlit puts on
``stApp``, the chat input's stop button, element counts), never on fixed sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.servers import CHROMIUM, CHROMIUM_ARGS, RunningServer, server_env, streamlit_server
from tests.wire_server import WireServer

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")

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


def _fail_or_skip(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def playwright_expect() -> Any:
    """Playwright's ``expect``, imported at a test module's top: without the playwright
    package the module is skipped (locally) or fails to collect (``CI=true``)."""
    try:
        from playwright.sync_api import expect
    except ImportError:
        reason = "the playwright package is not installed (pip install playwright)"
        if IN_CI:
            pytest.fail(f"CI=true but the browser tests cannot run: {reason}", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
    return expect


# ============================================================================================
# Browser
# ============================================================================================


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _fail_or_skip("the playwright package is not installed (pip install playwright)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _fail_or_skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - any launch failure means "no usable browser"
        _fail_or_skip(f"Chromium at {CHROMIUM} does not start: {exc}")
    try:
        yield b
    finally:
        b.close()


# ============================================================================================
# The app under test (streamlit run app.py)
# ============================================================================================


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


def _require_app() -> None:
    if not (ROOT / "app.py").is_file():
        _fail_or_skip("app.py does not exist")


@pytest.fixture(scope="session")
def wire_app(wire_server: WireServer) -> Iterator[AppServer]:
    """The app talking to the wire server through the OpenAI provider, with a random key."""
    _require_app()
    key = f"sk-test-{secrets.token_hex(16)}"
    env = server_env(OPENAI_API_KEY=key, OPENAI_BASE_URL=wire_server.openai_base_url)
    with streamlit_server("app.py", env=env) as server:
        yield AppServer(server, key)


DEMO_SPEED = {"STREAMCHAT_DEMO_TTFT_S": "0.05", "STREAMCHAT_DEMO_CHUNKS_PER_S": "400"}


@pytest.fixture(scope="session")
def demo_app() -> Iterator[AppServer]:
    """The app with no key anywhere (no OPENAI_*/ANTHROPIC_*, no secrets file): demo mode,
    sped up."""
    _require_app()
    with streamlit_server("app.py", env=server_env(**DEMO_SPEED)) as server:
        yield AppServer(server)


# ============================================================================================
# One chat page in its own browser context
# ============================================================================================

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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember each phase's report on the item, so fixtures can tell that a test failed."""
    report = yield
    setattr(item, f"e2e_report_{report.when}", report)
    return report


def _dump_failure(request: pytest.FixtureRequest, chats: list[ChatPage]) -> None:
    """Screenshots and the app's log for a failed test (shown in pytest's captured output)."""
    report = getattr(request.node, "e2e_report_call", None)
    if report is None or not report.failed:
        return
    out = Path(os.environ.get("STREAMCHAT_E2E_ARTIFACTS", "/tmp/streamchat-e2e"))
    out.mkdir(parents=True, exist_ok=True)
    for i, chat in enumerate(chats):
        shot = out / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}-{i}.png"
        with contextlib.suppress(Exception):
            chat.page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        print(f"--- app log ({chat.app.url}), last 3000 characters ---\n{chat.app.log()[-3000:]}")


@pytest.fixture
def make_chat(
    browser: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[[AppServer], ChatPage]]:
    """Factory: a ChatPage on ``app`` in a new browser context (a new Streamlit session)."""
    opened: list[tuple[Any, ChatPage]] = []

    def make(app: AppServer) -> ChatPage:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        chat = ChatPage(context.new_page(), app)
        opened.append((context, chat))
        return chat

    yield make
    _dump_failure(request, [chat for _context, chat in opened if not chat.page.is_closed()])
    try:
        for _context, chat in opened:
            if chat.page.is_closed():
                continue
            chat.snapshot_html()
            chat.assert_no_exception()
            assert not chat.dialogs, f"JavaScript dialogs opened: {chat.dialogs}"
            if chat.app.api_key:
                chat.assert_secret_not_leaked(chat.app.api_key)
    finally:
        for context, _chat in opened:
            with contextlib.suppress(Exception):
                context.close()


@pytest.fixture
def chat(
    make_chat: Callable[[AppServer], ChatPage], wire_app: AppServer, wire: WireServer
) -> ChatPage:
    """The wire-server app, opened on the chat page, wire server reset."""
    return make_chat(wire_app).open_chat()


@pytest.fixture
def demo_chat(make_chat: Callable[[AppServer], ChatPage], demo_app: AppServer) -> ChatPage:
    return make_chat(demo_app).open_chat()


# ============================================================================================
# Text helpers
# ============================================================================================

_MD_LINE = [
    (re.compile(r"^\s*#{1,6}\s+"), ""),  # heading markers
    (re.compile(r"^\s*[-*+]\s+"), ""),  # bullets
    (re.compile(r"^\s*\d+\.\s+"), ""),  # ordered list numbers
    (re.compile(r"^\s*```.*$"), ""),  # code fences
    (re.compile(r"^\s*\|?\s*:?-{3,}.*$"), ""),  # table separator rows
]


def markdown_words(md: str) -> list[str]:
    """The words a reader sees once ``md`` is rendered: markup removed, whitespace ignored."""
    lines = []
    for line in md.splitlines():
        for pattern, repl in _MD_LINE:
            if pattern.search(line):
                line = pattern.sub(repl, line, count=1)
                break  # "## 1. Title" loses its "##" only, not the "1."
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\*\*|\*|`|\|", " ", text)
    return text.split()


def rendered_words(text: str) -> list[str]:
    return re.sub(r"\*\*|\*|`|\|", " ", text).split()


def code_blocks(md: str) -> list[str]:
    """The contents of the fenced code blocks of ``md`` (without the final newline)."""
    return [m.group(1).rstrip("\n") for m in re.finditer(r"```[^\n]*\n(.*?)```", md, re.S)]
