"""Finding 1 and 5 of "Safe to deploy": base URLs typed by a visitor.

The server's key goes only to the server's configured base URL; a visitor's base URL gets the
visitor's key or none. On a deployment not bound to loopback, a visitor's base URL may not
point at this machine or a private network, and errors from a visitor's URL reveal nothing
about what answered. A malformed base URL never locks the session.
"""

from __future__ import annotations

import gc

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from chat_core.config import resolve
from chat_core.errors import ConfigurationError
from tests.app.conftest import errors, messages, new_app, send
from tests.wire_server import Scenario, WireServer

SERVER_KEY = "sk-server-secret-0123456789"
VISITOR_KEY = "sk-visitor-typed-9876543210"
BASE_URL_FIELD = "w_base_url_openai-compatible"


def compatible_app(monkeypatch: pytest.MonkeyPatch, configured: WireServer) -> AppTest:
    """The app with an OpenAI-compatible server and its key configured by the operator."""
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", configured.openai_base_url)
    monkeypatch.setenv("OPENAI_COMPATIBLE_API_KEY", SERVER_KEY)
    return new_app(provider="openai-compatible").run()


def authorization(server: WireServer) -> list[str]:
    return [r.headers.get("authorization", "") for r in server.requests]


def test_the_configured_base_url_gets_the_server_key(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer
) -> None:
    monkeypatch.setenv("STREAMCHAT_ALLOW_PRIVATE_BASE_URLS", "true")
    at = send(compatible_app(monkeypatch, wire), "hello")
    assert messages(at)[-1][1].startswith("You said: hello")
    assert authorization(wire) == [f"Bearer {SERVER_KEY}"]


def test_a_visitor_base_url_never_receives_the_server_key(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer, visitor: WireServer
) -> None:
    monkeypatch.setenv("STREAMCHAT_ALLOW_PRIVATE_BASE_URLS", "true")  # both servers are local
    at = compatible_app(monkeypatch, wire)
    at.text_input(key=BASE_URL_FIELD).input(visitor.openai_base_url).run()
    at = send(at, "hello visitor server")
    assert visitor.requests, "the visitor's server was used"
    assert all(SERVER_KEY not in value for value in authorization(visitor))
    assert wire.requests == []


def test_a_visitor_base_url_gets_the_key_the_visitor_typed(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer, visitor: WireServer
) -> None:
    monkeypatch.setenv("STREAMCHAT_ALLOW_PRIVATE_BASE_URLS", "true")
    at = compatible_app(monkeypatch, wire)
    at.text_input(key=BASE_URL_FIELD).input(visitor.openai_base_url).run()
    settings = resolve(
        "openai-compatible",
        api_key=VISITOR_KEY,
        base_url=visitor.openai_base_url,
        environ={"OPENAI_COMPATIBLE_API_KEY": SERVER_KEY},
    )
    assert settings.api_key == VISITOR_KEY and settings.custom_base_url
    no_key = resolve(
        "openai-compatible",
        base_url=visitor.openai_base_url,
        environ={"OPENAI_COMPATIBLE_API_KEY": SERVER_KEY},
    )
    assert no_key.api_key is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "http://localhost:11435/v1",
        "http://[::1]:8080/v1",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/v1",
        "http://192.168.0.10:1234/v1",
        "http://metadata.google.internal/computeMetadata/v1",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0:8501/",
    ],
)
def test_off_loopback_a_visitor_base_url_may_not_reach_private_addresses(url: str) -> None:
    from chat_core.url_policy import check_public_url

    with pytest.raises(ConfigurationError) as refused:
        check_public_url(url)
    assert "private" in refused.value.user_message
    for secret_detail in ("127.0.0.1", "169.254", "10.1.2.3", "refused", "status"):
        if secret_detail not in url:
            assert secret_detail not in refused.value.user_message


def test_off_loopback_the_app_refuses_a_private_visitor_url_without_connecting(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer, visitor: WireServer
) -> None:
    # AppTest's connection is not a local one: like a visitor from outside.
    at = compatible_app(monkeypatch, wire)
    at.text_input(key=BASE_URL_FIELD).input(visitor.openai_base_url).run()
    at = send(at, "knock knock")
    assert visitor.requests == [] and wire.requests == []
    (shown,) = errors(at)
    assert "does not connect to local or private network addresses" in shown
    assert "STREAMCHAT_ALLOW_PRIVATE_BASE_URLS" in shown


def test_local_use_keeps_working_out_of_the_box(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer
) -> None:
    # The operator's (default) base URL is not a visitor's: it works for everybody, and the
    # person at this machine (chat_core/visitors.py) may type any local server.
    from chat_core.url_policy import private_urls_allowed

    at = send(compatible_app(monkeypatch, wire), "hello local model")
    assert messages(at)[-1][1].startswith("You said: hello local model")
    assert private_urls_allowed(local_visitor=True, settings={}, environ={})
    assert not private_urls_allowed(local_visitor=False, settings={}, environ={})
    assert private_urls_allowed(
        local_visitor=False, settings={"STREAMCHAT_ALLOW_PRIVATE_BASE_URLS": "true"}, environ={}
    )


