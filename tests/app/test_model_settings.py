"""The sidebar's model and parameter widgets, through the real app against the wire server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from chat_core.config import MODELS, ProviderSettings
from chat_core.model_list import CATALOG
from tests.app.conftest import messages, send
from tests.servers import free_port
from tests.wire_server import WireServer

PROVIDER_DEFAULT = "provider default"


@pytest.fixture(autouse=True)
def fresh_catalog() -> Iterator[None]:
    CATALOG.clear()
    yield
    CATALOG.clear()


def listed_already(name: str, key: str, base_url: str) -> None:
    """Fill the app's cache first, so the run under test does not race the listing."""
    CATALOG.lookup(ProviderSettings(name, key, base_url), wait_s=10)


def notes(at: AppTest) -> list[str]:
    return [str(c.value) for c in at.sidebar.caption] + [str(w.value) for w in at.sidebar.warning]


def last_turn_status(at: AppTest) -> StreamStatus:
    status: StreamStatus = at.session_state["conversation"].turns[-1].status
    return status


# -- model lists ---------------------------------------------------------------------------------


def test_the_model_picker_offers_what_the_provider_lists(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    openai_wire.models = ["gpt-6-luna", "gpt-4o-mini", "my-served-model"]
    listed_already("openai", "sk-test-openai", openai_wire.openai_base_url)
    at = app().run()
    options = at.selectbox(key="w_model_openai").options
    assert options[:2] == ["gpt-6-luna", "gpt-4o-mini"]  # known suggestions it serves first
    assert "my-served-model" in options
    assert "gpt-6.1-sol" not in options  # a suggestion this server does not serve
    at.selectbox(key="w_model_openai").set_value("my-served-model").run()
    send(at, "hello")
    assert openai_wire.last_request.body["model"] == "my-served-model"  # type: ignore[union-attr]


def test_a_server_that_cannot_list_leaves_the_suggestions_and_says_so(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", url)
    listed_already("openai-compatible", "", url)
    at = app(provider="openai-compatible").run()
    assert not at.exception
    assert at.selectbox(key="w_model_openai-compatible").options == list(
        MODELS["openai-compatible"]
    )
    assert any("to list its models" in n and "built-in suggestions" in n for n in notes(at))


def test_an_ollama_style_server_lists_its_own_models(
    app: Callable[..., AppTest], wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wire.models = ["qwen3:8b", "llama3.2:latest"]
    monkeypatch.setenv("OPENAI_COMPATIBLE_BASE_URL", wire.openai_base_url)
    listed_already("openai-compatible", "", wire.openai_base_url)
    at = app(provider="openai-compatible").run()
    options = at.selectbox(key="w_model_openai-compatible").options
    assert options[:2] == ["qwen3:8b", "llama3.2:latest"]


def test_a_deprecated_model_gets_a_quiet_note_naming_the_replacement(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app(model_anthropic="claude-sonnet-4-5").run()
    assert any("claude-sonnet-4-5" in n and "claude-sonnet-4-6" in n for n in notes(at)), notes(at)
    at.selectbox(key="w_model_anthropic").set_value(MODELS["anthropic"][0]).run()
    assert not any("end-of-life" in n or "retired" in n for n in notes(at))


@pytest.mark.parametrize("served", [True, False])
def test_a_model_past_its_date_warns_only_when_the_provider_stopped_listing_it(
    app: Callable[..., AppTest], openai_wire: WireServer, served: bool
) -> None:
    openai_wire.models = ["gpt-6-luna", "o4-mini"] if served else ["gpt-6-luna"]
    listed_already("openai", "sk-test-openai", openai_wire.openai_base_url)
    at = app(model_openai="o4-mini").run()  # OpenAI's shutdown date: 2026-10-23
    warnings = [str(w.value) for w in at.sidebar.warning]
    captions = [str(c.value) for c in at.sidebar.caption]
    shown = captions if served else warnings
    assert any("o4-mini" in n and "gpt-5.6-terra" in n for n in shown), (captions, warnings)
    if served:
        assert not warnings


# -- temperature ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [MODELS["openai"][0], "o3", "gpt-5.4-mini"])
def test_a_reasoning_model_answers_with_the_apps_defaults(
    app: Callable[..., AppTest], openai_wire: WireServer, model: str
) -> None:
    """The wire server refuses a temperature for these models with OpenAI's own 400."""
    at = app(model_openai=model).run()
    slider = at.select_slider(key="w_temperature_choice")
    assert slider.value == PROVIDER_DEFAULT and slider.disabled
    at = send(at, "hello")
    assert last_turn_status(at) is StreamStatus.COMPLETE
    assert messages(at)[-1][1].startswith("You said: hello")
    assert "temperature" not in openai_wire.last_request.body  # type: ignore[union-attr]


@pytest.mark.parametrize("model", [MODELS["anthropic"][0], "claude-opus-4-8"])
def test_a_new_claude_model_answers_with_the_apps_defaults(
    app: Callable[..., AppTest], anthropic_wire: WireServer, model: str
) -> None:
    """The wire server refuses a temperature for these models as Anthropic does (400)."""
    at = send(app(model_anthropic=model).run(), "hello")
    assert last_turn_status(at) is StreamStatus.COMPLETE
    assert "temperature" not in anthropic_wire.last_request.body  # type: ignore[union-attr]


def test_a_reasoning_model_gets_no_temperature_even_after_one_was_set(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-4o-mini").run()
    at.select_slider(key="w_temperature_choice").set_value(0.4).run()
    send(at, "first")
    assert openai_wire.last_request.body["temperature"] == 0.4  # type: ignore[union-attr]
    at.selectbox(key="w_model_openai").set_value("gpt-6-luna").run()
    assert at.select_slider(key="w_temperature_choice").value == PROVIDER_DEFAULT
    at = send(at, "second")
    assert last_turn_status(at) is StreamStatus.COMPLETE
    assert "temperature" not in openai_wire.last_request.body  # type: ignore[union-attr]
    at.selectbox(key="w_model_openai").set_value("gpt-4o-mini").run()
    assert at.select_slider(key="w_temperature_choice").value == 0.4  # the choice was kept


def test_temperature_back_to_provider_default_sends_none(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app(model_anthropic="claude-haiku-4-5").run()
    assert at.select_slider(key="w_temperature_choice").value == PROVIDER_DEFAULT
    at.select_slider(key="w_temperature_choice").set_value(0.3).run()
    at.select_slider(key="w_temperature_choice").set_value(PROVIDER_DEFAULT).run()
    send(at, "hi")
    assert "temperature" not in anthropic_wire.last_request.body  # type: ignore[union-attr]


# -- reasoning effort and extended thinking -------------------------------------------------------


def test_reasoning_effort_is_offered_and_sent_where_the_model_takes_it(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-4o-mini").run()
    assert not [s for s in at.selectbox if s.key == "w_reasoning_effort"]
    at.selectbox(key="w_model_openai").set_value("gpt-6-luna").run()
    effort = at.selectbox(key="w_reasoning_effort")
    assert effort.value == PROVIDER_DEFAULT and "high" in effort.options
    effort.set_value("low").run()
    send(at, "think a little")
    assert openai_wire.last_request.body["reasoning_effort"] == "low"  # type: ignore[union-attr]


def test_extended_thinking_is_offered_for_models_that_support_it(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app().run()  # the default Anthropic model thinks adaptively: no budget toggle
    assert not [t for t in at.toggle if t.key == "w_thinking"]
    at.selectbox(key="w_model_anthropic").set_value("claude-sonnet-4-6").run()
    at.toggle(key="w_thinking").set_value(True).run()
    budget = at.number_input(key="w_thinking_budget")
    assert budget.value == 2048
    budget.set_value(3072).run()
    assert at.select_slider(key="w_temperature_choice").disabled
    at.number_input(key="w_max_tokens").set_value(1000).run()
    at = send(at, "think first")
    assert last_turn_status(at) is StreamStatus.COMPLETE
    body = anthropic_wire.last_request.body  # type: ignore[union-attr]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3072}
    assert body["max_tokens"] == 3072 + 1000
    assert "temperature" not in body


def test_a_large_thinking_budget_follows_a_model_that_writes_less(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    anthropic_wire.models = ["claude-sonnet-4-6", "claude-haiku-4-5"]
    at = app(model_anthropic="claude-sonnet-4-6", thinking=True).run()
    at.number_input(key="w_thinking_budget").set_value(100_000).run()
    at.selectbox(key="w_model_anthropic").set_value("claude-haiku-4-5").run()
    assert not at.exception
    assert at.number_input(key="w_thinking_budget").value == 64_000 - 1


def test_the_demo_offers_its_reasoning_model_in_the_picker(app: Callable[..., AppTest]) -> None:
    at = app().run()
    picker = at.selectbox(key="w_model_demo")
    assert not picker.disabled
    assert "demo-reasoning" in picker.options
    picker.set_value("demo-reasoning").run()
    send(at, "streaming")
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.COMPLETE
    assert turn.reasoning
