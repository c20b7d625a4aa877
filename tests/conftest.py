"""Shared pytest fixtures. Keep each group in its own clearly marked section."""

from __future__ import annotations

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