@pytest.mark.parametrize(
    ("scenario", "hidden"),
    [
        (Scenario.http_error(500, message="db password is hunter2"), ("500", "hunter2")),
        (Scenario.http_error(400, message="internal path /srv/secret"), ("400", "/srv/secret")),
        (Scenario.http_error(418, message="teapot details"), ("418", "teapot")),
    ],
)
def test_errors_from_a_visitor_url_reveal_no_details(
    monkeypatch: pytest.MonkeyPatch,
    wire: WireServer,
    visitor: WireServer,
    scenario: Scenario,
    hidden: tuple[str, ...],
) -> None:
    monkeypatch.setenv("STREAMCHAT_ALLOW_PRIVATE_BASE_URLS", "true")
    at = compatible_app(monkeypatch, wire)
    at.text_input(key=BASE_URL_FIELD).input(visitor.openai_base_url).run()
    visitor.enqueue(scenario)
    at = send(at, "probe")
    (shown,) = errors(at)
    for detail in hidden:
        assert detail not in shown, shown
    assert at.session_state["conversation"].turns[-1].status == StreamStatus.ERROR


# -- finding 5: malformed base URLs ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://host:99999/v1", "http://exa mple.com", "ftp://x/", "http://"]
)
def test_malformed_base_urls_are_refused_in_words(url: str) -> None:
    from chat_core.config import check_base_url

    with pytest.raises(ConfigurationError) as refused:
        check_base_url(url)
    assert "not a valid base URL" in refused.value.user_message


def test_a_malformed_base_url_does_not_lock_the_session(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer
) -> None:
    monkeypatch.setenv("STREAMCHAT_ALLOW_PRIVATE_BASE_URLS", "true")
    at = new_app(provider="openai-compatible").run()
    at.text_input(key=BASE_URL_FIELD).input("http://[::1").run()
    assert not at.exception
    assert any("not a valid base URL" in str(w.value) for w in at.sidebar.warning)
    at = send(at, "still here?")
    assert "not a valid base URL" in errors(at)[-1]
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    at.switch_page("app_pages/chat.py").run()
    at.text_input(key=BASE_URL_FIELD).input(wire.openai_base_url).run()
    at = send(at, "and now")
    assert messages(at)[-1][1].startswith("You said: and now")


# -- keys typed in the sidebar do not outlive the session (issue 14) -----------------------


def _objects_holding(secret: str) -> int:
    """How many live containers hold ``secret`` (as text or bytes) directly."""
    gc.collect()
    needles = (secret, secret.encode())
    found = 0
    for obj in gc.get_objects():
        if obj is needles:
            continue
        try:
            if isinstance(obj, dict):
                values = list(obj.values())
            elif isinstance(obj, list | tuple):
                values = list(obj)
            else:
                continue
        except RuntimeError:  # changed size while looking
            continue
        found += sum(1 for v in values if isinstance(v, str | bytes) and v in needles)
    return found


def test_a_key_typed_in_the_sidebar_is_gone_when_the_session_ends(
    monkeypatch: pytest.MonkeyPatch, wire: WireServer
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", wire.openai_base_url)
    typed = "sk-typed-" + "7" * 24
    at = new_app(provider="openai").run()
    at.text_input(key="w_api_key_openai").input(typed).run()
    at = send(at, "hello")
    at = send(at, "again")
    assert messages(at)[-1][1].startswith("You said: again")
    first, second = wire.requests
    assert first.headers["authorization"] == f"Bearer {typed}"
    assert first.client_port == second.client_port  # the session reuses its client
    del at  # the browser session ends: its session state goes
    assert _objects_holding(typed) == 0


def test_a_dns_answer_that_changes_after_the_check_is_caught_on_the_socket(
    monkeypatch: pytest.MonkeyPatch, visitor: WireServer
) -> None:
    """DNS rebinding: the name is public when the base URL is checked, then points at this
    machine when the SDK connects. The connection's real peer address is refused."""
    import socket

    from chat_core.api import start_chat
    from chat_core.providers import make_provider

    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])  # the first answer (the check) is public, then loopback

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host == "rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://rebind.example:{visitor.port}/v1"
    settings = resolve("openai-compatible", base_url=url, environ={}, private_urls=False)
    assert settings.public_only
    result = start_chat("hello", provider=make_provider(settings)).wait(30)
    assert visitor.requests == []
    assert result.error is not None
    assert "127.0.0.1" not in result.error.user_message
    assert "does not connect to local or private network addresses" in result.error.user_message
