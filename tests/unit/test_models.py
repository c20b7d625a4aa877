"""Model profiles: what each model accepts, end-of-life dates, and what is actually sent (the
real SDKs against the local wire server)."""

from __future__ import annotations

import datetime as dt

import pytest

from chat_core import StreamStatus, start_chat
from chat_core.config import MODELS
from chat_core.errors import ConfigurationError, ModelNotFound
from chat_core.models import (
    END_OF_LIFE,
    current_models,
    deprecation_notice,
    fit_request,
    profile,
    replacement_for,
)
from chat_core.providers.anthropic import AnthropicProvider
from chat_core.providers.openai import OpenAIProvider
from chat_core.stream import ChatStream
from chat_core.types import ChatRequest, Message
from tests.wire_server import Scenario, WireServer

TODAY = dt.date(2026, 11, 29)


# -- the profile table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["o4-mini", "o3", "gpt-5", "gpt-5-mini-2025-08-07", "gpt-5.4-mini", "gpt-6-luna"]
)
def test_reasoning_models_never_get_a_temperature(model: str) -> None:
    assert fit_request("openai", model, temperature=0.7).temperature is None


@pytest.mark.parametrize("model", ["claude-opus-4-8", "claude-sonnet-5-5", "claude-sonnet-5"])
def test_new_claude_models_never_get_a_temperature(model: str) -> None:
    assert fit_request("anthropic", model, temperature=0.5).temperature is None


def test_classic_models_keep_the_temperature_the_person_set() -> None:
    assert fit_request("openai", "gpt-4o-mini", temperature=0.7).temperature == 0.7
    assert fit_request("anthropic", "claude-haiku-4-5", temperature=0.2).temperature == 0.2
    assert fit_request("openai", "gpt-4o-mini").temperature is None  # "provider default"


def test_an_unknown_model_gets_a_permissive_profile() -> None:
    p = profile("llama3.2:latest")
    assert not p.known and p.temperature and p.max_output_tokens is None
    fitted = fit_request("openai-compatible", "llama3.2:latest", temperature=1.9, max_tokens=99_999)
    assert (fitted.temperature, fitted.max_tokens, fitted.reasoning_effort) == (1.9, 99_999, None)


def test_a_temperature_outside_the_models_range_is_refused_in_plain_words() -> None:
    with pytest.raises(ConfigurationError, match=r"out of range for claude-haiku-4-5 \(0 to 1\)"):
        fit_request("anthropic", "claude-haiku-4-5", temperature=1.5)
    with pytest.raises(ConfigurationError, match=r"out of range for Anthropic"):
        fit_request("anthropic", "some-proxy-model", temperature=1.5)


def test_reasoning_effort_is_sent_only_where_the_model_offers_it() -> None:
    assert fit_request("openai", "gpt-6-luna", reasoning_effort="high").reasoning_effort == "high"
    assert fit_request("openai", "gpt-5", reasoning_effort="minimal").reasoning_effort == "minimal"
    assert fit_request("openai", "gpt-6-luna", reasoning_effort="minimal").reasoning_effort is None
    assert fit_request("openai", "gpt-4o-mini", reasoning_effort="high").reasoning_effort is None
    assert (
        fit_request("anthropic", "claude-sonnet-4-6", reasoning_effort="high").reasoning_effort
        is None
    )


def test_extended_thinking_gets_room_above_its_budget_and_no_temperature() -> None:
    fitted = fit_request(
        "anthropic",
        "claude-sonnet-4-6",
        temperature=0.5,
        max_tokens=1024,
        thinking_budget_tokens=2048,
    )
    assert fitted.thinking_budget_tokens == 2048
    assert fitted.max_tokens == 2048 + 1024  # the answer keeps the room the person asked for
    assert fitted.temperature is None
    assert (
        fit_request(
            "anthropic", "claude-haiku-4-5", thinking_budget_tokens=100
        ).thinking_budget_tokens
        == 1024
    )
    roomy = fit_request(
        "anthropic", "claude-haiku-4-5", max_tokens=8000, thinking_budget_tokens=2048
    )
    assert roomy.max_tokens == 8000


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("anthropic", "claude-sonnet-5-5"),
        ("anthropic", "claude-opus-4-8"),
        ("openai", "gpt-4o-mini"),
    ],
)
def test_extended_thinking_is_not_sent_to_models_without_it(provider: str, model: str) -> None:
    assert fit_request(provider, model, thinking_budget_tokens=4096).thinking_budget_tokens is None


