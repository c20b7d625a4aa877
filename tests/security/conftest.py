"""Fixtures for the security tests: clean provider settings and a second "visitor" wire server.
(The browser tests of the security issue live in tests/e2e/test_security_browser.py, next to
the browser fixtures.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wire_server import WireServer

PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_BASE_URL",
    "STREAMCHAT_ALLOW_PRIVATE_BASE_URLS",
    "STREAMCHAT_LOCAL",
    "STREAMCHAT_PUBLIC",
    "STREAMCHAT_API_TOKEN",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key or policy from the developer's shell; the demo answers at once."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")


@pytest.fixture(scope="session")
def visitor_server() -> Iterator[WireServer]:
    """A server a visitor points the app at: it records every request's headers."""
    server = WireServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def visitor(visitor_server: WireServer) -> WireServer:
    visitor_server.reset()
    return visitor_server
