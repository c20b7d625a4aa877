"""The /api/demo page of server.py in headless Chromium: EventSource streams into the page.

Uses the ``browser`` fixture of tests/e2e/conftest.py (a missing browser fails under CI=true)
and ``tests.servers.streamlit_server`` for ``streamlit run server.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import RunningServer, server_env, streamlit_server
from tests.wire_server import Scenario, WireServer

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def api_server(wire_server: WireServer) -> Iterator[RunningServer]:
    env = server_env(OPENAI_API_KEY="sk-test-e2e", OPENAI_BASE_URL=wire_server.openai_base_url)
    with streamlit_server("server.py", env=env) as server:
        yield server


@pytest.fixture
def demo_page(browser: Any, api_server: RunningServer) -> Iterator[Any]:
    # The page's Content-Security-Policy forbids eval, which wait_for_function relies on.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{api_server.base_url}/api/demo")
    try:
        yield page
    finally:
        context.close()


def ask(page: Any, prompt: str) -> None:
    page.fill("#prompt", prompt)
    page.click("#send")


def test_the_answer_streams_into_the_page_with_metrics(demo_page: Any, wire: WireServer) -> None:
    answer = "Server-sent events stream this answer, piece by piece, into the page."
    wire.enqueue(Scenario.text(answer, chunk_size=5, rate=40, completion_tokens=15))

    ask(demo_page, "hello from the browser")

    demo_page.wait_for_function("() => document.querySelector('#answer').textContent.length > 0")
    assert demo_page.locator("#metrics").inner_text() == ""  # still streaming
    demo_page.wait_for_function(
        "() => document.querySelector('#metrics').textContent.includes('TTFT')"
    )
    assert demo_page.locator("#answer").inner_text() == answer
    metrics = demo_page.locator("#metrics").inner_text()
    for words in ("TTFT", "total", "chunks", "chars/s", "15 out", "tokens/s"):
        assert words in metrics
    assert demo_page.locator("#error").inner_text() == ""
    assert demo_page.locator("#send").is_enabled()
    assert wire.last_request is not None and wire.last_request.user_text == "hello from the browser"


def test_a_provider_error_is_shown_and_the_stream_closed(demo_page: Any, wire: WireServer) -> None:
    ask(demo_page, "#wire:401")

    demo_page.wait_for_function("() => document.querySelector('#error').textContent.length > 0")
    assert "rejected the API key" in demo_page.locator("#error").inner_text()
    assert demo_page.locator("#metrics").inner_text() == ""
    assert demo_page.locator("#send").is_enabled()


def test_stop_closes_the_stream_and_the_provider_stops(demo_page: Any, wire: WireServer) -> None:
    ask(demo_page, "#wire:slow:2000:50")
    demo_page.wait_for_function("() => document.querySelector('#answer').textContent.length > 20")

    demo_page.click("#stop")

    assert wire.wait_for_disconnect(3) is not None, "the provider kept generating after Stop"
    shown = demo_page.locator("#answer").inner_text()
    demo_page.wait_for_timeout(300)
    assert demo_page.locator("#answer").inner_text() == shown  # nothing more arrives
    assert demo_page.locator("#metrics").inner_text() == "stopped"
