"""Findings 2 and 8 of "Safe to deploy": who may use the token-less SSE API, and Streamlit's
own websocket, on a real ``streamlit run server.py`` (bound to 127.0.0.1, no token).

Every refused request must also leave the provider untouched: the wire server records none.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.servers import REPO_ROOT, RunningServer, free_port, server_env, streamlit_server
from tests.wire_server import WireServer


@pytest.fixture(scope="module")
def api(wire_server: WireServer) -> Iterator[RunningServer]:
    env = server_env(
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=wire_server.openai_base_url,
        STREAMCHAT_DEMO_TTFT_S="0",
        STREAMCHAT_DEMO_CHUNKS_PER_S="0",
    )
    with streamlit_server("server.py", env=env) as server:
        yield server


def stream_url(api: RunningServer) -> str:
    return f"{api.base_url}/api/stream"


def test_a_loopback_request_with_a_loopback_host_is_served(
    api: RunningServer, wire: WireServer
) -> None:
    response = httpx.get(stream_url(api), params={"prompt": "hello"}, timeout=30)
    assert response.status_code == 200
    assert "said: hello" in response.text
    assert len(wire.requests) == 1


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io", "", "a b"])
def test_a_dns_rebinding_host_is_refused(api: RunningServer, wire: WireServer, host: str) -> None:
    response = httpx.get(
        stream_url(api), params={"prompt": "steal"}, headers={"Host": host}, timeout=30
    )
    assert response.status_code in (400, 403)
    assert wire.requests == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # another port of localhost is the same *site*
        {"Origin": "http://127.0.0.1:9"},
        {"Origin": "null"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_browser_requests_are_refused(
    api: RunningServer, wire: WireServer, headers: dict[str, str]
) -> None:
    get = httpx.get(stream_url(api), params={"prompt": "blind"}, headers=headers, timeout=30)
    post = httpx.post(
        f"{api.base_url}/api/chat", json={"prompt": "blind"}, headers=headers, timeout=30
    )
    assert (get.status_code, post.status_code) == (403, 403)
    assert "other web sites" in get.json()["error"]["message"]
    assert wire.requests == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_chat_takes_only_json(
    api: RunningServer, wire: WireServer, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(
        f"{api.base_url}/api/chat", content=b'{"prompt": "form"}', headers=headers, timeout=30
    )
    assert response.status_code == 415
    assert wire.requests == []


def test_head_and_options_never_call_the_provider(api: RunningServer, wire: WireServer) -> None:
    head = httpx.head(stream_url(api), params={"prompt": "cheap"}, timeout=30)
    options = httpx.options(stream_url(api), params={"prompt": "cheap"}, timeout=30)
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    assert options.status_code in (204, 405)
    assert wire.requests == []


def test_the_demo_page_cannot_be_framed_and_leaks_no_referer(api: RunningServer) -> None:
    response = httpx.get(f"{api.base_url}/api/demo", timeout=30)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"


def _websocket_status(port: int, host: str) -> str:
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(200).decode(errors="replace").split("\r\n", 1)[0]


def test_streamlits_websocket_refuses_a_foreign_host(api: RunningServer) -> None:
    assert " 101 " in _websocket_status(api.port, f"127.0.0.1:{api.port}")
    assert " 101 " in _websocket_status(api.port, f"localhost:{api.port}")
    assert " 101 " not in _websocket_status(api.port, "evil.example")


# -- start-up rules (finding 8) ----------------------------------------------------------------


def _start(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=REPO_ROOT,
        env=server_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "words"),
    [
        (["--server.address", "0.0.0.0"], {}, "no token"),
        ([], {}, "no token"),  # streamlit's default: every interface
        (["--server.address", "127.0.0.1"], {"STREAMCHAT_API_TOKEN": "  "}, "blank"),
    ],
)
def test_the_server_refuses_to_start_unsafe(
    args: list[str], env: dict[str, str], words: str
) -> None:
    port = str(free_port())
    command = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.headless", "true"]
    result = _start([*command, "--server.port", port, *args], **env)
    assert result.returncode != 0
    assert words in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--host", "0.0.0.0"], {}), ([], {"STREAMCHAT_API_TOKEN": ""})],
)
def test_uvicorn_refuses_to_start_unsafe(args: list[str], env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "uvicorn", "server:app", "--port", str(free_port())]
    result = _start([*command, *args], **env)
    assert result.returncode != 0
    assert "STREAMCHAT_API_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_without_proxy_headers_a_proxy_is_still_caught_by_host() -> None:
    from chat_core.http_access import RequestRejected, check_access

    # A reverse proxy on this machine that adds no X-Forwarded-* but forwards the public Host.
    with pytest.raises(RequestRejected) as refused:
        check_access(
            client_host="127.0.0.1",
            headers={"host": "chat.example.com"},
            query={},
            token=None,
            server_host="127.0.0.1",
        )
    assert refused.value.status == 403
    # A server bound to every interface, reached on its LAN address, is not "local" either.
    with pytest.raises(RequestRejected):
        check_access(
            client_host="127.0.0.1",
            headers={"host": "localhost:8501"},
            query={},
            token=None,
            server_host="192.168.1.5",
        )


def test_the_bind_address_is_read_from_uvicorns_command_line() -> None:
    from chat_core.http_access import uvicorn_host

    assert uvicorn_host([], {}) == "127.0.0.1"
    assert uvicorn_host(["server:app", "--host", "0.0.0.0"], {}) == "0.0.0.0"
    assert uvicorn_host(["server:app", "--host=::"], {}) == "::"
    assert uvicorn_host([], {"UVICORN_HOST": "10.0.0.2"}) == "10.0.0.2"
    assert uvicorn_host(["--uds", "/tmp/s.sock"], {}) is None  # reach unknown: needs a token


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_a_blank_token_is_an_error_not_no_token(value: str) -> None:
    from chat_core.http_access import ApiConfigError, token_from

    with pytest.raises(ApiConfigError):
        token_from({"STREAMCHAT_API_TOKEN": value})
    assert token_from({}) is None
    assert token_from({"STREAMCHAT_API_TOKEN": " abc "}) == "abc"