def test_max_tokens_is_bounded_by_what_the_model_can_write() -> None:
    assert fit_request("openai", "gpt-4o-mini", max_tokens=100_000).max_tokens == 16_384
    assert fit_request("anthropic", "claude-haiku-4-5", max_tokens=100_000).max_tokens == 64_000
    assert fit_request("openai", "gpt-6-luna", max_tokens=4096).max_tokens == 4096


# -- end of life ---------------------------------------------------------------------------------


def test_the_anthropic_sdks_own_end_of_life_dates_are_used() -> None:
    from anthropic._data import DEPRECATED_MODELS

    assert "claude-sonnet-4-5" in DEPRECATED_MODELS
    assert END_OF_LIFE["claude-sonnet-4-5"] == dt.date(2026, 11, 30)
    assert END_OF_LIFE["claude-sonnet-4-5-20250929"] == dt.date(2026, 11, 30)
    assert all(model in END_OF_LIFE for model in DEPRECATED_MODELS)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_default_models_are_not_near_their_end_of_life(provider: str) -> None:
    from anthropic._data import DEPRECATED_MODELS

    default = MODELS[provider][0]
    eol = profile(default).end_of_life
    assert eol is None or eol > TODAY + dt.timedelta(days=180), (default, eol)
    assert default not in DEPRECATED_MODELS
    assert profile(default).known


def test_the_original_defaults_stay_listed_until_their_end_of_life() -> None:
    assert "gpt-4o-mini" in current_models(MODELS["openai"], TODAY)
    assert "claude-sonnet-4-5" in current_models(MODELS["anthropic"], TODAY)
    assert "claude-sonnet-4-5" not in current_models(MODELS["anthropic"], dt.date(2026, 11, 30))
    assert "gpt-4o-mini" not in current_models(MODELS["openai"], dt.date(2027, 1, 14))


def test_a_deprecated_model_names_its_date_and_replacement() -> None:
    notice = deprecation_notice("claude-sonnet-4-5", TODAY)
    assert notice is not None
    assert "2026-11-30" in notice and "claude-sonnet-4-6" in notice and "deprecated" in notice
    retired = deprecation_notice("o4-mini", TODAY)
    assert retired is not None and "end-of-life date (2026-10-23)" in retired
    assert "gpt-5.6-terra" in retired
    assert deprecation_notice(MODELS["anthropic"][0], TODAY) is None
    assert replacement_for("claude-sonnet-4-5-20250929") == "claude-sonnet-4-6"
    assert replacement_for("my-model") is None


# -- what reaches the provider (real SDKs, local wire server) -------------------------------------


def test_a_reasoning_model_refuses_a_temperature_like_openai_does(wire: WireServer) -> None:
    """The wire server answers as OpenAI does, so the tests below mean something."""
    provider = OpenAIProvider("sk-test", wire.openai_base_url)
    request = ChatRequest((Message("user", "hi"),), model="o4-mini", temperature=0.7)
    result = ChatStream(provider, request).wait(10)
    assert result.status is StreamStatus.ERROR
    assert wire.last_request is not None and wire.last_request.status == 400


@pytest.mark.parametrize("model", ["gpt-6-luna", "o3", "gpt-5.4-mini"])
def test_a_reasoning_model_answers_with_a_temperature_set(wire: WireServer, model: str) -> None:
    stream = start_chat(
        "hi",
        provider="openai",
        model=model,
        temperature=0.7,
        reasoning_effort="low",
        api_key="sk-test",
        base_url=wire.openai_base_url,
    )
    result = stream.wait(10)
    assert result.status is StreamStatus.COMPLETE, result.error
    body = wire.last_request.body  # type: ignore[union-attr]
    assert "temperature" not in body
    assert body["reasoning_effort"] == "low"


