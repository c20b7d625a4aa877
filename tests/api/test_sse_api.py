"""The SSE API on a real ``streamlit run server.py``, streaming from the wire server via httpx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import RunningServer, server_env, streamlit_server
from tests.sse import parse_events
from tests.wire_server import Scenario, WireServer

TOKEN = "api-token-for-tests"
JSON_TYPE = {"Content-Type": "application/json"}
DOCUMENTED_METRIC_KEYS = [
    "total_time",
    "time_to_first_token",
    "streaming_time",
    "chunk_count",
    "char_count",
    "chars_per_second",
]


def env_for(wire: WireServer, **extra: str) -> dict[str, str]:
    return server_env(
        OPENAI_API_KEY="sk-test",
        OPENAI_BASE_URL=wire.openai_base_url,
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=wire.anthropic_base_url,
        STREAMCHAT_DEMO_TTFT_S="0",
        STREAMCHAT_DEMO_CHUNKS_PER_S="0",
        **extra,
    )


@pytest.fixture(scope="module")
def api(wire_server: WireServer) -> Iterator[RunningServer]:
    """server.py without a token: loopback clients only (these tests are loopback)."""
    with streamlit_server("server.py", env=env_for(wire_server)) as server:
        yield server


@pytest.fixture(scope="module")
def token_api(wire_server: WireServer) -> Iterator[RunningServer]:
    with streamlit_server(
        "server.py", env=env_for(wire_server, STREAMCHAT_API_TOKEN=TOKEN)
    ) as server:
        yield server


def events(response: httpx.Response) -> list[dict[str, Any]]:
    return list(parse_events(response.text.split("\n")))


def text_of(evts: list[dict[str, Any]]) -> str:
    return "".join(e.get("content", "") for e in evts)


def test_stream_sends_content_then_done_with_the_documented_metrics(
    api: RunningServer, wire: WireServer
) -> None:
    wire.enqueue(
        Scenario.text(
            "Streaming answers arrive in small pieces.",
            chunk_size=3,
            prompt_tokens=5,
            completion_tokens=9,
        )
    )

    response = httpx.get(
        f"{api.base_url}/api/stream",
        params={"prompt": "hello", "model": "test-model"},
        headers={"Accept-Encoding": "gzip"},
        timeout=30,
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert "no-cache" in response.headers["cache-control"]
    assert response.headers["x-accel-buffering"] == "no"
    assert "content-encoding" not in response.headers  # gzip would buffer the stream
    assert response.text.startswith('data: {"content": ')
    *contents, done = events(response)
    assert all(set(e) == {"content"} for e in contents)
    assert text_of(contents) == "Streaming answers arrive in small pieces."
    assert done["done"] is True
    metrics = done["metrics"]
    assert list(metrics)[:6] == DOCUMENTED_METRIC_KEYS
    assert (metrics["provider"], metrics["model"], metrics["status"]) == (
        "openai",
        "test-model",
        "complete",
    )
    assert (metrics["input_tokens"], metrics["output_tokens"]) == (5, 9)
    assert metrics["char_count"] == len("Streaming answers arrive in small pieces.")


def test_post_chat_sends_history_system_and_settings(api: RunningServer, wire: WireServer) -> None:
    body = {
        "messages": [
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": "second question"},
        ],
        "system": "Answer like a pirate.",
        "provider": "anthropic",
        "model": "claude-test",
        "temperature": 0.5,
        "max_tokens": 64,
    }

    response = httpx.post(f"{api.base_url}/api/chat", json=body, timeout=30)

    assert response.status_code == 200
    evts = events(response)
    assert text_of(evts).startswith("You said: second question")
    assert evts[-1]["metrics"]["provider"] == "anthropic"
    sent = wire.last_request
    assert sent is not None and sent.path == "/v1/messages"
    assert sent.body["system"] == "Answer like a pirate."
    assert [m["role"] for m in sent.body["messages"]] == ["user", "assistant", "user"]
    assert sent.body["model"] == "claude-test"
    assert sent.body["max_tokens"] == 64
    assert sent.body["temperature"] == 0.5


def test_provider_failure_is_an_error_event_with_retryable(
    api: RunningServer, wire: WireServer
) -> None:
    response = httpx.get(f"{api.base_url}/api/stream", params={"prompt": "#wire:500"}, timeout=60)

    assert response.status_code == 200
    evts = events(response)
    last = evts[-1]
    assert set(last) == {"error"}
    assert last["error"]["retryable"] is True
    assert "OpenAI" in last["error"]["message"]
    assert "Traceback" not in response.text
    assert all("notice" in e for e in evts[:-1])  # the engine's retries, announced


def test_refused_key_is_not_retryable(api: RunningServer, wire: WireServer) -> None:
    response = httpx.get(f"{api.base_url}/api/stream", params={"prompt": "#wire:401"}, timeout=30)
    (event,) = events(response)
    assert event["error"]["retryable"] is False
    assert "sk-test" not in response.text


def test_error_mid_stream_keeps_the_text_sent_so_far(api: RunningServer, wire: WireServer) -> None:
    response = httpx.get(
        f"{api.base_url}/api/stream", params={"prompt": "#wire:drop:5"}, timeout=30
    )
    evts = events(response)
    assert len(text_of(evts)) > 0
    assert "error" in evts[-1]


def test_client_disconnect_cancels_upstream(api: RunningServer, wire: WireServer) -> None:
    with httpx.stream(
        "GET", f"{api.base_url}/api/stream", params={"prompt": "#wire:slow:2000:50"}, timeout=30
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data:") and '"content"' in line:
                break
        left_at = time.monotonic()
    # leaving the block closed the connection mid-answer

    record = wire.wait_for_disconnect(3)
    assert record is not None, "the provider kept streaming after the client left"
    assert record.disconnected_at is not None
    assert record.disconnected_at - left_at < 1.5
    assert not record.completed


def test_the_demo_provider_needs_no_key(api: RunningServer) -> None:
    response = httpx.get(
        f"{api.base_url}/api/stream",
        params={"prompt": "offline please", "provider": "demo"},
        timeout=30,
    )
    evts = events(response)
    assert "offline please" in text_of(evts)
    assert evts[-1]["metrics"]["provider"] == "demo"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/stream", {}, 400),
        ("GET", "/api/stream", {"params": {"prompt": "  "}}, 400),
        ("GET", "/api/stream", {"params": {"prompt": "q", "provider": "skynet"}}, 400),
        (
            "GET",
            "/api/stream",
            {"params": {"prompt": "q", "provider": "openai", "temperature": "5"}},
            400,
        ),
        ("POST", "/api/chat", {"content": b"{oops", "headers": JSON_TYPE}, 400),
        ("POST", "/api/chat", {"content": b'{"prompt": "q"}'}, 415),
        ("POST", "/api/chat", {"json": {"messages": []}}, 400),
        ("POST", "/api/chat", {"json": {"prompt": "q", "max_tokens": -1}}, 400),
        (
            "POST",
            "/api/chat",
            {"content": json.dumps({"prompt": "x" * 300_000}).encode(), "headers": JSON_TYPE},
            413,
        ),
    ],
)
def test_bad_requests_get_a_json_4xx(
    api: RunningServer,
    wire: WireServer,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    response = httpx.request(method, api.base_url + path, timeout=30, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"]
    assert wire.requests == []  # nothing reached the provider


def test_the_demo_page_is_served(api: RunningServer) -> None:
    response = httpx.get(f"{api.base_url}/api/demo", timeout=30)
    assert response.status_code == 200
    assert "EventSource" in response.text


def test_the_streamlit_app_is_served_on_the_same_port(api: RunningServer) -> None:
    assert httpx.get(f"{api.base_url}/_stcore/health", timeout=30).text == "ok"
    assert "<html" in httpx.get(api.base_url + "/", timeout=30).text.lower()


# -- token -------------------------------------------------------------------------------------


def test_with_a_token_requests_without_it_are_401(
    token_api: RunningServer, wire: WireServer
) -> None:
    for path in ("/api/stream?prompt=hi", "/api/demo"):
        response = httpx.get(token_api.base_url + path, timeout=30)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "token" in response.json()["error"]["message"]
    wrong = httpx.get(
        f"{token_api.base_url}/api/stream", params={"prompt": "hi", "token": "guess"}, timeout=30
    )
    assert wrong.status_code == 401
    wrong = httpx.post(
        f"{token_api.base_url}/api/chat",
        json={"prompt": "hi"},
        headers={"Authorization": "Bearer guess"},
        timeout=30,
    )
    assert wrong.status_code == 401
    assert wire.requests == []


def test_with_a_token_bearer_and_query_parameter_both_work(
    token_api: RunningServer, wire: WireServer
) -> None:
    by_header = httpx.post(
        f"{token_api.base_url}/api/chat",
        json={"prompt": "by header"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    by_query = httpx.get(
        f"{token_api.base_url}/api/stream",
        params={"prompt": "by query", "token": TOKEN},
        timeout=30,
    )
    for response, prompt in ((by_header, "by header"), (by_query, "by query")):
        assert response.status_code == 200
        evts = events(response)
        assert text_of(evts).startswith(f"You said: {prompt}")
        assert evts[-1]["done"] is True
