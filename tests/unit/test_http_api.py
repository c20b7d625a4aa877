"""The SSE API's access rules, request validation and secrets, in process.

Streaming end to end (a real server, the wire server, disconnects) is in tests/api.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.testclient import TestClient

from chat_core import attachments as attachment_limits
from chat_core.http_access import RequestRejected, check_access, is_loopback
from chat_core.http_api import ChatApi, api_routes
from chat_core.http_params import MAX_CHAT_BODY_BYTES, params_from_body, params_from_query
from chat_core.types import Message
from tests.sse import parse_events

TOKEN = "t0ken-for-tests"


def access(
    host: str | None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> int | None:
    """The status a request would be refused with, or None when it is served (``Host`` is
    127.0.0.1:8501 unless ``headers`` say otherwise)."""
    try:
        check_access(
            client_host=host,
            headers={"host": "127.0.0.1:8501", **(headers or {})},
            query=query or {},
            token=token,
        )
    except RequestRejected as rejected:
        return rejected.status
    return None


# -- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_without_a_token_loopback_clients_are_served(host: str) -> None:
    assert is_loopback(host)
    assert access(host) is None


@pytest.mark.parametrize(
    "host",
    ["203.0.113.7", "192.168.1.20", "::ffff:10.0.0.1", "2001:db8::1", "testclient", "", None],
)
def test_without_a_token_other_clients_are_refused(host: str | None) -> None:
    assert access(host) == 403


@pytest.mark.parametrize("header", ["x-forwarded-for", "forwarded", "x-real-ip"])
def test_without_a_token_proxied_requests_are_refused_even_from_loopback(header: str) -> None:
    assert access("127.0.0.1", headers={header: "203.0.113.7"}) == 403


def test_with_a_token_anyone_with_it_is_served() -> None:
    assert access("203.0.113.7", token=TOKEN, headers={"authorization": f"Bearer {TOKEN}"}) is None
    assert access("203.0.113.7", token=TOKEN, headers={"authorization": f"bearer  {TOKEN}"}) is None
    assert access("203.0.113.7", token=TOKEN, query={"token": TOKEN}) is None
    assert (
        access(
            "127.0.0.1", token=TOKEN, headers={"x-forwarded-for": "1.2.3.4"}, query={"token": TOKEN}
        )
        is None
    )


def test_with_a_token_a_missing_or_wrong_one_is_401_even_from_loopback() -> None:
    assert access("127.0.0.1", token=TOKEN) == 401
    assert access("127.0.0.1", token=TOKEN, query={"token": "nope"}) == 401
    assert access("127.0.0.1", token=TOKEN, headers={"authorization": f"Basic {TOKEN}"}) == 401
    assert access("127.0.0.1", token=TOKEN, headers={"authorization": "Bearer "}) == 401


# -- request validation -----------------------------------------------------------------------


def test_query_parameters_become_a_request() -> None:
    params = params_from_query(
        {
            "prompt": "hi",
            "provider": "openai",
            "model": "gpt-4o",
            "system": "Be brief.",
            "temperature": "0.3",
            "max_tokens": "40",
        }
    )
    assert params.messages == (Message("user", "hi"),)
    assert (params.provider, params.model, params.system) == ("openai", "gpt-4o", "Be brief.")
    assert (params.temperature, params.max_tokens) == (0.3, 40)


def test_body_carries_history_and_system_messages() -> None:
    body = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "answer"},
            {"role": "user", "content": "second"},
        ],
        "temperature": 1,
    }
    params = params_from_body(json.dumps(body).encode())
    assert [m.role for m in params.messages] == ["user", "assistant", "user"]
    assert params.system == "Be brief."
    assert params.temperature == 1.0
    assert params_from_body(b'{"prompt": "just this"}').messages == (Message("user", "just this"),)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"messages": "hi"}', "list"),
        (b'{"messages": []}', "Missing prompt"),
        (b'{"messages": [{"role": "user", "content": "  "}]}', "Missing prompt"),
        (
            b'{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}',
            "Missing prompt",
        ),
        (b'{"messages": [{"role": "robot", "content": "q"}]}', "role"),
        (b'{"messages": [{"role": "user"}]}', "content"),
        (b'{"prompt": "q", "provider": "skynet"}', "Unknown provider"),
        (b'{"prompt": "q", "model": ""}', "model"),
        (b'{"prompt": "q", "temperature": "hot"}', "temperature"),
        (b'{"prompt": "q", "temperature": true}', "temperature"),
        (b'{"prompt": "q", "max_tokens": 0}', "max_tokens"),
        (b'{"prompt": "q", "max_tokens": 2.5}', "max_tokens"),
        (b'{"prompt": "q", "system": 3}', "system"),
    ],
)
def test_bad_bodies_are_400_with_a_reason(body: bytes, words: str) -> None:
    with pytest.raises(RequestRejected) as caught:
        params_from_body(body)
    assert caught.value.status == 400
    assert words in caught.value.message


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"prompt": ""},
        {"prompt": "q", "temperature": "warm"},
        {"prompt": "q", "max_tokens": "many"},
        {"prompt": "q", "provider": "x"},
    ],
)
def test_bad_queries_are_400(query: dict[str, str]) -> None:
    with pytest.raises(RequestRejected) as caught:
        params_from_query(query)
    assert caught.value.status == 400


# -- secrets ----------------------------------------------------------------------------------


def test_the_api_reads_keys_through_the_secrets_reader_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    calls: list[int] = []

    def secrets() -> dict[str, str]:
        calls.append(1)
        return {"OPENAI_BASE_URL": "http://[::1"}

    api = ChatApi(token=TOKEN, secrets=secrets)
    client = TestClient(
        Starlette(routes=api.routes()), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    response = client.post("/api/chat", json={"prompt": "hi", "provider": "openai"})
    assert calls, "the reader is asked per answer"
    assert response.status_code == 500
    assert response.json()["error"]["message"] == (
        "The server's OPENAI_BASE_URL setting is not a valid URL; the operator must fix it."
    )


# -- the routes in process (Starlette's TestClient; its client address is not loopback) ----------


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    api = ChatApi(token=TOKEN)
    return TestClient(Starlette(routes=api.routes()), headers={"Authorization": f"Bearer {TOKEN}"})


def events(response: Any) -> list[dict[str, Any]]:
    return list(parse_events(response.text.split("\n")))


def test_the_demo_provider_streams_in_process(client: TestClient) -> None:
    response = client.get("/api/stream", params={"prompt": "hello api", "provider": "demo"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    *contents, done = events(response)
    assert "hello api" in "".join(e["content"] for e in contents)
    assert done["done"] is True and done["metrics"]["provider"] == "demo"


def test_no_key_configured_is_an_error_event_not_a_crash(client: TestClient) -> None:
    response = client.post("/api/chat", json={"prompt": "hi", "provider": "openai"})
    assert response.status_code == 200
    (event,) = events(response)
    assert "No OpenAI API key" in event["error"]["message"]
    assert event["error"]["retryable"] is False


def test_temperature_out_of_the_providers_range_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/chat", json={"prompt": "hi", "provider": "anthropic", "temperature": 1.5}
    )
    assert response.status_code == 400
    assert "out of range" in response.json()["error"]["message"]


def test_oversize_body_is_413(client: TestClient) -> None:
    big = {"prompt": "x" * (MAX_CHAT_BODY_BYTES + 10)}
    response = client.post(
        "/api/chat", content=json.dumps(big).encode(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "KB" in response.json()["error"]["message"]


def test_requests_without_the_token_are_401_json(client: TestClient) -> None:
    response = client.get("/api/stream", params={"prompt": "hi"}, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "token" in response.json()["error"]["message"]


def test_without_a_token_the_test_client_is_not_loopback_and_is_refused() -> None:
    app = Starlette(routes=api_routes(environ={}, bind_address="127.0.0.1"))
    response = TestClient(app).get("/api/stream", params={"prompt": "hi"})
    assert response.status_code == 403
    assert "STREAMCHAT_API_TOKEN" in response.json()["error"]["message"]


def test_the_demo_page_uses_eventsource_on_the_stream_endpoint(client: TestClient) -> None:
    response = client.get("/api/demo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "new EventSource('/api/stream?'" in response.text
    assert "innerHTML" not in response.text  # answers are shown as text, never as markup


# -- attachments in POST /api/chat ----------------------------------------------------------------


def _png(width: int = 40, height: int = 30) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _with_files(*files: dict[str, str], content: str = "what is in these?") -> dict[str, Any]:
    return {
        "provider": "demo",
        "messages": [{"role": "user", "content": content, "attachments": list(files)}],
    }


def test_a_message_with_an_image_and_a_text_file_is_parsed_into_attachments() -> None:
    body = _with_files(
        {"name": "photo.png", "data": _png()}, {"name": "notes.md", "data": _b64(b"# hi\n")}
    )
    params = params_from_body(json.dumps(body).encode())
    (message,) = params.messages
    assert [(a.name, a.media_type, a.width) for a in message.attachments] == [
        ("photo.png", "image/png", 40),
        ("notes.md", "text/markdown", None),
    ]


def test_files_reach_the_model_and_a_prompt_may_be_only_files(client: TestClient) -> None:
    body = _with_files(
        {"name": "photo.png", "data": _png()},
        {"name": "notes.md", "data": _b64(b"# hi\n")},
        content="",
    )
    response = client.post("/api/chat", json=body)
    assert response.status_code == 200
    *contents, done = events(response)
    answer = "".join(e["content"] for e in contents)
    assert "photo.png (image, 40×30" in answer and "notes.md (text" in answer
    assert done["done"] is True


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([{"name": "a.png", "data": "not base64!"}], "a.png is not base64"),
        ([{"name": "empty.txt", "data": ""}], "empty.txt is empty"),
        ([{"name": "fake.txt", "data": _b64(bytes(range(256)) * 4)}], "fake.txt"),
        ([{"name": "broken.png", "data": _png()[:60]}], "could not be read as an image"),
        ([{"data": _png()}], "a 'name' and base64 'data'"),
    ],
)
def test_a_bad_file_is_a_400_naming_it_and_nothing_is_sent(
    client: TestClient, files: list[dict[str, str]], words: str
) -> None:
    response = client.post("/api/chat", json=_with_files(*files))
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


def test_files_on_an_assistant_message_are_a_400(client: TestClient) -> None:
    body = {
        "provider": "demo",
        "messages": [
            {"role": "assistant", "content": "hi", "attachments": []},
            {"role": "user", "content": "and?"},
        ],
    }
    response = client.post("/api/chat", json=body)
    assert response.status_code == 400
    assert "Only user messages" in response.json()["error"]["message"]


def test_files_over_the_message_limit_are_a_400_before_anything_is_sent(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attachment_limits, "MAX_MESSAGE_BYTES", 100)
    body = _with_files(
        {"name": "a.md", "data": _b64(b"a" * 80)}, {"name": "b.md", "data": _b64(b"b" * 80)}
    )
    response = client.post("/api/chat", json=body)
    assert response.status_code == 400
    assert "one message can carry at most" in response.json()["error"]["message"]


def test_an_image_for_a_model_without_vision_is_a_400_not_a_provider_error() -> None:
    api = ChatApi(token=TOKEN, secrets=lambda: {"OPENAI_API_KEY": "sk-test-not-used"})
    client = TestClient(
        Starlette(routes=api.routes()), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    body = {**_with_files({"name": "photo.png", "data": _png()}), "provider": "openai"}
    response = client.post("/api/chat", json={**body, "model": "gpt-3.5-turbo"})
    assert response.status_code == 400
    assert "does not take images" in response.json()["error"]["message"]


def test_the_chat_route_takes_a_body_as_large_as_one_messages_files() -> None:
    # 20 MB of files is about 27 MB of base64; the other routes keep 256 KB.
    assert MAX_CHAT_BODY_BYTES > 4 * attachment_limits.MAX_MESSAGE_BYTES // 3
