"""Real providers through the real SDKs, pointed at the local wire server by environment."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from chat_core.config import MODELS
from tests.app.conftest import captions, messages, send
from tests.wire_server import Scenario, WireServer


def test_an_openai_turn_streams_from_the_wire_server(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app().run()
    assert at.selectbox(key="w_provider").value == "openai"  # a configured key wins over demo
    assert not at.info  # no demo banner
    # Paced, so that the answer streams long enough to have a rate (MIN_RATE_WINDOW_S).
    openai_wire.enqueue(Scenario.echo("Hello OpenAI", rate=40))
    at = send(at, "Hello OpenAI")
    assert messages(at)[-1] == (
        "assistant",
        "You said: Hello OpenAI\n\nThis answer comes from the local wire test server.",
    )
    request = openai_wire.last_request
    assert request is not None and request.provider == "openai"
    assert request.body["model"] == MODELS["openai"][0]
    assert "temperature" not in request.body  # "provider default" until the person sets one
    assert request.body["stream"] is True
    assert request.headers["authorization"] == "Bearer sk-test-openai"
    caption = captions(at)[-1]
    assert "TTFT " in caption and MODELS["openai"][0] in caption
    assert "tokens/s" in caption and " in / " in caption


def test_an_anthropic_turn_streams_from_the_wire_server(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app().run()
    assert at.selectbox(key="w_provider").value == "anthropic"
    at = send(at, "Hello Claude")
    assert messages(at)[-1][1].startswith("You said: Hello Claude")
    request = anthropic_wire.last_request
    assert request is not None and request.provider == "anthropic"
    sent_key = request.headers.get("x-api-key") or request.headers.get("authorization", "")
    assert sent_key.endswith("sk-ant-test")
    assert request.body["model"] == MODELS["anthropic"][0]
    assert "temperature" not in request.body
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.COMPLETE
    assert turn.metrics is not None and turn.metrics.output_tokens


def test_the_second_request_carries_the_first_exchange(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "first question")
    at = send(at, "second question")
    request = openai_wire.last_request
    assert request is not None
    sent = [(m["role"], m["content"]) for m in request.body["messages"]]
    assert sent == [
        ("system", "You are a helpful assistant."),
        ("user", "first question"),
        (
            "assistant",
            "You said: first question\n\nThis answer comes from the local wire test server.",
        ),
        ("user", "second question"),
    ]


def test_the_system_prompt_reaches_openai(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app().run()
    at.text_area(key="w_system").input("You answer in French.").run()
    send(at, "Bonjour")
    request = openai_wire.last_request
    assert request is not None
    assert request.body["messages"][0] == {"role": "system", "content": "You answer in French."}


def test_the_system_prompt_temperature_and_max_tokens_reach_anthropic(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    at = app(model_anthropic="claude-haiku-4-5").run()  # a model that takes a temperature
    at.text_area(key="w_system").input("Be brief.").run()
    at.select_slider(key="w_temperature_choice").set_value(0.25).run()
    at.number_input(key="w_max_tokens").set_value(300).run()
    send(at, "hi")
    request = anthropic_wire.last_request
    assert request is not None
    assert request.body["system"] == "Be brief."
    assert request.body["max_tokens"] == 300
    assert request.body["temperature"] == 0.25
    assert [m["role"] for m in request.body["messages"]] == ["user"]


def test_a_typed_model_name_is_sent(app: Callable[..., AppTest], openai_wire: WireServer) -> None:
    # AppTest cannot type a new option into a selectbox; a typed name lands in this key.
    at = app(model_openai="my-finetune-1").run()
    assert "my-finetune-1" in at.selectbox(key="w_model_openai").options
    send(at, "hi")
    request = openai_wire.last_request
    assert request is not None and request.body["model"] == "my-finetune-1"
    assert "my-finetune-1" in captions(at)[-1]


def test_an_openai_compatible_server_needs_only_a_base_url(
    app: Callable[..., AppTest], wire: WireServer
) -> None:
    at = app(provider="openai-compatible").run()
    at.text_input(key="w_base_url_openai-compatible").input(wire.openai_base_url).run()
    at = send(at, "hello local model")
    assert messages(at)[-1][1].startswith("You said: hello local model")
    request = wire.last_request
    assert request is not None and request.body["model"] == "llama3.2"
    assert "max_tokens" in request.body


def test_an_answer_cut_off_by_max_tokens_is_marked(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:length")
    assert "Cut off at max tokens" in captions(at)[-1]
    assert at.session_state["conversation"].turns[-1].status == StreamStatus.LENGTH
