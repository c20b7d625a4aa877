"""Fixtures for tests/unit: SDK clients pointed at the wire server (``wire``, tests/conftest.py)."""

from __future__ import annotations

import anthropic
import openai
import pytest

from tests.wire_server import WireServer


@pytest.fixture
def oai(wire: WireServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=wire.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def ant(wire: WireServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=wire.anthropic_base_url, api_key="test", max_retries=0)
