"""Shared pytest fixtures. Keep each group in its own clearly marked section."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.wire_server import WireServer

# ============================================================================================
# Wire server (tests/wire_server.py): a local OpenAI + Anthropic HTTP endpoint for the real SDKs
#   wire.openai_base_url     -> openai.OpenAI(base_url=..., api_key="sk-test", max_retries=0)
#   wire.anthropic_base_url  -> anthropic.Anthropic(base_url=..., api_key="test", max_retries=0)
# ============================================================================================


@pytest.fixture(scope="session")
def wire_server() -> Iterator[WireServer]:
    """One server for the whole session (started once, stopped at the end)."""
    server = WireServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def wire(wire_server: WireServer) -> WireServer:
    """The session server, reset: no records, empty queue, no stream left running."""
    wire_server.reset()
    return wire_server


# ============================================================================================
# (other fixtures go below)
# ============================================================================================


# ============================================================================================
# Chat store: one temporary database for the whole test run, so the app under test never
# writes .streamchat/chats.db into the repository (tests/store use their own databases).
# ============================================================================================


@pytest.fixture(scope="session", autouse=True)
def chat_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('chat-db') / 'chats.db'}"
    previous = os.environ.get("STREAMCHAT_DATABASE_URL")
    os.environ["STREAMCHAT_DATABASE_URL"] = url
    try:
        yield url
    finally:
        if previous is None:
            os.environ.pop("STREAMCHAT_DATABASE_URL", None)
        else:
            os.environ["STREAMCHAT_DATABASE_URL"] = previous
