"""Real-browser fixtures: Debian's Chromium driven by Playwright against ``streamlit run app.py``.

* ``browser`` (session): headless Chromium at ``/usr/bin/chromium`` (docs/design.md §17).
  Missing Playwright or Chromium skips the e2e tests locally and FAILS them when ``CI=true``.
* ``wire_app`` (session): the app with ``OPENAI_API_KEY`` (random ``sk-test-…``) and
  ``OPENAI_BASE_URL`` pointing at the wire server of ``tests/wire_server.py``.
* ``demo_app`` (session): the app with no key at all (demo provider, fast demo speed).
* ``chat`` / ``demo_chat``: a :class:`ChatPage` (tests/e2e/chat_page.py) in a fresh browser context (own Streamlit
  session, so each test starts with an empty chat). At teardown it checks that no
  ``stException`` is on the page, that no JavaScript dialog opened, and that the API key was
  in no websocket frame the browser received.

Waiting is on conditions (the ``data-test-script-state`` attribute Streamlit puts on
``stApp``, the chat input's stop button, element counts), never on fixed sleeps.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.e2e.chat_page import (
    ALERT,
    ANSWER_TIMEOUT_MS,
    ASSISTANT,
    CAPTION,
    CHAT_INPUT,
    EXCEPTION,
    IDLE_SETTLE_MS,
    LOAD_TIMEOUT_MS,
    MESSAGE,
    MESSAGE_BODY,
    SIDEBAR,
    STOP_IN_INPUT,
    USER,
    AppServer,
    ChatPage,
)
from tests.e2e.words import code_blocks, markdown_words, rendered_words
from tests.servers import CHROMIUM, CHROMIUM_ARGS, server_env, streamlit_server
from tests.wire_server import WireServer

# Test modules import the page, selectors and text helpers from here, as before the split.
__all__ = [
    "ALERT",
    "ANSWER_TIMEOUT_MS",
    "ASSISTANT",
    "CAPTION",
    "CHAT_INPUT",
    "DEMO_SPEED",
    "EXCEPTION",
    "IDLE_SETTLE_MS",
    "IN_CI",
    "LOAD_TIMEOUT_MS",
    "MESSAGE",
    "MESSAGE_BODY",
    "SIDEBAR",
    "STOP_IN_INPUT",
    "USER",
    "AppServer",
    "ChatPage",
    "code_blocks",
    "markdown_words",
    "playwright_expect",
    "rendered_words",
]

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


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
