"""AppTest helpers: the real app script, the offline demo made instant, the wire server by env.

AppTest runs the script in this process, so environment variables set with ``monkeypatch``
before ``run()`` reach chat_core (which reads them per request) and the SDKs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.wire_server import WireServer

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT_S = 30

ENV_NAMES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_COMPATIBLE_API_KEY",
    "OPENAI_COMPATIBLE_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key from the developer's shell leaks in; the demo answers at once."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STREAMCHAT_DEMO_TTFT_S", "0")
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "0")
    # AppTest's connection does not look local (chat_core/visitors.py); these tests play the
    # person at this machine, who sees every stored chat and may type base URLs pointing here.
    monkeypatch.setenv("STREAMCHAT_LOCAL", "1")


def new_app(**session: Any) -> AppTest:
    """The app, not yet run, with isolated (empty) secrets and optional session-state seeds
    (e.g. ``provider="anthropic"``)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    # A non-empty dict makes AppTest replace st.secrets, so a developer's real
    # .streamlit/secrets.toml is never read by the tests.
    at.secrets["STREAMCHAT_TEST"] = "1"
    for key, value in session.items():
        at.session_state[key] = value
    return at


@pytest.fixture
def app() -> Callable[..., AppTest]:
    return new_app


@pytest.fixture
def openai_wire(wire: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai")
    monkeypatch.setenv("OPENAI_BASE_URL", wire.openai_base_url)
    return wire


@pytest.fixture
def anthropic_wire(wire: WireServer, monkeypatch: pytest.MonkeyPatch) -> WireServer:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", wire.anthropic_base_url)
    return wire


def send(at: AppTest, prompt: str) -> AppTest:
    at.chat_input[0].set_value(prompt).run()
    assert not at.exception, at.exception
    return at


def messages(at: AppTest) -> list[tuple[str, str]]:
    """(role, text) of every chat message on the page (welcome excluded when empty)."""
    out = []
    for message in at.chat_message:
        text = "\n\n".join(str(m.value).strip("\n") for m in message.markdown)
        if not text.startswith("**Hi!**"):
            out.append((message.name, text))
    return out


def captions(at: AppTest) -> list[str]:
    """The captions under the chat messages (metrics and status badges)."""
    return [str(c.value) for message in at.chat_message for c in message.caption]


def errors(at: AppTest) -> list[str]:
    """The error boxes inside the chat messages."""
    return [str(e.value) for message in at.chat_message for e in message.error]


def all_protos(at: AppTest) -> Iterator[Any]:
    """Every element and block proto in the rendered tree (main page and sidebar)."""
    stack: list[Any] = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield proto
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
