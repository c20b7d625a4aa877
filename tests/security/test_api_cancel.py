"""Finding 7 of "Safe to deploy": a client that goes away stops the answer upstream at once,
even while the provider has not sent its response headers; HEAD is cheap; slow clients and
slow bodies cannot hold the server.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chat_core.stream import ChatStream
from tests import aio
from tests.servers import RunningServer, server_env, streamlit_server
from tests.wire_server import WireServer

HANG_S = 60


@pytest.fixture(scope="module")
def api(wire_server: WireServer) -> Iterator[RunningServer]:
    env = server_env(OPENAI_API_KEY="sk-test", OPENAI_BASE_URL=wire_server.openai_base_url)
    with streamlit_server("server.py", env=env) as server:
        yield server


def _open_and_leave(
    api: RunningServer, wire: WireServer, path: str, body: bytes | None = None
) -> float:
    """Send a request on a raw socket, wait until the provider got it, close; returns when."""
    method = "POST" if body is not None else "GET"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{api.port}\r\n"
        + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "")
        + "\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=10)
    sock.sendall(head.encode() + (body or b""))
    assert wire.wait_for_requests(1, 30), "the provider never got the request"
    closed_at = time.monotonic()
    sock.close()
    return closed_at


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/stream?prompt=%23wire%3Ahang%3A{HANG_S}", None),
        ("/api/chat", b'{"prompt": "#wire:hang:%d"}' % HANG_S),
        (f"/api/stream?prompt=%23wire%3Attfb%3A{HANG_S}", None),  # headers, then silence
    ],
)
def test_a_client_leaving_before_the_provider_answers_cancels_it_at_once(
    api: RunningServer, wire: WireServer, path: str, body: bytes | None
) -> None:
    closed_at = _open_and_leave(api, wire, path, body)
    record = wire.wait_for_disconnect(timeout=HANG_S / 2)
    assert record is not None, "the provider kept working for a client that had gone"
    assert record.disconnected_at is not None
    print(
        f"provider saw the disconnect {record.disconnected_at - closed_at:.3f} s after the client left"
    )


def test_head_is_answered_without_the_provider(api: RunningServer, wire: WireServer) -> None:
    response = httpx.head(f"{api.base_url}/api/stream", params={"prompt": "hi"}, timeout=30)
    assert response.status_code == 200
    assert wire.requests == []


def test_a_body_that_never_arrives_is_refused(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer
) -> None:
    from starlette.applications import Starlette

    import chat_core.http_api as http_api

    monkeypatch.setattr(http_api, "BODY_TIMEOUT_S", 0.2)
    app = Starlette(routes=http_api.ChatApi(token="t").routes())
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)  # the rest of the body never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/chat",
        "raw_path": b"/api/chat",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"authorization", b"Bearer t"),
            (b"content-type", b"application/json"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8501),
    }
    aio.run(asyncio.wait_for(app(scope, receive, send), 10))
    assert sent[0]["status"] == 408
    assert wire.requests == []


def test_a_client_that_stops_reading_is_dropped_and_the_answer_cancelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chat_core.api import start_chat
    from chat_core.http_api import SSEResponse
    from chat_core.sse_encode import aiter_sse

    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "20")  # an answer of several seconds
    stream: ChatStream = start_chat("a long answer please", provider="demo")
    response = SSEResponse(aiter_sse(stream, min_interval_s=0.0), send_timeout_s=0.2)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            await asyncio.sleep(3600)  # the client's window is full and stays full

    aio.run(asyncio.wait_for(response({"type": "http"}, receive, send), 30), timeout_s=40)
    assert stream.wait(10).status.value == "stopped"
