"""Who counts as "at this machine" (chat_core/visitors.py): the only person who sees every
stored chat without signing in and may type base URLs pointing at private addresses."""

from __future__ import annotations

import pytest

from chat_core.visitors import is_local_visitor, treated_as_local

BROWSER = {"Host": "localhost:8501", "Origin": "http://localhost:8501"}


@pytest.mark.parametrize(
    "headers",
    [
        BROWSER,
        {"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"},
        {"Host": "[::1]:8501", "Origin": "http://[::1]:8501"},
        {"Host": "app.localhost:8501"},
        {"Host": "localhost:8501"},  # a program on this machine sends no Origin
    ],
)
def test_a_browser_on_this_machine_is_local(headers: dict[str, str]) -> None:
    assert is_local_visitor(peer_is_loopback=True, headers=headers)


@pytest.mark.parametrize(
    ("peer_is_loopback", "headers", "who"),
    [
        (False, BROWSER, "another machine, even claiming Host: localhost"),
        (True, {**BROWSER, "X-Forwarded-For": "203.0.113.9"}, "nginx/Caddy/ngrok on this machine"),
        (True, {**BROWSER, "x-real-ip": "203.0.113.9"}, "a proxy that sends X-Real-IP"),
        (True, {**BROWSER, "Forwarded": "for=203.0.113.9"}, "a proxy that sends Forwarded"),
        (True, {**BROWSER, "CF-Connecting-IP": "203.0.113.9"}, "a Cloudflare tunnel"),
        (True, {"Host": "chat.example.com", "Origin": "https://chat.example.com"}, "proxy, Host"),
        (True, {"Host": "evil.example:8501", "Origin": "http://evil.example:8501"}, "rebinding"),
        (True, {"Host": "localhost:8501", "Origin": "https://evil.example"}, "a foreign page"),
        (True, {"Host": "127.0.0.1:8501", "Origin": "null"}, "a sandboxed page"),
        (True, {"Host": "localhost:8501", "Origin": "http://localhost:9999"}, "another local app"),
        (True, {"Host": "localhost:8501", "Origin": "http://127.0.0.1:8501"}, "another name"),
        (True, {"Host": "192.168.1.5:8501"}, "this machine's LAN address: maybe someone else"),
        (True, {}, "no connection at all (a test harness)"),
        (True, {"Host": "http://[::1"}, "a malformed Host"),
    ],
)
def test_everybody_else_is_not(peer_is_loopback: bool, headers: dict[str, str], who: str) -> None:
    assert not is_local_visitor(peer_is_loopback=peer_is_loopback, headers=headers), who


def test_the_operator_decides_over_the_connection_and_public_wins() -> None:
    def local(peer: bool, headers: dict[str, str], **operator: object) -> bool:
        settings = {k: v for k, v in operator.items() if k in ("public", "local")}
        environ = {str(k): str(v) for k, v in operator.items() if k.startswith("STREAMCHAT_")}
        return treated_as_local(
            peer_is_loopback=peer, headers=headers, settings=settings, environ=environ
        )

    assert not local(False, {})
    assert local(False, {}, local=True)
    assert local(False, {}, STREAMCHAT_LOCAL="1")
    assert local(True, BROWSER)
    assert not local(True, BROWSER, public=True)
    assert not local(True, BROWSER, STREAMCHAT_PUBLIC="true")
    assert not local(True, BROWSER, public=True, local=True)


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        (None, True),  # Streamlit's report for 127.0.0.1 and ::1
        ("::ffff:127.0.0.1", True),  # `streamlit run app.py` binds ::, a localhost browser
        ("127.0.0.2", True),
        ("::ffff:192.0.2.2", False),
        ("192.0.2.2", False),
        ("fd00::2", False),
        ("not an address", False),
    ],
)
def test_a_loopback_peer_on_a_dual_stack_socket_is_loopback(
    address: str | None, loopback: bool
) -> None:
    from chat_core.visitors import peer_is_loopback

    assert peer_is_loopback(address) is loopback