def test_extended_thinking_reaches_anthropic(wire: WireServer) -> None:
    stream = start_chat(
        "hi",
        provider="anthropic",
        model="claude-sonnet-4-6",
        temperature=0.5,
        max_tokens=1000,
        thinking_budget_tokens=3000,
        api_key="sk-ant-test",
        base_url=wire.anthropic_base_url,
    )
    assert stream.wait(10).status is StreamStatus.COMPLETE
    body = wire.last_request.body  # type: ignore[union-attr]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    assert body["max_tokens"] == 4000
    assert "temperature" not in body


def test_no_thinking_and_no_effort_unless_asked(wire: WireServer) -> None:
    provider = AnthropicProvider("sk-ant-test", wire.anthropic_base_url)
    ChatStream(provider, ChatRequest((Message("user", "hi"),), model="claude-sonnet-4-6")).wait(10)
    assert "thinking" not in wire.last_request.body  # type: ignore[union-attr]
    start_chat(
        "hi", provider="openai", model="gpt-6-luna", api_key="k", base_url=wire.openai_base_url
    ).wait(10)
    assert "reasoning_effort" not in wire.last_request.body  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "model", "replacement"),
    [
        ("openai", "o4-mini", "gpt-5.6-terra"),
        ("anthropic", "claude-3-5-haiku-20241022", "claude-haiku-4-5"),
    ],
)
def test_a_retired_models_404_names_the_replacement(
    wire: WireServer, name: str, model: str, replacement: str
) -> None:
    wire.enqueue(Scenario.model_not_found())
    provider = (
        OpenAIProvider("sk-test", wire.openai_base_url)
        if name == "openai"
        else AnthropicProvider("sk-ant-test", wire.anthropic_base_url)
    )
    result = ChatStream(provider, ChatRequest((Message("user", "hi"),), model=model)).wait(10)
    assert isinstance(result.error, ModelNotFound)
    assert replacement in result.error.user_message and model in result.error.user_message


# -- the terminal chat ---------------------------------------------------------------------------


def test_the_terminal_chat_sends_only_what_the_model_takes_and_says_so(wire: WireServer) -> None:
    from tests.unit.test_cli import chat_env, run_chat

    result = run_chat(
        "hello\n",
        "--provider", "openai", "--model", "gpt-6-luna",
        "--temperature", "0.7", "--reasoning-effort", "low", "--thinking-budget", "2048",
        env=chat_env(wire),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Assistant: You said: hello" in result.stdout
    body = wire.last_request.body  # type: ignore[union-attr]
    assert "temperature" not in body and "thinking" not in body
    assert body["reasoning_effort"] == "low"
    assert "gpt-6-luna takes no temperature but the default" in result.stderr
    assert "does not offer extended thinking" in result.stderr


def test_the_terminal_chat_thinks_with_a_budget(wire: WireServer) -> None:
    from tests.unit.test_cli import chat_env, run_chat

    result = run_chat(
        "hello\n",
        "--provider", "anthropic", "--model", "claude-sonnet-4-6",
        "--thinking-budget", "2048", "--max-tokens", "500",
        env=chat_env(ANTHROPIC_API_KEY="sk-ant-test", ANTHROPIC_BASE_URL=wire.anthropic_base_url),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = wire.last_request.body  # type: ignore[union-attr]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["max_tokens"] == 2548


def test_the_sdk_table_is_read_without_importing_the_sdk() -> None:
    # Importing anthropic._data imports all of anthropic (~1.6 s of CPU on a first page, also
    # for people who never use Anthropic): the table is read from the SDK's file as data.
    import subprocess
    import sys

    from anthropic._data import DEPRECATED_MODELS

    from chat_core.models import _sdk_table

    assert _sdk_table() == dict(DEPRECATED_MODELS)
    code = "import sys, chat_core.models; print('anthropic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
